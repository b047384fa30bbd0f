"""Kubernetes label selectors, matched exactly as Kubernetes matches them.

Two forms. A `metav1.LabelSelector` mapping (`parse_selector`):
`matchLabels` and `matchExpressions` are ANDed; an empty selector `{}`
matches everything (facts §9). A selector Kubernetes would reject parses to
None, and callers treat it as unknown rather than as "matches nothing".

A selector string (`parse_selector_string`), as kustomize's patch targets
write label and annotation selectors (`app=x,tier in (a,b),!legacy`): parsed
as k8s.io/apimachinery/pkg/labels.Parse parses it, a rejected one raises.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
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
    if not isinstance(key, str) or not key or not isinstance(operator, str) or operator not in _OPERATORS \
            or is_unresolved(key):
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


# --- selector strings (k8s.io/apimachinery/pkg/labels.Parse) --------------------

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_DNS = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"


def _valid_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if "/" in prefix or (key.count("/") and not prefix):
        return False
    return bool(re.fullmatch(_NAME, name)) and len(name) <= 63 and (
        not prefix or (len(prefix) <= 253 and bool(re.fullmatch(_DNS, prefix))))


_TOKEN = re.compile(r"\s*(==|!=|[=!(),<>]|[^\s=!(),<>]+)")


def _ident(token: str) -> bool:
    return token not in ("", "==", "!=") and token not in "=!(),<>"


@functools.lru_cache(maxsize=256)
def parse_selector_string(text: str) -> Callable[[dict[str, str]], bool]:
    """A predicate over a label map; ValueError where Kubernetes rejects `text`.
    "in"/"notin" are keywords only where an operator is expected, as there."""
    tokens, reqs, pos = [m.group(1) for m in _TOKEN.finditer(text)], [], 0

    def at() -> str:
        return tokens[pos] if pos < len(tokens) else ""

    while pos < len(tokens):
        negate = tokens[pos] == "!"
        pos += negate
        key, op, values = at(), "!" if negate else "exists", set()
        pos += 1
        if not _ident(key) or not _valid_key(key):
            raise ValueError(f"invalid label key '{key}'")
        if not negate and at() not in ("", ","):
            op, pos = at(), pos + 1
            if op in ("in", "notin"):
                if at() != "(":
                    raise ValueError(f"found '{at()}', expected: '('")
                pos += 1
                if at() == ")":  # "()" is the set of the empty value
                    values.add("")
                while at() != ")":
                    token, pos = at(), pos + 1
                    if _ident(token):
                        values.add(token)
                        if at() not in (",", ")"):
                            raise ValueError(f"found '{at()}', expected: ',' or ')'")
                    elif token == ",":  # "(,", ",)" and ",," each stand for the empty value
                        if not values or at() in (",", ")"):
                            values.add("")
                    else:
                        raise ValueError(f"found '{token}', expected: ',', or identifier")
                pos += 1
            elif op in ("=", "==", "!=", ">", "<"):
                if _ident(at()):
                    values.add(at())
                    pos += 1
                elif at() in ("", ","):
                    values.add("")
                else:
                    raise ValueError(f"found '{at()}', expected: identifier")
            else:
                raise ValueError(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")
            if any(v and not (len(v) <= 63 and re.fullmatch(_NAME, v)) for v in values):
                raise ValueError(f"invalid label value in {sorted(values)}")
            if op in (">", "<") and not re.fullmatch(r"[+-]?[0-9]+", next(iter(values))):
                raise ValueError("for 'Gt', 'Lt' operators, the value must be an integer")
        reqs.append((key, op, frozenset(values)))
        if at() == ",":
            pos += 1
            if not (_ident(at()) or at() == "!"):
                raise ValueError(f"found '{at()}', expected: identifier after ','")
        elif at():
            raise ValueError(f"found '{at()}', expected: ',' or 'end of string'")
    return functools.partial(_select, tuple(reqs))


def _select(reqs: tuple[tuple[str, str, frozenset[str]], ...], labels: dict[str, str]) -> bool:
    for key, op, values in reqs:
        have = labels.get(key)
        if op == "exists" and have is None or op == "!" and have is not None:
            return False
        if op in ("=", "==", "in") and (have is None or have not in values):
            return False
        if op in ("!=", "notin") and have is not None and have in values:
            return False
        if op in (">", "<"):
            if have is None or not re.fullmatch(r"[+-]?[0-9]+", have):
                return False
            wanted = int(next(iter(values)))
            if not (int(have) > wanted if op == ">" else int(have) < wanted):
                return False
    return True


# --- syntax checks shared with linter/scheduling.py (apimachinery util/validation) --


def valid_label_key(key: str) -> bool:
    """IsQualifiedName: an optional DNS-subdomain prefix and '/', then a name."""
    return _valid_key(key)


def valid_label_value(value: str) -> bool:
    """IsValidLabelValue: empty, or at most 63 characters shaped like a name."""
    return not value or (len(value) <= 63 and bool(re.fullmatch(_NAME, value)))


def valid_dns_subdomain(name: str) -> bool:
    """IsDNS1123Subdomain, which is what a Node name must be."""
    return len(name) <= 253 and bool(re.fullmatch(_DNS, name))
