"""One model per MetalLB installation, the same whether manifests or Helm install it.

From manifests (vendored, upstream-modelled, `helm template` output): the
speaker DaemonSet and controller Deployment of one namespace, recognised by
their images, read field by field with the line that set each field (a
patch's line when a patch set it, the kustomization line for an upstream
model). From Helm: the release's merged values over the chart's defaults of
that chart version (facts §4.2); a default is located at the release's
chart version (or chart) line, a null the user wrote at that null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linter.chart import Version, default, parse_version, show
from linter.finding import Location
from linter.helm_release import HelmRelease
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq, plain

_MASTER = {"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"}
_CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
_OS_LINUX = {"kubernetes.io/os": "linux"}



# quay.io/metallb/speaker, docker.io/metallb/controller, a mirror's
# registry.example/metallb/speaker, bitnami/metallb-speaker ...
_METALLB_IMAGE = re.compile(r"(?:^|/)metallb[/-](speaker|controller)(?::|@|$)")


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
        sources = [spec.get("source")] + list(spec.get("sources") or [])
        if any(isinstance(s, dict) and _chart_is_metallb(s.get("chart")) for s in sources):
            destination = spec.get("destination")
            if isinstance(destination, YMap) and isinstance(destination.get("namespace"), str):
                return Recognised(destination["namespace"], resource, "Argo CD Application",
                                    destination.value_location("namespace"))
            return Recognised(None, resource, "Argo CD Application", resource.location())
    return None


@dataclass(frozen=True)
class Located:
    """A field's value and where it was set; `items`: one location per list item."""

    value: object
    location: Location
    items: tuple[Location, ...] = ()


@dataclass
class Placement:
    """Where a workload's pods may run."""

    node_selector: Located  # dict[str, str]
    tolerations: Located  # list[dict]
    affinity: Located  # dict


@dataclass
class InstallationModel:
    namespace: str | None
    namespace_location: Location
    how: str  # "speaker DaemonSet", "controller Deployment", "Flux HelmRelease", ...
    source: Resource | None
    release: HelmRelease | None
    version: str | None
    version_location: Location | None
    speaker_enabled: bool
    speaker: Placement
    controller: Placement
    ignore_exclude_lb: Located  # bool
    memberlist: Located  # bool
    lb_class: Located  # str | None
    bgp_backend: Located  # "native" | "frr" | "frr-k8s"
    images: dict[str, Located] = field(default_factory=dict)
    known: bool = True

    @property
    def location(self) -> Location:
        """Where the namespace is decided (the meaning of the former `Installation.location`)."""
        return self.namespace_location

    def as_document(self) -> dict[str, object]:
        """A YAML-ready document: every field's value and `file:line:col`."""
        def located(item: Located) -> dict[str, object]:
            shown: dict[str, object] = {"value": plain(item.value), "location": str(item.location)}
            if item.items:
                shown["items"] = [str(i) for i in item.items]
            return shown

        def placement(p: Placement) -> dict[str, object]:
            return {"nodeSelector": located(p.node_selector), "tolerations": located(p.tolerations),
                    "affinity": located(p.affinity)}

        return {
            "apiVersion": "metallb-lint.io/v1alpha1", "kind": "InstallationModel",
            "metadata": {"namespace": self.namespace, "source": self.how,
                         "location": str(self.namespace_location)},
            "spec": {
                "version": self.version,
                "versionLocation": str(self.version_location) if self.version_location else None,
                "known": self.known, "speakerEnabled": self.speaker_enabled,
                "speaker": placement(self.speaker), "controller": placement(self.controller),
                "ignoreExcludeLB": located(self.ignore_exclude_lb), "memberlist": located(self.memberlist),
                "loadBalancerClass": located(self.lb_class), "bgpBackend": located(self.bgp_backend),
                "images": {name: located(image) for name, image in self.images.items()},
            },
        }


# -- manifests ------------------------------------------------------------------------


def _set_at(container: YMap, key: str) -> Location:
    """Where `container[key]` was set: a patch's or model's own place, else its line here."""
    value = container.get(key)
    if isinstance(value, (YMap, YSeq)):
        if value.origin is not None:
            return value.origin
        if value.node is not None and value.file != container.file and not (container.overrides and
                                                                            key in container.overrides):
            return value.location()
    return container.value_location(key) if key in container else container.location()


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
    return Located(plain(value), _set_at(pod, key), items)


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


def _manifest_model(first: Resource, speaker: Resource | None, controller: Resource | None) -> InstallationModel:
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
        images=images)


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
    return [_manifest_model(g["first"], g.get("speaker"), g.get("controller")) for g in groups.values()]


# -- Helm -------------------------------------------------------------------------------


class _Values:
    """The release's values over the chart's defaults, with where each was set."""

    def __init__(self, release: HelmRelease) -> None:
        self.release = release
        self.version: Version | None = parse_version(release.version)
        self.default_at = release.version_location if release.version else release.chart_location

    def get(self, path: str, fallback: object = None) -> Located:
        current: object = self.release.values
        parent: YMap | None = None
        parts = path.split(".")
        for part in parts:
            if not isinstance(current, YMap) or part not in current:
                current = None
                parent = None
                break
            parent, current = current, current[part]
        if parent is not None and current is not None:
            items: tuple[Location, ...] = ()
            if isinstance(current, YSeq):
                items = tuple(current.item_location(i) for i in range(len(current)))
            return Located(plain(current), _set_at(parent, parts[-1]), items)
        if path in self.release.deleted:  # a null removes the chart default too
            return Located(None, self.release.deleted[path])
        value = default(path, self.version)
        return Located(fallback if value is None else value, self.default_at)

    def placement(self, component: str, tolerate_master: Located | None) -> Placement:
        selector = self.get(f"{component}.nodeSelector", {})
        extra = selector.value if isinstance(selector.value, dict) else {}
        node_selector = Located({**_OS_LINUX, **extra}, selector.location)
        user = self.get(f"{component}.tolerations", [])
        user_list = list(user.value) if isinstance(user.value, list) else []
        built: list[object] = []
        items: list[Location] = []
        if tolerate_master is not None and tolerate_master.value:
            pair = [_MASTER] if self.version is not None and self.version < (0, 13, 0) else [_MASTER, _CONTROL_PLANE]
            built.extend(dict(t) for t in pair)
            items.extend([tolerate_master.location] * len(pair))
        built.extend(user_list)
        items.extend(user.items or [user.location] * len(user_list))
        where = user.location if user_list else tolerate_master.location if tolerate_master else user.location
        return Placement(node_selector, Located(built, where, tuple(items)), self.get(f"{component}.affinity", {}))

    def backend(self) -> Located:
        frr = self.get("speaker.frr.enabled", False)
        k8s = self.get("frrk8s.enabled", False)
        external = self.get("frrk8s.external", False)
        if frr.value is True:
            return Located("frr", frr.location)
        if k8s.value is True or external.value is True:
            return Located("frr-k8s", (k8s if k8s.value is True else external).location)
        return Located("native", frr.location)

    def image(self, component: str) -> Located:
        repository = self.get(f"{component}.image.repository")
        tag = self.get(f"{component}.image.tag")
        name = repository.value or f"quay.io/metallb/{component}"
        if tag.value:
            return Located(f"{name}:{tag.value}", tag.location)
        app = f"v{show(self.version)}" if self.version else None
        return Located(f"{name}:{app}" if app else str(name), repository.location)


def _helm_model(release: HelmRelease, legacy: object | None) -> InstallationModel:
    values = _Values(release)
    if legacy is not None:
        namespace, where, how = legacy.namespace, legacy.location, legacy.how  # type: ignore[attr-defined]
    else:
        how = {"flux": "Flux HelmRelease", "argocd": "Argo CD Application"}.get(release.source, "kustomize helmCharts")
        namespace, where = release.namespace, release.chart_location
        if release.resource is not None and release.source == "flux":
            target = release.resource.spec.get("targetNamespace")
            where = release.resource.spec.value_location("targetNamespace") if target \
                else release.resource.namespace_location()
    tolerate = values.get("speaker.tolerateMaster", True)
    enabled = values.get("speaker.enabled", True)
    exclude = values.get("speaker.ignoreExcludeLB", False)
    lb_class = values.get("loadBalancerClass")
    memberlist = values.get("speaker.memberlist.enabled", True)
    return InstallationModel(
        namespace=namespace, namespace_location=where, how=how, source=release.resource, release=release,
        version=show(values.version) if values.version else release.version,
        version_location=release.version_location if release.version else None,
        speaker_enabled=enabled.value is not False and enabled.value is not None,
        speaker=values.placement("speaker", tolerate), controller=values.placement("controller", None),
        ignore_exclude_lb=Located(exclude.value is True, exclude.location),
        memberlist=Located(memberlist.value is True, memberlist.location),
        lb_class=Located(lb_class.value or None, lb_class.location),
        bgp_backend=values.backend(),
        images={"speaker": values.image("speaker"), "controller": values.image("controller")},
        known=release.values_known)


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
        model = _helm_model(release, legacy)
        model.known = model.known and release.is_metallb
        models.append(model)
    models.extend(_helm_model(r, None) for r in releases if r.is_metallb and id(r) not in used
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
        bgp_backend=Located("native", where), known=False)
