"""configMapGenerator and secretGenerator, and the name hash they ask for.

Follows kustomize v5: api/kv (literals, files, env files), api/internal/
generators (the object made), resmap's appendReplaceOrMerge (behavior
create/merge/replace against what the bases generated) and api/hasher (the
`-<hash>` suffix, computed on the final object at the end of the whole
build). The references to a renamed object are fixed in linter/namerefs.py.

A generated object's `origin` is its generator entry; each data key reports
the literal, file or env-file line it came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from linter.finding import Location
from linter.item import Item, NotFound, TransformError, copy_map, new_map
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

_CONFIGMAP_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")


class GeneratorError(Exception):
    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


@dataclass(frozen=True, slots=True)
class Options:
    labels: dict[str, tuple[str, Location]]
    annotations: dict[str, tuple[str, Location]]
    disable_hash: bool
    immutable: bool
    immutable_at: Location | None


def _pairs(value: object, fallback: Location) -> dict[str, tuple[str, Location]]:
    if not isinstance(value, dict):
        return {}
    return {str(k): (v if isinstance(v, str) else json.dumps(v),
                     value.value_location(k) if isinstance(value, YMap) else fallback)
            for k, v in value.items()}


def merged_options(local: object, global_: object, fallback: Location) -> Options:
    """types.MergeGlobalOptionsIntoLocal: local keys win; a global `true` wins."""
    local_map = local if isinstance(local, dict) else {}
    global_map = global_ if isinstance(global_, dict) else {}
    labels = {**_pairs(global_map.get("labels"), fallback), **_pairs(local_map.get("labels"), fallback)}
    annotations = {**_pairs(global_map.get("annotations"), fallback),
                   **_pairs(local_map.get("annotations"), fallback)}
    immutable_at = None
    for source in (global_map, local_map):
        if source.get("immutable") is True and immutable_at is None:
            immutable_at = source.value_location("immutable") if isinstance(source, YMap) else fallback
    return Options(labels, annotations,
                   global_map.get("disableNameSuffixHash") is True or local_map.get("disableNameSuffixHash") is True,
                   immutable_at is not None, immutable_at)


def _strings(entry: YMap, key: str) -> list[tuple[str, Location]]:
    value = entry.get(key)
    if isinstance(value, str):  # the singular `env:`
        return [(value, entry.value_location(key))]
    if not isinstance(value, YSeq):
        return []
    return [(item if isinstance(item, str) else str(item), value.item_location(index))
            for index, item in enumerate(value) if item is not None]


def _remove_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


class _Reader:
    """Reads generator sources inside the repository, never outside it."""

    def __init__(self, workspace: Workspace, directory: str, files: set[str]) -> None:
        self.workspace, self.directory, self.files = workspace, directory, files

    def read(self, entry: str, location: Location) -> tuple[str, bytes]:
        path = self.workspace.join(self.directory, entry)
        if path is None:
            raise GeneratorError(f'"{entry}" leaves the repository root: it is never read', location)
        if not self.workspace.is_file(path):
            raise GeneratorError(f'generator source "{entry}" does not exist: kustomize refuses to build it',
                                 location)
        self.files.add(path)
        try:
            return path, (self.workspace.root / path).read_bytes()
        except OSError as error:
            raise GeneratorError(f'generator source "{entry}" cannot be read: {error.strerror}', location) \
                from None


def _load_pairs(entry: YMap, reader: _Reader) -> list[tuple[str, bytes, Location]]:
    """kv.Load: env files, then literals, then files, in that order."""
    pairs: list[tuple[str, bytes, Location]] = []
    for source, location in _strings(entry, "envs") + _strings(entry, "env"):
        path, content = reader.read(source, location)
        for number, raw in enumerate(content.split(b"\n"), 1):
            line = raw[:-1] if raw.endswith(b"\r") else raw  # bufio.ScanLines drops one \r
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            text = line.decode("utf-8", "replace").lstrip()
            if not text or text.startswith("#"):
                continue
            key, _, value = text.partition("=")
            if not _ENV_NAME.match(key):
                raise GeneratorError(f'"{key}" in {source} is not a valid environment variable name', location)
            pairs.append((key, value.encode("utf-8"), Location(path, number, 1)))
    for literal, location in _strings(entry, "literals"):
        key, equals, value = literal.partition("=")
        if not equals or not key:
            raise GeneratorError(f'invalid literal source "{literal}", expected key=value', location)
        pairs.append((key, _remove_quotes(value).encode("utf-8"), location))
    for source, location in _strings(entry, "files"):
        key, path_text = posixpath.basename(source), source
        if "=" in source:
            parts = source.split("=")
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise GeneratorError(f'file source "{source}" must be [key=]path', location)
            key, path_text = parts
        path, content = reader.read(path_text, location)
        pairs.append((key, content, Location(path, 1, 1)))
    return pairs


def generate(kind: str, entry: YMap, location: Location, options: YMap | None, workspace: Workspace,
             directory: str, kustomization: str, files: set[str]) -> Item:
    """One configMapGenerator/secretGenerator entry as kustomize makes it
    (before its hash suffix, which only the end of the build adds)."""
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise GeneratorError(f"a {kind} generator needs a name", location)
    opts = merged_options(entry.get("options"), options, location)
    data: dict[str, tuple[bytes, Location]] = {}
    for key, value, where in _load_pairs(entry, _Reader(workspace, directory, files)):
        if not _CONFIGMAP_KEY.match(key):
            raise GeneratorError(f'"{key}" is not a valid {kind} key', where)
        if key in data:
            raise GeneratorError(f'{kind} {name} repeats the key "{key}"', where)
        data[key] = (value, where)
    obj, metadata = new_map(location), new_map(location)
    obj["apiVersion"], obj["kind"], obj["metadata"] = "v1", kind, metadata
    metadata["name"] = name
    namespace = entry.get("namespace")
    if isinstance(namespace, str) and namespace:
        metadata["namespace"] = namespace
        metadata.set_location("namespace", entry.value_location("namespace"))
    if kind == "Secret":
        secret_type = entry.get("type")
        obj["type"] = secret_type if isinstance(secret_type, str) and secret_type else "Opaque"
        obj["data"] = _data_map(data, location, _base64_lines)
    else:
        text = {k: v for k, v in data.items() if _utf8(v[0])}
        binary = {k: v for k, v in data.items() if k not in text}
        if text:
            obj["data"] = _data_map(text, location, bytes.decode)
        if binary:
            obj["binaryData"] = _data_map(binary, location, _base64_lines)
    for field, pairs in (("labels", opts.labels), ("annotations", opts.annotations)):
        if pairs:
            metadata[field] = _data_map({k: (v.encode(), loc) for k, (v, loc) in pairs.items()}, location,
                                        bytes.decode)
    if opts.immutable:
        obj["immutable"] = True
        obj.set_location("immutable", opts.immutable_at or location)
    behavior = entry.get("behavior")
    return Item(obj, kustomization, needs_hash=not opts.disable_hash,
                behavior=behavior if isinstance(behavior, str) else "")


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _data_map(data: dict[str, tuple[bytes, Location]], location: Location,
              encode: Callable[[bytes], str]) -> YMap:
    result = new_map(location)
    for key in sorted(data):
        raw, where = data[key]
        result[key] = encode(raw)
        result.set_location(key, where)
    return result


def _base64_lines(raw: bytes) -> str:
    """kyaml encodeBase64: lines of 70 characters, each ended by a newline once there are several."""
    encoded = base64.b64encode(raw).decode("ascii")
    if len(encoded) < 70:
        return encoded
    return "".join(encoded[i:i + 70] + "\n" for i in range(0, len(encoded), 70))


# --- behavior: create, merge, replace --------------------------------------

def absorb(items: list[Item], generated: Item) -> None:
    """appendReplaceOrMerge: a generated object joins what is accumulated."""
    cur = generated.cur_id()
    matches = [i for i, item in enumerate(items) if any(cur == other for other in item.any_ids())]
    behavior = generated.behavior or "create"
    if behavior not in ("create", "merge", "replace"):
        raise TransformError(f'unknown generator behavior "{behavior}" (create, merge or replace)')
    if not matches:
        if behavior != "create":
            raise NotFound(f'{generated.kind} "{generated.name}" does not exist in the bases: '
                                 f"cannot {behavior} it")
        items.append(generated)
        return
    if len(matches) > 1 or behavior == "create":
        raise TransformError(f'{generated.kind} "{generated.name}" already exists: '
                             "behavior must be merge or replace")
    old = items[matches[0]]
    data = copy_map(generated.data)
    metadata = copy_map(generated.data.get("metadata") or new_map(None))
    old_metadata = old.metadata
    for field in ("labels", "annotations"):
        merged = _merge_maps(old_metadata.get(field), metadata.get(field))
        if merged is not None:
            metadata[field] = merged
    for field in ("name", "namespace"):
        if field in old_metadata:
            metadata[field] = old_metadata[field]
            if isinstance(metadata, YMap) and isinstance(old_metadata, YMap):
                metadata.set_location(field, old_metadata.value_location(field))
        else:
            metadata.pop(field, None)
    data["metadata"] = metadata
    if behavior == "merge":
        if isinstance(data, YMap):
            data.origin = old.data.location()  # the object is still the one the base made
        for field in ("data", "binaryData"):
            merged = _merge_maps(old.data.get(field), generated.data.get(field))
            if merged is not None:
                data[field] = merged
    items[matches[0]] = Item(data, old.file if behavior == "merge" else generated.file, old.prev, old.prefixes,
                             old.suffixes,
                             generated.needs_hash and old.needs_hash, old.behavior)


def _merge_maps(old: object, new: object) -> YMap | None:
    if not isinstance(old, dict) or not old:
        return new if isinstance(new, YMap) else None
    result = copy_map(old)
    for key, value in (new.items() if isinstance(new, dict) else ()):
        result[key] = value
        if isinstance(result, YMap) and isinstance(new, YMap):
            result.set_location(key, new.value_location(key))
    return result  # type: ignore[return-value]


# --- the hash suffix ----------------------------------------------------------

def _go_json(value: object) -> str:
    """encoding/json.Marshal: sorted keys, no spaces, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def content_hash(data: dict) -> str:  # type: ignore[type-arg]
    """api/hasher: the 10 characters kustomize appends to a generated name."""
    def field(key: str) -> object:
        value = data.get(key)
        return "" if value is None else value

    kind = data.get("kind")
    # kustomize looks the name up as one field literally called "metadata/name",
    # finds nothing and hashes "": the hash never depends on the name.
    encoded: dict[str, object] = {"kind": kind, "name": "", "data": field("data")}
    if kind == "ConfigMap" and isinstance(data.get("binaryData"), dict):
        encoded["binaryData"] = data["binaryData"]
    if kind == "Secret":
        encoded["type"] = field("type")
        if isinstance(data.get("stringData"), dict):
            encoded["stringData"] = data["stringData"]
    digest = hashlib.sha256(_go_json(encoded).encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def add_hash(item: Item) -> None:
    suffix = content_hash(item.data)
    item.store_previous()
    item.update(("metadata", "name"), lambda old: f"{old}-{suffix}", None)
