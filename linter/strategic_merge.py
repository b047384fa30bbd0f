"""Strategic merge patches, as `kubectl kustomize` applies them.

A port of what kustomize v5 really does (kyaml `walk.Walker` +
`merge2.Merger`), quirks included, not of the API server's strategic merge:
lists merge by key only where kustomize's built-in schema
(linter/kschema.py) declares a merge key; every other list, and every list
of a custom resource, is replaced whole. The merge runs on the tree of
linter/patch_tree.py, so every value reports the line that set it.
"""

from __future__ import annotations

from typing import Any

from linter.kschema import MergeList, schema_for
from linter.patch_tree import Node, NodeError, PatchError, is_null, location_of, scalar_text, unwrap, wrap
from linter.yamlpos import YMap

_SMP_ONLY = ("$setElementOrder/", "$retainKeys", "$deleteFromPrimitiveList/")


def _empty(n: Node | None) -> bool:
    return is_null(n) or (n.kind != "scalar" and not n.value)  # type: ignore[union-attr]


def _walk(dest: Node | None, origin: Node | None, schema: Any) -> Node | None:
    """The merged value, or None to clear the field."""
    first = dest if not is_null(dest) else origin if not is_null(origin) else None
    for n in (dest, origin):
        if first is not None and not is_null(n) and n.kind != first.kind:  # type: ignore[union-attr]
            raise NodeError(f"wrong node kind: expected a {first.kind} but got a {n.kind}", n)  # type: ignore[union-attr]
    if first is None:
        # kyaml keeps a null the target wrote as `null`/`~` but drops a bare `k:`.
        return dest if origin is None and dest is not None and scalar_text(dest) else None
    if first.kind == "scalar":
        result = origin if origin is not None else dest
        return None if is_null(result) else result
    if first.kind == "seq":
        return _walk_seq(dest, origin, schema)
    dest = _into(dest, origin, "map")
    if dest is None:
        return None
    theirs = origin.value if origin is not None and origin.kind == "map" else {}
    for key in sorted({*dest.value, *theirs}, key=str):
        if isinstance(key, str) and key.startswith(_SMP_ONLY):
            raise NodeError(f"`{key}` is a kubectl patch directive that kustomize does not implement "
                        "(it would be copied into the object as a field)", theirs.get(key) or dest)
        merged = _walk(dest.value.get(key), theirs.get(key), schema.get(key) if isinstance(schema, dict) else None)
        if merged is None:
            dest.value.pop(key, None)
        else:
            dest.value[key] = merged
    return dest


def _into(dest: Node | None, origin: Node | None, kind: str) -> Node | None:
    """merge2's VisitMap/VisitList: the node the fields or elements are merged
    into (the patch's own under `$patch: replace`), or None to clear it."""
    if is_null(dest):
        # A list's `$patch` is not read here (kyaml does not), a map's is.
        return None if kind == "map" and _directive(origin, kind) == "delete" else origin
    if origin is None:
        return dest
    if is_null(origin):
        return None
    strategy = _directive(origin, kind)
    return None if strategy == "delete" else origin if strategy == "replace" else dest


def _directive(patch: Node | None, kind: str) -> str:
    """`$patch` of a patch map or list, removed from it once read."""
    if patch is None or patch.kind != ("map" if kind == "map" else "seq"):
        return "merge"
    if kind == "map":
        holder: Node | None = patch
    else:
        holder = next((e for e in patch.value if e.kind == "map" and "$patch" in e.value), None)
        if holder is None or len(holder.value) > 1:  # `{name: x, $patch: delete}` is about x
            return "merge"
    if holder is None or "$patch" not in holder.value:
        return "merge"
    value = scalar_text(holder.value["$patch"])
    if value not in ("delete", "replace", "merge"):
        raise NodeError(f"unknown patch strategy '{value}'", holder.value["$patch"])
    if kind == "map":
        del holder.value["$patch"]
    else:
        _set_element(patch, None, ["$patch"], [value])
    return value


def _walk_seq(dest: Node | None, origin: Node | None, schema: Any) -> Node | None:
    """A list, as kyaml's walkAssociativeSequence merges it: one row per
    distinct merge-key tuple (the patch's first), each row's elements merged
    into a new list, then the target's elements set into it by key. Elements
    missing their key, or keys only one side fills (a port's `protocol`),
    behave as in kustomize, which can drop elements; the tests pin that."""
    if not isinstance(schema, MergeList):  # no merge key: the patch's list wins, as written
        result = origin if origin is not None else dest
        return None if is_null(result) else result
    dest = _into(dest, origin, "seq")
    if dest is None:
        return None
    sources = [s for s in (origin, dest) if s is not None]  # the patch first: kustomize prepends
    keys = list(schema.keys) or [""]
    values: list[list[str]] = []
    for src in sources:
        for elem in src.value:
            if schema.keys:
                row = ["" if elem.kind != "map" or _empty(elem.value.get(k)) else scalar_text(elem.value.get(k))
                       for k in keys]
            else:
                row = [scalar_text(elem)]
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
    items = Node("seq", [], dest.home, dest.src)
    for row in values:
        row_ok = [v for k, v in zip(keys, row) if k in present] if present else row
        val = _walk(_element(dest, keys_ok, row_ok), _element(origin, keys_ok, row_ok), schema.elements)
        if val is None or (val.kind == "map" and not val.value):
            _set_element(dest, None, keys_ok, row_ok)
            continue
        if val.kind == "map":
            for k, v in zip(keys_ok, row_ok):
                if k not in val.value and v:
                    val.value[k] = Node("scalar", int(v) if v.lstrip("-").isdigit() else v, val.home)
        _set_element(items, val, keys_ok, row_ok)
    for elem in list(dest.value):  # kyaml's appendListNode
        if keys_ok[0] == "":
            _set_element(items, elem, [""], [scalar_text(elem)])
            continue
        if elem.kind != "map":
            raise NodeError("a list merged by key holds an element that is not a mapping", elem)
        row = []
        for k in keys_ok:
            if k in elem.value:
                row.append(scalar_text(elem.value[k]))
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


def _element(seq: Node | None, keys: list[str], values: list[str]) -> Node | None:
    """kyaml's ElementList: the first mapping whose keys hold these values."""
    if seq is None:
        return None
    present = [(k, v) for k, v in zip(keys, values) if v] or list(zip(keys, values))
    for elem in seq.value:
        if keys[0] == "":
            if scalar_text(elem) == values[0]:
                return elem
        elif elem.kind == "map" and all(k in elem.value and scalar_text(elem.value[k]) == v for k, v in present):
            return elem
    return None


def _set_element(seq: Node, element: Node | None, keys: list[str], values: list[str]) -> None:
    """kyaml's ElementSetter: replace the elements matching, or append; drop the
    ones matching when `element` is None. Like kyaml, it also drops null and
    empty-mapping elements."""
    by_field = keys[0] != "" and bool(values) and values[0] != ""
    kept, found_any = [], False
    for elem in seq.value:
        if is_null(elem) or (elem.kind == "map" and not elem.value):
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
    if element is not None and not is_null(element) and not found_any:
        seq.value.append(element)


def _field_matches(elem: Node, name: str, value: str) -> bool:
    if is_null(elem):
        return False
    if name == "":
        if elem.kind != "scalar":
            raise NodeError("a merged list of scalars holds a mapping or a list", elem)
        return scalar_text(elem) == value
    if elem.kind != "map":
        raise NodeError("a list merged by key holds an element that is not a mapping", elem)
    return name in elem.value and (not value or scalar_text(elem.value[name]) == value)


def _string_map(value: object) -> object:
    # kustomize rewrites a selected patch's labels and annotations as strings
    # (CopyMergeMetaDataFieldsFrom): `a: null` then sets the label to "null".
    if not isinstance(value, YMap) or not value:
        return None
    out = value.shallow_copy()
    for key in value:
        out[key] = scalar_text(Node("scalar", value[key], (value, key)))
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
        root = wrap(target, None)
        merged = _walk(root, wrap(patch, None), schema_for(target))
    except NodeError as fail:
        raise PatchError(fail.args[0], (location_of(fail.node.home) if fail.node else None) or fallback) from None
    if merged is None or merged.kind != "map" or not merged.value:
        return None
    if merged is not root:
        # A top-level `$patch: replace`: kyaml returns the patch as a new node,
        # but kustomize (Resource.ApplyFilter) keeps only in-place changes, so
        # the object comes out as it went in.
        return unwrap(root)
    out: YMap = unwrap(merged)
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
