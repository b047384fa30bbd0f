"""THE table of MetalLB feature availability, and the one place feature versions are compared.

Each row: a kind, field, value, flag or annotation; the first release that
has it (`since`), the first that no longer does (`until`), the first that
deprecates it (`deprecated`), and the facts section it comes from
(shared/domain/metallb-facts.md). Field rows were checked against
`config/crd/bases/metallb.io_*.yaml` at the tags on both sides of each
boundary in metallb/metallb; where that differs from the facts file it says so.

`uses()` finds what a target uses; rules/versions.py (ML304, ML305) asks
`unsupported()` / `is_deprecated()` about each use at the version that reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from linter.finding import Location
from linter.model import METALLB_GROUP, Cluster
from linter.resource import Resource
from linter.versions import InstallationVersions, Version, is_docker_hub, version_for
from linter.yamlpos import YMap, YSeq

ALWAYS: Version = (0, 0, 0)  # deprecated whatever the MetalLB version (a Kubernetes deprecation)


@dataclass(frozen=True, slots=True)
class Feature:
    key: str  # stable id, used by tests
    what: str  # as a message names it
    facts: str  # the facts section the row comes from
    since: Version | None = None  # first release that has it
    until: Version | None = None  # first release that no longer has it
    deprecated: Version | None = None  # first release that deprecates it
    effect: str = ""  # what MetalLB does with it when the version lacks it
    instead: str = ""  # what to use instead, for a deprecation


_CR_KINDS = ("IPAddressPool", "L2Advertisement", "BGPAdvertisement", "BGPPeer", "BFDProfile", "Community")
STATUS_KINDS = {"ServiceL2Status": (0, 14, 4), "ServiceBGPStatus": (0, 15, 0), "ConfigurationState": (0, 15, 3)}
_V13 = (0, 13, 0)
_BEFORE_CRDS = "the CRD does not exist, so the object is rejected at apply (MetalLB reads only the config ConfigMap)"
_PRUNED = "the CRD has no such field, so the API server drops it"

FEATURES: tuple[Feature, ...] = (
    Feature("configmap", 'the "config" ConfigMap (pre-CRD configuration)', "§3.1", until=_V13,
            effect="MetalLB reads only custom resources from 0.13.0: this configuration is ignored"),
    *(Feature(f"kind:{kind}", f"kind {kind}", "§3.1", since=_V13, effect=_BEFORE_CRDS) for kind in _CR_KINDS),
    Feature("kind:AddressPool", "kind AddressPool", "§3.1", since=_V13, until=(0, 14, 2), deprecated=_V13,
            effect="its handling was removed in 0.14.2 (and its CRD in 0.14.3): no address comes from it",
            instead="IPAddressPool plus an L2Advertisement or BGPAdvertisement"),
    *(Feature(f"kind:{kind}", f"kind {kind} (a status MetalLB writes)", "§3.1", since=since, deprecated=ALWAYS,
              effect="the CRD does not exist in this release")
      for kind, since in STATUS_KINDS.items()),
    Feature("BGPPeer:v1beta1", "BGPPeer metallb.io/v1beta1", "§2.6", since=_V13, deprecated=(0, 14, 9),
            instead="metallb.io/v1beta2 (standard label selectors for nodeSelectors)"),
    Feature("L2Advertisement.spec.interfaces", "L2Advertisement spec.interfaces", "§2.1", since=(0, 13, 6),
            effect=_PRUNED + ": every interface announces"),
    Feature("L2Advertisement.spec.serviceSelectors", "L2Advertisement spec.serviceSelectors", "§2.1",
            since=(0, 16, 0), effect=_PRUNED + ": every service is announced"),
    Feature("BGPAdvertisement.spec.serviceSelectors", "BGPAdvertisement spec.serviceSelectors", "§2.4",
            since=(0, 16, 0), effect=_PRUNED + ": every service is announced"),
    # Absent from the CRD at v0.13.0-v0.13.3 (the issue says 0.13.2-0.13.3), back in v0.13.4.
    Feature("IPAddressPool.spec.avoidBuggyIPs", "IPAddressPool spec.avoidBuggyIPs", "§1.4", since=(0, 13, 4),
            effect=_PRUNED + ": .0 and .255 addresses are handed out"),
    # Facts §1.5 says v0.13.9 (the release notes); the CRD already has it at tag v0.13.8.
    Feature("IPAddressPool.spec.serviceAllocation", "IPAddressPool spec.serviceAllocation", "§1.5",
            since=(0, 13, 8), effect=_PRUNED + ": the pool serves every service"),
    Feature("BGPPeer.spec.vrf", "BGPPeer spec.vrf", "§2.5 (CRD at v0.13.8)", since=(0, 13, 8),
            effect=_PRUNED + ": the session runs in the default VRF"),
    Feature("BGPPeer.spec.connectTime", "BGPPeer spec.connectTime", "§2.5", since=(0, 14, 4), effect=_PRUNED),
    Feature("BGPPeer.spec.disableMP", "BGPPeer spec.disableMP", "§2.5, §3.3", since=(0, 14, 4),
            deprecated=(0, 15, 0), effect=_PRUNED,
            instead="dualStackAddressFamily (v0.15.0+)"),
    Feature("BGPPeer.spec.enableGracefulRestart", "BGPPeer spec.enableGracefulRestart", "§2.5", since=(0, 14, 6),
            effect=_PRUNED),
    Feature("BGPPeer.spec.dynamicASN", "BGPPeer spec.dynamicASN", "§2.5", since=(0, 14, 9),
            effect=_PRUNED + ": the peer has no ASN and is rejected"),
    Feature("BGPPeer.spec.interface", "BGPPeer spec.interface", "§2.5", since=(0, 15, 0),
            effect=_PRUNED + ": the peer has no address and is rejected"),
    Feature("BGPPeer.spec.dualStackAddressFamily", "BGPPeer spec.dualStackAddressFamily", "§2.5",
            since=(0, 15, 0), effect=_PRUNED),
    Feature("BGPPeer.spec.localASN", "BGPPeer spec.localASN", "§2.5", since=(0, 16, 0), effect=_PRUNED),
    Feature("arg:--ignore-exclude-lb", "the speaker flag --ignore-exclude-lb", "§5.1", since=(0, 14, 4),
            effect="the speaker does not know the flag and fails to start"),
    Feature("helm:speaker.ignoreExcludeLB", "Helm value speaker.ignoreExcludeLB", "§4.2, §5.1", since=(0, 14, 4),
            effect="the chart ignores it: excluded nodes still announce nothing"),
    Feature("annotation:metallb.io/", "the metallb.io/ Service annotations", "§6.1", since=(0, 14, 9),
            effect="MetalLB reads only the metallb.universe.tf/ names before 0.14.9 and ignores this one"),
    Feature("annotation:metallb.universe.tf/", "the metallb.universe.tf/ Service annotations", "§6.1",
            deprecated=(0, 14, 9), instead="the same name under metallb.io/"),
    Feature("Service.spec.loadBalancerIP", "Service spec.loadBalancerIP", "§6.1", deprecated=ALWAYS,
            instead="the metallb.io/loadBalancerIPs annotation (Kubernetes deprecated the field in 1.24)"),
    Feature("image:docker.io", "MetalLB images on Docker Hub", "§8, §3.3", deprecated=_V13,
            instead="quay.io/metallb/speaker and quay.io/metallb/controller"),
)
BY_KEY: dict[str, Feature] = {feature.key: feature for feature in FEATURES}

# The Service annotations MetalLB reads, without prefix (controller/service.go@v0.16.1).
ANNOTATIONS = ("address-pool", "loadBalancerIPs", "allow-shared-ip", "ip-allocated-from-pool")
PREFIXES = ("metallb.io/", "metallb.universe.tf/")


def unsupported(feature: Feature, version: Version | None) -> str | None:
    """"older" (the version predates it), "removed" (it is gone by then), or None (supported, or unknown)."""
    if version is None:
        return None
    if feature.since is not None and version < feature.since:
        return "older"
    if feature.until is not None and version >= feature.until:
        return "removed"
    return None


def is_deprecated(feature: Feature, version: Version | None) -> bool:
    """Deprecated at `version` (and not yet removed: that is `unsupported`); unknown versions are not."""
    if feature.deprecated is None:
        return False
    if feature.deprecated == ALWAYS:
        return True
    return version is not None and version >= feature.deprecated and unsupported(feature, version) is None


@dataclass(frozen=True, slots=True)
class Use:
    feature: Feature
    location: Location
    version: Version | None  # of the installation that reads it
    resource: Resource | None
    detail: str = ""  # e.g. the annotation's name


def _annotation_uses(resource: Resource, version: Version | None) -> Iterator[Use]:
    annotations = resource.metadata.get("annotations")
    if not isinstance(annotations, YMap):
        return
    for key in annotations:
        name = str(key)
        prefix = next((p for p in PREFIXES if name.startswith(p)), None)
        if prefix is None or name[len(prefix):] not in ANNOTATIONS:
            continue  # unknown names are unknown-annotation's business
        yield Use(BY_KEY[f"annotation:{prefix}"], annotations.key_location(key), version, resource, name)


def _spec_uses(resource: Resource, version: Version | None) -> Iterator[Use]:
    for key in resource.spec:
        feature = BY_KEY.get(f"{resource.kind}.spec.{key}")
        if feature is not None:
            yield Use(feature, resource.spec.key_location(key), version, resource)


def _resource_uses(resource: Resource, version: Version | None, metallb_namespaces: set[str]) -> Iterator[Use]:
    if resource.group == METALLB_GROUP:
        kind_at = resource.data.value_location("kind")
        feature = BY_KEY.get(f"kind:{resource.kind}")
        if feature is not None:
            yield Use(feature, kind_at, version, resource)
        if resource.kind == "BGPPeer" and resource.api_version.endswith("/v1beta1"):
            yield Use(BY_KEY["BGPPeer:v1beta1"], resource.data.value_location("apiVersion"), version, resource)
        yield from _spec_uses(resource, version)
    elif resource.api_version == "v1" and resource.kind == "ConfigMap":
        data = resource.data.get("data")
        if resource.name == "config" and isinstance(data, YMap) and "config" in data \
                and (resource.namespace or "metallb-system") in metallb_namespaces | {"metallb-system"}:
            yield Use(BY_KEY["configmap"], resource.metadata.value_location("name"), version, resource)
    elif resource.api_version == "v1" and resource.kind == "Service":
        yield from _annotation_uses(resource, version)
        if resource.spec.get("loadBalancerIP") not in (None, ""):
            yield Use(BY_KEY["Service.spec.loadBalancerIP"], resource.spec.key_location("loadBalancerIP"),
                      version, resource)


def _installation_uses(installation: InstallationVersions, resources: list[Resource]) -> Iterator[Use]:
    model = installation.installation
    for pin in installation.pins:
        if is_docker_hub(pin.image):
            yield Use(BY_KEY["image:docker.io"], pin.location, pin.version or installation.version,
                      model.source, pin.image or "")
    release = model.release
    speaker = installation.effective("speaker")
    speaker_version = speaker.version if speaker is not None else None
    if release is not None:
        # A chart value the pinned chart does not have yet (speaker.ignoreExcludeLB before 0.14.4)
        # is reported once, by helm-values-unknown-key, which names the version that added it.
        return
    for resource in resources:
        if resource.kind != "DaemonSet" or resource.namespace != model.namespace:
            continue
        template = resource.spec.get("template")
        pod = template.get("spec") if isinstance(template, YMap) else None
        containers = pod.get("containers") if isinstance(pod, YMap) else None
        for container in containers if isinstance(containers, list) else []:
            if not isinstance(container, YMap) or "metallb" not in str(container.get("image", "")):
                continue
            for key in ("args", "command"):
                listed = container.get(key)
                for index, item in enumerate(listed if isinstance(listed, list) else []):
                    if str(item).split("=", 1)[0] == "--ignore-exclude-lb":
                        where = listed.item_location(index) if isinstance(listed, YSeq) else container.location()
                        yield Use(BY_KEY["arg:--ignore-exclude-lb"], where, speaker_version, resource)


def uses(cluster: Cluster, versions: list[InstallationVersions]) -> Iterator[Use]:
    """Every use of a row of the table in `cluster`, with the version that reads it."""
    namespaces = {v.namespace for v in versions if v.namespace}
    for resource in cluster.resources:
        yield from _resource_uses(resource, version_for(versions, resource.namespace), namespaces)
    for installation in versions:
        yield from _installation_uses(installation, cluster.resources)
