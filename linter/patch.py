"""Kustomize's patches, as pure functions over positioned YAML, with provenance.

Strategic merge is a port of what `kubectl kustomize` (kustomize v5, kyaml
`merge2` + `walk`) really does, quirks included, not of the API server's
strategic merge: lists merge by key only where kustomize's built-in OpenAPI
schema (Kubernetes 1.21.2) declares a merge key; every other list, and every
list of a custom resource, is replaced whole. JSON 6902 follows evanphx/json-patch
v4 (negative indices, `replace` of a missing object key adds it).

The merge runs on a private tree of `_N` nodes so that kyaml's in-place
algorithm can be ported step by step; each `_N` remembers where its value was
written (`home`), and turning the tree back into YMap/YSeq records a location
for every value that moved: a value set by the patch reports the patch's line,
an untouched one keeps the target's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from linter.finding import Location
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq


class PatchError(Exception):
    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


class _Fail(Exception):
    """A PatchError whose location is the node at fault, when it has one."""

    def __init__(self, message: str, node: _N | None = None) -> None:
        super().__init__(message)
        self.node = node


# --- the schema kustomize merges with --------------------------------------


class _List(NamedTuple):
    keys: tuple[str, ...]  # () for a merged list of scalars (finalizers)
    elements: dict[str, Any] | None = None


_META = {"finalizers": _List(()), "ownerReferences": _List(("uid",))}
_MOUNTS = {"env": _List(("name",)), "volumeMounts": _List(("mountPath",)),
           "volumeDevices": _List(("devicePath",))}
_CONTAINER = {**_MOUNTS, "ports": _List(("containerPort", "protocol"))}
_POD_SPEC = {
    "containers": _List(("name",), _CONTAINER), "initContainers": _List(("name",), _CONTAINER),
    "ephemeralContainers": _List(("name",), _MOUNTS), "imagePullSecrets": _List(("name",)),
    "hostAliases": _List(("ip",)), "topologySpreadConstraints": _List(("topologyKey", "whenUnsatisfiable")),
    "volumes": _List(("name",), {"ephemeral": {"volumeClaimTemplate": {"metadata": _META}}}),
}
_CONDITIONS = {"conditions": _List(("type",))}
_TEMPLATE = {"metadata": _META, "spec": _POD_SPEC}
_WORKLOAD = {"spec": {"template": _TEMPLATE}, "status": _CONDITIONS}
_ROOTS: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Job", "ReplicationController"), _WORKLOAD),
    "CronJob": {"spec": {"jobTemplate": {"metadata": _META, "spec": {"template": _TEMPLATE}}}},
    "Pod": {"spec": _POD_SPEC, "status": {**_CONDITIONS, "podIPs": _List(("ip",))}},
    "PodTemplate": {"template": _TEMPLATE},
    "Service": {"spec": {"ports": _List(("port", "protocol"))}, "status": _CONDITIONS},
    "Node": {"spec": {"podCIDRs": _List(())}, "status": {**_CONDITIONS, "addresses": _List(("type",))}},
    "ServiceAccount": {"secrets": _List(("name",))}, "ComponentStatus": _CONDITIONS,
    "MutatingWebhookConfiguration": {"webhooks": _List(("name",))},
    "ValidatingWebhookConfiguration": {"webhooks": _List(("name",))},
    "CSINode": {"spec": {"drivers": _List(("name",))}},
    **dict.fromkeys(("APIService", "PodDisruptionBudget", "Namespace", "PersistentVolumeClaim"), {"status": _CONDITIONS}),
}
# Every type kustomize has a schema for; anything else (apps/v1beta2, every CRD)
# merges without one. "*" marks a kind kustomize knows to be cluster-scoped.
_BUILTIN = """
admissionregistration.k8s.io/v1 admissionregistration.k8s.io/v1beta1: *MutatingWebhookConfiguration *ValidatingWebhookConfiguration
apiextensions.k8s.io/v1 apiextensions.k8s.io/v1beta1: *CustomResourceDefinition
apiregistration.k8s.io/v1 apiregistration.k8s.io/v1beta1: *APIService
apps/v1: ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet
authentication.k8s.io/v1: TokenRequest TokenReview
authentication.k8s.io/v1beta1: TokenReview
authorization.k8s.io/v1 authorization.k8s.io/v1beta1: LocalSubjectAccessReview SelfSubjectAccessReview
authorization.k8s.io/v1 authorization.k8s.io/v1beta1: SelfSubjectRulesReview SubjectAccessReview
autoscaling/v1: HorizontalPodAutoscaler Scale
autoscaling/v2beta1 autoscaling/v2beta2: HorizontalPodAutoscaler
batch/v1: CronJob Job
batch/v1beta1: CronJob
certificates.k8s.io/v1 certificates.k8s.io/v1beta1: *CertificateSigningRequest
coordination.k8s.io/v1 coordination.k8s.io/v1beta1: Lease
discovery.k8s.io/v1 discovery.k8s.io/v1beta1: EndpointSlice
events.k8s.io/v1 events.k8s.io/v1beta1: Event
extensions/v1beta1: Ingress
flowcontrol.apiserver.k8s.io/v1beta1: *FlowSchema *PriorityLevelConfiguration
networking.k8s.io/v1: Ingress *IngressClass NetworkPolicy
networking.k8s.io/v1beta1: Ingress *IngressClass
node.k8s.io/v1 node.k8s.io/v1beta1: *RuntimeClass
policy/v1: PodDisruptionBudget
policy/v1beta1: Eviction PodDisruptionBudget *PodSecurityPolicy
rbac.authorization.k8s.io/v1 rbac.authorization.k8s.io/v1beta1: *ClusterRole *ClusterRoleBinding Role RoleBinding
scheduling.k8s.io/v1 scheduling.k8s.io/v1beta1: *PriorityClass
storage.k8s.io/v1: *CSIDriver *CSINode *StorageClass *VolumeAttachment
storage.k8s.io/v1beta1: *CSIDriver *CSINode CSIStorageCapacity *StorageClass *VolumeAttachment
v1: Binding *ComponentStatus ConfigMap Endpoints Event LimitRange *Namespace *Node *PersistentVolume
v1: PersistentVolumeClaim Pod PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount
"""
_TYPES: dict[tuple[str, str], bool] = {  # (apiVersion, kind) -> cluster-scoped
    (gv, kind.lstrip("*")): kind.startswith("*")
    for line in _BUILTIN.strip().splitlines() for gv in line.split(":")[0].split()
    for kind in line.split(":")[1].split()
}


def _schema_for(data: dict[str, Any]) -> dict[str, Any] | None:
    key = (data.get("apiVersion"), data.get("kind"))
    if key not in _TYPES:
        return None
    return {"metadata": _META, **_ROOTS.get(str(key[1]), {})}


def is_cluster_scoped(api_version: str, kind: str) -> bool:
    """As kustomize decides it (namespace selectors, namespace transformer)."""
    return _TYPES.get((api_version, kind), False)


# --- the working tree ---------------------------------------------------------


class _N:
    __slots__ = ("kind", "value", "home", "src", "text")

    def __init__(self, kind: str, value: Any, home: Any, src: Any = None) -> None:
        self.kind, self.value, self.home, self.src = kind, value, home, src
        self.text: str | None = None


def _wrap(value: object, home: Any) -> _N:
    if isinstance(value, dict):
        return _N("map", {k: _wrap(v, (value, k)) for k, v in value.items()}, home, value)
    if isinstance(value, list):
        return _N("seq", [_wrap(v, (value, i)) for i, v in enumerate(value)], home, value)
    return _N("scalar", value, home)


def _loc(home: Any) -> Location | None:
    if isinstance(home, Location):
        return home
    if isinstance(home, tuple) and isinstance(home[0], YMap):
        return home[0].value_location(home[1])
    if isinstance(home, tuple) and isinstance(home[0], YSeq):
        return home[0].item_location(home[1])
    return None


def _text(n: _N | None) -> str:
    """The scalar as libyaml read it (kyaml compares keys and tells `k:` from
    `k: null` by this text); "" for a mapping or a sequence."""
    if n is None or n.kind != "scalar":
        return ""
    if n.text is None:
        written = None
        if isinstance(n.home, tuple):
            box, key = n.home
            node = None
            if isinstance(box, YMap) and not (box.overrides and key in box.overrides):
                pair = box._pair(key)
                node = pair[1] if pair else None
            elif isinstance(box, YSeq) and box.locations is None and box.node is not None \
                    and key < len(box.node.value):
                node = box.node.value[key]
            written = getattr(node, "value", None)
        value = n.value
        n.text = written if isinstance(written, str) else (
            "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
    return n.text


def _null(n: _N | None) -> bool:
    return n is None or (n.kind == "scalar" and n.value is None)


def _empty(n: _N | None) -> bool:
    return _null(n) or (n.kind != "scalar" and not n.value)  # type: ignore[union-attr]


def _at_home(c: _N, box: Any, key: object) -> bool:
    return isinstance(c.home, tuple) and c.home[0] is box and c.home[1] == key


def _unwrap(n: _N) -> Any:
    if n.kind == "scalar":
        return n.value
    src = n.src
    if n.kind == "map":
        out = YMap(src.file, src.node, src.origin) if isinstance(src, YMap) else YMap(origin=_loc(n.home))
        if isinstance(src, YMap):
            out.merged, out.overrides = src.merged, dict(src.overrides) if src.overrides else None
        for key, child in n.value.items():
            out[key] = _unwrap(child)
            moved = None if _at_home(child, src, key) else _loc(child.home)
            if moved is not None:
                out.set_location(key, moved)
        return out
    seq = YSeq(src.file, src.node, src.origin) if isinstance(src, YSeq) else YSeq(origin=_loc(n.home))
    seq.extend(_unwrap(child) for child in n.value)
    if isinstance(src, list) and len(src) == len(n.value) and all(_at_home(c, src, i) for i, c in enumerate(n.value)):
        seq.locations = list(src.locations) if isinstance(src, YSeq) and src.locations is not None else None
    else:
        seq.locations = [_loc(c.home) or seq.location() for c in n.value]
    return seq


# --- strategic merge: kyaml walk.Walker + merge2.Merger ------------------------

_SMP_ONLY = ("$setElementOrder/", "$retainKeys", "$deleteFromPrimitiveList/")


def _walk(dest: _N | None, origin: _N | None, schema: Any) -> _N | None:
    """The merged value, or None to clear the field."""
    first = dest if not _null(dest) else origin if not _null(origin) else None
    for n in (dest, origin):
        if first is not None and not _null(n) and n.kind != first.kind:  # type: ignore[union-attr]
            raise _Fail(f"wrong node kind: expected a {first.kind} but got a {n.kind}", n)  # type: ignore[union-attr]
    if first is None:
        # kyaml keeps a null the target wrote as `null`/`~` but drops a bare `k:`.
        return dest if origin is None and dest is not None and _text(dest) else None
    if first.kind == "scalar":
        result = origin if origin is not None else dest
        return None if _null(result) else result
    if first.kind == "seq":
        return _walk_seq(dest, origin, schema)
    dest = _into(dest, origin, "map")
    if dest is None:
        return None
    theirs = origin.value if origin is not None and origin.kind == "map" else {}
    for key in sorted({*dest.value, *theirs}, key=str):
        if isinstance(key, str) and key.startswith(_SMP_ONLY):
            raise _Fail(f"`{key}` is a kubectl patch directive that kustomize does not implement "
                        "(it would be copied into the object as a field)", theirs.get(key) or dest)
        merged = _walk(dest.value.get(key), theirs.get(key), schema.get(key) if isinstance(schema, dict) else None)
        if merged is None:
            dest.value.pop(key, None)
        else:
            dest.value[key] = merged
    return dest


def _into(dest: _N | None, origin: _N | None, kind: str) -> _N | None:
    """merge2's VisitMap/VisitList: the node the fields or elements are merged
    into (the patch's own under `$patch: replace`), or None to clear it."""
    if _null(dest):
        # A list's `$patch` is not read here (kyaml does not), a map's is.
        return None if kind == "map" and _directive(origin, kind) == "delete" else origin
    if origin is None:
        return dest
    if _null(origin):
        return None
    strategy = _directive(origin, kind)
    return None if strategy == "delete" else origin if strategy == "replace" else dest


def _directive(patch: _N | None, kind: str) -> str:
    """`$patch` of a patch map or list, removed from it once read."""
    if patch is None or patch.kind != ("map" if kind == "map" else "seq"):
        return "merge"
    if kind == "map":
        holder: _N | None = patch
    else:
        holder = next((e for e in patch.value if e.kind == "map" and "$patch" in e.value), None)
        if holder is None or len(holder.value) > 1:  # `{name: x, $patch: delete}` is about x
            return "merge"
    if holder is None or "$patch" not in holder.value:
        return "merge"
    value = _text(holder.value["$patch"])
    if value not in ("delete", "replace", "merge"):
        raise _Fail(f"unknown patch strategy '{value}'", holder.value["$patch"])
    if kind == "map":
        del holder.value["$patch"]
    else:
        _set_element(patch, None, ["$patch"], [value])
    return value


def _walk_seq(dest: _N | None, origin: _N | None, schema: Any) -> _N | None:
    """A list, as kyaml's walkAssociativeSequence merges it: one row per
    distinct merge-key tuple (the patch's first), each row's elements merged
    into a new list, then the target's elements set into it by key. Elements
    missing their key, or keys only one side fills (a port's `protocol`),
    behave as in kustomize, which can drop elements; the tests pin that."""
    if not isinstance(schema, _List):  # no merge key: the patch's list wins, as written
        result = origin if origin is not None else dest
        return None if _null(result) else result
    dest = _into(dest, origin, "seq")
    if dest is None:
        return None
    sources = [s for s in (origin, dest) if s is not None]  # the patch first: kustomize prepends
    keys = list(schema.keys) or [""]
    values: list[list[str]] = []
    for src in sources:
        for elem in src.value:
            if schema.keys:
                row = ["" if elem.kind != "map" or _empty(elem.value.get(k)) else _text(elem.value.get(k))
                       for k in keys]
            else:
                row = [_text(elem)]
            if row not in values:
                values.append(row)
    if not values:
        return dest
    if len(keys) > 1:
        for i in range(len(values)):  # kyaml's mergeValues, order dependence included
            first_row = values[i]
            for j in range(len(values)):
                joined = _join(first_row, values[j])
                if joined is not None:
                    values[i] = values[j] = joined
    present = {k for row in values for k, v in zip(keys, row) if v}
    keys_ok = [k for k in keys if k in present] if present else keys
    items = _N("seq", [], dest.home, dest.src)
    for row in values:
        row_ok = [v for k, v in zip(keys, row) if k in present] if present else row
        val = _walk(_element(dest, keys_ok, row_ok), _element(origin, keys_ok, row_ok), schema.elements)
        if val is None or (val.kind == "map" and not val.value):
            _set_element(dest, None, keys_ok, row_ok)
            continue
        if val.kind == "map":
            for k, v in zip(keys_ok, row_ok):
                if k not in val.value and v:
                    val.value[k] = _N("scalar", int(v) if v.lstrip("-").isdigit() else v, val.home)
        _set_element(items, val, keys_ok, row_ok)
    for elem in list(dest.value):  # kyaml's appendListNode
        if keys_ok[0] == "":
            _set_element(items, elem, [""], [_text(elem)])
            continue
        if elem.kind != "map":
            raise _Fail("a list merged by key holds an element that is not a mapping", elem)
        row = []
        for k in keys_ok:
            if k in elem.value:
                row.append(_text(elem.value[k]))
            else:
                items.value.append(elem)
        if len(keys_ok) > 1:
            _set_element(items, None, keys_ok, row)
        _set_element(items, elem, keys_ok, row)
    return items


def _join(a: list[str], b: list[str]) -> list[str] | None:
    common, out = False, []
    for x, y in zip(a, b):
        if x == y:
            common = True
        elif x and y:
            return None
        out.append(x or y)
    return out if common else None


def _element(seq: _N | None, keys: list[str], values: list[str]) -> _N | None:
    """kyaml's ElementList: the first mapping whose keys hold these values."""
    if seq is None:
        return None
    present = [(k, v) for k, v in zip(keys, values) if v] or list(zip(keys, values))
    for elem in seq.value:
        if keys[0] == "":
            if _text(elem) == values[0]:
                return elem
        elif elem.kind == "map" and all(k in elem.value and _text(elem.value[k]) == v for k, v in present):
            return elem
    return None


def _set_element(seq: _N, element: _N | None, keys: list[str], values: list[str]) -> None:
    """kyaml's ElementSetter: replace the elements matching, or append; drop the
    ones matching when `element` is None. Like kyaml, it also drops null and
    empty-mapping elements."""
    by_field = keys[0] != "" and bool(values) and values[0] != ""
    kept, found_any = [], False
    for elem in seq.value:
        if _null(elem) or (elem.kind == "map" and not elem.value):
            continue
        if elem.kind != "map" and by_field:
            kept.append(elem)
            continue
        found: bool | None = None
        for j, key in enumerate(keys):
            if j < len(values):
                found = _field_matches(elem, key, values[j])
            if not found:
                break
        if not found:
            if values:
                kept.append(elem)
            continue
        found_any = True
        if element is not None:
            kept.append(element)
    seq.value = kept
    if element is not None and not _null(element) and not found_any:
        seq.value.append(element)


def _field_matches(elem: _N, name: str, value: str) -> bool:
    if _null(elem):
        return False
    if name == "":
        if elem.kind != "scalar":
            raise _Fail("a merged list of scalars holds a mapping or a list", elem)
        return _text(elem) == value
    if elem.kind != "map":
        raise _Fail("a list merged by key holds an element that is not a mapping", elem)
    return name in elem.value and (not value or _text(elem.value[name]) == value)


def _string_map(value: object) -> object:
    # kustomize rewrites a selected patch's labels and annotations as strings
    # (CopyMergeMetaDataFieldsFrom): `a: null` then sets the label to "null".
    if not isinstance(value, YMap) or not value:
        return None
    out = value.shallow_copy()
    for key in value:
        out[key] = _text(_N("scalar", value[key], (value, key)))
    return out


def strategic_merge(target: YMap, patch: YMap, *, selected: bool = False,
                    allow_name_change: bool = False, allow_kind_change: bool = False) -> YMap | None:
    """`patch` merged into `target` as kustomize does; a new YMap, or None when
    the patch deletes the object. `selected`: the patch was applied through a
    `target:` selector or `patchesStrategicMerge` (kustomize then copies the
    patch's labels and annotations as strings first); False for a `patches:`
    entry without target."""
    fallback = patch.location() if isinstance(patch, YMap) else target.location()
    if selected and isinstance(patch, YMap):
        patch = patch.shallow_copy()
        patch.pop("apiVersion", None)  # SetGvk: the target's apiVersion stays
        if isinstance(patch.get("metadata"), YMap):
            patch["metadata"] = meta = patch["metadata"].shallow_copy()
            for field in ("labels", "annotations"):
                strings = _string_map(meta.get(field))
                if strings is None:
                    meta.pop(field, None)
                else:
                    meta[field] = strings
    try:
        root = _wrap(target, None)
        merged = _walk(root, _wrap(patch, None), _schema_for(target))
    except _Fail as fail:
        raise PatchError(fail.args[0], (_loc(fail.node.home) if fail.node else None) or fallback) from None
    if merged is None or merged.kind != "map" or not merged.value:
        return None
    if merged is not root:
        # A top-level `$patch: replace`: kyaml returns the patch as a new node,
        # but kustomize (Resource.ApplyFilter) keeps only in-place changes, so
        # the object comes out as it went in.
        return _unwrap(root)
    out: YMap = _unwrap(merged)
    # ApplySmPatch keeps the target's identity whatever the patch says.
    if not allow_kind_change and "kind" in target:
        out["kind"] = target["kind"]
        out.set_location("kind", target.value_location("kind"))
    old_meta = target.get("metadata")
    old_meta = old_meta if isinstance(old_meta, YMap) else YMap()
    meta = out.get("metadata")
    if not isinstance(meta, YMap):
        out["metadata"] = meta = YMap(origin=fallback)
    for field in ("name", "namespace"):
        if field == "name" and allow_name_change:
            continue
        if old_meta.get(field) not in (None, ""):
            meta[field] = old_meta[field]
            meta.set_location(field, old_meta.value_location(field))
        else:
            meta.pop(field, None)
    return out


# --- JSON 6902 (evanphx/json-patch v4, as kustomize applies it) ---------------


def is_json6902(patch: object) -> bool:
    """A `patches:` entry's content is a JSON patch when it is a list (of
    operations); a mapping is a strategic-merge patch."""
    return isinstance(patch, list)


def _index(token: str, size: int) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", token):
        raise _Fail(f"value was not a proper array index: '{token}'")
    index = int(token)
    if index >= size or index < -size:
        raise _Fail(f"Unable to access invalid index: {index}")
    return index + size if index < 0 else index


def _key(doc: _N, token: str) -> object:
    return next((k for k in doc.value if str(k) == token), token)


def _find(doc: _N, path: str) -> tuple[_N | None, str]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")]
    if len(parts) < 2:
        return None, ""
    for part in parts[1:-1]:
        try:
            doc = doc.value.get(_key(doc, part)) if doc.kind == "map" else doc.value[_index(part, len(doc.value))]
        except _Fail:
            return None, ""
        if _null(doc) or doc.kind == "scalar":
            return None, ""
    return doc, parts[-1]


def _get(con: _N, key: str) -> _N | None:
    return con.value.get(_key(con, key)) if con.kind == "map" else con.value[_index(key, len(con.value))]


def _add(con: _N, key: str, value: _N) -> None:
    if con.kind == "map":
        con.value[_key(con, key)] = value
    else:
        con.value.insert(len(con.value) if key == "-" else _index(key, len(con.value) + 1), value)


def _remove(con: _N, key: str) -> None:
    if con.kind == "seq":
        del con.value[_index(key, len(con.value))]
    elif _key(con, key) in con.value:
        del con.value[_key(con, key)]
    else:
        raise _Fail(f"Unable to remove nonexistent key: {key}")


def _plain(n: _N | None) -> object:
    if n is None or n.kind == "scalar":
        return None if n is None else n.value
    if n.kind == "map":
        return {str(k): _plain(v) for k, v in n.value.items()}
    return [_plain(v) for v in n.value]


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) in (int, float) and type(b) in (int, float) and a == b or (type(a) is type(b) and a == b)


def _copy(n: _N, home: Any) -> _N:
    value = {k: _copy(v, v.home) for k, v in n.value.items()} if n.kind == "map" else \
        [_copy(v, v.home) for v in n.value] if n.kind == "seq" else n.value
    return _N(n.kind, value, home, n.src)


def json6902(target: YMap, operations: object, location: Location) -> YMap:
    """`operations` applied to `target`; a new YMap. Values an operation adds
    or replaces report where the operation's `value` is written."""
    if not isinstance(operations, list):
        raise PatchError("a JSON 6902 patch is a list of operations", location)
    doc = _wrap(target, None)
    for number, op in enumerate(operations, 1):
        at = op.location() if isinstance(op, YMap) else location
        if not isinstance(op, dict):
            raise PatchError(f"JSON patch operation {number} is not a mapping", at)
        kind = str(op["op"]) if isinstance(op.get("op"), str) else "unknown"
        try:
            doc = _apply(doc, op, kind, at if not isinstance(op, YMap) else None)
        except _Fail as fail:
            raise PatchError(f"JSON patch operation {number} ({kind}): {fail.args[0]}", at) from None
    if doc.kind != "map":
        raise PatchError("the JSON patch turned the object into something that is not a mapping", location)
    # kustomize then rewrites the annotations as a map of strings (to restore
    # its internal ones): values become their text, and an empty or malformed
    # `annotations` goes away.
    meta = doc.value.get("metadata")
    notes = meta.value.get("annotations") if meta is not None and meta.kind == "map" else None
    if notes is not None and notes.kind == "seq":
        raise PatchError("the JSON patch made metadata.annotations a list", location)
    if notes is not None and (notes.kind != "map" or not notes.value):
        del meta.value["annotations"]
    elif notes is not None:
        for note in notes.value.values():
            note.kind, note.value = "scalar", "null" if _null(note) else _text(note)
    return _unwrap(doc)


def _apply(doc: _N, op: dict[str, Any], kind: str, at: Location | None) -> _N:
    if kind not in ("add", "remove", "replace", "move", "copy", "test"):
        raise _Fail(f"Unexpected kind: {kind}")

    def pointer(field: str) -> str:
        if not isinstance(op.get(field), str):
            raise _Fail(f"operation missing {field} field")
        return op[field]

    # A missing `value` is JSON null to evanphx/json-patch, not an error.
    value = _wrap(op.get("value"), at or (op, "value"))
    if kind in ("move", "copy"):
        con, key = _find(doc, pointer("from"))
        if con is None:
            raise _Fail(f"{kind} operation does not apply: doc is missing from path: {op['from']}")
        moved = _get(con, key)
        if kind == "move":
            _remove(con, key)
        # The value now lives where the operation put it; what it holds keeps its lines.
        here = at or op.location()  # type: ignore[attr-defined]
        value = _copy(moved, here) if moved is not None else _N("scalar", None, here)
    path = pointer("path")
    if path == "" and kind in ("replace", "test"):
        if kind == "replace":
            if value.kind == "scalar":
                raise _Fail("replace operation value must be object or array")
            return value
        if "value" in op and _same(_plain(doc), _plain(value)):
            return doc
        raise _Fail("testing value  failed")
    con, key = _find(doc, path)
    if con is None:
        raise _Fail(f"{kind} operation does not apply: doc is missing path: {path}")
    if kind == "test":
        found = _get(con, key)
        if _null(found) and _null(value) or (not _null(found) and "value" in op
                                             and _same(_plain(found), _plain(value))):
            return doc
        raise _Fail(f"testing value {path} failed")
    if kind == "remove":
        _remove(con, key)
    elif kind == "replace" and con.kind == "seq":
        con.value[_index(key, len(con.value))] = value
    elif kind == "replace":  # v4 replaces a missing object key without complaint: it adds it
        con.value[_key(con, key)] = value
    else:
        _add(con, key, value)
    return doc


# --- patch targets --------------------------------------------------------------


@dataclass(frozen=True)
class PatchTarget:
    group: str | None = None
    version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    label_selector: str | None = None
    annotation_selector: str | None = None


_TARGET_FIELDS = {"group": "group", "version": "version", "kind": "kind", "name": "name",
                  "namespace": "namespace", "labelselector": "label_selector",
                  "annotationselector": "annotation_selector"}


def parse_target(value: object) -> PatchTarget | None:
    """A `target:` of a patch; None when there is none. Field names match
    case-insensitively and unknown ones are errors, as Go's JSON decoder
    (DisallowUnknownFields) makes them; regexes and selectors are checked here."""
    if value is None:
        return None
    where = value.location() if isinstance(value, YMap) else Location("<kustomization>", 1, 1)
    if not isinstance(value, dict):
        raise PatchError("a patch target must be a mapping", where)
    fields: dict[str, str | None] = {}
    for key, item in value.items():
        at = value.value_location(key) if isinstance(value, YMap) else where
        field = _TARGET_FIELDS.get(str(key).lower())
        if field is None:
            raise PatchError(f"unknown field {key!r} in a patch target", at)
        if item is not None and not isinstance(item, str):
            raise PatchError(f"patch target field {key!r} must be a string", at)
        fields[field] = item or None
        try:
            if field.endswith("selector"):
                _selector(item or "")
            elif item:
                _regex(item)
        except (ValueError, re.error) as error:
            raise PatchError(f"invalid patch target {key}: {error}", at) from None
    return PatchTarget(**fields)


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern})")  # kustomize anchors every pattern


def _matches(pattern: str | None, *values: str) -> bool:
    return not pattern or any(_regex(pattern).fullmatch(v) for v in values)


def _namespace(namespace: object, cluster_scoped: bool) -> str:
    # kustomize's EffectiveNamespace: unset reads as "default".
    if cluster_scoped:
        return "_non_namespaceable_"
    return namespace if isinstance(namespace, str) and namespace else "default"


def _strings(meta: YMap, field: str) -> dict[str, str]:
    values = meta.get(field)
    if not isinstance(values, YMap):
        return {}
    return {str(k): _text(_N("scalar", v, (values, k))) for k, v in values.items() if not isinstance(v, (dict, list))}


def target_matches(target: PatchTarget, resource: Resource, *,
                   original_name: str | None = None, original_namespace: str | None = None) -> bool:
    """Whether kustomize's `Select` picks `resource`. Name and namespace match
    the original (before prefixes and namespace transformers) or the current
    one; pass the original when the caller tracks it."""
    scoped = is_cluster_scoped(resource.api_version, resource.kind)
    current_ns = _namespace(resource.namespace, scoped)
    original_ns = _namespace(original_namespace, scoped) if original_namespace is not None else current_ns
    name = resource.name or ""
    group, _, version = resource.api_version.rpartition("/") if "/" not in resource.api_version \
        else resource.api_version.partition("/")  # ParseGroupVersion: split at the first "/"
    if not (_matches(target.namespace, original_ns, current_ns)
            and _matches(target.name, original_name if original_name is not None else name, name)
            and _matches(target.group, group) and _matches(target.version, version)
            and _matches(target.kind, resource.kind)):
        return False
    meta = resource.metadata
    return all(_selector(text or "")(_strings(meta, field)) for text, field in
               ((target.label_selector, "labels"), (target.annotation_selector, "annotations")))


# --- label selector strings (k8s.io/apimachinery/pkg/labels.Parse) --------------

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_DNS = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"


def _valid_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if "/" in prefix or (key.count("/") and not prefix):
        return False
    return bool(re.fullmatch(_NAME, name)) and len(name) <= 63 and (
        not prefix or (len(prefix) <= 253 and bool(re.fullmatch(_DNS, prefix))))


_TOKEN = re.compile(r"\s*(==|!=|[=!(),<>]|[^\s=!(),<>]+)")


def _ident(token: str) -> bool:
    return token not in ("", "==", "!=") and token not in "=!(),<>"


@functools.lru_cache(maxsize=256)
def _selector(text: str) -> Any:
    """A predicate over a label map; ValueError where Kubernetes rejects `text`.
    "in"/"notin" are keywords only where an operator is expected, as there."""
    tokens, reqs, pos = [m.group(1) for m in _TOKEN.finditer(text)], [], 0

    def at() -> str:
        return tokens[pos] if pos < len(tokens) else ""

    while pos < len(tokens):
        negate = tokens[pos] == "!"
        pos += negate
        key, op, values = at(), "!" if negate else "exists", set()
        pos += 1
        if not _ident(key) or not _valid_key(key):
            raise ValueError(f"invalid label key '{key}'")
        if not negate and at() not in ("", ","):
            op, pos = at(), pos + 1
            if op in ("in", "notin"):
                if at() != "(":
                    raise ValueError(f"found '{at()}', expected: '('")
                pos += 1
                if at() == ")":  # "()" is the set of the empty value
                    values.add("")
                while at() != ")":
                    token, pos = at(), pos + 1
                    if _ident(token):
                        values.add(token)
                        if at() not in (",", ")"):
                            raise ValueError(f"found '{at()}', expected: ',' or ')'")
                    elif token == ",":  # "(,", ",)" and ",," each stand for the empty value
                        if not values or at() in (",", ")"):
                            values.add("")
                    else:
                        raise ValueError(f"found '{token}', expected: ',', or identifier")
                pos += 1
            elif op in ("=", "==", "!=", ">", "<"):
                if _ident(at()):
                    values.add(at())
                    pos += 1
                elif at() in ("", ","):
                    values.add("")
                else:
                    raise ValueError(f"found '{at()}', expected: identifier")
            else:
                raise ValueError(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")
            if any(v and not (len(v) <= 63 and re.fullmatch(_NAME, v)) for v in values):
                raise ValueError(f"invalid label value in {sorted(values)}")
            if op in (">", "<") and not re.fullmatch(r"[+-]?[0-9]+", next(iter(values))):
                raise ValueError("for 'Gt', 'Lt' operators, the value must be an integer")
        reqs.append((key, op, frozenset(values)))
        if at() == ",":
            pos += 1
            if not (_ident(at()) or at() == "!"):
                raise ValueError(f"found '{at()}', expected: identifier after ','")
        elif at():
            raise ValueError(f"found '{at()}', expected: ',' or 'end of string'")
    return functools.partial(_select, tuple(reqs))


def _select(reqs: tuple[tuple[str, str, frozenset[str]], ...], labels: dict[str, str]) -> bool:
    for key, op, values in reqs:
        have = labels.get(key)
        if op == "exists" and have is None or op == "!" and have is not None:
            return False
        if op in ("=", "==", "in") and (have is None or have not in values):
            return False
        if op in ("!=", "notin") and have is not None and have in values:
            return False
        if op in (">", "<"):
            if have is None or not re.fullmatch(r"[+-]?[0-9]+", have):
                return False
            wanted = int(next(iter(values)))
            if not (int(have) > wanted if op == ">" else int(have) < wanted):
                return False
    return True
