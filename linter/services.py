"""LoadBalancer Services as MetalLB's controller reads them (facts §6.1).

Each `Service` of `type: LoadBalancer` becomes an `LBService`: what it asks
MetalLB for (addresses, pool, sharing key, class) and what the allocator
compares when two Services want one address (ports, traffic policy,
selector), every value with the location that wrote it.

The annotation prefixes follow `valueForAnnotation` and `SharingKey` in
metallb/metallb:controller/service.go@v0.16.1: `metallb.io/` wins whenever
its key is present (even with an empty value), `metallb.universe.tf/` is
read otherwise. MetalLB before v0.14.9 knows only the old prefix, so the
reader takes the installed version into account.

The pool side (which pools may serve a Service, containment, sharing) is in
linter/service_pools.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from linter.addresses import IPAddress, is_unresolved, parse_ip
from linter.chart import Version, parse_version
from linter.finding import Location
from linter.installation import Located
from linter.model import Cluster
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq

NEW_PREFIX = "metallb.io/"
OLD_PREFIX = "metallb.universe.tf/"
# The release that added the `metallb.io/` prefix (commit fc863ccd3, facts §6.1).
NEW_PREFIX_SINCE: Version = (0, 14, 9)
IPS = "loadBalancerIPs"
POOL = "address-pool"
SHARING = "allow-shared-ip"
REQUEST_ANNOTATIONS = (IPS, POOL, SHARING)


@dataclass(frozen=True, slots=True)
class RequestedIP:
    """One address a Service asks for; `address` None when MetalLB cannot parse it."""

    text: str
    address: IPAddress | None
    location: Location


@dataclass(slots=True)
class LBService:
    resource: Resource
    namespace: str | None
    name: str
    # The addresses it asks for, from `source` ("spec.loadBalancerIP" or the annotation key read).
    ips: list[RequestedIP] = field(default_factory=list)
    source: str = ""
    source_location: Location | None = None
    spec_ip: Located | None = None  # spec.loadBalancerIP, when set (also when the annotation wins)
    annotation_ips: Located | None = None  # the loadBalancerIPs annotation MetalLB reads
    pool: Located | None = None  # value: pool name; `pool_key` the annotation read
    pool_key: str = ""
    sharing_key: Located | None = None
    lb_class: Located | None = None
    ip_families: list[str] = field(default_factory=list)
    ip_families_location: Location | None = None
    ip_family_policy: Located | None = None
    external_traffic_policy: str = "Cluster"
    ports: frozenset[tuple[str, int]] = frozenset()
    selector: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    type_location: Location | None = None
    # Keys MetalLB would not read: the old prefix shadowed by the new, or the
    # new prefix on a release that predates it. (annotation key, location, why)
    ignored_annotations: list[tuple[str, Location, str]] = field(default_factory=list)
    metallb_annotations: bool = False  # any MetalLB request annotation at all
    unresolved: bool = False  # some value is still a `${VAR}` or template: skipped by every rule
    malformed: bool = False  # a field of the wrong type: the API server would refuse the object

    @property
    def display(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def describe(self) -> str:
        return f'Service "{self.display}"'

    @property
    def backend_key(self) -> str:
        """`BackendKey` in k8salloc.go: the selector for `Local`, nothing for `Cluster`."""
        if self.external_traffic_policy != "Local":
            return ""
        return ",".join(f"{k}={v}" for k, v in sorted(self.selector.items()))

    @property
    def requested_family(self) -> str | None:
        """"4", "6" or "dual" for the parsable requested addresses; None when none or unparsable."""
        if not self.ips or any(ip.address is None for ip in self.ips):
            return None
        versions = {ip.address.version for ip in self.ips if ip.address is not None}
        if len(self.ips) == 1:
            return str(versions.pop())
        if len(self.ips) == 2 and versions == {4, 6}:
            return "dual"
        return None

    @property
    def service_family(self) -> str | None:
        """The family Kubernetes gives the Service, when the manifest decides it.

        `RequireDualStack` is dual; single stack (the default policy) is the
        first of `ipFamilies`, or the cluster's default when none is listed
        (unknown here); `PreferDualStack` depends on the cluster (unknown)."""
        policy = self.ip_family_policy.value if self.ip_family_policy else "SingleStack"
        if policy == "RequireDualStack":
            return "dual"
        if policy == "SingleStack" and self.ip_families:
            return {"IPv4": "4", "IPv6": "6"}.get(self.ip_families[0])
        return None

    @property
    def single_stack(self) -> bool:
        policy = self.ip_family_policy.value if self.ip_family_policy else "SingleStack"
        return policy == "SingleStack"

    @property
    def both_set(self) -> bool:
        """The annotation and spec.loadBalancerIP at once: MetalLB refuses the Service."""
        return self.spec_ip is not None and self.annotation_ips is not None and bool(self.annotation_ips.value)

    @property
    def family_mismatch(self) -> str | None:
        """The Service's family when the requested one differs (`does not match the ipFamily of the service`)."""
        wanted, have = self.requested_family, self.service_family
        if have is None and self.single_stack and wanted == "dual":
            have = "single"  # one family, whichever the cluster's default is
        if wanted is None or have is None or wanted == have:
            return None
        return have

    @property
    def readable_request(self) -> bool:
        """Requested addresses MetalLB goes on to look up in the pools (nothing service-request-invalid reports)."""
        return bool(self.ips) and not self.both_set and self.requested_family is not None \
            and self.family_mismatch is None


def metallb_version(cluster: Cluster) -> Version | None:
    """The lowest MetalLB version installed in the target, when every installation names one."""
    versions = [parse_version(i.version) for i in cluster.installations]
    if not versions or any(v is None for v in versions):
        return None
    return min(v for v in versions if v is not None)


def _string_map(value: object) -> tuple[dict[str, str], bool]:
    """A label/annotation/selector map and whether it was well formed."""
    if value is None:
        return {}, True
    if not isinstance(value, Mapping):
        return {}, False
    good = all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return {str(k): v for k, v in value.items() if isinstance(v, str)}, good


def _annotation(annotations: Mapping[str, object], located: YMap | None, suffix: str,
                version: Version | None, service: LBService) -> tuple[str, Located] | None:
    """The value MetalLB reads for `suffix` (`valueForAnnotation`) and the key it came from."""
    new_key, old_key = NEW_PREFIX + suffix, OLD_PREFIX + suffix
    new_known = version is None or version >= NEW_PREFIX_SINCE

    def at(key: str) -> Location:
        return located.value_location(key) if located is not None else service.resource.location()

    if new_key in annotations and not new_known:
        service.ignored_annotations.append(
            (new_key, at(new_key), "MetalLB reads the metallb.io/ prefix only from v0.14.9"))
        new_key = ""
    if new_key and new_key in annotations:
        if old_key in annotations and annotations[old_key] != annotations[new_key]:
            service.ignored_annotations.append((old_key, at(old_key), f"{new_key} takes precedence"))
        key = new_key
    elif old_key in annotations:
        key = old_key
    else:
        return None
    value = annotations[key]
    if not isinstance(value, str):
        service.malformed = True
        return None
    return key, Located(value, at(key))


def _requested_ips(service: LBService) -> None:
    annotation = service.annotation_ips
    if annotation is not None and annotation.value:
        # MetalLB splits on "," and trims each item; a bare IP only (net.ParseIP).
        for item in str(annotation.value).split(","):
            service.ips.append(RequestedIP(item.strip(), parse_ip(item.strip()), annotation.location))
        service.source_location = annotation.location
        return
    if service.spec_ip is not None and service.spec_ip.value:
        text = str(service.spec_ip.value)
        # spec.loadBalancerIP is not trimmed.
        service.ips.append(RequestedIP(text, parse_ip(text), service.spec_ip.location))
        service.source, service.source_location = "spec.loadBalancerIP", service.spec_ip.location


def _ports(value: object) -> tuple[frozenset[tuple[str, int]], bool]:
    if value is None:
        return frozenset(), True
    if not isinstance(value, list):
        return frozenset(), False
    found: set[tuple[str, int]] = set()
    good = True
    for item in value:
        if not isinstance(item, Mapping):
            good = False
            continue
        protocol, port = item.get("protocol", "TCP"), item.get("port")
        if protocol is None:
            protocol = "TCP"  # the API server's default
        if not isinstance(protocol, str) or not isinstance(port, int) or isinstance(port, bool):
            good = False
            continue
        found.add((protocol, port))
    return frozenset(found), good


def parse_service(resource: Resource, version: Version | None = None) -> LBService | None:
    """The LoadBalancer Service `resource`, or None when it is not one."""
    if resource.kind != "Service" or resource.group != "" or resource.api_version != "v1":
        return None
    spec = resource.spec
    if spec.get("type") != "LoadBalancer":
        return None
    metadata = resource.metadata
    name = metadata.get("name")
    service = LBService(resource, resource.namespace, name if isinstance(name, str) else "?")
    service.unresolved = is_unresolved(name) or is_unresolved(metadata.get("namespace"))
    service.type_location = spec.value_location("type")
    raw_annotations = metadata.get("annotations")
    annotations, good = _string_map(raw_annotations)
    service.malformed |= not good
    service.unresolved |= any(is_unresolved(v) for v in annotations.values())
    located = raw_annotations if isinstance(raw_annotations, YMap) else None
    mapping: Mapping[str, object] = raw_annotations if isinstance(raw_annotations, Mapping) else {}
    service.metallb_annotations = any(
        prefix + suffix in mapping for prefix in (NEW_PREFIX, OLD_PREFIX) for suffix in REQUEST_ANNOTATIONS)
    found = _annotation(mapping, located, IPS, version, service)
    if found:
        service.source, service.annotation_ips = found
    found = _annotation(mapping, located, POOL, version, service)
    if found:
        service.pool_key, service.pool = found
    found = _annotation(mapping, located, SHARING, version, service)
    if found:
        service.sharing_key = found[1]
    if "loadBalancerIP" in spec and spec["loadBalancerIP"] not in (None, ""):
        value = spec["loadBalancerIP"]
        service.malformed |= not isinstance(value, str)
        service.unresolved |= is_unresolved(value)
        service.spec_ip = Located(str(value), spec.value_location("loadBalancerIP"))
    _requested_ips(service)
    lb_class = spec.get("loadBalancerClass")
    if lb_class is not None:
        service.malformed |= not isinstance(lb_class, str)
        service.unresolved |= is_unresolved(lb_class)
        service.lb_class = Located(str(lb_class), spec.value_location("loadBalancerClass"))
    families = spec.get("ipFamilies")
    if isinstance(families, YSeq | list):
        service.ip_families = [f for f in families if isinstance(f, str)]
        service.malformed |= len(service.ip_families) != len(families)
        service.unresolved |= any(is_unresolved(f) for f in service.ip_families)
        service.ip_families_location = spec.value_location("ipFamilies")
    elif families is not None:
        service.malformed = True
    policy = spec.get("ipFamilyPolicy")
    if policy is not None:
        service.malformed |= policy not in ("SingleStack", "PreferDualStack", "RequireDualStack")
        service.unresolved |= is_unresolved(policy)
        service.ip_family_policy = Located(policy, spec.value_location("ipFamilyPolicy"))
    traffic = spec.get("externalTrafficPolicy")
    if traffic is not None:
        service.unresolved |= is_unresolved(traffic)
        service.malformed |= traffic not in ("Cluster", "Local")
        service.external_traffic_policy = str(traffic)
    service.ports, good = _ports(spec.get("ports"))
    service.malformed |= not good
    raw_ports = spec.get("ports")
    service.unresolved |= isinstance(raw_ports, list) and any(
        is_unresolved(p) for item in raw_ports if isinstance(item, Mapping) for p in item.values())
    service.selector, good = _string_map(spec.get("selector"))
    service.malformed |= not good
    service.labels, good = _string_map(metadata.get("labels"))
    service.malformed |= not good
    service.unresolved |= any(is_unresolved(v) for v in (*service.selector.values(), *service.labels.values()))
    return service


def lb_services(cluster: Cluster) -> list[LBService]:
    """Every LoadBalancer Service the target deploys, in rendering order."""
    version = metallb_version(cluster)
    found = (parse_service(r, version) for r in cluster.resources)
    return [s for s in found if s is not None]
