"""YAML values that remember where they were written.

`YMap` and `YSeq` are a plain `dict` and `list` to every reader, so rules
and the renderer treat them as JSON-like data. Each keeps a reference to the
libyaml node it was built from; a position is looked up on that node only
when a finding needs one, which keeps the hot path as cheap as a plain load.

A value made by the renderer (a namespace set by a kustomization, a field
set by a patch) records its own location, which wins over the node:
`YMap.set_location(key, loc)` for one entry, `YSeq.locations` for every
item of a sequence the renderer assembled, and `origin` for a container
that has no node at all (a generated ConfigMap). That is how a finding
points at the patch that set a value.
"""

from __future__ import annotations

from typing import Any

from linter.finding import Location


def _to_location(file: str, mark: Any, end: Any = None) -> Location:
    # libyaml marks are 0-based; this is the one place they become 1-based.
    if end is None:
        return Location(file, mark.line + 1, mark.column + 1)
    return Location(file, mark.line + 1, mark.column + 1, end.line + 1, end.column + 1)


def _same_key(key_node: Any, key: object) -> bool:
    value = getattr(key_node, "value", None)
    return isinstance(value, str) and (value == key or value == str(key))


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _merged_pair(sources: Any, key: object, seen: set[int]) -> tuple[Any, Any] | None:
    """The pair for `key` in mapping nodes merged with `<<`, first source first,
    following the merges of those mappings too."""
    for source in sources:
        if id(source) in seen or not isinstance(source.value, list):
            continue
        seen.add(id(source))
        nested: list[Any] = []
        for key_node, value_node in reversed(source.value):
            if key_node.tag == _MERGE_TAG:
                nested.append(value_node)
            elif _same_key(key_node, key):
                return key_node, value_node
        for merge in reversed(nested):  # back in file order
            items = merge.value if merge.id == "sequence" else [merge]
            found = _merged_pair([i for i in items if i.id == "mapping"], key, seen)
            if found:
                return found
    return None


class YMap(dict):  # type: ignore[type-arg]
    """A mapping plus the file and node it came from."""

    __slots__ = ("file", "node", "merged", "overrides", "origin")

    def __init__(self, file: str = "", node: Any = None, origin: Location | None = None) -> None:
        super().__init__()
        self.file = file
        self.node = node
        self.merged: list[Any] | None = None  # nodes merged in with `<<`
        self.overrides: dict[object, Location] | None = None
        self.origin = origin  # where a node-less mapping was made

    def location(self) -> Location:
        if self.origin is not None:
            return self.origin
        if self.node is None:
            return Location(self.file or "<generated>", 1, 1)
        return _to_location(self.file, self.node.start_mark)

    def _pair(self, key: object) -> tuple[Any, Any] | None:
        if self.node is None:
            return None
        # The last occurrence wins, as it does for the value.
        for key_node, value_node in reversed(self.node.value):
            if _same_key(key_node, key):
                return key_node, value_node
        return _merged_pair(self.merged or (), key, set())

    def key_location(self, key: object) -> Location:
        """Where `key:` is written; the mapping itself when it is not."""
        if self.overrides and key in self.overrides:
            return self.overrides[key]
        pair = self._pair(key)
        return _to_location(self.file, pair[0].start_mark) if pair else self.location()

    def value_location(self, key: object) -> Location:
        """Where the value of `key` is written, with its end for scalars."""
        if self.overrides and key in self.overrides:
            return self.overrides[key]
        pair = self._pair(key)
        if pair is None:
            return self.location()
        value_node = pair[1]
        end = value_node.end_mark if not isinstance(value_node.value, list) else None
        return _to_location(self.file, value_node.start_mark, end)

    def set_location(self, key: object, location: Location) -> None:
        """Record that the value of `key` was set at `location` (by a transformer)."""
        if self.overrides is None:
            self.overrides = {}
        self.overrides[key] = location

    def shallow_copy(self) -> YMap:
        """A copy that can be changed without touching the original's entries."""
        copy = YMap(self.file, self.node, self.origin)
        copy.update(self)
        copy.merged = self.merged
        copy.overrides = dict(self.overrides) if self.overrides else None
        return copy


class YSeq(list):  # type: ignore[type-arg]
    """A sequence plus the file and node it came from."""

    __slots__ = ("file", "node", "locations", "origin")

    def __init__(self, file: str = "", node: Any = None, origin: Location | None = None) -> None:
        super().__init__()
        self.file = file
        self.node = node
        # Set when the renderer assembled the items from several places:
        # one location per item, in order, replacing the node's.
        self.locations: list[Location] | None = None
        self.origin = origin

    def location(self) -> Location:
        if self.origin is not None:
            return self.origin
        if self.node is None:
            return Location(self.file or "<generated>", 1, 1)
        return _to_location(self.file, self.node.start_mark)

    def item_location(self, index: int) -> Location:
        if self.locations is not None:
            return self.locations[index] if 0 <= index < len(self.locations) else self.location()
        if self.node is None or index >= len(self.node.value):
            return self.location()
        item = self.node.value[index]
        end = item.end_mark if not isinstance(item.value, list) else None
        return _to_location(self.file, item.start_mark, end)


def location_of(value: object, fallback: Location) -> Location:
    """The location of a container value, or `fallback` for a scalar."""
    if isinstance(value, (YMap, YSeq)):
        return value.location()
    return fallback


def plain(value: object) -> object:
    """`value` as plain dicts and lists, positions dropped (for output and comparison)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
