"""`configurations:` files: field specs a kustomization adds to kustomize's builtin ones.

kustomize v5 (api/internal/plugins/builtinconfig, api/internal/accumulator)
reads each file strictly into a TransformerConfig (an unknown key is an
error), merges it into the builtin config, and every accumulation merges the
configs of what it includes (resources, bases, components) into its own
(ResAccumulator.MergeAccumulator). So a base's `nameReference` also serves
its overlays, a kustomization's transformers use its own configurations and
those of everything below it, and the name references fixed at the end of
the build use the union of every configuration in the tree; an overlay's
configuration never reaches a base's transformers.

A `TransformerConfig` here holds only what the files add; the builtin specs
stay in linter/fieldspec.py and linter/namerefs.py, merged at use.
`varReference` is read (it is valid) but only serves `vars`, which the
renderer reports as not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.fieldspec import COMMON_ANNOTATIONS, COMMON_LABELS, IMAGES, REPLICAS, TEMPLATE_LABELS, FieldSpec, fs
from linter.finding import Location
from linter.item import TransformError
from linter.kustomization import seq_field
from linter.namerefs import NAME_REFERENCES, Target
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

# TransformerConfig's fields in kustomize v5.8 (api v0.21): sigs.k8s.io/yaml
# UnmarshalStrict refuses any other key.
FIELD_SPEC_KEYS = ("namePrefix", "nameSuffix", "namespace", "commonLabels", "labels", "templateLabels",
                   "commonAnnotations", "varReference", "images", "replicas")
_SPEC_FIELDS = frozenset(("group", "version", "kind", "path", "create"))
_NAMEREF_FIELDS = frozenset(("group", "version", "kind", "fieldSpecs"))
# The builtin specs a configured one must merge with (MakeTransformerConfig merges before any use).
_BUILTIN: dict[str, tuple[FieldSpec, ...]] = {
    "namePrefix": (fs("metadata/name"),), "nameSuffix": (fs("metadata/name"),),
    "namespace": (fs("metadata/name", "Namespace", create=True),
                  fs("spec/service/namespace", "APIService", "apiregistration.k8s.io", create=True),
                  fs("spec/conversion/webhook/clientConfig/service/namespace", "CustomResourceDefinition",
                     "apiextensions.k8s.io")),
    "commonLabels": COMMON_LABELS, "templateLabels": TEMPLATE_LABELS, "commonAnnotations": COMMON_ANNOTATIONS,
    "images": IMAGES, "replicas": REPLICAS,
}


class ConfigError(Exception):
    """A configuration kustomize refuses ("error"), or one not evaluated here ("unsupported")."""

    def __init__(self, message: str, location: Location, kind: str = "error") -> None:
        super().__init__(message)
        self.message, self.location, self.kind = message, location, kind


@dataclass(slots=True)
class TransformerConfig:
    """What `configurations:` files add: field specs per transformer, and name references."""

    specs: dict[str, list[FieldSpec]] = field(default_factory=dict)
    name_references: list[tuple[Target, list[FieldSpec]]] = field(default_factory=list)

    def extra(self, key: str) -> tuple[FieldSpec, ...]:
        return tuple(self.specs.get(key, ()))

    def merge(self, other: TransformerConfig) -> None:
        """TransformerConfig.Merge; never shares a list with `other` (it may be cached)."""
        for key, specs in other.specs.items():
            self.specs[key] = merge_one_by_one(self.specs.get(key, []), specs)
        for target, specs in other.name_references:
            self.name_references = _merge_nameref(self.name_references, target, specs)

    def name_reference_table(self) -> list[tuple[Target, list[FieldSpec]]]:
        """The builtin name references with these merged in, as kustomize merges them."""
        if not self.name_references:
            return NAME_REFERENCES
        table = list(NAME_REFERENCES)
        for target, specs in self.name_references:
            table = _merge_nameref(table, target, specs)
        return table


def _effectively_equal(existing: FieldSpec, incoming: FieldSpec) -> bool:
    # FieldSpec.effectivelyEquals: same path, and the existing spec's GVK selected by the incoming one's.
    return existing.path == incoming.path and (not incoming.kind or existing.kind == incoming.kind) \
        and (not incoming.group or existing.group == incoming.group) \
        and (not incoming.version or existing.version == incoming.version)


def merge_one_by_one(existing: list[FieldSpec] | tuple[FieldSpec, ...],
                     incoming: list[FieldSpec] | tuple[FieldSpec, ...]) -> list[FieldSpec]:
    """FsSlice.MergeAll: a duplicate is dropped, one that differs only by `create` is an error."""
    result = list(existing)
    for spec in incoming:
        same = next((s for s in result if _effectively_equal(s, spec)), None)
        if same is None:
            result.append(spec)
        elif same.create != spec.create:
            raise TransformError(f'conflicting fieldspecs for "{"/".join(spec.path)}"'
                                 f'{" of " + spec.kind if spec.kind else ""}: one creates the field, '
                                 "the other does not; kustomize refuses to build it")
    return result


def _merge_nameref(table: list[tuple[Target, list[FieldSpec]]], target: Target,
                   specs: list[FieldSpec]) -> list[tuple[Target, list[FieldSpec]]]:
    """nbrSlice.mergeOne: referrers join the entry of the very same GVK, else a new entry."""
    if any(existing == target for existing, _ in table):
        return [(existing, merge_one_by_one(referrers, specs) if existing == target else referrers)
                for existing, referrers in table]
    return [*table, (target, list(specs))]


# --- reading the files ------------------------------------------------------

def load_configurations(workspace: Workspace, directory: str, spec: YMap, files: set[str]) -> TransformerConfig:
    """The configuration files `spec` lists (relative to `directory`), merged in order.

    Raises ConfigError at the entry (or the line in the file) kustomize would refuse."""
    config = TransformerConfig()
    entries = seq_field(spec, "configurations")
    if "configurations" in spec and spec.get("configurations") is not None \
            and not isinstance(spec.get("configurations"), list):
        raise ConfigError("`configurations` must be a list of file paths", spec.value_location("configurations"))
    for index, entry in enumerate(entries):
        location = entries.item_location(index)
        if not isinstance(entry, str) or not entry:
            raise ConfigError("a `configurations` entry must be a file path", location)
        path = workspace.join(directory, entry)
        if path is None:
            raise ConfigError(f'"{entry}" leaves the repository root: it is never read', location)
        if not workspace.is_file(path):
            raise ConfigError(f'configuration "{entry}" does not exist: kustomize refuses to build it', location)
        files.add(path)
        source = workspace.load(path)
        if source.problems:
            raise ConfigError(f'configuration "{entry}" does not parse: {source.problems[0].message}', location)
        document = source.documents[0].value if source.documents else None
        if document is None:
            continue  # an empty file configures nothing
        if not isinstance(document, YMap):
            raise ConfigError(f'configuration "{entry}" must be a mapping of transformer names to field specs',
                              location)
        try:
            parsed = _parse(document, entry)
            for key, specs in parsed.specs.items():  # kustomize refuses a conflict even when unused
                merge_one_by_one(_BUILTIN.get(key, ()), specs)
            parsed.name_reference_table()
            config.merge(parsed)
        except TransformError as error:
            raise ConfigError(f'configuration "{entry}": {error.message}', location) from None
    return config


def _parse(document: YMap, entry: str) -> TransformerConfig:
    config = TransformerConfig()
    for key in document:
        value = document[key]
        if key == "nameReference":
            for index, reference in enumerate(_list(document, key)):
                where = _item_location(value, index, document)
                mapping = _mapping(reference, _NAMEREF_FIELDS, f"a {key} entry", where)
                target = (_string(mapping, "group", where), _string(mapping, "version", where),
                          _string(mapping, "kind", where))
                referrers = [_field_spec(s, _item_location(mapping.get("fieldSpecs"), i, mapping), entry)
                             for i, s in enumerate(_list(mapping, "fieldSpecs"))]
                config.name_references = _merge_nameref(config.name_references, target, referrers)
        elif key in FIELD_SPEC_KEYS:
            specs = [_field_spec(s, _item_location(value, i, document), entry)
                     for i, s in enumerate(_list(document, key))]
            config.specs[str(key)] = merge_one_by_one(config.specs.get(str(key), []), specs)
        else:
            raise ConfigError(f'unknown field "{key}": kustomize refuses to build it', document.key_location(key))
    return config


def _list(mapping: YMap, key: str) -> list[object]:
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"`{key}` must be a list", mapping.value_location(key))
    return list(value)


def _item_location(sequence: object, index: int, owner: YMap) -> Location:
    return sequence.item_location(index) if isinstance(sequence, YSeq) else owner.location()


def _mapping(value: object, allowed: frozenset[str], what: str, where: Location) -> YMap:
    if not isinstance(value, YMap):
        raise ConfigError(f"{what} must be a mapping", where)
    for key in value:
        if key not in allowed:
            raise ConfigError(f'unknown field "{key}" in {what}: kustomize refuses to build it',
                              value.key_location(key))
    return value


def _string(mapping: YMap, key: str, where: Location) -> str:
    value = mapping.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"`{key}` must be a string", mapping.value_location(key) if key in mapping else where)
    return value


def _field_spec(value: object, where: Location, entry: str) -> FieldSpec:
    mapping = _mapping(value, _SPEC_FIELDS, "a field spec", where)
    create = mapping.get("create")
    if create is not None and not isinstance(create, bool):
        raise ConfigError("`create` must be true or false", mapping.value_location("create"))
    path = _string(mapping, "path", where)
    if not path:  # kustomize accepts it; what it then touches is not modelled here
        raise ConfigError(f'configuration "{entry}" has a field spec without a path: the file is not evaluated',
                          where, "unsupported")
    return fs(path, _string(mapping, "kind", where), _string(mapping, "group", where),
              _string(mapping, "version", where), create is True)
