"""Kubernetes label selectors, matched exactly as Kubernetes matches them.

`matchLabels` and `matchExpressions` are ANDed; an empty selector `{}`
matches everything (facts §9). A selector Kubernetes would reject parses to
None, and callers treat it as unknown rather than as "matches nothing".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from linter.addresses import is_unresolved

_OPERATORS = frozenset(("In", "NotIn", "Exists", "DoesNotExist"))


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        if self.operator == "In":
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values  # NotIn


@dataclass(frozen=True, slots=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(requirement.matches(labels) for requirement in self.requirements)


def parse_selector(value: object) -> LabelSelector | None:
    """A `metav1.LabelSelector`, or None when invalid or not literal yet."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return None
    requirements: list[Requirement] = []
    match_labels = value.get("matchLabels") or {}
    if not isinstance(match_labels, Mapping):
        return None
    for key, label in match_labels.items():
        if not isinstance(key, str) or not key or not isinstance(label, str):
            return None
        if is_unresolved(key) or is_unresolved(label):
            return None
        requirements.append(Requirement(key, "In", frozenset((label,))))
    expressions = value.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return None
    for expression in expressions:
        requirement = _parse_requirement(expression)
        if requirement is None:
            return None
        requirements.append(requirement)
    return LabelSelector(tuple(requirements))


def _parse_requirement(expression: object) -> Requirement | None:
    if not isinstance(expression, Mapping):
        return None
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
    if not isinstance(key, str) or not key or operator not in _OPERATORS or is_unresolved(key):
        return None
    values = values or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    if any(is_unresolved(v) for v in values):
        return None
    if operator in ("In", "NotIn") and not values:
        return None
    if operator in ("Exists", "DoesNotExist") and values:
        return None
    return Requirement(key, str(operator), frozenset(values))
