"""Kubernetes' own scheduling rules (taints and tolerations, nodeSelector, node affinity)
as pure, three-valued functions over plain values (dicts, lists, str, YMap/YSeq): can a pod
with this placement land on a `Node`? None means a `${VAR}` or `{{ }}` still hides the
answer; nothing is guessed. The `*_problems` functions list, with paths, what the API
server or MetalLB's duplicate checks (facts §2.1) reject. Sources: facts §9 and upstream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from linter.addresses import is_unresolved
from linter.nodes import Node, Taint
from linter.selectors import valid_dns_subdomain, valid_label_key, valid_label_value

Path = tuple[str | int, ...]

_EFFECTS = frozenset(("NoSchedule", "PreferNoSchedule", "NoExecute"))
_BLOCKING = frozenset(("NoSchedule", "NoExecute"))  # the TaintToleration filter ignores PreferNoSchedule
_LABEL_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_NODE_OPERATORS = (*_LABEL_OPERATORS, "Gt", "Lt")
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


# pkg/controller/daemon/util AddOrUpdateDaemonPodTolerations; network-unavailable only
# for hostNetwork pods, which every MetalLB speaker is.
DAEMONSET_TOLERATIONS: tuple[dict[str, str], ...] = tuple(
    {"key": f"node.kubernetes.io/{key}", "operator": "Exists", "effect": effect} for key, effect in (
        ("not-ready", "NoExecute"), ("unreachable", "NoExecute"), ("disk-pressure", "NoSchedule"),
        ("memory-pressure", "NoSchedule"), ("pid-pressure", "NoSchedule"), ("unschedulable", "NoSchedule"),
        ("network-unavailable", "NoSchedule")))
# The DefaultTolerationSeconds admission plugin: the same first two (with tolerationSeconds:
# 300, left out: it changes nothing at scheduling time); nothing against NoSchedule.
DEPLOYMENT_TOLERATIONS: tuple[dict[str, str], ...] = DAEMONSET_TOLERATIONS[:2]


# --- three-valued logic: None is "unknown until the variables are substituted" ------
def _and(verdicts: Iterable[bool | None]) -> bool | None:
    found = list(verdicts)
    return False if False in found else None if None in found else True


def _or(verdicts: Iterable[bool | None]) -> bool | None:
    found = list(verdicts)
    return True if True in found else None if None in found else False


def _same(wanted: str, actual: str) -> bool | None:
    return None if is_unresolved(wanted) or is_unresolved(actual) else wanted == actual


def _int64(text: object) -> int | None:
    """strconv.ParseInt(text, 10, 64): no spaces or underscores, unlike int()."""
    if not isinstance(text, str) or not re.fullmatch(r"[+-]?[0-9]+", text):
        return None
    return int(text) if -(2**63) <= int(text) < 2**63 else None


# --- taints and tolerations ---------------------------------------------------------
def tolerates(toleration: object, taint: Taint) -> bool | None:
    """k8s ToleratesTaint. None when the API server would reject the toleration, or when
    an unresolved field could change the answer (a literal mismatch elsewhere still gives
    False: no substitution can make it match)."""
    if not isinstance(toleration, Mapping):
        return None
    raw = [toleration.get(name) for name in ("key", "operator", "value", "effect")]
    if not all(isinstance(field, str | None) for field in raw):
        return None  # an unquoted `value: true` is a type error for the API server
    key, operator, value, effect = (field or "" for field in raw)
    if _invalid_toleration(key, operator, value, effect, toleration.get("tolerationSeconds")):
        return None
    effect_ok = True if effect == "" else _same(effect, taint.effect)  # empty effect: every effect
    key_ok = True if key == "" else _same(key, taint.key)  # empty key (with Exists): every key
    value_ok = None if is_unresolved(operator) else True if operator == "Exists" else _same(value, taint.value)
    return _and((effect_ok, key_ok, value_ok))  # an omitted operator is Equal: the value counts


def _invalid_toleration(key: str, operator: str, value: str, effect: str, seconds: object) -> bool:
    """ValidateTolerations, on the literal fields."""
    if (key and not is_unresolved(key) and not valid_label_key(key)
            or effect and not is_unresolved(effect) and effect not in _EFFECTS
            or seconds is not None and not is_unresolved(effect) and effect != "NoExecute"):
        return True
    # Gt/Lt belong to the alpha TaintTolerationComparisonOperators gate: off, so rejected.
    return not is_unresolved(operator) and (
        operator not in ("", "Equal", "Exists") or (not key and operator != "Exists")
        or bool(value) and (operator == "Exists" or not (is_unresolved(value) or valid_label_value(value))))


def _taint_verdicts(tolerations: Sequence[object], taints: Sequence[Taint], daemonset: bool) -> tuple[list[Taint], ...]:
    """(taints that surely block, taints that may block once the variables are known)."""
    automatic = DAEMONSET_TOLERATIONS if daemonset else DEPLOYMENT_TOLERATIONS
    sure, maybe = list[Taint](), list[Taint]()
    for taint in taints:
        blocking = None if is_unresolved(taint.effect) else taint.effect in _BLOCKING
        tolerated = _or(tolerates(t, taint) for t in (*tolerations, *automatic))
        verdict = _and((blocking, None if tolerated is None else not tolerated))
        (sure if verdict else maybe if verdict is None else []).append(taint)
    return sure, maybe


def blocking_taints(tolerations: Sequence[object], taints: Sequence[Taint], *, daemonset: bool) -> list[Taint] | None:
    """The NoSchedule/NoExecute taints no toleration (automatic ones included) tolerates;
    None when an unknown toleration could change the list."""
    sure, maybe = _taint_verdicts(tolerations, taints, daemonset)
    return None if maybe else sure


def _node_taints(node: Node) -> list[Taint]:
    """The node's taints plus those Kubernetes derives from its state, exported or not:
    cordoned -> unschedulable:NoSchedule (NodeUnschedulable plugin), NetworkUnavailable=True
    -> network-unavailable:NoSchedule (TaintNodesByCondition)."""
    taints = list(node.taints)
    for flag, key in ((node.unschedulable, "unschedulable"), (node.network_unavailable, "network-unavailable")):
        key = f"node.kubernetes.io/{key}"
        if flag and not any(t.key == key and t.effect == "NoSchedule" for t in taints):
            taints.append(Taint(key, "", "NoSchedule", node.location))
    return taints


def toleration_for(taint: Taint) -> dict[str, str]:
    """The exact toleration to add for `taint` (Equal and the value when it has one)."""
    exact = {"operator": "Equal", "value": taint.value} if taint.value else {"operator": "Exists"}
    return {"key": taint.key, **exact, "effect": taint.effect}


# --- nodeSelector and required node affinity -----------------------------------------
def _selector_pair(key: object, wanted: object, labels: Mapping[str, str]) -> bool | None:
    if not isinstance(key, str) or not isinstance(wanted, str) or is_unresolved(key):
        return None  # map[string]string: the API server rejects anything else
    return False if key not in labels else _same(wanted, labels[key])


def node_selector_matches(node_selector: object, labels: Mapping[str, str]) -> bool | None:
    """A pod's spec.nodeSelector: every pair must equal a node label. None when not literal."""
    if not isinstance(node_selector, Mapping):
        return True if node_selector is None else None
    return _and(_selector_pair(k, v, labels) for k, v in node_selector.items())


def required_affinity_matches(affinity: object, node: Node) -> bool | None:
    """affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution: terms ORed,
    requirements ANDed inside one, an empty term matches nothing. Absent: matches."""
    required: object = affinity
    for key in ("nodeAffinity", _REQUIRED):  # a non-mapping level stays, and is unknown below
        required = required.get(key) if isinstance(required, Mapping) else required
    if required is None:
        return True
    terms = required.get("nodeSelectorTerms") if isinstance(required, Mapping) else None
    if not isinstance(terms, list) or not terms:
        return None  # unknown, or no term at all, which the API server rejects
    return _or(_term_matches(term, node) for term in terms)


def _term_matches(term: object, node: Node) -> bool | None:
    if not isinstance(term, Mapping):
        return False if term is None else None  # a null term is an empty one
    expressions, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not isinstance(expressions, list) or not isinstance(fields, list):
        return None
    if not expressions and not fields:
        return False  # isEmptyNodeSelectorTerm: skipped, so it selects nothing
    verdicts = [_expression_matches(e, node.labels) for e in expressions]
    for field in fields:  # metadata.name is the only field
        literal = _literal(field)
        unknown = literal is None or _field_problems(field, ()) or is_unresolved(node.name)
        verdicts.append(None if unknown or literal is None else (node.name == literal[2][0]) == (literal[1] == "In"))
    return _and(verdicts)


def _literal(expression: object) -> tuple[str, str, list[str]] | None:
    """(key, operator, values) when every part is a literal string."""
    fields = expression if isinstance(expression, Mapping) else {}
    key, operator, values = fields.get("key"), fields.get("operator"), fields.get("values") or []
    if not (isinstance(key, str) and isinstance(operator, str) and isinstance(values, list)):
        return None
    literal = all(isinstance(v, str) and not is_unresolved(v) for v in (key, operator, *values))
    return (key, operator, values) if literal else None


def _expression_matches(expression: object, labels: Mapping[str, str]) -> bool | None:
    if (literal := _literal(expression)) is None:
        return None
    key, operator, values = literal
    if operator in ("Gt", "Lt") and len(values) == 1 and _int64(values[0]) is None:
        return False  # the API server accepts it, but the term fails to parse: never matches
    if _requirement_problems(expression, _NODE_OPERATORS, ()):
        return None  # the API server rejects it: there is no pod to place
    if is_unresolved(have := labels.get(key)):
        return None
    if operator in ("Gt", "Lt"):  # a missing or non-integer label never satisfies Gt/Lt
        number, limit = _int64(have), _int64(values[0])
        return number is not None and limit is not None and (number > limit if operator == "Gt" else number < limit)
    return {"In": have is not None and have in values, "NotIn": have is None or have not in values,
            "Exists": have is not None, "DoesNotExist": have is None}[operator]


@dataclass(frozen=True)
class Fit:
    runs: bool | None  # None: unknown
    reasons: tuple[str, ...]
    blocking: tuple[Taint, ...]
    selector_mismatch: bool
    affinity_mismatch: bool


def fits(node_selector: object, tolerations: object, affinity: object, node: Node, *, daemonset: bool) -> Fit:
    """Whether a pod with this placement can be scheduled on `node`: nodeSelector AND
    required node affinity AND every NoSchedule/NoExecute taint tolerated."""
    reasons: list[str] = []
    selector = node_selector_matches(node_selector, node.labels)
    if selector is False and isinstance(node_selector, Mapping):
        reasons += [f"nodeSelector {k}={v} does not match" for k, v in node_selector.items()
                    if _selector_pair(k, v, node.labels) is False]
    affinity_ok = required_affinity_matches(affinity, node)
    if affinity_ok is False:
        reasons.append("required node affinity matches no term")
    # Anything but a list (a whole `${TOLERATIONS}`) stands for one unknown toleration.
    known: Sequence[object] = [] if tolerations is None else tolerations if isinstance(tolerations, list) else [None]
    sure, maybe = _taint_verdicts(known, _node_taints(node), daemonset)
    reasons += [f"taint {taint} is not tolerated" for taint in sure]
    runs = _and((selector, affinity_ok, False if sure else None if maybe else True))
    return Fit(runs, tuple(reasons), tuple(sure), selector is False, affinity_ok is False)


# --- what the API server (or MetalLB) rejects -----------------------------------------
@dataclass(frozen=True)
class SelectorProblem:
    message: str
    path: tuple[str | int, ...]  # inside the checked value, to locate it in the YAML
    rejected: bool = True  # refused when applied; False: accepted, but it never matches


def _show(value: object) -> str:
    return json.dumps(value, default=str)


def _text_problems(text: object, path: Path, *, key: bool) -> list[SelectorProblem]:
    """A label key (IsQualifiedName) or a label value (IsValidLabelValue)."""
    kind = "key" if key else "value"
    if key and text in (None, ""):
        return [SelectorProblem("empty key", path)]
    if not isinstance(text, str):
        return [SelectorProblem(f"{kind} {_show(text)} must be a string (quote it)", path)]
    if is_unresolved(text) or (valid_label_key(text) if key else valid_label_value(text)):
        return []
    shape = "an optional DNS subdomain and '/', then a name of at most 63" if key else "empty or at most 63"
    return [SelectorProblem(f"invalid label {kind} {_show(text)}: {shape} characters, alphanumeric at both ends, "
                            "'-', '_' or '.' inside", path)]


def _requirement_problems(expression: object, operators: tuple[str, ...], path: Path) -> list[SelectorProblem]:
    """A LabelSelectorRequirement (no Gt/Lt) or a NodeSelectorRequirement."""
    if not isinstance(expression, Mapping):
        return [SelectorProblem("a match expression must be a mapping", path)]
    problems = _text_problems(expression.get("key"), (*path, "key"), key=True)
    operator, raw = expression.get("operator"), expression.get("values")
    values_path: Path = (*path, "values") if "values" in expression else (*path, "operator")
    for index, value in enumerate(values := _shape(raw, list, "values", values_path, problems)):
        problems += _text_problems(value, (*path, "values", index), key=False)
    if is_unresolved(operator) or (raw is not None and not isinstance(raw, list)):
        return problems  # unknown, or already reported
    if operator not in operators:
        problems.append(SelectorProblem(f"unknown operator {_show(operator or '')}", (*path, "operator")))
    elif operator in ("In", "NotIn") and not values:
        problems.append(SelectorProblem(f"{operator} requires at least one value", values_path))
    elif operator in ("Exists", "DoesNotExist") and values:
        problems.append(SelectorProblem(f"operator {operator} must not have values", values_path))
    elif operator in ("Gt", "Lt") and len(values) != 1:
        problems.append(SelectorProblem(f"{operator} requires exactly one integer value", values_path))
    elif operator in ("Gt", "Lt") and not is_unresolved(values[0]) and _int64(values[0]) is None:
        # The API server takes any one label value; the scheduler cannot parse it as an integer.
        problems.append(SelectorProblem(f"{operator} requires an integer value, not {_show(values[0])}",
                                        values_path, rejected=False))
    return problems


def _shape(value: object, kind: type, what: str, path: Path, problems: list[SelectorProblem]) -> Any:
    """`value` when it is a `kind` (Mapping or list), else an empty one, with a problem unless
    it is null or unresolved (nothing to check yet)."""
    if isinstance(value, kind):
        return value
    if value is not None and not is_unresolved(value):
        problems.append(SelectorProblem(f"{what} must be a {'mapping' if kind is Mapping else 'list'}", path))
    return {} if kind is Mapping else []


def label_selector_problems(selector: object) -> list[SelectorProblem]:
    """What metav1.LabelSelector validation rejects. null and {} are both valid."""
    problems: list[SelectorProblem] = []
    fields = _shape(selector, Mapping, "a label selector", (), problems)
    for key, value in _shape(fields.get("matchLabels"), Mapping, "matchLabels", ("matchLabels",), problems).items():
        problems += _text_problems(key, ("matchLabels", key), key=True)
        problems += _text_problems(value, ("matchLabels", key), key=False)
    expressions = _shape(fields.get("matchExpressions"), list, "matchExpressions", ("matchExpressions",), problems)
    for index, expression in enumerate(expressions):
        problems += _requirement_problems(expression, _LABEL_OPERATORS, ("matchExpressions", index))
    return problems


def _canonical(value: object, *, expression: bool = False) -> object:
    """What MetalLB compares: LabelSelector(Requirement).String() after sorting each values
    list, so null and {} print alike and expression order counts. None: not comparable."""
    value = {} if value is None else value
    if not isinstance(value, Mapping):
        return _show(value) if expression else None
    if expression:
        values = value.get("values") or []
        return (_show(value.get("key")), _show(value.get("operator")),
                tuple(sorted(map(_show, values))) if isinstance(values, list) else _show(values))
    labels, expressions = value.get("matchLabels") or {}, value.get("matchExpressions") or []
    if not isinstance(labels, Mapping) or not isinstance(expressions, list):
        return None
    return (tuple(sorted((_show(k), _show(v)) for k, v in labels.items())),
            tuple(_canonical(e, expression=True) for e in expressions))


def metallb_selector_list_problems(selectors: object, *, field: str = "selectors") -> list[SelectorProblem]:
    """A MetalLB `nodeSelectors` / `ipAddressPoolSelectors` / `serviceSelectors` list: each
    selector's problems, then MetalLB's validateLabelSelectorDuplicate. `field` names the
    list in the duplicate-entry message."""
    problems: list[SelectorProblem] = []
    first: dict[object, int] = {}
    for index, selector in enumerate(_shape(selectors, list, field, (), problems)):
        problems += [SelectorProblem(p.message, (index, *p.path)) for p in label_selector_problems(selector)]
        expressions = selector.get("matchExpressions") if isinstance(selector, Mapping) else None
        seen: dict[object, int] = {}  # validateLabelSelectorMatchExpressions, inside one selector
        for position, expression in enumerate(expressions if isinstance(expressions, list) else []):
            where = (index, "matchExpressions", position)
            values = expression.get("values") if isinstance(expression, Mapping) else None
            shown = [_show(v) for v in values] if isinstance(values, list) else []
            problems += [SelectorProblem(f"duplicate value {text} in match expression", (*where, "values", at))
                         for at, text in enumerate(shown) if text in shown[:at]]
            canonical = _canonical(expression, expression=True)
            if canonical in seen:
                message = f"duplicate match expression (same as expression {seen[canonical]})"
                problems.append(SelectorProblem(message, where))
            seen.setdefault(canonical, position)
        if (canonical := _canonical(selector)) in first:
            problems.append(SelectorProblem(f"duplicate {field} entry (same as entry {first[canonical]})", (index,)))
        elif canonical is not None:
            first[canonical] = index
    return problems


def _field_problems(requirement: object, path: Path) -> list[SelectorProblem]:
    """ValidateNodeFieldSelectorRequirement: matchFields knows only metadata.name."""
    if not isinstance(requirement, Mapping):
        return [SelectorProblem("a match field must be a mapping", path)]
    key, operator, values = requirement.get("key"), requirement.get("operator"), requirement.get("values")
    problems = [SelectorProblem(message, (*path, where)) for message, where, bad in (
        (f"matchFields supports only key metadata.name, not {_show(key)}", "key", key != "metadata.name"),
        (f"matchFields supports only In and NotIn, not {_show(operator)}", "operator", operator not in ("In", "NotIn")),
    ) if bad and not is_unresolved(requirement.get(where))]
    if is_unresolved(values):
        return problems
    if not isinstance(values, list) or len(values) != 1:
        where: Path = (*path, "values") if "values" in requirement else (*path, "operator")
        return [*problems, SelectorProblem("matchFields requires exactly one value", where)]
    if not isinstance(values[0], str) or not (is_unresolved(values[0]) or valid_dns_subdomain(values[0])):
        problems.append(SelectorProblem(f"invalid node name {_show(values[0])}", (*path, "values", 0)))
    return problems


def _term_problems(term: object, path: Path) -> list[SelectorProblem]:
    problems: list[SelectorProblem] = []
    fields = _shape(term, Mapping, "a node selector term", path, problems)
    for name in ("matchExpressions", "matchFields"):
        for index, item in enumerate(_shape(fields.get(name), list, name, (*path, name), problems)):
            where = (*path, name, index)
            problems += (_field_problems(item, where) if name == "matchFields"
                         else _requirement_problems(item, _NODE_OPERATORS, where))
    return problems


def node_affinity_problems(affinity: object) -> list[SelectorProblem]:
    """What the API server rejects in a pod's affinity.nodeAffinity, plus Gt/Lt values that
    are not integers (accepted, but their term never matches); paths from `affinity`."""
    problems: list[SelectorProblem] = []
    node_affinity = _shape(_shape(affinity, Mapping, "affinity", (), problems).get("nodeAffinity"),
                           Mapping, "nodeAffinity", ("nodeAffinity",), problems)
    required, base = node_affinity.get(_REQUIRED), ("nodeAffinity", _REQUIRED)
    terms = _shape(required, Mapping, _REQUIRED, base, problems).get("nodeSelectorTerms")
    if isinstance(required, Mapping) and not terms and not is_unresolved(terms):
        problems.append(SelectorProblem("nodeSelectorTerms must have at least one term", base))
    for index, term in enumerate(_shape(terms, list, "nodeSelectorTerms", (*base, "nodeSelectorTerms"), problems)):
        problems += _term_problems(term, (*base, "nodeSelectorTerms", index))
    for index, entry in enumerate(_shape(node_affinity.get(_PREFERRED), list, _PREFERRED,
                                         ("nodeAffinity", _PREFERRED), problems)):
        where: Path = ("nodeAffinity", _PREFERRED, index)
        weight = (weighted := _shape(entry, Mapping, "a preferred term", where, problems)).get("weight")
        if weighted and not (type(weight) is int and 1 <= weight <= 100 or is_unresolved(weight)):
            problems.append(SelectorProblem("weight must be an integer from 1 to 100", (*where, "weight")))
        problems += _term_problems(weighted.get("preference"), (*where, "preference"))
    return problems
