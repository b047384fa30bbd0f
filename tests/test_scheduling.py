"""linter.scheduling decides placement the way Kubernetes does (facts §4, §9).

Expectations are written from Kubernetes' sources (k8s.io/api toleration.go,
component-helpers nodeaffinity, apimachinery validation, the DaemonSet
controller), never computed with the module's own helpers.
"""

from __future__ import annotations

from typing import Any

import pytest

from linter.finding import Location
from linter.nodes import Node, Taint
from linter.scheduling import (
    DAEMONSET_TOLERATIONS,
    DEPLOYMENT_TOLERATIONS,
    SelectorProblem,
    blocking_taints,
    fits,
    label_selector_problems,
    metallb_selector_list_problems,
    node_affinity_problems,
    node_selector_matches,
    required_affinity_matches,
    toleration_for,
    tolerates,
)
from linter.yamlpos import YMap, YSeq

HERE = Location("nodes.yaml", 1, 1)
MASTER = {"key": "node-role.kubernetes.io/master", "effect": "NoSchedule", "operator": "Exists"}
CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule", "operator": "Exists"}
METALLB_DEFAULT = [MASTER, CONTROL_PLANE]  # the speaker's tolerations since v0.13.0 (facts §4.1)


def taint(text: str) -> Taint:
    """`key[=value]:Effect`, as kubectl taint writes it."""
    head, effect = text.rsplit(":", 1)
    key, _, value = head.partition("=")
    return Taint(key, value, effect, HERE)


def node(name: str = "n1", labels: dict[str, str] | None = None, taints: tuple[str, ...] = (), **flags: Any) -> Node:
    return Node(name, HERE, "Node", labels=dict(labels or {}), taints=tuple(taint(t) for t in taints), **flags)


CP = "node-role.kubernetes.io/control-plane:NoSchedule"
CRITICAL = "CriticalAddonsOnly=true:NoExecute"

TOLERATES = [
    # (toleration, taint, expected)
    (CONTROL_PLANE, CP, True),
    (CONTROL_PLANE, "node-role.kubernetes.io/control-plane:NoExecute", False),  # effect differs
    (CONTROL_PLANE, "node-role.kubernetes.io/master:NoSchedule", False),  # key differs
    ({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},  # empty effect: every effect
     "node-role.kubernetes.io/control-plane:NoExecute", True),
    ({"operator": "Exists"}, CRITICAL, True),  # empty key + Exists: every taint
    ({"operator": "Exists", "effect": "NoSchedule"}, CRITICAL, False),  # ... but the effect still counts
    ({"key": "CriticalAddonsOnly", "value": "true"}, CRITICAL, True),  # omitted operator = Equal
    ({"key": "CriticalAddonsOnly", "operator": "Equal", "value": "false"}, CRITICAL, False),  # other value
    ({"key": "CriticalAddonsOnly", "operator": "Equal"}, CRITICAL, False),  # Equal with no value wants ""
    ({"key": "CriticalAddonsOnly", "operator": "Exists"}, CRITICAL, True),  # Exists ignores the value
    ({"key": "dedicated", "operator": "Equal", "value": ""}, "dedicated:NoSchedule", True),
    # rejected by the API server: unknown
    ({"key": "CriticalAddonsOnly", "operator": "Exists", "value": "true"}, CRITICAL, None),
    ({"value": "true"}, CRITICAL, None),  # empty key needs Exists
    ({"key": "a", "operator": "Equals"}, "a:NoSchedule", None),
    ({"key": "a", "operator": "Gt", "value": "1"}, "a=2:NoSchedule", None),  # alpha gate, off by default
    ({"key": "a", "operator": "Exists", "effect": "NoScheduled"}, "a:NoSchedule", None),
    ({"key": "CriticalAddonsOnly", "value": True}, CRITICAL, None),  # unquoted YAML boolean
    ({"key": "a", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30}, "a:NoSchedule", None),
    ({"key": "bad key", "operator": "Exists"}, "bad key:NoSchedule", None),
    ("${TOLERATION}", CP, None),
    # unresolved variables: None only when they could change the answer
    ({"key": "${ROLE_KEY}", "operator": "Exists", "effect": "NoSchedule"}, CP, None),
    ({"key": "${ROLE_KEY}", "operator": "Exists", "effect": "NoExecute"}, CP, False),
    ({"key": "CriticalAddonsOnly", "value": "${CRIT}", "effect": "NoExecute"}, CRITICAL, None),
    ({"key": "other", "value": "${CRIT}", "effect": "NoExecute"}, CRITICAL, False),
]


@pytest.mark.parametrize(("toleration", "taint_text", "expected"), TOLERATES)
def test_tolerates(toleration: object, taint_text: str, expected: bool | None) -> None:
    assert tolerates(toleration, taint(taint_text)) is expected


def test_yaml_mappings_are_read_like_dicts() -> None:
    toleration = YMap("values.yaml")
    toleration.update(CONTROL_PLANE)
    assert tolerates(toleration, taint(CP)) is True
    tolerations = YSeq("values.yaml")
    tolerations.append(toleration)
    assert fits(None, tolerations, None, node(taints=(CP,)), daemonset=False).runs is True


BLOCKING = [
    # (tolerations, taints, daemonset, expected blocking taints)
    (METALLB_DEFAULT, (CP,), True, []),
    (METALLB_DEFAULT, (CRITICAL,), True, [CRITICAL]),  # k3s/RKE2 dedicated control plane
    (METALLB_DEFAULT, ("node-role.kubernetes.io/control-plane:NoExecute",), True,
     ["node-role.kubernetes.io/control-plane:NoExecute"]),
    ([], ("gpu:PreferNoSchedule",), False, []),  # PreferNoSchedule never blocks
    ([], ("node.kubernetes.io/unschedulable:NoSchedule",), True, []),  # cordoned: DaemonSet still runs
    ([], ("node.kubernetes.io/unschedulable:NoSchedule",), False, ["node.kubernetes.io/unschedulable:NoSchedule"]),
    ([], ("node.kubernetes.io/network-unavailable:NoSchedule",), True, []),  # host-network DaemonSet
    ([], ("node.kubernetes.io/network-unavailable:NoSchedule",), False,
     ["node.kubernetes.io/network-unavailable:NoSchedule"]),
    ([], ("node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"), True, []),
    ([], ("node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/memory-pressure:NoSchedule"), False,
     ["node.kubernetes.io/memory-pressure:NoSchedule"]),  # a Deployment only gets not-ready/unreachable
    ([{"key": "${KEY}", "operator": "Exists"}], (CRITICAL,), True, None),  # could tolerate it
    ([{"key": "${KEY}", "operator": "Exists"}, {"operator": "Exists"}], (CRITICAL,), True, []),  # already tolerated
    ([{"key": "${KEY}", "operator": "Exists"}], ("gpu:PreferNoSchedule",), True, []),  # cannot block anyway
]


@pytest.mark.parametrize(("tolerations", "taints", "daemonset", "expected"), BLOCKING)
def test_blocking_taints(tolerations: list[object], taints: tuple[str, ...], daemonset: bool,
                         expected: list[str] | None) -> None:
    found = blocking_taints(tolerations, [taint(t) for t in taints], daemonset=daemonset)
    assert (None if found is None else [str(t) for t in found]) == expected


def test_automatic_tolerations() -> None:
    keys = {(t["key"], t["effect"]) for t in DAEMONSET_TOLERATIONS}
    assert ("node.kubernetes.io/network-unavailable", "NoSchedule") in keys
    assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys
    assert len(keys) == 7
    assert all(t["effect"] == "NoExecute" for t in DEPLOYMENT_TOLERATIONS)


LINUX = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "zone": "a", "cores": "8"}
NODE_SELECTOR = [
    (None, True),
    ({}, True),
    ({"kubernetes.io/os": "linux"}, True),
    ({"kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64"}, False),  # ANDed
    ({"missing": ""}, False),  # an absent label is not an empty one
    ({"kubernetes.io/os": "${OS}"}, None),
    ({"kubernetes.io/os": "${OS}", "kubernetes.io/arch": "arm64"}, False),  # a literal mismatch decides
    ({"cores": 8}, None),  # not a string: rejected by the API server
    ("${NODE_SELECTOR}", None),
]


@pytest.mark.parametrize(("selector", "expected"), NODE_SELECTOR)
def test_node_selector(selector: object, expected: bool | None) -> None:
    assert node_selector_matches(selector, LINUX) is expected


def required(*terms: object) -> dict[str, Any]:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    found: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        found["values"] = list(values)
    return found


def term(*expressions: dict[str, Any], fields: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    found: dict[str, Any] = {"matchExpressions": list(expressions)} if expressions else {}
    if fields:
        found["matchFields"] = list(fields)
    return found


AFFINITY: list[tuple[object, bool | None]] = [
    (None, True),
    ({}, True),
    ({"nodeAffinity": {}}, True),
    ({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}, True),
    (required(term(expr("zone", "In", "a", "b"))), True),
    (required(term(expr("zone", "In", "b"))), False),
    (required(term(expr("zone", "NotIn", "b"))), True),
    (required(term(expr("zone", "NotIn", "a"))), False),
    (required(term(expr("missing", "NotIn", "a"))), True),  # NotIn matches an absent label
    (required(term(expr("zone", "Exists"))), True),
    (required(term(expr("missing", "Exists"))), False),
    (required(term(expr("missing", "DoesNotExist"))), True),
    (required(term(expr("zone", "DoesNotExist"))), False),
    (required(term(expr("cores", "Gt", "4"))), True),
    (required(term(expr("cores", "Gt", "0"))), True),  # zero is an integer too
    (required(term(expr("cores", "Gt", "8"))), False),  # strictly greater
    (required(term(expr("cores", "Lt", "16"))), True),
    (required(term(expr("cores", "Lt", "8"))), False),
    (required(term(expr("zone", "Gt", "1"))), False),  # a non-integer label never matches
    (required(term(expr("missing", "Lt", "100"))), False),
    (required(term(expr("cores", "Gt", "four"))), False),  # accepted, but the term never parses
    (required(term(expr("cores", "Gt", "four")), term(expr("zone", "In", "a"))), True),  # other terms still count
    (required(term(expr("zone", "In", "b")), term(expr("zone", "In", "a"))), True),  # terms ORed
    (required(term(expr("zone", "In", "a"), expr("kubernetes.io/arch", "In", "arm64"))), False),  # ANDed
    (required({}), False),  # an empty term matches nothing
    (required({}, term(expr("zone", "In", "a"))), True),
    (required(term(fields=(expr("metadata.name", "In", "n1"),))), True),
    (required(term(fields=(expr("metadata.name", "In", "n2"),))), False),
    (required(term(fields=(expr("metadata.name", "NotIn", "n2"),))), True),
    (required(term(expr("zone", "In", "a"), fields=(expr("metadata.name", "In", "n2"),))), False),
    (required(), None),  # no term at all: rejected by the API server
    (required(term(expr("zone", "Equals", "a"))), None),  # rejected
    (required(term(fields=(expr("metadata.labels", "In", "x"),))), None),  # rejected
    (required(term(expr("zone", "In", "${ZONE}"))), None),
    (required(term(expr("zone", "In", "${ZONE}"), expr("zone", "In", "b"))), False),
    (required(term(expr("zone", "In", "${ZONE}")), term(expr("zone", "In", "a"))), True),
    ({"nodeAffinity": "${AFFINITY}"}, None),
    ("${AFFINITY}", None),
]


@pytest.mark.parametrize(("affinity", "expected"), AFFINITY)
def test_required_affinity(affinity: object, expected: bool | None) -> None:
    assert required_affinity_matches(affinity, node("n1", LINUX)) is expected


def test_gt_lt_parse_integers_like_go() -> None:
    for label, expected in (("+9", True), ("-3", False), ("9_0", False), (" 9", False), ("9" * 20, False)):
        affinity = required(term(expr("cores", "Gt", "8")))
        assert required_affinity_matches(affinity, node(labels={"cores": label})) is expected, label


def test_fits_combines_selector_affinity_and_taints() -> None:
    arm = {"kubernetes.io/arch": "arm64"}
    cp = node("cp1", LINUX, taints=(CP, CRITICAL))
    fit = fits(arm, METALLB_DEFAULT, required({}), cp, daemonset=True)
    assert fit.runs is False and fit.selector_mismatch and fit.affinity_mismatch
    assert fit.reasons == ("nodeSelector kubernetes.io/arch=arm64 does not match",
                           "required node affinity matches no term",
                           "taint CriticalAddonsOnly=true:NoExecute is not tolerated")
    assert [str(t) for t in fit.blocking] == [CRITICAL]
    good = fits({"kubernetes.io/os": "linux"}, [*METALLB_DEFAULT, {"operator": "Exists"}], None, cp, daemonset=True)
    assert good == type(good)(True, (), (), False, False)


@pytest.mark.parametrize(("cordoned", "network_unavailable", "daemonset", "expected"), [
    (True, False, True, True),  # cordoned: the speaker still runs there
    (True, False, False, False),  # ... the controller Deployment does not
    (False, True, True, True),  # NetworkUnavailable: a host-network DaemonSet still runs
    (False, True, False, False),
    (False, False, False, True),
])
def test_node_state_implies_taints(cordoned: bool, network_unavailable: bool, daemonset: bool, expected: bool) -> None:
    state = Node("n1", HERE, "Node", unschedulable=cordoned, network_unavailable=network_unavailable)
    assert fits(None, [], None, state, daemonset=daemonset).runs is expected


def test_fits_unknown() -> None:
    n1 = node("n1", LINUX, taints=(CP,))
    assert fits({"kubernetes.io/os": "${OS}"}, METALLB_DEFAULT, None, n1, daemonset=True).runs is None
    assert fits(None, "${TOLERATIONS}", None, n1, daemonset=True).runs is None
    assert fits(None, "${TOLERATIONS}", None, node("n2", LINUX), daemonset=True).runs is True  # nothing to tolerate
    unknown_but_blocked = fits({"kubernetes.io/os": "${OS}"}, [], None, n1, daemonset=True)
    assert unknown_but_blocked.runs is False and not unknown_but_blocked.selector_mismatch


@pytest.mark.parametrize(("taint_text", "expected"), [
    (CP, {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}),
    (CRITICAL, {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoExecute"}),
])
def test_toleration_for(taint_text: str, expected: dict[str, str]) -> None:
    assert toleration_for(taint(taint_text)) == expected
    assert tolerates(toleration_for(taint(taint_text)), taint(taint_text)) is True


P = SelectorProblem
LABEL_SELECTOR = [
    (None, []),  # null: valid (it selects nothing)
    ({}, []),  # {}: valid (it selects everything)
    ("${SELECTOR}", []),
    ({"matchLabels": {"zone": "a"}, "matchExpressions": [expr("zone", "In", "a")]}, []),
    ({"matchExpressions": [expr("zone", "Exists", "a")]},
     [P("operator Exists must not have values", ("matchExpressions", 0, "values"))]),
    ({"matchExpressions": [expr("zone", "DoesNotExist", "a")]},
     [P("operator DoesNotExist must not have values", ("matchExpressions", 0, "values"))]),
    ({"matchExpressions": [expr("zone", "Equals", "a")]},
     [P('unknown operator "Equals"', ("matchExpressions", 0, "operator"))]),
    ({"matchExpressions": [expr("cores", "Gt", "4")]},  # Gt/Lt exist only in node selectors
     [P('unknown operator "Gt"', ("matchExpressions", 0, "operator"))]),
    ({"matchExpressions": [{"key": "zone"}]}, [P('unknown operator ""', ("matchExpressions", 0, "operator"))]),
    ({"matchExpressions": [expr("zone", "In")]},  # no `values` key: the operator line is blamed
     [P("In requires at least one value", ("matchExpressions", 0, "operator"))]),
    ({"matchExpressions": [{**expr("zone", "NotIn"), "values": []}]},
     [P("NotIn requires at least one value", ("matchExpressions", 0, "values"))]),
    ({"matchExpressions": [expr("", "Exists")]}, [P("empty key", ("matchExpressions", 0, "key"))]),
    ({"matchLabels": {"": "a"}}, [P("empty key", ("matchLabels", ""))]),
    ({"matchExpressions": "oops"}, [P("matchExpressions must be a list", ("matchExpressions",))]),
    ({"matchLabels": ["zone=a"]}, [P("matchLabels must be a mapping", ("matchLabels",))]),
    (["zone=a"], [P("a label selector must be a mapping", ())]),
    ({"matchLabels": {"zone": "${ZONE}", "${KEY}": "a"}, "matchExpressions": [expr("zone", "${OP}", "${V}")]}, []),
]


@pytest.mark.parametrize(("selector", "expected"), LABEL_SELECTOR)
def test_label_selector_problems(selector: object, expected: list[SelectorProblem]) -> None:
    assert label_selector_problems(selector) == expected


@pytest.mark.parametrize(("key", "valid"), [
    ("zone", True), ("example.com/zone", True), ("a" * 63, True), ("a" * 64, False), ("-zone", False),
    ("zone-", False), ("Example.com/zone", False), ("/zone", False), ("a/b/c", False), ("has space", False),
    ("z_o.n-e", True),
])
def test_label_key_syntax(key: str, valid: bool) -> None:
    problems = label_selector_problems({"matchLabels": {key: "x"}})
    assert (problems == []) is valid
    assert all(p.message.startswith("invalid label key") and p.path == ("matchLabels", key) for p in problems)


@pytest.mark.parametrize(("value", "valid"), [
    ("", True), ("a", True), ("a" * 63, True), ("a" * 64, False), ("-a", False), ("a.", False), ("a b", False),
    ("A_b-c.D", True),
])
def test_label_value_syntax(value: str, valid: bool) -> None:
    problems = label_selector_problems({"matchExpressions": [expr("k", "In", value)]})
    assert problems == ([] if valid else [P(problems[0].message, ("matchExpressions", 0, "values", 0))])
    assert valid or problems[0].message.startswith("invalid label value")


def test_label_value_must_be_a_string() -> None:
    assert label_selector_problems({"matchLabels": {"enabled": True}}) == [
        P("value true must be a string (quote it)", ("matchLabels", "enabled"))]


METALLB_LIST: list[tuple[object, list[SelectorProblem]]] = [
    (None, []),
    ([], []),
    ([{"matchLabels": {"a": "b"}}, {"matchLabels": {"a": "c"}}], []),
    ([{"matchLabels": {"a": "b"}}, {"matchLabels": {"a": "b"}}],
     [P("duplicate nodeSelectors entry (same as entry 0)", (1,))]),
    ([None, {}], [P("duplicate nodeSelectors entry (same as entry 0)", (1,))]),  # both print the same
    ([{"matchExpressions": [expr("a", "In", "x", "y")]}, {"matchExpressions": [expr("a", "In", "y", "x")]}],
     [P("duplicate nodeSelectors entry (same as entry 0)", (1,))]),  # values are sorted first
    ([{"matchExpressions": [expr("a", "Exists"), expr("b", "Exists")]},
      {"matchExpressions": [expr("b", "Exists"), expr("a", "Exists")]}], []),  # expression order counts
    ([{"matchExpressions": [expr("a", "In", "x", "y"), expr("a", "In", "y", "x")]}],
     [P("duplicate match expression (same as expression 0)", (0, "matchExpressions", 1))]),
    ([{"matchExpressions": [expr("a", "In", "x"), expr("a", "NotIn", "x")]}], []),
    ([{"matchExpressions": [expr("a", "In", "x", "y", "x")]}],
     [P('duplicate value "x" in match expression', (0, "matchExpressions", 0, "values", 2))]),
    ([{}, {"matchExpressions": [expr("a", "Exists", "x")]}],
     [P("operator Exists must not have values", (1, "matchExpressions", 0, "values"))]),
    ({"matchLabels": {"a": "b"}}, [P("nodeSelectors must be a list", ())]),
]


@pytest.mark.parametrize(("selectors", "expected"), METALLB_LIST)
def test_metallb_selector_list_problems(selectors: object, expected: list[SelectorProblem]) -> None:
    assert metallb_selector_list_problems(selectors, field="nodeSelectors") == expected


REQ = ("nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
T0 = (*REQ, "nodeSelectorTerms", 0)
PREF = ("nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution")
AFFINITY_PROBLEMS = [
    (None, []),
    (required(term(expr("zone", "In", "a"), expr("cores", "Gt", "0"), expr("x", "DoesNotExist"))), []),
    (required({}), []),  # valid, it only matches nothing
    (required(), [P("nodeSelectorTerms must have at least one term", REQ)]),
    (required(term(expr("zone", "Equals", "a"))),
     [P('unknown operator "Equals"', (*T0, "matchExpressions", 0, "operator"))]),
    (required(term(expr("zone", "In"))),
     [P("In requires at least one value", (*T0, "matchExpressions", 0, "operator"))]),
    (required(term(expr("zone", "Exists", "a"))),
     [P("operator Exists must not have values", (*T0, "matchExpressions", 0, "values"))]),
    (required(term(expr("cores", "Gt", "4", "5"))),
     [P("Gt requires exactly one integer value", (*T0, "matchExpressions", 0, "values"))]),
    (required(term(expr("cores", "Lt", "four"))),  # accepted by the API server; the term never matches
     [P('Lt requires an integer value, not "four"', (*T0, "matchExpressions", 0, "values"), rejected=False)]),
    (required(term(expr("cores", "Lt"))),
     [P("Lt requires exactly one integer value", (*T0, "matchExpressions", 0, "operator"))]),
    (required(term(expr("", "Exists"))), [P("empty key", (*T0, "matchExpressions", 0, "key"))]),
    (required(term(fields=(expr("metadata.labels", "In", "n1"),))),
     [P('matchFields supports only key metadata.name, not "metadata.labels"', (*T0, "matchFields", 0, "key"))]),
    (required(term(fields=(expr("metadata.name", "Exists"),))),
     [P('matchFields supports only In and NotIn, not "Exists"', (*T0, "matchFields", 0, "operator")),
      P("matchFields requires exactly one value", (*T0, "matchFields", 0, "operator"))]),
    (required(term(fields=(expr("metadata.name", "In", "n1", "n2"),))),
     [P("matchFields requires exactly one value", (*T0, "matchFields", 0, "values"))]),
    (required(term(fields=(expr("metadata.name", "In", "Node_1"),))),
     [P('invalid node name "Node_1"', (*T0, "matchFields", 0, "values", 0))]),
    ({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 0, "preference": term(expr("zone", "Equals", "a"))}]}},
     [P("weight must be an integer from 1 to 100", (*PREF, 0, "weight")),
      P('unknown operator "Equals"', (*PREF, 0, "preference", "matchExpressions", 0, "operator"))]),
    (required(term(expr("zone", "${OP}", "${ZONE}"), fields=(expr("metadata.name", "In", "${NODE}"),))), []),
    ({"nodeAffinity": "${AFFINITY}"}, []),
]


@pytest.mark.parametrize(("affinity", "expected"), AFFINITY_PROBLEMS)
def test_node_affinity_problems(affinity: object, expected: list[SelectorProblem]) -> None:
    assert node_affinity_problems(affinity) == expected


def test_gt_value_that_is_not_a_label_value_is_rejected() -> None:
    """"-1" parses as an integer but is no label value: the API server refuses it."""
    problems = node_affinity_problems(required(term(expr("cores", "Gt", "-1"))))
    assert [p.path for p in problems] == [(*T0, "matchExpressions", 0, "values", 0)]
    assert problems[0].message.startswith("invalid label value")
    assert required_affinity_matches(required(term(expr("cores", "Gt", "-1"))), node(labels={"cores": "3"})) is None
