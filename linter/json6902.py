"""JSON 6902 patches, as kustomize applies them.

kustomize applies them with evanphx/json-patch v4, whose quirks are kept:
negative indices count from the end, `replace` of a missing object key adds
it, a missing `value` is null. The operations run on the tree of
linter/patch_tree.py, so a value an operation adds or replaces reports the
line of its `value`.
"""

from __future__ import annotations

import re
from typing import Any

from linter.finding import Location
from linter.patch_tree import Node, NodeError, PatchError, is_null, scalar_text, unwrap, wrap
from linter.yamlpos import YMap


def is_json6902(patch: object) -> bool:
    """A `patches:` entry's content is a JSON patch when it is a list (of
    operations); a mapping is a strategic-merge patch."""
    return isinstance(patch, list)


def _index(token: str, size: int) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", token):
        raise NodeError(f"value was not a proper array index: '{token}'")
    index = int(token)
    if index >= size or index < -size:
        raise NodeError(f"Unable to access invalid index: {index}")
    return index + size if index < 0 else index


def _key(doc: Node, token: str) -> object:
    return next((k for k in doc.value if str(k) == token), token)


def _find(doc: Node, path: str) -> tuple[Node | None, str]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")]
    if len(parts) < 2:
        return None, ""
    for part in parts[1:-1]:
        try:
            doc = doc.value.get(_key(doc, part)) if doc.kind == "map" else doc.value[_index(part, len(doc.value))]
        except NodeError:
            return None, ""
        if is_null(doc) or doc.kind == "scalar":
            return None, ""
    return doc, parts[-1]


def _get(con: Node, key: str) -> Node | None:
    return con.value.get(_key(con, key)) if con.kind == "map" else con.value[_index(key, len(con.value))]


def _add(con: Node, key: str, value: Node) -> None:
    if con.kind == "map":
        con.value[_key(con, key)] = value
    else:
        con.value.insert(len(con.value) if key == "-" else _index(key, len(con.value) + 1), value)


def _remove(con: Node, key: str) -> None:
    if con.kind == "seq":
        del con.value[_index(key, len(con.value))]
    elif _key(con, key) in con.value:
        del con.value[_key(con, key)]
    else:
        raise NodeError(f"Unable to remove nonexistent key: {key}")


def _plain(n: Node | None) -> object:
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


def _copy(n: Node, home: Any) -> Node:
    value = {k: _copy(v, v.home) for k, v in n.value.items()} if n.kind == "map" else \
        [_copy(v, v.home) for v in n.value] if n.kind == "seq" else n.value
    return Node(n.kind, value, home, n.src)


def json6902(target: YMap, operations: object, location: Location) -> YMap:
    """`operations` applied to `target`; a new YMap. Values an operation adds
    or replaces report where the operation's `value` is written."""
    if not isinstance(operations, list):
        raise PatchError("a JSON 6902 patch is a list of operations", location)
    doc = wrap(target, None)
    for number, op in enumerate(operations, 1):
        at = op.location() if isinstance(op, YMap) else location
        if not isinstance(op, dict):
            raise PatchError(f"JSON patch operation {number} is not a mapping", at)
        kind = str(op["op"]) if isinstance(op.get("op"), str) else "unknown"
        try:
            doc = _apply(doc, op, kind, at if not isinstance(op, YMap) else None)
        except NodeError as fail:
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
            note.kind, note.value = "scalar", "null" if is_null(note) else scalar_text(note)
    return unwrap(doc)


def _apply(doc: Node, op: dict[str, Any], kind: str, at: Location | None) -> Node:
    if kind not in ("add", "remove", "replace", "move", "copy", "test"):
        raise NodeError(f"Unexpected kind: {kind}")

    def pointer(field: str) -> str:
        if not isinstance(op.get(field), str):
            raise NodeError(f"operation missing {field} field")
        return op[field]

    # A missing `value` is JSON null to evanphx/json-patch, not an error.
    value = wrap(op.get("value"), at or (op, "value"))
    if kind in ("move", "copy"):
        con, key = _find(doc, pointer("from"))
        if con is None:
            raise NodeError(f"{kind} operation does not apply: doc is missing from path: {op['from']}")
        moved = _get(con, key)
        if kind == "move":
            _remove(con, key)
        # The value now lives where the operation put it; what it holds keeps its lines.
        here = at or op.location()  # type: ignore[attr-defined]
        value = _copy(moved, here) if moved is not None else Node("scalar", None, here)
    path = pointer("path")
    if path == "" and kind in ("replace", "test"):
        if kind == "replace":
            if value.kind == "scalar":
                raise NodeError("replace operation value must be object or array")
            return value
        if "value" in op and _same(_plain(doc), _plain(value)):
            return doc
        raise NodeError("testing value  failed")
    con, key = _find(doc, path)
    if con is None:
        raise NodeError(f"{kind} operation does not apply: doc is missing path: {path}")
    if kind == "test":
        found = _get(con, key)
        if is_null(found) and is_null(value) or (not is_null(found) and "value" in op
                                             and _same(_plain(found), _plain(value))):
            return doc
        raise NodeError(f"testing value {path} failed")
    if kind == "remove":
        _remove(con, key)
    elif kind == "replace" and con.kind == "seq":
        con.value[_index(key, len(con.value))] = value
    elif kind == "replace":  # v4 replaces a missing object key without complaint: it adds it
        con.value[_key(con, key)] = value
    else:
        _add(con, key, value)
    return doc
