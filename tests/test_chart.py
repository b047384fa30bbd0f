"""The MetalLB chart table (linter/chart.py) against facts §4.2 and §3.3, both sides of each boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from linter import chart
from linter.finding import Location
from linter.loader import load_text
from rules.helm import HelmValuesConflict, HelmValuesInvalid, HelmValuesUnknownKey, HelmWrongChart


@pytest.mark.parametrize(("text", "expected"), [
    ("0.14.8", (0, 14, 8)), ("v0.14.8", (0, 14, 8)), (" 0.16.1 ", (0, 16, 1)), ("0.15.0-rc.1", (0, 15, 0)),
    (">=0.14.0", None), ("0.14.x", None), ("0.14", None), ("*", None), ("", None), (None, None),
    ("${METALLB_VERSION}", None), ("0.0.0", None), (14, None),
])
def test_parse_version(text: object, expected: object) -> None:
    assert chart.parse_version(text) == expected


def _exists(path: str, version: str | None) -> bool:
    key = chart.lookup(path)
    return key is not None and key.exists_in(chart.parse_version(version))


@pytest.mark.parametrize(("path", "before", "since"), [
    ("speaker.ignoreExcludeLB", "0.14.3", "0.14.4"),
    ("frrk8s.enabled", "0.13.12", "0.14.2"),
    ("frrk8s.external", "0.13.12", "0.14.9"),
    ("frr-k8s", "0.13.12", "0.14.2"),
    ("crds.validationFailurePolicy", "0.13.5", "0.13.6"),
    ("crds.enabled", "0.12.1", "0.13.2"),
])
def test_keys_added(path: str, before: str, since: str) -> None:
    assert not _exists(path, before)
    assert _exists(path, since)
    assert _exists(path, "0.16.1")
    assert _exists(path, None)  # unknown version: the union


@pytest.mark.parametrize(("path", "last", "gone"), [
    ("prometheus.rbacProxy", "0.15.3", "0.16.0"),
    ("existingConfigMap", "0.12.1", "0.13.0"),
])
def test_keys_removed(path: str, last: str, gone: str) -> None:
    assert _exists(path, last) and not _exists(path, gone) and _exists(path, None)


def test_always_present_keys_and_implied_objects() -> None:
    for path in ("speaker.tolerateMaster", "speaker.frr.enabled", "speaker.frr.image.tag",
                 "speaker.memberlist.mlBindPort", "controller.webhookMode", "prometheus.metricsPort",
                 "loadBalancerClass", "speaker", "speaker.frr", "speaker.memberlist"):
        assert _exists(path, "0.12.1") and _exists(path, "0.16.1"), path
    assert chart.lookup("speaker.frr").type == "object"  # type: ignore[union-attr]
    assert chart.lookup("speaker.nodeSelector").type == "map"  # type: ignore[union-attr]
    assert chart.lookup("speaker.frrk8s") is None and chart.lookup("frr") is None


def test_enums_and_types() -> None:
    log = chart.lookup("speaker.logLevel")
    assert log is not None and chart.type_problem(log, "info") is None
    assert "not one of all, debug, info, warn, error, none" in (chart.type_problem(log, "verbose") or "")
    policy = chart.lookup("crds.validationFailurePolicy")
    assert policy is not None and chart.type_problem(policy, "ignore") is not None
    assert chart.type_problem(policy, "Ignore") is None
    pull = chart.lookup("controller.image.pullPolicy")
    assert pull is not None and chart.type_problem(pull, None) is None  # null: the default applies
    assert chart.type_problem(pull, "Sometimes") is not None
    flag = chart.lookup("speaker.frr.enabled")
    assert flag is not None and "boolean" in (chart.type_problem(flag, "false") or "")
    port = chart.lookup("speaker.memberlist.mlBindPort")
    assert port is not None and chart.type_problem(port, True) is not None
    assert chart.type_problem(port, "7946") is not None and chart.type_problem(port, 7946) is None
    assert chart.type_problem(port, "${PORT}") is None  # a Flux variable: unknown yet


@pytest.mark.parametrize(("path", "version", "expected"), [
    ("speaker.frr.enabled", "0.13.9", False), ("speaker.frr.enabled", "0.13.10", True),
    ("speaker.frr.enabled", "0.15.3", True), ("speaker.frr.enabled", "0.16.0", False),
    ("frrk8s.enabled", "0.13.12", None), ("frrk8s.enabled", "0.14.2", False),
    ("frrk8s.enabled", "0.15.3", False), ("frrk8s.enabled", "0.16.0", True),
    ("prometheus.metricsPort", "0.15.3", 7472), ("prometheus.metricsPort", "0.16.0", 9120),
    ("speaker.ignoreExcludeLB", "0.14.3", None), ("speaker.ignoreExcludeLB", "0.14.4", False),
    ("speaker.tolerateMaster", "0.12.1", True), ("speaker.memberlist.enabled", None, True),
    ("speaker.frr.enabled", None, None),
])
def test_defaults(path: str, version: str | None, expected: object) -> None:
    assert chart.default(path, chart.parse_version(version)) == expected


def _paths(values: dict[str, Any], version: str | None, known: bool = True) -> list[str]:
    return [c.path for c in chart.conflicts(values, chart.parse_version(version), known)]


FRR_ON = {"speaker": {"frr": {"enabled": True}}}
FRR_OFF = {"speaker": {"frr": {"enabled": False}}}
K8S_ON = {"frrk8s": {"enabled": True}}


def test_frr_carried_into_0_16_conflicts_with_the_new_default() -> None:
    assert _paths(FRR_ON, "0.16.1") == ["speaker.frr.enabled"]
    assert _paths(FRR_ON, "0.15.3") == []  # frrk8s.enabled defaults to false before 0.16
    assert _paths({**FRR_ON, "frrk8s": {"enabled": False}}, "0.16.1") == []
    assert _paths(FRR_ON, "0.16.1", known=False) == []  # another layer may turn frrk8s off


def test_frrk8s_on_0_14_and_0_15_needs_frr_off() -> None:
    assert _paths(K8S_ON, "0.14.8") == ["frrk8s.enabled"]
    assert _paths(K8S_ON, "0.15.3") == ["frrk8s.enabled"]
    assert _paths({**K8S_ON, **FRR_OFF}, "0.14.8") == []
    assert _paths(K8S_ON, "0.16.0") == []
    assert _paths(K8S_ON, None) == []  # unknown version: no default assumed
    assert _paths(K8S_ON, "0.13.12") == []  # no frr-k8s switch, no fail (the key is unknown there)


def test_both_explicit_conflict_whatever_the_version() -> None:
    assert _paths({**FRR_ON, **K8S_ON}, None) == ["speaker.frr.enabled"]
    assert _paths({**FRR_ON, "frrk8s": {"external": True}}, "0.14.9") == ["speaker.frr.enabled"]


def test_bundled_and_external_frrk8s() -> None:
    assert _paths({"frrk8s": {"enabled": True, "external": True}}, None) == ["frrk8s.external"]
    assert _paths({"frrk8s": {"external": True}}, "0.16.1") == ["frrk8s.external"]
    assert _paths({"frrk8s": {"external": True}}, "0.15.3") == ["frrk8s.external"]  # with frr's default
    assert _paths({**FRR_OFF, "frrk8s": {"external": True}}, "0.15.3") == []
    assert _paths({"frrk8s": {"enabled": False, "external": True}}, "0.16.1") == []


def test_memberlist_disabled_with_node_selector_from_0_15() -> None:
    values = {"speaker": {"memberlist": {"enabled": False}, "nodeSelector": {"lb": "yes"}}}
    assert _paths(values, "0.15.0") == ["speaker.nodeSelector"]
    assert _paths(values, "0.14.9") == []
    assert _paths(values, None) == []
    assert _paths({"speaker": {"memberlist": {"enabled": False}, "nodeSelector": {}}}, "0.16.1") == []


def test_config_inline_from_0_13() -> None:
    values: dict[str, Any] = {"configInline": {"address-pools": []}}
    assert _paths(values, "0.13.0") == ["configInline"]
    assert _paths(values, "0.12.1") == []
    assert _paths({"configInline": {}}, "0.14.8") == []


def test_suggestions() -> None:
    v = chart.parse_version("0.14.8")
    assert chart.suggest("frr", v) == "speaker.frr"
    assert chart.suggest("speaker.frrk8s", v) == "frrk8s"
    assert chart.suggest("controler", v) == "controller"
    assert chart.suggest("speaker.tolerateMater", v) == "speaker.tolerateMaster"
    assert chart.suggest("controller.tolerateMaster", v) == "speaker.tolerateMaster"
    assert chart.suggest("resources", v) is None  # ambiguous: no guess


# -- the rules, on stand-in releases until linter/helm_release.py fills cluster.helm_releases ------

_HERE = Location("values.yaml", 1, 1)


@dataclass
class FakeRelease:
    values: Any
    version: str | None = "0.14.8"
    name: str = "metallb"
    chart: str | None = "metallb"
    repository: str | None = "https://metallb.github.io/metallb"
    is_metallb: bool = True
    named_metallb: bool = True
    values_known: bool = True
    source_missing: bool = False
    source_ref: str | None = None
    resource: Any = None
    source: str = "flux"
    namespace: str | None = "metallb-system"
    chart_location: Location = _HERE
    version_location: Location = _HERE
    repository_location: Location | None = None
    problems: list[Any] = field(default_factory=list)


@dataclass
class FakeCluster:
    helm_releases: list[FakeRelease]
    target: str = "."


def _values(text: str) -> Any:
    return load_text(text, "values.yaml").documents[0].value


def _run(rule: Any, release: FakeRelease, sources: dict[str, set[str]] | None = None) -> list[tuple[int, str]]:
    cluster: Any = FakeCluster([release])
    # ML504 looks at the whole repository for Flux sources; given directly here.
    findings = rule._check(cluster, sources or {}) if isinstance(rule, HelmWrongChart) \
        else rule.check_cluster(cluster)
    return [(f.location.line, f.message) for f in findings]


def test_invalid_values_point_at_the_value() -> None:
    values = _values("speaker:\n  logLevel: verbose\n  frr:\n    enabled: \"false\"\ncontroller: {}\n")
    found = _run(HelmValuesInvalid(), FakeRelease(values))
    assert [line for line, _ in found] == [2, 4]
    assert "speaker.logLevel" in found[0][1] and "boolean" in found[1][1]
    assert _run(HelmValuesInvalid(), FakeRelease(values, is_metallb=False)) == []


def test_unknown_keys_per_version() -> None:
    values = _values("speaker:\n  ignoreExcludeLB: true\n  frrk8s:\n    enabled: true\nfrr:\n  enabled: false\n")
    found = _run(HelmValuesUnknownKey(), FakeRelease(values, version="0.14.3"))
    assert [line for line, _ in found] == [2, 3, 5]
    assert "added in 0.14.4" in found[0][1]
    assert '"frrk8s"' in found[1][1] and '"speaker.frr"' in found[2][1]
    later = _run(HelmValuesUnknownKey(), FakeRelease(values, version="0.14.4"))
    assert [line for line, _ in later] == [3, 5]
    assert [line for line, _ in _run(HelmValuesUnknownKey(), FakeRelease(values, version=">=0.14"))] == [3, 5]


def test_conflicts_point_at_the_explicit_value() -> None:
    values = _values("controller: {}\nspeaker:\n  frr:\n    enabled: true\n")
    assert [line for line, _ in _run(HelmValuesConflict(), FakeRelease(values, version="0.16.1"))] == [4]
    assert _run(HelmValuesConflict(), FakeRelease(values, version="0.15.3")) == []
    assert _run(HelmValuesConflict(), FakeRelease(values, version="0.16.1", values_known=False)) == []


def test_wrong_chart() -> None:
    values = _values("{}\n")
    other = FakeRelease(values, chart="cert-manager", repository="oci://quay.io/jetstack/charts/cert-manager",
                        is_metallb=False)
    found = _run(HelmWrongChart(), other)
    assert len(found) == 1 and '"cert-manager"' in found[0][1]
    assert _run(HelmWrongChart(), FakeRelease(values)) == []
    assert _run(HelmWrongChart(), FakeRelease(values, chart=None, repository=None, is_metallb=False)) == []
    assert _run(HelmWrongChart(), FakeRelease(values, named_metallb=False, is_metallb=False,
                                              chart="ingress-nginx")) == []
    missing = FakeRelease(values, source_missing=True, source_ref="HelmRepository flux-system/metallb-chart")
    reported = _run(HelmWrongChart(), missing, {"HelmRepository": {"metallb", "jetstack"}})
    assert len(reported) == 1 and 'did you mean "metallb"' in reported[0][1]
    # No HelmRepository here at all: the sources live in another repository.
    assert _run(HelmWrongChart(), missing, {"OCIRepository": {"x"}}) == []
