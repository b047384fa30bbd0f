"""The installation model of a MetalLB Helm release: the release's merged values
over the chart's defaults of that chart version (facts §4.2). A default is
located at the release's chart version (or chart) line, a null the user wrote
at that null.
"""

from __future__ import annotations

from linter.chart import Version, default, parse_version, show
from linter.finding import Location
from linter.helm_release import HelmRelease
from linter.installation_model import CONTROL_PLANE, MASTER, OS_LINUX, WEBHOOK_DEFAULT, InstallationModel, \
    Located, Placement, set_at
from linter.yamlpos import YMap, YSeq, plain

HOW = {"flux": "Flux HelmRelease", "argocd": "Argo CD Application", "kustomize": "kustomize helmCharts",
       "umbrella": "Helm umbrella chart", "helmfile": "helmfile release"}
# The frr-k8s subchart's own values (`frr-k8s:` in MetalLB's values; facts §4.2).
_FRR_K8S = "frr-k8s.frrk8s"


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
            return Located(plain(current), set_at(parent, parts[-1]), items)
        if path in self.release.deleted:  # a null removes the chart default too
            return Located(None, self.release.deleted[path])
        value = default(path, self.version)
        return Located(fallback if value is None else value, self.default_at)

    def placement(self, component: str, tolerate_master: Located | None, master_only: bool = False) -> Placement:
        selector = self.get(f"{component}.nodeSelector", {})
        extra = selector.value if isinstance(selector.value, dict) else {}
        node_selector = Located({**OS_LINUX, **extra}, selector.location)
        user = self.get(f"{component}.tolerations", [])
        user_list = list(user.value) if isinstance(user.value, list) else []
        built: list[object] = []
        items: list[Location] = []
        if tolerate_master is not None and tolerate_master.value:
            pair = [MASTER] if master_only else [MASTER, CONTROL_PLANE]
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

    def frr_k8s(self, backend: Located) -> Placement | None:
        """The bundled frr-k8s DaemonSet's placement, when the chart deploys it: the
        subchart's condition is `frrk8s.enabled` (Chart.yaml, 0.14.0+), and with
        `external` also true the chart fails, so there is no subchart then either."""
        if backend.value != "frr-k8s" or self.get("frrk8s.enabled", False).value is not True \
                or self.get("frrk8s.external", False).value is True:
            return None
        if self.version is not None and self.version < (0, 14, 0):
            return None  # no frr-k8s subchart before 0.14
        # Its template renders the same master/control-plane pair at every bundled version.
        return self.placement(_FRR_K8S, self.get(f"{_FRR_K8S}.tolerateMaster", True))

    def webhook_mode(self) -> Located:
        # `{{- if .Values.controller.webhookMode }}`: an empty or absent value omits the
        # flag and the binary's default applies.
        mode = self.get("controller.webhookMode")
        if isinstance(mode.value, str) and mode.value:
            return mode
        return Located(WEBHOOK_DEFAULT, mode.location)

    def image(self, component: str) -> Located:
        repository = self.get(f"{component}.image.repository")
        tag = self.get(f"{component}.image.tag")
        name = repository.value or f"quay.io/metallb/{component}"
        if tag.value:
            return Located(f"{name}:{tag.value}", tag.location)
        app = f"v{show(self.version)}" if self.version else None
        return Located(f"{name}:{app}" if app else str(name), repository.location)


def helm_model(release: HelmRelease, legacy: object | None) -> InstallationModel:
    """`legacy`: the installation as recognised from its object (namespace and where), if any."""
    values = _Values(release)
    if legacy is not None:
        namespace, where, how = legacy.namespace, legacy.location, legacy.how  # type: ignore[attr-defined]
    else:
        how = HOW.get(release.source, release.source)
        namespace = release.namespace
        where = release.namespace_location or release.declared or release.chart_location
    tolerate = values.get("speaker.tolerateMaster", True)
    enabled = values.get("speaker.enabled", True)
    exclude = values.get("speaker.ignoreExcludeLB", False)
    lb_class = values.get("loadBalancerClass")
    memberlist = values.get("speaker.memberlist.enabled", True)
    backend = values.backend()
    master_only = values.version is not None and values.version < (0, 13, 0)
    return InstallationModel(
        namespace=namespace, namespace_location=where, how=how, source=release.resource, release=release,
        version=show(values.version) if values.version else release.version,
        version_location=release.version_location if release.version else None,
        speaker_enabled=enabled.value is not False and enabled.value is not None,
        speaker=values.placement("speaker", tolerate, master_only), controller=values.placement("controller", None),
        ignore_exclude_lb=Located(exclude.value is True, exclude.location),
        memberlist=Located(memberlist.value is True, memberlist.location),
        lb_class=Located(lb_class.value or None, lb_class.location),
        bgp_backend=backend,
        images={"speaker": values.image("speaker"), "controller": values.image("controller")},
        known=release.values_known, webhook_mode=values.webhook_mode(), frr_k8s=values.frr_k8s(backend))
