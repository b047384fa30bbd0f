"""The installation model's types (linter/installation.py builds them from
manifests, linter/installation_helm.py from Helm releases)."""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.finding import Location, ObjectRef
from linter.helm_release import HelmRelease
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq, plain

MASTER = {"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"}
CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
OS_LINUX = {"kubernetes.io/os": "linux"}
# The controller binary's default for --webhook-mode (cmd/controller/main.go, every tag v0.13.x-v0.16.1).
WEBHOOK_DEFAULT = "enabled"


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
    how: str  # "speaker DaemonSet", "controller Deployment", "Flux HelmRelease", "kustomize helmCharts", ...
    source: Resource | None  # None for releases a file declares (helmCharts, umbrella chart, helmfile)
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
    # The controller's --webhook-mode: "enabled" (the binary's default), "disabled",
    # "onlywebhook"... Every model built here sets it; None only in hand-made models.
    webhook_mode: Located | None = None
    # Where the frr-k8s daemons run: only when the backend is frr-k8s and this
    # installation deploys them (the chart's bundled subchart, not frrk8s.external;
    # an frr-k8s DaemonSet among the manifests).
    frr_k8s: Placement | None = None

    @property
    def location(self) -> Location:
        """Where the namespace is decided (the meaning of the former `Installation.location`)."""
        return self.namespace_location

    @property
    def name(self) -> str:
        """The installing object's name, else the release's (a helmCharts entry's releaseName)."""
        if self.source is not None:
            return self.source.name or ""
        return self.release.name if self.release is not None else ""

    @property
    def identity(self) -> tuple[str, str, str]:
        """What names this installation across revisions (`diff`), namespace aside:
        (how, the object's kind or the file declaring the release, name)."""
        if self.source is not None:
            return self.how, self.source.kind, self.source.name or ""
        declared = self.release.declared if self.release is not None else None
        return self.how, (declared or self.namespace_location).file, self.name

    def ref(self) -> ObjectRef | None:
        """The installing object, when an object installs it."""
        return self.source.ref() if self.source is not None else None

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
            "metadata": {"namespace": self.namespace, "source": self.how, "name": self.name,
                         "location": str(self.namespace_location)},
            "spec": {
                "version": self.version,
                "versionLocation": str(self.version_location) if self.version_location else None,
                "known": self.known, "speakerEnabled": self.speaker_enabled,
                "speaker": placement(self.speaker), "controller": placement(self.controller),
                "webhookMode": located(self.webhook_mode) if self.webhook_mode is not None else None,
                "ignoreExcludeLB": located(self.ignore_exclude_lb), "memberlist": located(self.memberlist),
                "loadBalancerClass": located(self.lb_class), "bgpBackend": located(self.bgp_backend),
                "frrK8s": placement(self.frr_k8s) if self.frr_k8s is not None else None,
                "images": {name: located(image) for name, image in self.images.items()},
            },
        }


def set_at(container: YMap, key: str) -> Location:
    """Where `container[key]` was set: a patch's or model's own place, else its line here."""
    value = container.get(key)
    if isinstance(value, YMap) and value.overrides:
        # A patch set some of its keys (a nodeSelector added to a modelled upstream map):
        # the user's own line, not the model's.
        return next(iter(value.overrides.values()))
    if isinstance(value, (YMap, YSeq)):
        if value.origin is not None:
            return value.origin
        if value.node is not None and value.file != container.file and not (container.overrides and
                                                                            key in container.overrides):
            return value.location()
    return container.value_location(key) if key in container else container.location()
