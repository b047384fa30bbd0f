"""Flux `postBuild` variable substitution, applied to rendered objects.

Flux runs drone/envsubst over each object after `kustomize build`:
`${VAR}`, `${VAR:=default}`/`${VAR:-default}` (and the forms without the
colon), `$${VAR}` for a literal `${VAR}`. Objects annotated or labelled
`kustomize.toolkit.fluxcd.io/substitute: disabled` are left alone.

Where Flux would put an empty string for a variable it cannot find, the
linter cannot know the value (an encrypted Secret, a ConfigMap that lives
in the cluster): the `${VAR}` text is kept, so rules skip the value as not
literal, and the variable is reported as unresolved. A substituted value
keeps the location of the `${VAR}` that produced it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from linter.finding import Location
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq

DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
# `$${...}` is an escape; `${NAME}` optionally followed by an operator and a default.
_REFERENCE = re.compile(r"\$(\$?)\{([_A-Za-z][_A-Za-z0-9]*)(?:(:?[=-])([^}]*))?\}")


@dataclass(frozen=True, slots=True)
class Unresolved:
    variable: str
    location: Location


def substitute_text(text: str, variables: Mapping[str, str]) -> tuple[str, list[str]]:
    """`text` with variables replaced, and the names that had no value."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        escaped, name, operator, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        value = variables.get(name)
        if value is not None and not (operator and operator.startswith(":") and value == ""):
            return value
        if operator is not None:
            return default
        missing.append(name)
        return match.group(0)

    return _REFERENCE.sub(replace, text), missing


class _Substituter:
    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = variables
        self.unresolved: list[Unresolved] = []

    def value(self, value: object, location: Location) -> object:
        if isinstance(value, str):
            if "$" not in value:
                return value
            result, missing = substitute_text(value, self.variables)
            self.unresolved.extend(Unresolved(name, location) for name in missing)
            return result
        if isinstance(value, YMap):
            return self.mapping(value)
        if isinstance(value, YSeq):
            return self.sequence(value)
        return value

    def mapping(self, mapping: YMap) -> YMap:
        changed: dict[object, object] = {}
        for key, item in mapping.items():
            new = self.value(item, mapping.value_location(key) if isinstance(item, str) else mapping.location())
            if new is not item:
                changed[key] = new
        if not changed:
            return mapping
        copy = mapping.shallow_copy()
        copy.update(changed)
        return copy

    def sequence(self, sequence: YSeq) -> YSeq:
        items = [self.value(item, sequence.item_location(i) if isinstance(item, str) else sequence.location())
                 for i, item in enumerate(sequence)]
        if all(new is old for new, old in zip(items, sequence)):
            return sequence
        copy = YSeq(sequence.file, sequence.node, sequence.origin)
        copy.extend(items)
        copy.locations = list(sequence.locations) if sequence.locations is not None else None
        return copy


def substitution_disabled(resource: Resource) -> bool:
    metadata = resource.metadata
    for field in ("annotations", "labels"):
        values = metadata.get(field)
        if isinstance(values, Mapping) and values.get(DISABLE_KEY) == "disabled":
            return True
    return False


def substitute(resources: list[Resource], variables: Mapping[str, str]) -> tuple[list[Resource], list[Unresolved]]:
    """Apply Flux substitution to `resources`; report variables left unresolved."""
    substituter = _Substituter(variables)
    result = []
    for resource in resources:
        if substitution_disabled(resource):
            result.append(resource)
            continue
        data = substituter.mapping(resource.data)
        result.append(resource if data is resource.data else Resource(data, resource.file))
    return result, substituter.unresolved
