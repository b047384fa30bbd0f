"""The object being rendered (`Item`) and how a build changes it.

An `Item` is an object plus what kustomize keeps in its internal build
annotations: the names it had before (so patches, generator merges and name
references still find it by its old name), the prefixes and suffixes it
received, and whether a generator asked for a hash suffix. Its `Id` is
kustomize's ResId, by kyaml's precomputed cluster scope (linter/kschema.py).

Values are never changed in place: the YAML a file loaded into is shared by
every target that includes it, so a change copies the mappings and
sequences on its path (`walk`, kustomize's api/filters/fieldspec) and
records, with `set_location`, the kustomization line that set it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from linter.finding import Location
from linter.kschema import CLUSTER_SCOPED_TYPES
from linter.yamlpos import YMap, YSeq

# kyaml/resid: the effective namespace of a cluster-scoped object.
NOT_NAMESPACED = "_non_namespaceable_"


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
    """An object being rendered, and what kustomize remembers of its build."""

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
        return (self.api_version, self.kind) in CLUSTER_SCOPED_TYPES

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
        if (api_version, kind) in CLUSTER_SCOPED_TYPES:
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
        self.data = cast(YMap, walk(self.data, split_path(path) if isinstance(path, str) else path,
                                    create, setter, location))


# --- walking a field spec path, copying what changes ----------------------

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


def walk(node: object, path: tuple[str, ...], create: bool, setter: Setter,
         location: Location | None) -> object:
    """api/filters/fieldspec: follow `path` (sequences are entered implicitly,
    `name[]` is a sequence never created), create missing mappings when asked,
    and call `setter` on what is at the end."""
    if not path:
        return setter(node)
    if node is None:
        return node
    if isinstance(node, list):
        items = [walk(item, path, create, setter, location) for item in node]
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
    new = walk(current, path[1:], create, setter, location)
    if new is current and not created:
        return node
    copy = copy_map(node)
    copy[name] = new
    if location is not None and isinstance(copy, YMap) and (created or not isinstance(new, (dict, list))):
        copy.set_location(name, location)
    return copy
