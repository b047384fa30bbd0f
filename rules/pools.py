"""ML101-ML105: IPAddressPool addresses, as MetalLB's parser reads them (facts §1)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.addresses import Entry, Problem, describe_interval, parse_ip
from linter.finding import Finding, Related, Severity
from linter.model import AddressEntry, Cluster, Pool
from linter.rule import Rule

_POOL_HEADER = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
spec:
  addresses:
"""
_L2 = """\
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
"""

_RANGE_PROBLEMS = frozenset((Problem.RANGE_BAD_START, Problem.RANGE_BAD_END,
                             Problem.RANGE_REVERSED, Problem.RANGE_MIXED_FAMILY))


def _pool_name(pool: Pool) -> str:
    return f'{pool.kind} "{pool.name}"'


def _single_address_hint(text: str) -> str:
    address = parse_ip(text.strip())
    if address is None:
        return ""
    return f'; for one address write "{address}/{32 if address.version == 4 else 128}"'


def _leading_zero_fix(text: str) -> str:
    head, slash, tail = text.partition("/")
    try:
        fixed = ".".join(str(int(part)) for part in head.split("."))
    except ValueError:
        return ""
    # A bare address stays invalid once its zeros are gone: suggest the /32.
    return f'; write "{fixed}/{tail if slash else 32}"'


def _whitespace_fix(text: str) -> str:
    fixed = "".join(text.split())  # whitespace inside ("10.0.0.0 /8") too
    address = parse_ip(fixed)
    if address is not None:  # a bare address: still invalid without a prefix
        fixed = f"{address}/{32 if address.version == 4 else 128}"
    return f'write "{fixed}"'


class PoolAddressInvalid(Rule):
    code = "ML101"
    name = "pool-address-invalid"
    severity = Severity.ERROR
    summary = "An IPAddressPool address entry that MetalLB's parser rejects."
    rationale = (
        "MetalLB accepts only a CIDR or an `a-b` range. A bare IP, octets with leading zeros, "
        "whitespace around a CIDR or a prefix longer than the address make the webhook refuse "
        "the pool (`invalid CIDR`); with the webhook off, MetalLB keeps its last valid "
        "configuration and ignores every change after it."
    )
    remediation = "Write a single address as `/32` (IPv4) or `/128` (IPv6), or as a range `a-b`."
    bad_example = _POOL_HEADER + "  - 192.168.10.5\n" + _L2
    good_example = _POOL_HEADER + "  - 192.168.10.5/32\n" + _L2

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for pool in cluster.pools:
            if not pool.addresses_set and "addresses" in pool.resource.spec \
                    and pool.resource.spec["addresses"] is not None and not pool.unresolved:
                yield self.finding(
                    f"{_pool_name(pool)}: spec.addresses must be a list of CIDRs or ranges",
                    pool.resource.spec.value_location("addresses"), cluster=cluster, resource=pool.resource)
            for item in pool.entries:
                message = self._message(item.entry)
                if message:
                    yield self.finding(f"{_pool_name(pool)}: {message}", item.location,
                                       cluster=cluster, resource=pool.resource)

    @staticmethod
    def _message(entry: Entry) -> str:
        text, problem = entry.text, entry.problem
        rejected = "MetalLB rejects it as an invalid CIDR"
        if problem is Problem.BARE_IP:
            return f'"{text}" is a bare IP address; {rejected}{_single_address_hint(text)}'
        if problem is Problem.LEADING_ZERO:
            return f'"{text}": {entry.detail}; {rejected}{_leading_zero_fix(text)}'
        if problem is Problem.WHITESPACE:
            return f'"{text}" has whitespace around it and {rejected} (it does not trim CIDRs); ' \
                   f"{_whitespace_fix(text)}"
        if problem is Problem.PREFIX_TOO_LONG:
            return f'"{text}": {entry.detail}; {rejected}'
        if problem is Problem.NOT_A_STRING:
            return f"{text} is {entry.detail}; an entry must be a CIDR or an a-b range"
        if problem is Problem.INVALID_CIDR:
            return f'"{text}" is not a CIDR or an a-b range ({entry.detail}); {rejected}'
        return ""


class PoolRangeInvalid(Rule):
    code = "ML102"
    name = "pool-range-invalid"
    severity = Severity.ERROR
    summary = "An address range `a-b` with a bad end, reversed ends, or ends of different IP families."
    rationale = (
        "MetalLB splits a range on its first `-` and parses both ends as bare IPs. An unparsable "
        "end or a start after the end makes it refuse the pool; an IPv4 start with an IPv6 end "
        "is accepted without error and yields no address at all."
    )
    remediation = "Write both ends as addresses of one family, lowest first: `192.168.10.10-192.168.10.50`."
    bad_example = _POOL_HEADER + "  - 192.168.10.50-192.168.10.10\n" + _L2
    good_example = _POOL_HEADER + "  - 192.168.10.10-192.168.10.50\n" + _L2

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for pool in cluster.pools:
            for item in pool.entries:
                entry = item.entry
                if entry.problem not in _RANGE_PROBLEMS:
                    continue
                if entry.problem is Problem.RANGE_MIXED_FAMILY:
                    message = f'range "{entry.text}": {entry.detail}'
                elif entry.problem is Problem.RANGE_REVERSED:
                    message = (f'range "{entry.text}": {entry.detail}; MetalLB rejects it. '
                               "Swap the ends")
                else:
                    message = f'range "{entry.text}": {entry.detail}; MetalLB rejects it'
                yield self.finding(f"{_pool_name(pool)}: {message}", item.location,
                                   cluster=cluster, resource=pool.resource)


class PoolHostBits(Rule):
    code = "ML103"
    name = "pool-host-bits"
    severity = Severity.WARNING
    summary = "A CIDR with host bits set, which MetalLB silently widens to the whole network."
    rationale = (
        "MetalLB keeps only the network of a CIDR: `192.168.12.100/24` becomes all of "
        "192.168.12.0/24, 256 addresses, with no error. Usually a single host or a smaller "
        "range was meant, and the pool now hands out addresses that belong to other machines."
    )
    remediation = "Write the network address (`192.168.12.0/24`), a `/32` for one address, or a range `a-b`."
    bad_example = _POOL_HEADER + "  - 192.168.12.100/24\n" + _L2
    good_example = _POOL_HEADER + "  - 192.168.12.100/32\n" + _L2

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for pool in cluster.pools:
            for item in pool.entries:
                entry = item.entry
                if not entry.valid or not entry.masked_network:
                    continue
                host = entry.text.split("/", 1)[0]
                single = f"{host}/{32 if entry.version == 4 else 128}"
                yield self.finding(
                    f'{_pool_name(pool)}: "{entry.text}" has host bits set; MetalLB uses the whole '
                    f"{entry.masked_network}, {describe_interval(entry)}. For one address write "
                    f'"{single}"; for part of the network write a range "{host}-..."',
                    item.location, cluster=cluster, resource=pool.resource)


class PoolOverlap(Rule):
    code = "ML104"
    name = "pool-overlap"
    severity = Severity.ERROR
    summary = "Two address entries overlap, in one pool or in two pools of the same target."
    rationale = (
        "MetalLB checks every entry of every pool against all the entries before it and refuses "
        "the configuration on the first overlap (`CIDR ... overlaps with already defined CIDR`). "
        "Ranges are compared after conversion to CIDRs, so a range overlapping a CIDR counts, and "
        "so does a duplicate."
    )
    remediation = "Give each pool its own addresses: shrink or split one of the two entries, or remove the duplicate."
    bad_example = _POOL_HEADER + "  - 192.168.10.0/24\n" + """\
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: services
spec:
  addresses:
  - 192.168.10.200-192.168.10.250
""" + _L2
    good_example = _POOL_HEADER + "  - 192.168.10.0/25\n" + """\
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: services
spec:
  addresses:
  - 192.168.10.200-192.168.10.250
""" + _L2

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        by_namespace: dict[str | None, list[tuple[Pool, AddressEntry]]] = {}
        for pool in cluster.pools:
            for item in pool.entries:
                if item.entry.valid:
                    by_namespace.setdefault(pool.namespace, []).append((pool, item))
        for seen in by_namespace.values():
            for index, (pool, item) in enumerate(seen):
                earlier = [(p, e) for p, e in seen[:index] if e.entry.overlaps(item.entry)]
                if earlier:
                    yield self._overlap(cluster, pool, item, earlier)

    def _overlap(self, cluster: Cluster, pool: Pool, item: AddressEntry,
                 earlier: list[tuple[Pool, AddressEntry]]) -> Finding:
        first_pool, first = earlier[0]
        entry, other = item.entry, first.entry
        if entry.first == other.first and entry.last == other.last:
            relation = "covers the same addresses as"
        else:
            relation = "overlaps"
        where = "another entry of the same pool" if first_pool is pool else _pool_name(first_pool)
        common = Entry("", entry.version, max(entry.first, other.first), min(entry.last, other.last))
        message = (f'{_pool_name(pool)}: "{entry.text}" {relation} "{other.text}" in {where}, '
                   f"sharing {describe_interval(common)}; MetalLB refuses the configuration")
        related = [Related(e.location, f'"{e.entry.text}" in {_pool_name(p)} is defined first')
                   for p, e in earlier]
        return self.finding(message, item.location, cluster=cluster, resource=pool.resource,
                            related=related)


class PoolEmpty(Rule):
    code = "ML105"
    name = "pool-empty"
    severity = Severity.ERROR
    summary = "An address pool with no addresses after rendering."
    rationale = (
        "`spec.addresses` is required: the API server refuses a pool without it, and MetalLB "
        "refuses one with an empty list (`pool has no prefixes defined`)."
    )
    remediation = "List at least one CIDR or range under `spec.addresses`, or delete the pool."
    bad_example = _POOL_HEADER.replace("addresses:\n", "addresses: []\n") + _L2
    good_example = _POOL_HEADER + "  - 192.168.10.0/28\n" + _L2

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for pool in cluster.pools:
            spec = pool.resource.spec
            addresses = spec.get("addresses")
            if pool.unresolved or (addresses is not None and not isinstance(addresses, list)) \
                    or pool.entries:
                continue
            if "addresses" in spec:
                location = spec.key_location("addresses")
            elif "spec" in pool.resource.data:
                location = pool.resource.data.key_location("spec")
            else:
                location = pool.resource.location()
            if isinstance(addresses, list):
                why = 'MetalLB refuses it ("pool has no prefixes defined")'
            else:
                why = "the API server refuses it (spec.addresses is required)"
            yield self.finding(f"{_pool_name(pool)} has no addresses; {why}",
                               location, cluster=cluster, resource=pool.resource)


class PoolContainsNodeIp(Rule):
    code = "ML106"
    name = "pool-contains-node-ip"
    severity = Severity.WARNING
    summary = "A node's own address lies inside a pool: MetalLB may hand it to a Service."
    rationale = (
        "MetalLB does not know which addresses the nodes use: it allocates any address of a pool, and "
        "the check added in 0.15.0 was reverted in 0.15.1. A Service that gets a node's IP answers ARP "
        "for it from another node, and the node (SSH, the API server, the kubelet) becomes unreachable."
    )
    remediation = "Shrink the pool (a range that stops before the node), or move the node out of the pool's range."
    bad_example = _POOL_HEADER + "    - 192.168.1.0/24\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n" \
        "status:\n  addresses: [{type: InternalIP, address: 192.168.1.10}]\n"
    good_example = bad_example.replace("192.168.1.0/24", "192.168.1.200-192.168.1.250")

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        addresses = []
        for node in cluster.nodes:
            for text, where in node.addresses:
                address = parse_ip(text)
                if address is not None:
                    addresses.append((node, text, int(address), address.version, where))
        if not addresses:
            return
        for pool in cluster.pools:
            for item in pool.entries:
                entry = item.entry
                if not entry.valid:
                    continue
                for node, text, value, version, where in addresses:
                    if version == entry.version and entry.first <= value <= entry.last:
                        message = (f"{_pool_name(pool)}: {entry.text} contains {text}, an address of node "
                                   f"{node.name}: MetalLB can assign it to a Service")
                        yield self.finding(message, item.location, cluster=cluster, resource=pool.resource,
                                           related=[Related(where, f"node {node.name} has {text} ({node.source})")])
