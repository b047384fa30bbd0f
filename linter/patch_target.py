"""A patch's `target:`, as kustomize reads it and selects objects with it.

`parse_target` decodes and checks it as kustomize does (field names
case-insensitive, unknown fields, regular expressions and selector strings
rejected up front); `target_matches` is kustomize's `Select`: every pattern
anchored, the original or the current name and namespace, the label and
annotation selector strings of linter/selectors.py.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from linter.finding import Location
from linter.kschema import is_cluster_scoped
from linter.patch_tree import Node, PatchError, scalar_text
from linter.resource import Resource
from linter.selectors import parse_selector_string
from linter.yamlpos import YMap


@dataclass(frozen=True)
class PatchTarget:
    """A patch's `target:`, each field a regular expression or a selector string."""

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
                parse_selector_string(item or "")
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
    return {str(k): scalar_text(Node("scalar", v, (values, k))) for k, v in values.items()
            if not isinstance(v, (dict, list))}


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
    return all(parse_selector_string(text or "")(_strings(meta, field)) for text, field in
               ((target.label_selector, "labels"), (target.annotation_selector, "annotations")))
