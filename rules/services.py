"""ML404-ML410: will each LoadBalancer Service get its address, and the one it asked for (facts §1.3-§1.5, §6)?

MetalLB's webhook never looks at Services; the only trace of these problems
at run time is an `AllocationFailed` event, or nothing at all. Every rule
reads the `ServiceContext` of a target (linter/service_pools.py), which is
None for a target that neither installs MetalLB nor declares pools.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from linter.addresses import IPAddress, describe_interval
from linter.finding import Finding, Location, Related, Severity
from linter.model import Cluster
from linter.rule import Rule
from linter.service_capacity import shortfalls
from linter.service_pools import (PoolFacts, ServiceContext, compatible, handled_classes,
                                  service_context, sharing_problem)
from linter.services import LBService, lb_services

_INSTALL = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
  namespace: metallb-system
spec:
  selector:
    matchLabels: {app: metallb}
  template:
    metadata:
      labels: {app: metallb}
    spec:
      containers:
      - name: speaker
        image: quay.io/metallb/speaker:v0.15.2
"""
_POOL = """\
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
spec:
  addresses: [192.168.10.0/28]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
  namespace: metallb-system
"""
_SERVICE = """\
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: apps
"""
_SPEC = """\
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - port: 80
"""


def _family(family: str | None) -> str:
    return {"4": "IPv4", "6": "IPv6", "dual": "dual-stack", "single": "single-stack"}.get(family or "", "unknown")


def _ips(service: LBService) -> str:
    return ",".join(ip.text for ip in service.ips)


def _pool(pool: PoolFacts) -> str:
    return f'pool "{pool.name}"'


class ServiceIPNotInPool(Rule):
    code = "ML404"
    name = "service-ip-not-in-pool"
    severity = Severity.ERROR
    summary = "A Service requests an address that no pool of its target may give it."
    rationale = (
        "MetalLB assigns a requested address only from the one pool that holds all of the "
        "Service's requested addresses, skipping .0/.255 addresses of pools with `avoidBuggyIPs`, "
        "and only when that pool's `serviceAllocation` admits the Service. Otherwise the Service "
        "stays Pending with `\"...\" is not allowed in config` (or `pool ... not compatible for ip "
        "assignment`)."
    )
    remediation = ("Request an address inside a pool that admits the Service, or add the address "
                   "to a pool (as a /32 or a range).")
    bad_example = (_INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.20.5\n"
                   + _SPEC)
    good_example = (_INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.10.5\n"
                    + _SPEC)

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        context = service_context(cluster)
        if context is None or not context.pools or not context.pools_known:
            return  # no pool at all is no-pools' finding
        for service in context.services:
            if not service.readable_request:
                continue
            holder = context.holder(service)
            if holder is not None:
                if compatible(holder, service, context.namespaces) is False:
                    yield self.finding(
                        f"{service.describe()}: {service.source} {_ips(service)} is in {_pool(holder)}, whose "
                        "serviceAllocation does not admit this Service (namespace or labels); MetalLB "
                        f'answers "pool {holder.name} not compatible for ip assignment" and it stays Pending',
                        service.ips[0].location, cluster=cluster, resource=service.resource,
                        related=[Related(holder.pool.resource.spec.key_location("serviceAllocation"),
                                         f"serviceAllocation of {_pool(holder)}")])
                continue
            yield from self._outside(cluster, context, service)

    def _outside(self, cluster: Cluster, context: ServiceContext, service: LBService) -> Iterator[Finding]:
        owners: list[PoolFacts] = []
        for ip in service.ips:
            address = ip.address
            assert address is not None
            owner = next((p for p in context.pools if p.contains(address)), None)
            if owner is not None:
                owners.append(owner)
                continue
            skipped = next((p for p in context.pools if p.covers(address)), None)
            if skipped is not None:
                yield self.finding(
                    f"{service.describe()}: {service.source} requests {ip.text}, which ends in .0 or .255; "
                    f"{_pool(skipped)} sets avoidBuggyIPs, so MetalLB treats it as outside the pool "
                    f'("is not allowed in config") and the Service stays Pending',
                    ip.location, cluster=cluster, resource=service.resource,
                    related=[Related(skipped.pool.resource.spec.value_location("avoidBuggyIPs"),
                                     f"avoidBuggyIPs of {_pool(skipped)}")])
                continue
            yield self.finding(
                f"{service.describe()}: {service.source} requests {ip.text}, which is in no pool of this "
                f'target; MetalLB answers "is not allowed in config" and the Service stays Pending'
                f"{_closest(context, address)}", ip.location, cluster=cluster, resource=service.resource)
        if len(owners) == len(service.ips) == 2 and owners[0] is not owners[1]:
            yield self.finding(
                f"{service.describe()}: {service.source} requests {_ips(service)}, which are in two pools "
                f'({_pool(owners[0])} and {_pool(owners[1])}); MetalLB needs both addresses in one pool '
                '("is not allowed in config")', service.ips[0].location, cluster=cluster,
                resource=service.resource)


def _closest(context: ServiceContext, address: IPAddress) -> str:
    ranked = sorted(((d, p) for p in context.pools if (d := p.distance(address)) is not None),
                    key=lambda pair: pair[0])
    if not ranked:
        return f"; no pool has IPv{address.version} addresses"
    pool = ranked[0][1]
    value = int(address)
    entry = min((e.entry for e in pool.pool.entries if e.entry.valid and e.entry.version == address.version),
                key=lambda e: min(abs(value - e.first), abs(value - e.last)))
    return f'; the closest is {_pool(pool)} with "{entry.text}" ({describe_interval(entry)})'


class ServiceUnknownPool(Rule):
    code = "ML405"
    name = "service-unknown-pool"
    severity = Severity.ERROR
    summary = "The address-pool annotation names no pool of the target, or a pool that does not hold the requested IP."
    rationale = (
        "MetalLB looks the pool up by name among the pools of its namespace: an unknown name leaves "
        "the Service Pending with `unknown pool`. With a requested address too, the address must be "
        "in that very pool (`... is not compatible with requested address pool ...`)."
    )
    remediation = "Name an existing pool of MetalLB's namespace, or request an address inside the named pool."
    bad_example = _INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/address-pool: lan-pool\n" + _SPEC
    good_example = _INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/address-pool: lan\n" + _SPEC

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        context = service_context(cluster)
        if context is None or any(p.pool.unresolved_name for p in context.pools):
            return
        names = [p.name for p in context.pools]
        for service in context.services:
            if service.pool is None or not service.pool.value:
                continue
            wanted = str(service.pool.value)
            pool = context.by_name(wanted)
            if pool is None:
                yield self.finding(
                    f'{service.describe()}: {service.pool_key} names pool "{wanted}", which does not exist '
                    f'in this target{_hint(cluster, wanted, names)}; MetalLB answers "unknown pool" and the '
                    "Service stays Pending", service.pool.location, cluster=cluster, resource=service.resource)
                continue
            if not context.pools_known or not service.readable_request:
                continue
            holder = context.holder(service)
            if holder is not None and holder is not pool:
                yield self.finding(
                    f'{service.describe()}: {service.pool_key} names pool "{wanted}", but {service.source} '
                    f"{_ips(service)} is in {_pool(holder)}; MetalLB answers \"is not compatible with "
                    "requested address pool\" and the Service stays Pending", service.pool.location,
                    cluster=cluster, resource=service.resource,
                    related=[Related(service.ips[0].location, f"{service.source} requested here")])


def _hint(cluster: Cluster, wanted: str, names: list[str]) -> str:
    elsewhere = sorted({p.namespace or "" for p in cluster.pools if p.name == wanted})
    if elsewhere:
        return f' (there is one in namespace "{elsewhere[0]}", which MetalLB does not read)'
    close = difflib.get_close_matches(wanted, names, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


class ServiceIPConflict(Rule):
    code = "ML406"
    name = "service-ip-conflict"
    severity = Severity.ERROR
    summary = "Two Services request the same address and MetalLB refuses to share it."
    rationale = (
        "An address is shared only between Services with the same `allow-shared-ip` key, "
        "different ports, and either both `externalTrafficPolicy: Cluster` or identical selectors. "
        "Otherwise the first Service gets the address and the other stays Pending "
        "(`... does not allow sharing`, `sharing key ... does not match`, `port ... is already in use`)."
    )
    remediation = ("Give both Services the same `metallb.io/allow-shared-ip` value and distinct ports "
                   "(and the same selector with `Local`), or request different addresses.")
    bad_example = (_INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.10.5\n"
                   + _SPEC + _SERVICE.replace("web", "api")
                   + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.10.5\n" + _SPEC)
    good_example = (_INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.10.5\n"
                    "    metallb.io/allow-shared-ip: web\n" + _SPEC + _SERVICE.replace("web", "api")
                    + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.10.5\n"
                    "    metallb.io/allow-shared-ip: web\n" + _SPEC.replace("port: 80", "port: 443"))

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        context = service_context(cluster)
        if context is None:
            return
        holders: dict[IPAddress, list[LBService]] = {}
        for service in context.services:
            if service.requested_family is None or service.both_set:
                continue
            for ip in service.ips:
                assert ip.address is not None
                earlier = holders.setdefault(ip.address, [])
                problem = next(((other, why) for other in earlier
                                if (why := sharing_problem(other, service)) is not None), None)
                earlier.append(service)
                if problem is None:
                    continue
                other, why = problem
                yield self.finding(
                    f"{service.describe()} requests {ip.text}, which {other.describe()} requests too, and "
                    f"MetalLB will not let them share it: {why}; one of them stays Pending",
                    ip.location, cluster=cluster, resource=service.resource,
                    related=[Related(next(i.location for i in other.ips if i.address == ip.address),
                                     f"{other.describe()} requests {ip.text}")])


class PoolExhausted(Rule):
    code = "ML407"
    name = "pool-exhausted"
    severity = Severity.WARNING
    summary = "More Services need an address from a pool (or from the auto-assign pools) than it holds."
    rationale = (
        "Requested addresses are taken first, Services sharing an address count once, and what "
        "is left of each pool is all the automatic allocation has. The Services that come last "
        "stay Pending with `no available IPs` until another one is deleted."
    )
    remediation = "Add addresses to the pool, let Services share an address, or move some to another pool."
    bad_example = (_INSTALL + _POOL.replace("192.168.10.0/28", "192.168.10.5/32")
                   + _SERVICE + _SPEC + _SERVICE.replace("web", "api") + _SPEC)
    good_example = (_INSTALL + _POOL.replace("192.168.10.0/28", "192.168.10.5-192.168.10.6")
                    + _SERVICE + _SPEC + _SERVICE.replace("web", "api") + _SPEC)

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        context = service_context(cluster)
        if context is None or not context.pools or not context.pools_known:
            return
        for shortfall in shortfalls(context):
            yield self.finding(shortfall.message, shortfall.location, cluster=cluster,
                               resource=shortfall.service.resource)


class ServiceClassNotHandled(Rule):
    code = "ML408"
    name = "service-class-not-handled"
    severity = Severity.ERROR
    summary = ("MetalLB's `--lb-class` and a Service's `loadBalancerClass` disagree: "
               "MetalLB ignores the Service silently.")
    rationale = (
        "Without `--lb-class` MetalLB handles only Services without a class; with `--lb-class=X` "
        "only those whose `spec.loadBalancerClass` is exactly X. Any other Service gets no address "
        "and no event at all. A Service with another class and no MetalLB annotation belongs to "
        "another load balancer and is left alone here."
    )
    remediation = ("Set `spec.loadBalancerClass` to the class MetalLB runs with (or remove it when "
                   "MetalLB runs without one), or change MetalLB's `--lb-class` / chart `loadBalancerClass`.")
    bad_example = (_INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/address-pool: lan\n"
                   + _SPEC + "  loadBalancerClass: example.com/lb\n")
    good_example = _INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/address-pool: lan\n" + _SPEC

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        classes = handled_classes(cluster)
        if classes is None:
            return  # no installation here, or one whose flags are unknown
        runs_with = sorted(c for c in classes if c)
        flagged = next((i for i in cluster.installations if i.lb_class.value), None)
        related = [Related(flagged.lb_class.location, f"MetalLB runs with --lb-class={flagged.lb_class.value}")] \
            if flagged else []
        for service in lb_services(cluster):
            if service.unresolved or service.malformed:
                continue
            wanted = str(service.lb_class.value) if service.lb_class else None
            if wanted in classes:
                continue
            if wanted is None:
                assert service.type_location is not None
                yield self.finding(
                    f"{service.describe()} sets no loadBalancerClass, but MetalLB runs with "
                    f"--lb-class={' / '.join(runs_with)} and handles only Services of that class: it ignores "
                    "this one silently", service.type_location, cluster=cluster, resource=service.resource,
                    related=related)
            elif service.metallb_annotations:
                assert service.lb_class is not None
                how = (f"runs with --lb-class={' / '.join(runs_with)}" if runs_with
                       else "runs without --lb-class and handles only Services without a class")
                yield self.finding(
                    f'{service.describe()} carries MetalLB annotations but sets loadBalancerClass "{wanted}", '
                    f"and MetalLB {how}: it ignores this Service silently", service.lb_class.location,
                    cluster=cluster, resource=service.resource, related=related)


class ServiceRequestInvalid(Rule):
    code = "ML409"
    name = "service-request-invalid"
    severity = Severity.ERROR
    summary = "A Service's address request MetalLB cannot read: bad IP, both fields, too many or wrong-family IPs."
    rationale = (
        "MetalLB reads `metallb.io/loadBalancerIPs` (or the old `metallb.universe.tf/` key) as up "
        "to two comma-separated IPs, one per family, and `spec.loadBalancerIP` as one IP; never both "
        "at once. The requested family must be the Service's own. Anything else leaves the Service "
        "Pending with an `AllocationFailed` event."
    )
    remediation = ("Write one IPv4 and/or one IPv6 address of the Service's families in the annotation, "
                   "and drop the deprecated `spec.loadBalancerIP`.")
    bad_example = (_INSTALL + _POOL + _SERVICE
                   + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.10.5,192.168.10.6\n" + _SPEC)
    good_example = (_INSTALL + _POOL + _SERVICE + "  annotations:\n    metallb.io/loadBalancerIPs: 192.168.10.5\n"
                    + _SPEC)

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        context = service_context(cluster)
        if context is None:
            return
        for service in context.services:
            yield from self._check(cluster, service)

    def _check(self, cluster: Cluster, service: LBService) -> Iterator[Finding]:
        def finding(message: str, location: Location) -> Finding:
            return self.finding(f"{service.describe()}: {message}", location,
                                cluster=cluster, resource=service.resource)

        if service.both_set and service.spec_ip is not None:
            yield finding(f"both {service.source} and spec.loadBalancerIP are set; MetalLB refuses the "
                          f'Service ("service can not have both ...") - remove spec.loadBalancerIP',
                          service.spec_ip.location)
            return
        bad = [ip for ip in service.ips if ip.address is None]
        for ip in bad:
            yield finding(f'{service.source} "{ip.text}" is not an IP address; MetalLB answers "invalid '
                          f'{service.source}" and the Service stays Pending', ip.location)
        if bad or not service.ips:
            return
        location = service.ips[0].location
        if len(service.ips) > 2:
            yield finding(f"{service.source} lists {len(service.ips)} addresses ({_ips(service)}); MetalLB "
                          "accepts at most two, one per family", location)
        elif len(service.ips) == 2 and service.requested_family is None:
            yield finding(f"{service.source} lists two addresses of the same family ({_ips(service)}); "
                          "MetalLB accepts at most one IPv4 and one IPv6 address", location)
        else:
            mismatch = service.family_mismatch
            if mismatch:
                families = f" (ipFamilies {service.ip_families})" if service.ip_families else ""
                policy = service.ip_family_policy.value if service.ip_family_policy else "SingleStack"
                yield finding(f"{service.source} requests {_family(service.requested_family)} address(es) "
                              f"{_ips(service)}, but the Service is {_family(mismatch)}{families}, ipFamilyPolicy {policy}; MetalLB "
                              'answers "does not match the ipFamily of the service"', location)


class NoPools(Rule):
    code = "ML410"
    name = "no-pools"
    severity = Severity.ERROR
    summary = "MetalLB is installed and a LoadBalancer Service needs an address, but no pool can give one."
    rationale = (
        "Without any IPAddressPool the controller does not even emit an event: the Service stays "
        "Pending with only a debug log (`pools are empty`). When every pool has `autoAssign: false`, "
        "Services that request neither an address nor a pool get `no available IPs`."
    )
    remediation = ("Add an IPAddressPool (and an L2Advertisement or BGPAdvertisement) in MetalLB's "
                   "namespace, or set `autoAssign: true` on one, or request a pool with `metallb.io/address-pool`.")
    bad_example = _INSTALL + _SERVICE + _SPEC
    good_example = _INSTALL + _POOL + _SERVICE + _SPEC

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        context = service_context(cluster)
        if context is None or not cluster.installations or not context.pools_known:
            return
        auto = any(p.auto_assign for p in context.pools)
        for service in context.services:
            assert service.type_location is not None
            if not context.pools:
                yield self.finding(
                    f"{service.describe()} needs an address, but MetalLB has no IPAddressPool{_where(cluster)} "
                    "in this target; the Service stays Pending without even an event",
                    service.type_location, cluster=cluster, resource=service.resource)
            elif not auto and not service.ips and not (service.pool and service.pool.value):
                yield self.finding(
                    f"{service.describe()} requests neither an address nor a pool, and every pool of this "
                    "target has autoAssign: false; MetalLB answers \"no available IPs\" and the Service "
                    "stays Pending", service.type_location, cluster=cluster, resource=service.resource)


def _where(cluster: Cluster) -> str:
    namespaces = sorted(n for n in cluster.metallb_namespaces if n)
    return f' in namespace "{namespaces[0]}"' if namespaces else ""
