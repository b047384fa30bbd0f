"""One model per MetalLB installation, the same whether manifests or Helm install it.

From manifests (vendored, upstream-modelled, `helm template` output): the
speaker DaemonSet and controller Deployment of one namespace, recognised by
their images, read field by field with the line that set each field (a
patch's line when a patch set it, the kustomization line for an upstream
model). From Helm: linter/installation_helm.py. The model's types live in
linter/installation_model.py and are importable from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linter.finding import Location
from linter.helm_release import HelmRelease
from linter.installation_helm import helm_model
from linter.installation_model import WEBHOOK_DEFAULT, InstallationModel, Located, Placement, set_at
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq, plain

__all__ = ["InstallationModel", "Located", "Placement", "Recognised", "installations"]

# quay.io/metallb/speaker, docker.io/metallb/controller, a mirror's
# registry.example/metallb/speaker, bitnami/metallb-speaker ...
_METALLB_IMAGE = re.compile(r"(?:^|/)metallb[/-](speaker|controller)(?::|@|$)")
# quay.io/metallb/frr-k8s:v0.0.21: the frr-k8s daemon (config/frr-k8s, frr-k8s's own chart).
_FRR_K8S_IMAGE = re.compile(r"(?:^|/)frr-k8s(?::|@|$)")


@dataclass(frozen=True, slots=True)
class Recognised:
    """An object that installs MetalLB, and the namespace it installs into (before any model is built)."""

    namespace: str | None
    source: Resource
    how: str  # e.g. "speaker DaemonSet", "Flux HelmRelease"
    location: Location  # where the namespace is decided


def _containers(resource: Resource) -> list[YMap]:
    template = resource.spec.get("template")
    pod_spec = template.get("spec") if isinstance(template, YMap) else None
    if not isinstance(pod_spec, YMap):
        return []
    found: list[YMap] = []
    for field_name in ("containers", "initContainers"):
        listed = pod_spec.get(field_name)
        if isinstance(listed, list):
            found.extend(c for c in listed if isinstance(c, YMap))
    return found


def _chart_is_metallb(chart: object) -> bool:
    return isinstance(chart, str) and (chart == "metallb" or chart.endswith("/metallb"))


def _installation(resource: Resource) -> Recognised | None:
    kind, group = resource.kind, resource.group
    if group == "apps" and kind in ("DaemonSet", "Deployment"):
        for container in _containers(resource):
            match = _METALLB_IMAGE.search(str(container.get("image", "")))
            if match:
                return Recognised(resource.namespace, resource, f"{match.group(1)} {kind}",
                                    resource.namespace_location())
        return None
    if group == "helm.toolkit.fluxcd.io" and kind == "HelmRelease":
        chart = resource.spec.get("chart")
        chart_spec = chart.get("spec") if isinstance(chart, YMap) else None
        if isinstance(chart_spec, YMap) and _chart_is_metallb(chart_spec.get("chart")):
            target = resource.spec.get("targetNamespace")
            if isinstance(target, str) and target:
                return Recognised(target, resource, "Flux HelmRelease",
                                    resource.spec.value_location("targetNamespace"))
            return Recognised(resource.namespace, resource, "Flux HelmRelease",
                                resource.namespace_location())
        return None
    if group == "argoproj.io" and kind == "Application":
        spec = resource.spec
        listed = spec.get("sources")
        sources = [spec.get("source"), *(listed if isinstance(listed, list) else ())]
        if any(isinstance(s, dict) and _chart_is_metallb(s.get("chart")) for s in sources):
            destination = spec.get("destination")
            if isinstance(destination, YMap) and isinstance(destination.get("namespace"), str):
                return Recognised(destination["namespace"], resource, "Argo CD Application",
                                    destination.value_location("namespace"))
            return Recognised(None, resource, "Argo CD Application", resource.location())
    return None


# -- manifests ------------------------------------------------------------------------


def _pod_spec(resource: Resource) -> YMap:
    template = resource.spec.get("template")
    spec = template.get("spec") if isinstance(template, YMap) else None
    return spec if isinstance(spec, YMap) else YMap(resource.file, None, resource.location())


def _field(pod: YMap, key: str, empty: object) -> Located:
    value = pod.get(key)
    if value is None:
        return Located(empty, pod.location())
    items: tuple[Location, ...] = ()
    if isinstance(value, YSeq):
        items = tuple(value.item_location(i) for i in range(len(value)))
    return Located(plain(value), set_at(pod, key), items)


def _placement(resource: Resource | None, fallback: Location) -> Placement:
    if resource is None:
        return Placement(Located({}, fallback), Located([], fallback), Located({}, fallback))
    pod = _pod_spec(resource)
    return Placement(_field(pod, "nodeSelector", {}), _field(pod, "tolerations", []),
                     _field(pod, "affinity", {}))


def _main_container(resource: Resource | None) -> YMap | None:
    if resource is None:
        return None
    return next((c for c in _containers(resource) if _METALLB_IMAGE.search(str(c.get("image", "")))), None)


def _arg(container: YMap | None, flag: str) -> tuple[str | None, Location | None]:
    """The value of `--flag` / `--flag=value` in args or command ("" for a bare flag)."""
    if container is None:
        return None, None
    for key in ("args", "command"):
        listed = container.get(key)
        if not isinstance(listed, list):
            continue
        for index, item in enumerate(listed):
            text = str(item)
            if text == flag or text.startswith(flag + "="):
                where = listed.item_location(index) if isinstance(listed, YSeq) else container.location()
                return text.partition("=")[2], where
    return None, None


def _env(container: YMap | None, name: str) -> tuple[str | None, Location | None]:
    listed = container.get("env") if container is not None else None
    for index, item in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(item, YMap) and item.get("name") == name:
            where = listed.item_location(index) if isinstance(listed, YSeq) else item.location()
            return (str(item["value"]) if item.get("value") is not None else None), where
    return None, None


def _frr_k8s_daemon(resources: list[Resource], namespace: str | None) -> Resource | None:
    """The frr-k8s DaemonSet among the manifests, the one in `namespace` first."""
    daemons = [r for r in resources if r.group == "apps" and r.kind == "DaemonSet"
               and any(_FRR_K8S_IMAGE.search(str(c.get("image", ""))) for c in _containers(r))]
    return next((d for d in daemons if d.namespace == namespace), daemons[0] if daemons else None)


def _manifest_model(first: Resource, speaker: Resource | None, controller: Resource | None,
                    resources: list[Resource]) -> InstallationModel:
    """`first`: the one of the two listed first, which names the installation (as before)."""
    legacy = _installation(first)
    where = legacy.location if legacy else first.namespace_location()
    how = legacy.how if legacy else first.kind
    main = _main_container(speaker) or _main_container(controller)
    image = str(main.get("image", "")).split("@", 1)[0] if main is not None else ""  # a digest pins no tag
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else None
    version = tag.removeprefix("v") if tag else None
    speaker_main, controller_main = _main_container(speaker), _main_container(controller)
    at = speaker_main.location() if speaker_main is not None else first.location()
    exclude, exclude_at = _arg(speaker_main, "--ignore-exclude-lb")
    lb_class, class_at = _arg(speaker_main, "--lb-class")
    if lb_class is None:
        lb_class, class_at = _arg(controller_main, "--lb-class")
    backend, backend_at = _env(speaker_main or controller_main, "METALLB_BGP_TYPE")
    webhook, webhook_at = _arg(controller_main, "--webhook-mode")
    daemon = _frr_k8s_daemon(resources, first.namespace) if backend == "frr-k8s" else None
    images = {name: Located(str(c["image"]), c.value_location("image"))
              for name, c in (("speaker", speaker_main), ("controller", controller_main)) if c is not None}
    return InstallationModel(
        namespace=first.namespace, namespace_location=where, how=how, source=first, release=None,
        version=version, version_location=main.value_location("image") if main is not None and version else None,
        speaker_enabled=speaker is not None,
        speaker=_placement(speaker, first.location()), controller=_placement(controller, first.location()),
        ignore_exclude_lb=Located(exclude is not None and exclude.lower() != "false", exclude_at or at),
        memberlist=Located(True, at),
        lb_class=Located(lb_class or None, class_at or at),
        bgp_backend=Located(backend or "native", backend_at or at),
        images=images,
        webhook_mode=Located(webhook or WEBHOOK_DEFAULT,
                             webhook_at or (controller_main.location() if controller_main is not None else at)),
        frr_k8s=_placement(daemon, daemon.location()) if daemon is not None else None)


def _from_manifests(resources: list[Resource]) -> list[InstallationModel]:
    groups: dict[str | None, dict[str, Resource]] = {}
    for resource in resources:
        if resource.group != "apps" or resource.kind not in ("DaemonSet", "Deployment"):
            continue
        main = _main_container(resource)
        if main is None:
            continue
        role = _METALLB_IMAGE.search(str(main.get("image", ""))).group(1)  # type: ignore[union-attr]
        group = groups.setdefault(resource.namespace, {})
        group.setdefault("first", resource)
        group.setdefault(role, resource)
    return [_manifest_model(g["first"], g.get("speaker"), g.get("controller"), resources) for g in groups.values()]


def installations(cluster_resources: list[Resource], releases: list[HelmRelease]) -> list[InstallationModel]:
    """Every MetalLB installation of a target: manifests first, then Helm releases.

    A Flux HelmRelease or Argo CD Application with a `metallb` chart is an
    installation even when its release is not MetalLB's chart (kept as before,
    with nothing known of its values); MetalLB releases from other forms
    (chartRef, a chart at a path, kustomize helmCharts) are added after them."""
    models = _from_manifests(cluster_resources)
    used: set[int] = set()
    for resource in cluster_resources:
        if resource.group == "apps":
            continue
        legacy = _installation(resource)
        if legacy is None:
            continue
        release = next((r for r in releases if r.resource is resource and r.is_metallb), None)
        if release is None:
            release = next((r for r in releases if r.resource is resource), None)
        if release is None:
            models.append(_unknown(legacy))
            continue
        used.add(id(release))
        model = helm_model(release, legacy)
        model.known = model.known and release.is_metallb
        models.append(model)
    models.extend(helm_model(r, None) for r in releases if r.is_metallb and id(r) not in used
                  and not (r.resource is not None and any(r.resource is m.source for m in models)))
    return models


def _unknown(legacy: Recognised) -> InstallationModel:
    where = legacy.location
    nothing = Placement(Located({}, where), Located([], where), Located({}, where))
    return InstallationModel(
        namespace=legacy.namespace, namespace_location=where, how=legacy.how,
        source=legacy.source, release=None, version=None, version_location=None,
        speaker_enabled=True, speaker=nothing, controller=nothing,
        ignore_exclude_lb=Located(False, where), memberlist=Located(True, where), lb_class=Located(None, where),
        bgp_backend=Located("native", where), known=False, webhook_mode=Located(WEBHOOK_DEFAULT, where))
