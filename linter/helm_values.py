"""Helm values layers, merged as Helm merges them, each value keeping where it was set.

A layer is a `YMap` (a values file, an inline block, a YAML string parsed in
place). `merge_layers` folds layers as Helm's `mergeMaps` does: maps merge
deeply, lists and scalars replace, and `null` deletes the key (Helm drops a
null key when it coalesces with the chart defaults, so the key ends up absent;
`deleted` remembers the path so whoever adds chart defaults drops them too).
`--set`-style values (Argo CD parameters, Flux `targetPath`) are written into
the merged tree with `set_value`, as Helm's strvals.ParseInto does.

Every merged map is a fresh `YMap` built on the latest layer's node, so keys
written in that layer keep their exact key and value positions; keys inherited
from an earlier layer carry that layer's location as an override.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linter.finding import Location
from linter.loader import load_text
from linter.resource import RenderProblem
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq


# One `--set`-style value: (dotted name as written, typed value, where it was set).
SetValue = tuple[str, object, Location]


@dataclass(slots=True)
class Layers:
    """A release's values layers as they are read, first lowest, and what could not be read.

    `read`: every repository file consulted, even one that is missing or encrypted
    today, so that changing it selects the release's target (changed-files mode)."""

    owner: str
    items: list[YMap | SetValue] = field(default_factory=list)
    known: bool = True
    problems: list[RenderProblem] = field(default_factory=list)
    read: set[str] = field(default_factory=set)

    def unknown(self, why: str, location: Location, kind: str = "skipped") -> None:
        # "skipped" is render-skipped (ML004, info): the values are not evaluated, nothing is guessed.
        self.known = False
        self.problems.append(RenderProblem(f"{self.owner}: {why}: its values are not checked", location, kind))

    def add(self, values: YMap | None, why: str, location: Location) -> None:
        if values is None:
            self.unknown(why, location)
        else:
            self.items.append(values)


def merge_layers(layers: list[YMap | SetValue], origin: Location,
                 deleted: dict[str, Location]) -> YMap:
    """`layers` (first lowest) merged into one fresh tree; nulls recorded in `deleted`.
    A `SetValue` is written into what the layers before it merged, as Helm applies
    --set after the files and Flux a targetPath after the valuesFrom before it."""
    result = YMap(origin.file, None, origin)
    for layer in layers:
        if isinstance(layer, YMap):
            result = _merge(result, layer, deleted, "")
        else:
            set_value(result, split_path(layer[0]), layer[1], layer[2], deleted)
    return result


def overlay(base: YMap | None, layer: YMap) -> YMap:
    """`layer` merged over `base` as kyaml's merge2 does (kustomize's valuesMerge):
    maps merge, the rest is replaced, and a null in `layer` removes the key without
    deleting anything further (Helm later sees the key absent, so a chart default applies)."""
    return _merge(base, layer, {}, "")


def without(values: YMap, path: list[str]) -> YMap:
    """A copy of `values` without the key at `path` (maps copied along the way)."""
    copy = values.shallow_copy()
    if len(path) == 1:
        copy.pop(path[0], None)
    elif isinstance(copy.get(path[0]), YMap):
        copy[path[0]] = without(copy[path[0]], path[1:])
    return copy


def _merge(base: YMap | None, layer: YMap, deleted: dict[str, Location], prefix: str) -> YMap:
    out = YMap(layer.file, layer.node, layer.origin)
    out.merged = layer.merged
    out.overrides = dict(layer.overrides) if layer.overrides else None
    if base:
        for key, value in base.items():
            if key not in layer:
                out[key] = value
                out.set_location(key, base.value_location(key))
    for key, value in layer.items():
        path = f"{prefix}{key}"
        if value is None:
            out.pop(key, None)
            deleted[path] = layer.value_location(key)
            continue
        _forget(deleted, path)
        if isinstance(value, YMap):
            prior = base.get(key) if base else None
            out[key] = _merge(prior if isinstance(prior, YMap) else None, value, deleted, path + ".")
        else:
            out[key] = value
    return out


def _forget(deleted: dict[str, Location], path: str) -> None:
    """A key set again after a null is no longer deleted."""
    for known in [p for p in deleted if p == path or p.startswith(path + ".")]:
        del deleted[known]


# -- --set style paths ---------------------------------------------------------

_INDEX = re.compile(r"^(.*?)\[(\d+)\]$")


def split_path(name: str) -> list[str | int]:
    """`a.b\\.c[0].d` -> ["a", "b.c", 0, "d"], as Helm's strvals reads a --set name."""
    parts: list[str] = []
    current = ""
    escaped = False
    for char in name:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    result: list[str | int] = []
    for part in parts:
        indices: list[int] = []
        match = _INDEX.match(part)
        while match:  # a[0][1]
            indices.insert(0, int(match.group(2)))
            part = match.group(1)
            match = _INDEX.match(part)
        result.append(part)
        result.extend(indices)
    return result


def typed(text: str) -> object:
    """A --set value as Helm types it: bools, null, integers; anything else a string."""
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if re.fullmatch(r"-?(0|[1-9][0-9]*)", text):
        return int(text)
    return text


def set_value(values: YMap, parts: list[str | int], value: object, location: Location,
              deleted: dict[str, Location]) -> None:
    """Write `value` at `parts` into the merged tree (whose maps are all fresh)."""
    dotted = ".".join(str(p) for p in parts)
    if not parts or not isinstance(parts[0], str):
        return
    node: YMap | YSeq = values
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        fresh: YMap | YSeq = YMap(location.file, None, location)
        if isinstance(following, int):
            fresh = YSeq(location.file, None, location)
            fresh.locations = []
        if isinstance(node, YMap) and isinstance(part, str):
            if last:
                if value is None:
                    node.pop(part, None)
                    deleted[dotted] = location
                    return
                _forget(deleted, dotted)
                node[part] = value
                node.set_location(part, location)
                return
            child = node.get(part)
            if isinstance(following, int) and isinstance(child, YSeq):
                child = _copied(child)
            elif not isinstance(child, (YMap, YSeq)) or isinstance(child, YSeq) != isinstance(fresh, YSeq):
                child = fresh
            node[part] = child
            node.set_location(part, location)
            node = child
        elif isinstance(node, YSeq) and isinstance(part, int):
            while len(node) <= part:
                node.append(None)
                assert node.locations is not None
                node.locations.append(location)
            assert node.locations is not None
            node.locations[part] = location
            if last:
                node[part] = value
                return
            child = node[part]
            if isinstance(child, YSeq) and isinstance(following, int):
                child = _copied(child)
            elif isinstance(child, YMap) and not isinstance(following, int):
                child = _merge(None, child, {}, "")  # fresh, so writing into it leaves the file's intact
            else:
                child = fresh
            node[part] = child
            node = child
        else:
            return  # a path that mixes keys and indexes inconsistently: Helm errors, we skip


def _copied(items: YSeq) -> YSeq:
    copy = YSeq(items.file, items.node, items.origin)
    copy.extend(items)
    copy.locations = [items.item_location(i) for i in range(len(items))]
    return copy


# -- YAML held in a string -----------------------------------------------------

def embedded_values(holder: YMap, key: object, workspace: Workspace | None) -> tuple[YMap | None, str]:
    """The values in the YAML string `holder[key]`, positioned in the file that holds it.

    Three cases, best first: the string is a file a kustomize generator read
    (its location is that file's first line): load that file; the string is a
    literal block scalar (`|`) in a file: parse the text re-indented and
    shifted down so libyaml reports the real line and column; otherwise every
    value points at the string itself. Returns (values, "") or (None, why).
    """
    text = holder.get(key)
    if not isinstance(text, str):
        return None, "is not a YAML string"
    where = holder.value_location(key)
    if workspace is not None and (where.line, where.column) == (1, 1) and workspace.is_file(where.file) \
            and workspace.load(where.file).text == text:
        return values_file(workspace, where.file)
    shifted = _shifted_text(holder, key, text, workspace)
    if shifted is None:
        return string_values(text, where)
    source = load_text(shifted, holder.file)
    if source.problems:
        return None, f"does not parse as YAML ({source.problems[0].message})"
    parsed = _first_map(source)
    return (parsed, "") if parsed is not None else (None, "is not a YAML mapping")


def string_values(text: str, where: Location) -> tuple[YMap | None, str]:
    """Values parsed from `text` whose place in a file is unknown: all at `where`."""
    source = load_text(text, where.file)
    if source.problems:
        return None, f"does not parse as YAML ({source.problems[0].message})"
    parsed = _first_map(source)
    if parsed is None:
        return None, "is not a YAML mapping"
    pin(parsed, where)
    return parsed, ""


def _shifted_text(holder: YMap, key: object, text: str, workspace: Workspace | None) -> str | None:
    """`text` padded so that it parses at its place in the file, when it is a
    literal block scalar whose lines are verbatim there (checked line by line)."""
    if workspace is None or holder.node is None or not holder.file:
        return None
    pair = holder._pair(key)
    if pair is None or getattr(pair[1], "style", None) != "|":
        return None
    lines = workspace.load(holder.file).text.splitlines()
    first = pair[1].start_mark.line + 1  # 0-based line after the `|` header
    wanted = text.splitlines()
    body = lines[first:first + len(wanted)]
    if len(body) != len(wanted):
        return None
    indent = next((len(line) - len(line.lstrip(" ")) for line in body if line.strip()), 0)
    for written, value in zip(body, wanted):
        if written[indent:] != value or (value and written[:indent].strip()):
            return None
    return "\n" * first + "".join(" " * indent + line + "\n" if line else "\n" for line in wanted)


def pin(value: object, where: Location) -> None:
    """Forget positions relative to the string: every value reports the string's place."""
    if isinstance(value, YMap):
        value.node, value.merged, value.overrides, value.origin = None, None, None, where
        for item in value.values():
            pin(item, where)
    elif isinstance(value, YSeq):
        value.node, value.origin, value.locations = None, where, [where] * len(value)
        for item in value:
            pin(item, where)


def _first_map(source: object) -> YMap | None:
    documents = [d.value for d in getattr(source, "documents", []) if d.value is not None]
    if not documents:
        return YMap(getattr(source, "path", ""), None, Location(getattr(source, "path", ""), 1, 1))
    return documents[0] if isinstance(documents[0], YMap) else None


def values_file(workspace: Workspace, path: str) -> tuple[YMap | None, str]:
    """A values file of this repository: (values, "") or (None, why)."""
    if not workspace.is_file(path):
        return None, f'"{path}" is not a file of this repository'
    source = workspace.load(path)
    if source.problems:
        return None, f'"{path}" cannot be read ({source.problems[0].message})'
    parsed = _first_map(source)
    if parsed is None:
        return None, f'"{path}" is not a YAML mapping'
    if parsed.node is None and parsed.origin is None:
        parsed.origin = Location(path, 1, 1)
    if "sops" in parsed:
        return None, f'"{path}" is encrypted (sops)'
    return parsed, ""


# Service annotations MetalLB reads: any chart exposing a LoadBalancer Service
# (ingress-nginx, traefik) carries them, which does not make it MetalLB.
_ANNOTATION = re.compile(r"metallb\.(?:universe\.tf|io)/")


def mentions(value: object, word: str) -> bool:
    """Whether `word` appears in any key or string of `value` (case-insensitive),
    MetalLB's Service annotations (and their values) aside."""
    if isinstance(value, dict):
        return any(mentions(k, word) or mentions(v, word) for k, v in value.items()
                   if not (isinstance(k, str) and _ANNOTATION.search(k.lower())))
    if isinstance(value, list):
        return any(mentions(item, word) for item in value)
    return isinstance(value, str) and word in _ANNOTATION.sub("", value.lower())
