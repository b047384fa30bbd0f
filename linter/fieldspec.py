"""Field specs: which field of which kinds a transformer sets, and setting it.

A `FieldSpec` is kustomize's (api/types.FieldSpec): a path and the group,
version and kind it applies to. `apply` runs a `Setter` at each spec's path
of the items it selects (through `Item.update`, which copies what changes);
below are the builtin specs of kustomize v5
(api/internal/konfig/builtinpluginconsts) the transformers use, surprises
included: `commonLabels` gives a Service without a selector one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from linter.finding import Location
from linter.item import Item, Setter, copy_map, new_map, split_api_version, split_path
from linter.yamlpos import YMap


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A path, and the group, version and kind of the objects it applies to ("" for any)."""

    path: tuple[str, ...]
    group: str = ""
    version: str = ""
    kind: str = ""
    create: bool = False

    def selects(self, item: Item) -> bool:
        group, version = split_api_version(item.api_version)
        return (not self.kind or self.kind == item.kind) and (not self.group or self.group == group) \
            and (not self.version or self.version == version)


def fs(path: str, kind: str = "", group: str = "", version: str = "", create: bool = False) -> FieldSpec:
    return FieldSpec(split_path(path), group, version, kind, create)


def field_spec_from(value: object) -> FieldSpec | None:
    """A user-written field spec (a `labels` entry's `fields`)."""
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        return None
    return fs(value["path"], _text(value.get("kind")), _text(value.get("group")),
              _text(value.get("version")), value.get("create") is True)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def apply(items: Iterable[Item], specs: Iterable[FieldSpec], setter: Setter,
          location: Location | None) -> None:
    specs = tuple(specs)
    for item in items:
        for spec in specs:
            if spec.selects(item):
                item.update(spec.path, setter, location, spec.create)


def set_scalar(value: object) -> Setter:
    return lambda _old: value


def set_entries(pairs: dict[str, str], locations: dict[str, Location], location: Location) -> Setter:
    """Sets each pair in the mapping found (labels, annotations), creating it."""
    def setter(old: object) -> object:
        result = copy_map(old) if isinstance(old, dict) else new_map(location)
        for key in sorted(pairs):
            result[key] = pairs[key]
            if isinstance(result, YMap):
                result.set_location(key, locations.get(key, location))
        return result
    return setter


# --- the builtin field specs (api/internal/konfig/builtinpluginconsts) ----

# As in kustomize v5.8 (kubectl 1.37): the template labels include the
# StatefulSet's volumeClaimTemplates (later kustomize asks for
# includeVolumeClaimTemplates; 5.8 rejects that field).
_WORKLOADS = ("Deployment", "ReplicaSet", "DaemonSet")
_METADATA_LABELS = (
    fs("metadata/labels", create=True),
    fs("spec/template/metadata/labels", "ReplicationController", version="v1", create=True),
    *(fs("spec/template/metadata/labels", kind, create=True) for kind in _WORKLOADS),
    fs("spec/template/metadata/labels", "StatefulSet", "apps", create=True),
    fs("spec/template/metadata/labels", "Job", "batch", create=True),
    fs("spec/jobTemplate/metadata/labels", "CronJob", "batch", create=True),
    fs("spec/jobTemplate/spec/template/metadata/labels", "CronJob", "batch", create=True),
    fs("spec/volumeClaimTemplates[]/metadata/labels", "StatefulSet", "apps", create=True),
)
_AFFINITY = tuple(f"spec/template/spec/affinity/{a}/{t}/labelSelector/matchLabels"
                  for a in ("podAffinity", "podAntiAffinity")
                  for t in ("preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm",
                            "requiredDuringSchedulingIgnoredDuringExecution")) \
    + ("spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",)
_SELECTORS = (
    fs("spec/selector", "Service", version="v1", create=True),
    fs("spec/selector", "ReplicationController", version="v1", create=True),
    fs("spec/selector/matchLabels", "Deployment", create=True),
    *(fs(path, "Deployment", "apps") for path in _AFFINITY),
    fs("spec/selector/matchLabels", "ReplicaSet", create=True),
    fs("spec/selector/matchLabels", "DaemonSet", create=True),
    fs("spec/selector/matchLabels", "StatefulSet", "apps", create=True),
    *(fs(path, "StatefulSet", "apps") for path in _AFFINITY),
    fs("spec/selector/matchLabels", "Job", "batch"),
    fs("spec/jobTemplate/spec/selector/matchLabels", "CronJob", "batch"),
    fs("spec/selector/matchLabels", "PodDisruptionBudget", "policy"),
    fs("spec/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
    fs("spec/ingress/from/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
    fs("spec/egress/to/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
)
COMMON_LABELS = _SELECTORS + _METADATA_LABELS
TEMPLATE_LABELS = _METADATA_LABELS
COMMON_ANNOTATIONS = (
    fs("metadata/annotations", create=True),
    fs("spec/template/metadata/annotations", "ReplicationController", version="v1", create=True),
    *(fs("spec/template/metadata/annotations", kind, create=True) for kind in (*_WORKLOADS, "StatefulSet")),
    fs("spec/template/metadata/annotations", "Job", "batch", create=True),
    fs("spec/jobTemplate/metadata/annotations", "CronJob", "batch", create=True),
    fs("spec/jobTemplate/spec/template/metadata/annotations", "CronJob", "batch", create=True),
)
IMAGES = tuple(fs(f"{base}/{field}", create=True) for base in ("spec", "spec/template/spec")
               for field in ("containers[]/image", "initContainers[]/image", "volumes[]/image/reference"))
REPLICAS = tuple(fs("spec/replicas", kind, create=True)
                 for kind in ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"))


def merge_specs(*groups: Iterable[FieldSpec]) -> list[FieldSpec]:
    """FsSlice.MergeAll: later duplicates (same path, selected gvk) are dropped."""
    result: list[FieldSpec] = []
    for spec in (spec for group in groups for spec in group):
        if not any(o.path == spec.path and (not spec.kind or o.kind == spec.kind)
                   and (not spec.group or o.group == spec.group)
                   and (not spec.version or o.version == spec.version) for o in result):
            result.append(spec)
    return result
