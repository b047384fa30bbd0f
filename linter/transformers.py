"""Kustomize's builtin transformers, on positioned values.

Each function here mirrors one kustomize (v5, api/internal/builtins and
api/filters) transformer: the same field specs (api/internal/konfig/
builtinpluginconsts), the same matching, the same surprises (a Namespace
object is renamed by `namespace:`, a Service without a selector gets one
from `commonLabels`). Values are never changed in place: the YAML a file
loaded into is shared by every target that includes it, so a change copies
the mappings and sequences on its path (`_walk`) and records, with
`set_location`, the kustomization line that set it.

`Item` is an object being rendered plus what kustomize keeps in its
internal build annotations: the names it had before (so patches, generator
merges and name references still find it by its old name), the prefixes
and suffixes it received, and whether a generator asked for a hash suffix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

from linter.finding import Location
from linter.yamlpos import YMap, YSeq

# kyaml/resid: the effective namespace of a cluster-scoped object.
NOT_NAMESPACED = "_non_namespaceable_"

# kyaml/openapi precomputedIsNamespaceScoped: the (apiVersion, kind) kustomize
# knows to be cluster-scoped. Anything else, custom resources included (a
# cert-manager ClusterIssuer), is namespaced to kustomize and gets `namespace:`.
_CLUSTER_SCOPED = frozenset(
    [(f"admissionregistration.k8s.io/{v}", k) for v in ("v1", "v1beta1")
     for k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")]
    + [("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
       ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
       ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
       ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"),
       ("policy/v1beta1", "PodSecurityPolicy"), ("storage.k8s.io/v1", "StorageClass")]
    + [(f"{g}/{v}", k) for g, k in (
        ("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"),
        ("certificates.k8s.io", "CertificateSigningRequest"), ("networking.k8s.io", "IngressClass"),
        ("node.k8s.io", "RuntimeClass"), ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"), ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment")) for v in ("v1", "v1beta1")]
    + [("storage.k8s.io/v1beta1", "StorageClass")]
    + [("v1", k) for k in ("ComponentStatus", "Namespace", "Node", "NodeProxyOptions", "PersistentVolume")]
)


class TransformError(Exception):
    """Something kustomize refuses to build; the caller knows which line asked for it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TransformError):
    """What a kustomization means to change is not among the objects: a real
    error in a build, but not when a Component is built on its own, without
    the objects of the kustomization that will include it."""


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def is_cluster_scoped(api_version: str, kind: str) -> bool:
    return (api_version, kind) in _CLUSTER_SCOPED


@dataclass(frozen=True, slots=True)
class Id:
    """kustomize's ResId, with the namespace already made effective."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str

    def selected_by(self, group: str = "", version: str = "", kind: str = "") -> bool:
        return (not group or group == self.group) and (not version or version == self.version) \
            and (not kind or kind == self.kind)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@dataclass(slots=True)
class Item:
    data: YMap
    file: str
    prev: tuple[tuple[str, str, str], ...] = ()  # (kind, effective namespace, name), oldest first
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    needs_hash: bool = False
    behavior: str = ""  # a generated object's create/merge/replace

    def copy(self) -> Item:
        # `data` is never changed in place, so sharing it is safe.
        return Item(self.data, self.file, self.prev, self.prefixes, self.suffixes, self.needs_hash, self.behavior)

    @property
    def api_version(self) -> str:
        return _text(self.data.get("apiVersion"))

    @property
    def kind(self) -> str:
        return _text(self.data.get("kind"))

    @property
    def metadata(self) -> dict:  # type: ignore[type-arg]
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def name(self) -> str:
        return _text(self.metadata.get("name"))

    @property
    def namespace(self) -> str:
        return _text(self.metadata.get("namespace"))

    def cluster_scoped(self) -> bool:
        return is_cluster_scoped(self.api_version, self.kind)

    def effective_namespace(self) -> str:
        if self.cluster_scoped():
            return NOT_NAMESPACED
        return self.namespace or "default"

    def cur_id(self) -> Id:
        # Called for every object at every step: written out rather than through the properties.
        data = self.data
        api_version, kind, metadata = data.get("apiVersion"), data.get("kind"), data.get("metadata")
        api_version = api_version if isinstance(api_version, str) else ""
        kind = kind if isinstance(kind, str) else ""
        name = namespace = None
        if isinstance(metadata, dict):
            name, namespace = metadata.get("name"), metadata.get("namespace")
        group, _, version = api_version.rpartition("/")
        if (api_version, kind) in _CLUSTER_SCOPED:
            namespace = NOT_NAMESPACED
        elif not isinstance(namespace, str) or not namespace:
            namespace = "default"
        return Id(group, version, kind, namespace, name if isinstance(name, str) else "")

    def prev_ids(self) -> list[Id]:
        group, version = split_api_version(self.api_version)
        return [Id(group, version, kind, namespace, name) for kind, namespace, name in self.prev]

    def org_id(self) -> Id:
        return self.prev_ids()[0] if self.prev else self.cur_id()

    def any_ids(self) -> list[Id]:
        return [*self.prev_ids(), self.cur_id()]

    def store_previous(self) -> None:
        self.prev = (*self.prev, (self.kind, self.effective_namespace(), self.name))

    def update(self, path: str | tuple[str, ...], setter: Setter, location: Location | None,
               create: bool = False) -> None:
        self.data = cast(YMap, _walk(self.data, split_path(path) if isinstance(path, str) else path,
                                     create, setter, location))


@dataclass(frozen=True, slots=True)
class FieldSpec:
    path: tuple[str, ...]
    group: str = ""
    version: str = ""
    kind: str = ""
    create: bool = False

    def selects(self, item: Item) -> bool:
        group, version = split_api_version(item.api_version)
        return (not self.kind or self.kind == item.kind) and (not self.group or self.group == group) \
            and (not self.version or self.version == version)


def split_path(path: str) -> tuple[str, ...]:
    """kyaml's PathSplitter: `/` separates, `\\/` is a slash inside a key."""
    parts = path.split("/")
    if len(parts) > 1 and parts[0] == "":
        parts = parts[1:]
    result = [parts[0]]
    for part in parts[1:]:
        if result[-1].endswith("\\"):
            result[-1] = result[-1][:-1] + "/" + part
        else:
            result.append(part)
    return tuple(result)


def fs(path: str, kind: str = "", group: str = "", version: str = "", create: bool = False) -> FieldSpec:
    return FieldSpec(split_path(path), group, version, kind, create)


def field_spec_from(value: object) -> FieldSpec | None:
    """A user-written field spec (a `labels` entry's `fields`)."""
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        return None
    return fs(value["path"], _text(value.get("kind")), _text(value.get("group")),
              _text(value.get("version")), value.get("create") is True)


# --- walking a field spec path, copying what changes ----------------------

Setter = Callable[[object], object]  # the value found (None when created) -> the value to write


_Map = TypeVar("_Map", bound=dict)  # type: ignore[type-arg]


def copy_map(value: _Map) -> _Map:
    return cast(_Map, value.shallow_copy() if isinstance(value, YMap) else dict(value))


def copy_seq(value: list, items: list) -> list:  # type: ignore[type-arg]
    if not isinstance(value, YSeq):
        return list(items)
    copy = YSeq(value.file, value.node, value.origin)
    copy.extend(items)
    copy.locations = list(value.locations) if value.locations is not None else None
    return copy


def new_map(location: Location | None) -> YMap:
    return YMap(location.file if location else "", None, location)


def _walk(node: object, path: tuple[str, ...], create: bool, setter: Setter,
          location: Location | None) -> object:
    """api/filters/fieldspec: follow `path` (sequences are entered implicitly,
    `name[]` is a sequence never created), create missing mappings when asked,
    and call `setter` on what is at the end."""
    if not path:
        return setter(node)
    if node is None:
        return node
    if isinstance(node, list):
        items = [_walk(item, path, create, setter, location) for item in node]
        return copy_seq(node, items) if any(a is not b for a, b in zip(items, node)) else node
    if not isinstance(node, dict):
        raise TransformError(f'expected a mapping or a sequence on the way to "{"/".join(path)}"')
    name, hinted_seq = (path[0][:-2], True) if path[0].endswith("[]") else (path[0], False)
    if not name:
        raise TransformError("cannot set or create an empty field name")
    may_create = create and not hinted_seq
    if name not in node and not may_create:
        return node
    current = node.get(name)
    created = current is None and may_create
    if created and len(path) > 1:
        current = new_map(location)
    new = _walk(current, path[1:], create, setter, location)
    if new is current and not created:
        return node
    copy = copy_map(node)
    copy[name] = new
    if location is not None and isinstance(copy, YMap) and (created or not isinstance(new, (dict, list))):
        copy.set_location(name, location)
    return copy


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


# --- namespace, prefix and suffix -----------------------------------------

def set_namespace(items: list[Item], namespace: str, location: Location) -> None:
    """NamespaceTransformer (api/filters/namespace)."""
    setter = set_scalar(namespace)
    for item in items:
        item.store_previous()
        if not item.cluster_scoped():
            item.update(("metadata", "namespace"), setter, location, create=True)
        if item.kind == "Namespace" and item.api_version == "v1":
            item.update(("metadata", "name"), setter, location, create=True)  # yes: renamed
        group = split_api_version(item.api_version)[0]
        if item.kind == "APIService" and group == "apiregistration.k8s.io":
            item.update(("spec", "service", "namespace"), setter, location, create=True)
        if item.kind == "CustomResourceDefinition" and group == "apiextensions.k8s.io":
            item.update(split_path("spec/conversion/webhook/clientConfig/service/namespace"), setter, location)
        if item.kind in ("RoleBinding", "ClusterRoleBinding"):
            # Only subjects named "default" get the namespace here; the others
            # follow their ServiceAccount through the name references.
            item.update(("subjects",), _default_subjects(namespace, location), location)
    seen: set[Id] = set()
    for item in items:
        if item.cur_id() in seen:
            raise TransformError(f"namespace transformation produces an ID conflict: two {item.kind} "
                                 f'"{item.name}" in namespace "{namespace}"')
        seen.add(item.cur_id())


def _default_subjects(namespace: str, location: Location) -> Setter:
    def setter(subjects: object) -> object:
        if not isinstance(subjects, list):
            return subjects
        items = []
        for subject in subjects:
            if isinstance(subject, dict) and subject.get("name") == "default":
                subject = copy_map(subject)
                subject["namespace"] = namespace
                if isinstance(subject, YMap):
                    subject.set_location("namespace", location)
            items.append(subject)
        return copy_seq(subjects, items)
    return setter


def add_affix(items: list[Item], affix: str, prefix: bool) -> None:
    """PrefixTransformer / SuffixTransformer on metadata/name.

    The name keeps the location where it is written: a finding about the
    object (and the comment that suppresses it) stays with the object rather
    than with the one `namePrefix:` line shared by every object of the overlay."""
    for item in items:
        org = item.org_id()
        if org.kind in ("CustomResourceDefinition", "Namespace") \
                or (org.kind == "APIService" and org.group == "apiregistration.k8s.io"):
            continue
        if prefix:
            item.prefixes = (*item.prefixes, affix)
        else:
            item.suffixes = (*item.suffixes, affix)
        item.store_previous()
        item.update(("metadata", "name"),
                    lambda old: f"{affix}{_scalar_text(old)}" if prefix else f"{_scalar_text(old)}{affix}",
                    None)


def _scalar_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- images and replicas ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class ImageRule:
    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""
    tag_suffix: str = ""


_TAG = r"(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?"


def _split_image(image: str) -> tuple[str, str, str]:
    """api/internal/image.Split: name, tag, digest (a registry port is not a tag)."""
    slash = image.find("/")
    offset = slash if slash > 0 else 0
    search = image[offset:]
    at, colon = search.find("@"), search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[:at + offset], "", image[at + offset + 1:]
    if at >= 0:
        return image[:colon + offset], image[colon + offset + 1:at + offset], image[at + offset + 1:]
    return image[:colon + offset], image[colon + offset + 1:], ""


def new_image(value: str, rule: ImageRule) -> str | None:
    """imageTagUpdater.SetImageValue; None when the image is not `rule.name`
    (which kustomize reads as a regular expression)."""
    try:
        if not re.match(f"^{rule.name}{_TAG}\\Z", value):
            return None
    except re.error:
        return None
    name, tag, digest = _split_image(value)
    name = rule.new_name or name
    if rule.new_tag and rule.digest:
        tag, digest = rule.new_tag, rule.digest
    elif rule.new_tag:
        tag, digest = rule.new_tag, ""
    elif rule.digest:
        tag, digest = "", rule.digest
    elif rule.tag_suffix:
        tag, digest = tag + rule.tag_suffix, ""
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def set_images(items: list[Item], rule: ImageRule, location: Location) -> None:
    """ImageTagTransformer: the legacy pass (every `containers`/`initContainers`
    list anywhere in the object) and then the field specs, as kustomize runs both."""
    def image_setter(old: object) -> object:
        if not isinstance(old, str):
            return old
        updated = new_image(old, rule)
        return old if updated is None else updated

    def legacy(node: object) -> object:
        if isinstance(node, list):
            items_ = [legacy(item) for item in node]
            return copy_seq(node, items_) if any(a is not b for a, b in zip(items_, node)) else node
        if not isinstance(node, dict):
            return node
        result = node
        for key, value in node.items():
            new = legacy(value)
            if key in ("containers", "initContainers") and isinstance(new, list):
                new = _walk(new, ("image",), False, image_setter, location)
            if new is not value:
                result = copy_map(node) if result is node else result
                result[key] = new
        return result

    for item in items:
        if item.kind == "CustomResourceDefinition":
            continue
        item.data = legacy(item.data)  # type: ignore[assignment]
        for spec in IMAGES:
            item.update(spec.path, image_setter, location)


def set_replicas(items: list[Item], name: str, count: int, location: Location) -> None:
    found = False
    for spec in REPLICAS:
        for item in items:
            if any(i.name == name and i.selected_by(spec.group, spec.version, spec.kind) for i in item.any_ids()):
                found = True
                if spec.selects(item):
                    item.update(spec.path, set_scalar(count), location, create=True)
    if not found:
        raise NotFound(f'replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet named "{name}"')
