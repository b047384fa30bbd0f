"""MetalLB versions and pins (linter/versions.py), the feature table (linter/features.py),
and the `versions` command (linter/versions_report.py).

The firing and quiet cases of ML301-ML306 are fixture folders (tests/fixtures/<rule>/);
here: the version grammar, every row of the feature table on both sides of its
boundary release, and what the fixtures cannot show (shapes that must not crash,
the report's text and JSON).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixture_harness import FIXTURES
from linter import features
from linter.cli import main
from linter.engine import lint
from linter.versions import PINNED, UNKNOWN, UNPINNED, classify, installation_versions, parse_version
from rules import REGISTRY

# facts §3.3: every tag v0.12.0-v0.16.1, in order.
RELEASES = [(0, 12, 0), (0, 12, 1), *[(0, 13, p) for p in range(13)], *[(0, 14, p) for p in range(10)],
            (0, 15, 0), (0, 15, 1), (0, 15, 2), (0, 15, 3), (0, 16, 0), (0, 16, 1)]


# -- the version grammar -------------------------------------------------------------------------


@pytest.mark.parametrize("text, version", [
    ("0.14.8", (0, 14, 8)), ("v0.14.8", (0, 14, 8)), (" v0.13.12 ", (0, 13, 12)),
    ("0.14.8-debian-12-r0", (0, 14, 8)), ("v0.15.0-rc1", (0, 15, 0)),
    ("0.14", None), ("0.14.*", None), ("main", None), ("", None), (None, None), (True, None), ([1], None),
])
def test_parse_version_with_or_without_v(text: object, version: object) -> None:
    assert parse_version(text) == version


@pytest.mark.parametrize("raw, state, why", [
    ("0.14.8", PINNED, ""), ("v0.14.8", PINNED, ""),
    ("sha256:" + "a" * 64, PINNED, ""), ("0123456789abcdef0123456789abcdef01234567", PINNED, ""),
    (None, UNPINNED, "no version"), ("", UNPINNED, "no version"), ("*", UNPINNED, '"*"'),
    ("latest", UNPINNED, '"latest"'), ("main", UNPINNED, 'the branch "main"'),
    ("HEAD", UNPINNED, 'the branch "HEAD"'),
    ("0.14.*", UNPINNED, "semver range"), ("0.14.x", UNPINNED, "semver range"), ("^0.14.0", UNPINNED, "semver range"),
    ("~0.14.0", UNPINNED, "semver range"), (">=0.14.0 <0.15.0", UNPINNED, "semver range"),
    ("0.14", UNPINNED, "semver range"), ("1.2.3 - 1.4.5", UNPINNED, "semver range"),
    ("release-0.14", UNPINNED, 'the branch ref "release-0.14"'),
    ("${METALLB_VERSION}", UNKNOWN, ""), ("{{ .Values.version }}", UNKNOWN, ""),
])
def test_every_unpinned_form_is_told_apart(raw: object, state: str, why: str) -> None:
    got_state, _, got_why = classify(raw)
    assert got_state == state
    assert why in got_why


def test_versions_compare_as_semver_not_as_text() -> None:
    assert parse_version("v0.13.12") > parse_version("0.13.9")  # type: ignore[operator]
    assert parse_version("v0.14.8") == parse_version("0.14.8")


# -- the feature table ---------------------------------------------------------------------------


def _before(version: tuple[int, int, int]) -> tuple[int, int, int]:
    return RELEASES[RELEASES.index(version) - 1]


def test_every_row_cites_the_facts_and_names_real_releases() -> None:
    for feature in features.FEATURES:
        assert feature.facts.startswith("§"), feature.key
        for boundary in (feature.since, feature.until):
            if boundary is not None:
                assert boundary in RELEASES, (feature.key, boundary)
        if feature.deprecated not in (None, features.ALWAYS):
            assert feature.deprecated in RELEASES, feature.key
    assert len(features.BY_KEY) == len(features.FEATURES)


@pytest.mark.parametrize("feature", [f for f in features.FEATURES if f.since and f.since != RELEASES[0]],
                         ids=lambda f: f.key)
def test_first_version_boundary(feature: features.Feature) -> None:
    assert features.unsupported(feature, _before(feature.since)) == "older"  # type: ignore[arg-type]
    assert features.unsupported(feature, feature.since) is None


@pytest.mark.parametrize("feature", [f for f in features.FEATURES if f.until], ids=lambda f: f.key)
def test_last_version_boundary(feature: features.Feature) -> None:
    assert features.unsupported(feature, _before(feature.until)) is None  # type: ignore[arg-type]
    assert features.unsupported(feature, feature.until) == "removed"


@pytest.mark.parametrize("feature", [f for f in features.FEATURES if f.deprecated not in (None, features.ALWAYS)],
                         ids=lambda f: f.key)
def test_deprecation_boundary(feature: features.Feature) -> None:
    assert not features.is_deprecated(feature, _before(feature.deprecated))  # type: ignore[arg-type]
    assert features.is_deprecated(feature, feature.deprecated)


def test_an_unknown_version_is_never_guessed() -> None:
    for feature in features.FEATURES:
        assert features.unsupported(feature, None) is None
        assert features.is_deprecated(feature, None) == (feature.deprecated == features.ALWAYS)


@pytest.mark.parametrize("key, since", [
    # Read from config/crd/bases at the tags on both sides (metallb/metallb).
    ("IPAddressPool.spec.avoidBuggyIPs", (0, 13, 4)), ("IPAddressPool.spec.serviceAllocation", (0, 13, 8)),
    ("L2Advertisement.spec.interfaces", (0, 13, 6)), ("L2Advertisement.spec.serviceSelectors", (0, 16, 0)),
    ("BGPPeer.spec.dynamicASN", (0, 14, 9)), ("BGPPeer.spec.connectTime", (0, 14, 4)),
    ("arg:--ignore-exclude-lb", (0, 14, 4)), ("annotation:metallb.io/", (0, 14, 9)),
])
def test_rows_checked_against_the_source(key: str, since: tuple[int, int, int]) -> None:
    assert features.BY_KEY[key].since == since


# -- pins per installation -----------------------------------------------------------------------


def _clusters(case: Path) -> list:  # type: ignore[type-arg]
    return list(lint(case, [case], ()).clusters)


def test_applicationset_clusters_are_environments_of_their_own() -> None:
    case = FIXTURES / "version-skew" / "fires-when-an-applicationset-gives-one-cluster-another-chart"
    found = [v for c in _clusters(case) for v in installation_versions(c)]
    assert sorted((v.environment, v.version) for v in found) == [
        ("argocd:dev", (0, 14, 8)), ("argocd:prod", (0, 13, 12)), ("argocd:staging", (0, 14, 8))]


def test_values_image_tag_wins_over_the_chart_for_its_component() -> None:
    case = FIXTURES / "component-version-mismatch" / "fires-when-values-override-the-speaker-tag"
    (installation,) = [v for c in _clusters(case) for v in installation_versions(c)]
    assert installation.version == (0, 14, 8)
    assert installation.effective("speaker").version == (0, 14, 9)  # type: ignore[union-attr]
    assert installation.effective("controller").version == (0, 14, 8)  # type: ignore[union-attr]


def test_odd_shapes_do_not_crash(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").write_text("""\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: metallb, namespace: metallb-system, annotations: [a, b]}
spec:
  chart: {spec: {chart: metallb, version: 1.5}}
  values: {speaker: {image: just-a-string}, controller: {image: {tag: [1, 2]}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: metallb, namespace: argocd}
spec:
  source: {chart: metallb, repoURL: https://metallb.github.io/metallb, targetRevision: [0.14.8]}
  destination: {name: prod, namespace: metallb-system}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: speaker, namespace: metallb-system}
spec: {template: {spec: {containers: [{name: speaker, image: "quay.io/metallb/speaker:", args: 7}]}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, annotations: {metallb.io/: x, 12: y}}
spec: [not, a, map]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: p}
spec: null
""", encoding="utf-8")
    result = lint(tmp_path, [tmp_path], REGISTRY)
    assert result.errors == ()


# -- the versions command ------------------------------------------------------------------------


def _run_versions(tmp_path: Path, case: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    repo = tmp_path / "repo"
    shutil.copytree(case, repo)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["versions", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_versions_text_names_each_overlay_and_its_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = FIXTURES / "version-skew" / "fires-when-prod-patches-the-chart-version"
    text = _run_versions(tmp_path, case, monkeypatch)
    prod = text[text.index("prod\n"):]
    assert "Flux HelmRelease in metallb-system: MetalLB 0.13.12, backend frr" in prod  # chart 0.13.10+ defaults to FRR
    assert "prod/chart-version.yaml:9  chart version (HelmRelease spec.chart.spec.version): 0.13.12 [pinned]" in prod
    staging = text[text.index("staging\n"):]
    assert "base/helmrelease.yaml:11" in staging and "MetalLB 0.14.8" in staging


def test_versions_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = FIXTURES / "version-skew" / "fires-when-an-overlay-overrides-only-the-speaker-tag"
    document = json.loads(_run_versions(tmp_path, case, monkeypatch, "--format", "json"))
    by_target = {t["target"]: t["installations"] for t in document["targets"]}
    (prod,) = by_target["prod"]
    assert prod["version"] == "0.14.8" and prod["how"] == "controller Deployment"
    pins = {(p["what"], p["file"], p["line"], p["version"]) for p in prod["pins"]}
    assert ("remote ref (kustomize resources)", "base/kustomization.yaml", 4, "0.14.8") in pins
    assert ("speaker image tag (override)", "prod/kustomization.yaml", 7, "0.14.9") in pins


def test_versions_shows_unpinned_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = FIXTURES / "unpinned-version" / "fires-when-remote-ref-is-main"
    text = _run_versions(tmp_path, case, monkeypatch)
    assert 'kustomization.yaml:5  remote ref (kustomize resources): main [unpinned: the branch "main"]' in text


# -- version-skew's reference ------------------------------------------------------------------


def test_the_base_pin_is_the_reference_even_when_overlays_outnumber_it(tmp_path: Path) -> None:
    case = FIXTURES / "version-skew" / "fires-when-prod-patches-the-chart-version"
    repo = tmp_path / "repo"
    shutil.copytree(case, repo)
    shutil.copytree(repo / "prod", repo / "dev")  # two overlays on 0.13.12, one (staging) on the base's 0.14.8
    result = lint(repo, [repo], [r for r in REGISTRY if r.name == "version-skew"])
    assert sorted((f.target, f.location.file, f.location.line) for f in result.findings) == [
        ("dev", "dev/chart-version.yaml", 9), ("prod", "prod/chart-version.yaml", 9)]
    assert all("differs from 0.14.8 in the shared base (staging)" in f.message for f in result.findings)
    assert {str(r.location) for f in result.findings for r in f.related} == {"base/helmrelease.yaml:11:16"}


def test_without_a_base_pin_the_most_common_version_wins(tmp_path: Path) -> None:
    case = FIXTURES / "version-skew" / "fires-when-prod-pins-an-older-remote-ref"
    repo = tmp_path / "repo"
    shutil.copytree(case, repo)
    shutil.copytree(repo / "overlays" / "prod", repo / "overlays" / "dev")  # now two on 0.13.12
    result = lint(repo, [repo], [r for r in REGISTRY if r.name == "version-skew"])
    assert [(f.target, f.location.line) for f in result.findings] == [("overlays/staging", 4)]
    assert "differs from 0.13.12 in overlays/dev, overlays/prod" in result.findings[0].message
