"""The pool side of Service allocation: what MetalLB's allocator checks (facts §1.3-§1.5, §6.1).

Follows metallb/metallb:internal/allocator/allocator.go@v0.16.1: `poolFor`
(one pool must hold every requested address, `avoidBuggyIPs` addresses
count as outside), `isPoolCompatibleWithService` (namespaces, then service
selectors), `pinnedPoolsForService` and the fallback pass of `Allocate`
(auto-assign pools without `serviceAllocation`), `sortPools` (lower
positive priority first, 0 last) and `sharingOK` plus the port check of
`checkSharing`.

Answers are three-valued where the repository cannot decide (a Namespace
not declared here, a selector still holding a Flux variable): None means
"unknown", and rules stay quiet on unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from linter.addresses import IPAddress, is_unresolved
from linter.chart import Version
from linter.model import Cluster, Pool
from linter.selectors import LabelSelector, parse_selector
from linter.services import LBService, lb_services, metallb_version

# v0.15.0 (#2714): a serviceAllocation with neither namespaces nor selectors matches everything.
PRIORITY_ONLY_MATCHES_SINCE: Version = (0, 15, 0)


@dataclass(frozen=True, slots=True)
class Allocation:
    """`spec.serviceAllocation` of a pool."""

    priority: int
    namespaces: frozenset[str]
    namespace_selectors: tuple[LabelSelector, ...]
    service_selectors: tuple[LabelSelector, ...]
    unknown: bool  # some part unresolved or malformed: never evaluated

    @property
    def priority_only(self) -> bool:
        return not self.namespaces and not self.namespace_selectors and not self.service_selectors


@dataclass(slots=True)
class PoolFacts:
    pool: Pool
    auto_assign: bool
    avoid_buggy_ips: bool
    allocation: Allocation | None
    unresolved: bool  # addresses or flags not literal (or of a wrong type): containment unknown

    @property
    def name(self) -> str:
        return self.pool.name or "?"

    def families(self) -> set[int]:
        return {e.entry.version for e in self.pool.entries if e.entry.valid}

    def covers(self, address: IPAddress) -> bool:
        """Some entry covers `address`, whatever `avoidBuggyIPs` says."""
        value = int(address)
        return any(e.entry.valid and e.entry.version == address.version and e.entry.first <= value <= e.entry.last
                   for e in self.pool.entries)

    def contains(self, address: IPAddress) -> bool:
        """MetalLB's `poolFor` test for one address: covered and not skipped as buggy."""
        return self.covers(address) and not (self.avoid_buggy_ips and buggy(address))

    def distance(self, address: IPAddress) -> int | None:
        """How far `address` is from the pool's nearest entry of its family; None for no such entry."""
        value = int(address)
        gaps = [0 if e.entry.first <= value <= e.entry.last else min(abs(value - e.entry.first),
                                                                     abs(value - e.entry.last))
                for e in self.pool.entries if e.entry.valid and e.entry.version == address.version]
        return min(gaps) if gaps else None

    def capacity(self, family: int) -> int:
        """Addresses of `family` the allocator may hand out (`avoidBuggyIPs` aware)."""
        total = 0
        for item in self.pool.entries:
            entry = item.entry
            if not entry.valid or entry.version != family:
                continue
            total += entry.size
            if self.avoid_buggy_ips and family == 4:
                total -= _count_mod(entry.first, entry.last, 0) + _count_mod(entry.first, entry.last, 255)
        return max(total, 0)


def buggy(address: IPAddress) -> bool:
    """`ipConfusesBuggyFirmwares`: an IPv4 address ending in .0 or .255."""
    return address.version == 4 and int(address) % 256 in (0, 255)


def _count_mod(first: int, last: int, remainder: int) -> int:
    """How many n in [first, last] have n % 256 == remainder."""
    return (last - remainder) // 256 - (first - 1 - remainder) // 256


def _selectors(value: object) -> tuple[tuple[LabelSelector, ...], bool]:
    if value is None:
        return (), True
    if not isinstance(value, list):
        return (), False
    parsed = [parse_selector(item) for item in value]
    return tuple(s for s in parsed if s is not None), all(s is not None for s in parsed)


def _allocation(value: object) -> Allocation | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return Allocation(0, frozenset(), (), (), True)
    priority = value.get("priority", 0)
    good = isinstance(priority, int) and not isinstance(priority, bool) or priority is None
    namespaces = value.get("namespaces") or []
    if not isinstance(namespaces, list) or not all(isinstance(n, str) and not is_unresolved(n) for n in namespaces):
        good, namespaces = False, []
    by_namespace, good_ns = _selectors(value.get("namespaceSelectors"))
    by_service, good_svc = _selectors(value.get("serviceSelectors"))
    return Allocation(priority if isinstance(priority, int) else 0, frozenset(namespaces),
                      by_namespace, by_service, not (good and good_ns and good_svc))


def _flag(spec: Mapping[str, object], key: str, default: bool) -> tuple[bool, bool]:
    """A boolean field and whether it is known."""
    value = spec.get(key)
    if value is None:
        return default, True
    if isinstance(value, bool):
        return value, True
    return default, False


def pool_facts(pool: Pool) -> PoolFacts:
    spec = pool.resource.spec
    auto_assign, known_auto = _flag(spec, "autoAssign", True)
    avoid, known_avoid = _flag(spec, "avoidBuggyIPs", False)
    allocation = _allocation(spec.get("serviceAllocation"))
    unresolved = pool.unresolved or not known_auto or not known_avoid or pool.unresolved_name
    return PoolFacts(pool, auto_assign, avoid, allocation, unresolved)


def metallb_pools(cluster: Cluster) -> list[PoolFacts]:
    """The pools MetalLB reads: those in its namespace when that is known (facts §3.2)."""
    namespaces = cluster.metallb_namespaces
    if any(is_unresolved(n) for n in namespaces):
        namespaces = set()  # a Flux variable: which pools MetalLB reads is unknown, take them all
    return [pool_facts(p) for p in cluster.pools
            if not namespaces or p.namespace is None or p.namespace in namespaces]


def namespace_labels(cluster: Cluster) -> dict[str, dict[str, str]]:
    """The labels of every Namespace object the target declares, by name."""
    found: dict[str, dict[str, str]] = {}
    for resource in cluster.resources:
        if resource.kind == "Namespace" and resource.api_version == "v1" and resource.name \
                and not is_unresolved(resource.name):
            found[resource.name] = resource.labels
    return found


def compatible(pool: PoolFacts, service: LBService, namespaces: Mapping[str, Mapping[str, str]]) -> bool | None:
    """`isPoolCompatibleWithService`, with namespace selectors resolved against `namespaces`."""
    allocation = pool.allocation
    if allocation is None:
        return True
    if allocation.unknown:
        return None
    if allocation.namespaces or allocation.namespace_selectors:
        members = set(allocation.namespaces)
        members.update(name for name, labels in namespaces.items()
                       if any(s.matches(labels) for s in allocation.namespace_selectors))
        namespace = service.namespace
        if namespace is None:
            return None
        if namespace not in members:
            if allocation.namespace_selectors and (namespace not in namespaces or not members):
                # A Namespace not declared here may carry matching labels; and an
                # empty resolved set means "no restriction" to MetalLB.
                return None
            return False
    if allocation.service_selectors:
        if any(is_unresolved(v) for v in service.labels.values()):
            return None
        return any(s.matches(service.labels) for s in allocation.service_selectors)
    return True


@dataclass(frozen=True, slots=True)
class AutoPools:
    """Where `Allocate` looks for an address for a Service that asks for none."""

    pinned: tuple[PoolFacts, ...]  # serviceAllocation pools matching it, in priority order
    fallback: tuple[PoolFacts, ...]  # auto-assign pools without serviceAllocation
    uncertain: bool  # some pool could not be evaluated


def _priority_key(pool: PoolFacts) -> tuple[int, int]:
    priority = pool.allocation.priority if pool.allocation else 0
    return (1, 0) if priority <= 0 else (0, priority)


def auto_pools(service: LBService, pools: list[PoolFacts], namespaces: Mapping[str, Mapping[str, str]],
               version: Version | None) -> AutoPools:
    pinned: list[PoolFacts] = []
    fallback: list[PoolFacts] = []
    uncertain = False
    for pool in pools:
        if pool.unresolved:
            uncertain = True
            continue
        if not pool.auto_assign:
            continue
        if pool.allocation is None:
            fallback.append(pool)
            continue
        if pool.allocation.priority_only and version is not None and version < PRIORITY_ONLY_MATCHES_SINCE:
            continue  # never used automatically before v0.15.0 (facts §1.5)
        verdict = compatible(pool, service, namespaces)
        if verdict is None:
            uncertain = True
        elif verdict:
            # Compatible means the Service's namespace is in the resolved set or
            # there is no namespace restriction: the pool is pinned for it.
            pinned.append(pool)
    pinned.sort(key=_priority_key)
    return AutoPools(tuple(pinned), tuple(fallback), uncertain)


def sharing_problem(first: LBService, second: LBService) -> str | None:
    """Why MetalLB refuses to give `second` the address `first` holds, or None (facts §6.1)."""
    first_key = first.sharing_key.value if first.sharing_key else ""
    second_key = second.sharing_key.value if second.sharing_key else ""
    if not first_key or not second_key:
        missing = [s for s, k in ((first, first_key), (second, second_key)) if not k]
        names = " and ".join(s.describe() for s in missing)
        return f"{names} {'sets' if len(missing) == 1 else 'set'} no allow-shared-ip sharing key"
    if first_key != second_key:
        return f'their sharing keys differ ("{first_key}" and "{second_key}")'
    if first.backend_key != second.backend_key:
        if first.external_traffic_policy == second.external_traffic_policy:
            return ("both use externalTrafficPolicy: Local with different selectors "
                    f'("{first.backend_key}" and "{second.backend_key}")')
        local = first if first.external_traffic_policy == "Local" else second
        return (f"{local.describe()} uses externalTrafficPolicy: Local and the other Cluster; a Local "
                "Service shares only with Services of the identical selector")
    clash = sorted(first.ports & second.ports)
    if clash:
        shown = ", ".join(f"{proto}/{port}" for proto, port in clash)
        return f"both use port {shown}"
    return None


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What every Service rule needs of one target, or None when MetalLB is not involved."""

    services: tuple[LBService, ...]  # LoadBalancer Services MetalLB handles, literal and well formed
    pools: tuple[PoolFacts, ...]
    namespaces: Mapping[str, Mapping[str, str]]
    version: Version | None

    @property
    def pools_known(self) -> bool:
        return not any(p.unresolved for p in self.pools)

    def holder(self, service: LBService) -> PoolFacts | None:
        """`poolFor`: the pool holding every address the Service requests."""
        addresses = [ip.address for ip in service.ips]
        if not addresses or any(a is None for a in addresses):
            return None
        return next((p for p in self.pools if all(p.contains(a) for a in addresses if a is not None)), None)

    def by_name(self, name: str) -> PoolFacts | None:
        return next((p for p in self.pools if p.name == name), None)


def handled_classes(cluster: Cluster) -> set[str | None] | None:
    """The `--lb-class` values MetalLB runs with (None: no flag); None when unknown."""
    if not cluster.installations or not all(i.known for i in cluster.installations):
        return None
    values = [i.lb_class.value for i in cluster.installations]
    if any(v is not None and (not isinstance(v, str) or is_unresolved(v)) for v in values):
        return None  # a templated or malformed class: which Services MetalLB handles is unknown
    classes: set[str | None] = {v if isinstance(v, str) and v else None for v in values}
    return classes


def handles(service: LBService, classes: set[str | None] | None) -> bool:
    """Whether MetalLB picks the Service up (`filterByLoadBalancerClass`, facts §6.1)."""
    wanted = service.lb_class.value if service.lb_class else None
    if classes is None:
        return wanted is None  # without the flag (the default) MetalLB leaves classed Services alone
    return wanted in classes


def service_context(cluster: Cluster) -> ServiceContext | None:
    """The Services' context of a cluster: seven rules ask, it is built once."""
    return cluster.derived("service-context", lambda: _build_context(cluster))


def _build_context(cluster: Cluster) -> ServiceContext | None:
    pools = metallb_pools(cluster)
    if not cluster.installations and not pools:
        return None  # a cluster with another load balancer: its Services are not MetalLB's
    version = metallb_version(cluster)
    classes = handled_classes(cluster)
    services = tuple(s for s in lb_services(cluster)
                     if not s.unresolved and not s.malformed and handles(s, classes))
    return ServiceContext(services, tuple(pools), namespace_labels(cluster), version)
