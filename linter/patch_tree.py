"""The tree kustomize's patches are applied on, and the errors they raise.

Strategic merge (linter/strategic_merge.py) and JSON 6902 (linter/json6902.py)
are ports of algorithms that change a document in place (kyaml, evanphx/
json-patch). They run on a private tree of `Node`s so that those algorithms
can be ported step by step: `wrap` builds it from positioned YAML, each
`Node` remembers where its value was written (`home`), and `unwrap` turns the
tree back into YMap/YSeq, recording a location for every value that moved: a
value set by the patch reports the patch's line, an untouched one keeps the
target's.
"""

from __future__ import annotations

from typing import Any

from linter.finding import Location
from linter.yamlpos import YMap, YSeq


class PatchError(Exception):
    """A patch kustomize refuses to apply, at the line to report."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


class NodeError(Exception):
    """A PatchError whose location is the node at fault, when it has one."""

    def __init__(self, message: str, node: Node | None = None) -> None:
        super().__init__(message)
        self.node = node


class Node:
    """A value of the tree: `kind` is "map", "seq" or "scalar"; `home` is where
    the value is written (a (container, key) pair or a Location) and `src`
    the mapping or list a map or seq node was wrapped from."""

    __slots__ = ("kind", "value", "home", "src", "text")

    def __init__(self, kind: str, value: Any, home: Any, src: Any = None) -> None:
        self.kind, self.value, self.home, self.src = kind, value, home, src
        self.text: str | None = None


def wrap(value: object, home: Any) -> Node:
    if isinstance(value, dict):
        return Node("map", {k: wrap(v, (value, k)) for k, v in value.items()}, home, value)
    if isinstance(value, list):
        return Node("seq", [wrap(v, (value, i)) for i, v in enumerate(value)], home, value)
    return Node("scalar", value, home)


def location_of(home: Any) -> Location | None:
    if isinstance(home, Location):
        return home
    if isinstance(home, tuple) and isinstance(home[0], YMap):
        return home[0].value_location(home[1])
    if isinstance(home, tuple) and isinstance(home[0], YSeq):
        return home[0].item_location(home[1])
    return None


def scalar_text(n: Node | None) -> str:
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


def is_null(n: Node | None) -> bool:
    return n is None or (n.kind == "scalar" and n.value is None)


def _at_home(c: Node, box: Any, key: object) -> bool:
    return isinstance(c.home, tuple) and c.home[0] is box and c.home[1] == key


def unwrap(n: Node) -> Any:
    if n.kind == "scalar":
        return n.value
    src = n.src
    if n.kind == "map":
        out = YMap(src.file, src.node, src.origin) if isinstance(src, YMap) else YMap(origin=location_of(n.home))
        if isinstance(src, YMap):
            out.merged, out.overrides = src.merged, dict(src.overrides) if src.overrides else None
        for key, child in n.value.items():
            out[key] = unwrap(child)
            moved = None if _at_home(child, src, key) else location_of(child.home)
            if moved is not None:
                out.set_location(key, moved)
        return out
    seq = YSeq(src.file, src.node, src.origin) if isinstance(src, YSeq) else YSeq(origin=location_of(n.home))
    seq.extend(unwrap(child) for child in n.value)
    if isinstance(src, list) and len(src) == len(n.value) and all(_at_home(c, src, i) for i, c in enumerate(n.value)):
        seq.locations = list(src.locations) if isinstance(src, YSeq) and src.locations is not None else None
    else:
        seq.locations = [location_of(c.home) or seq.location() for c in n.value]
    return seq
