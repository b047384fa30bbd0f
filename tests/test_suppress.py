"""Suppressions: inline and file comments, the object annotation, unknown names (ML006)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from fixture_harness import FIXTURES
from linter.engine import lint
from linter.finding import Finding
from rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent

POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: {name}
  namespace: metallb-system{annotations}
spec:
  addresses:
{entries}
"""
L2_ALL = """\
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: all
  namespace: metallb-system
"""


def pool(entries: str, name: str = "lab", annotation: str | None = None) -> str:
    annotations = f"\n  annotations:\n    metallb-lint.io/ignore: \"{annotation}\"" if annotation else ""
    return POOL.format(name=name, annotations=annotations, entries=entries)


def make(directory: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def findings(repo: Path, *, suppressions: bool = True) -> list[Finding]:
    result = lint(repo, [repo], REGISTRY, suppressions=suppressions)
    assert result.errors == ()
    return list(result.findings)


def rules_at(found: list[Finding]) -> list[tuple[str, int]]:
    return [(f.rule, f.location.line) for f in found]


@pytest.fixture(autouse=True)
def _no_repository_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


# -- comments ---------------------------------------------------------------


def test_comment_on_the_findings_line(tmp_path: Path) -> None:
    repo = make(tmp_path, {"pools.yaml": pool("  - 10.0.0.5/16  # metallb-lint: disable=pool-host-bits\n"
                                              "  - 10.1.0.5/16\n") + L2_ALL})
    assert rules_at(findings(repo)) == [("pool-host-bits", 9)]  # the second entry only
    assert rules_at(findings(repo, suppressions=False)) == [("pool-host-bits", 8), ("pool-host-bits", 9)]


def test_comment_on_the_line_above(tmp_path: Path) -> None:
    repo = make(tmp_path, {"pools.yaml": pool("  # metallb-lint: disable=pool-host-bits\n"
                                              "  - 10.0.0.5/16\n"
                                              "  - 10.1.0.5/16\n") + L2_ALL})
    assert rules_at(findings(repo)) == [("pool-host-bits", 10)]


def test_stacked_comments_above_one_line(tmp_path: Path) -> None:
    repo = make(tmp_path, {"pools.yaml": pool("  # metallb-lint: disable=pool-host-bits -- lab\n"
                                              "  # the router keeps .1\n"
                                              "  - 10.0.0.5/16\n") + L2_ALL})
    assert findings(repo) == []


def test_trailing_comment_does_not_cover_the_next_line(tmp_path: Path) -> None:
    """A trailing comment is about its own line; the next list entry keeps its finding."""
    repo = make(tmp_path, {"pools.yaml": pool("  - 10.0.0.0/16  # metallb-lint: disable=pool-host-bits\n"
                                              "  - 10.1.0.5/16\n") + L2_ALL})
    assert rules_at(findings(repo)) == [("pool-host-bits", 9)]


@pytest.mark.parametrize("name", ["pool-host-bits", "ML103", "ml103", "POOL-HOST-BITS"])
def test_rule_by_name_or_code_in_any_case(tmp_path: Path, name: str) -> None:
    repo = make(tmp_path, {"pools.yaml": pool(f"  - 10.0.0.5/16  # metallb-lint: disable={name}\n") + L2_ALL})
    assert findings(repo) == []


def test_reason_after_two_dashes(tmp_path: Path) -> None:
    from linter.model import Repository
    from linter.suppress import collect
    from linter.workspace import Workspace

    repo = make(tmp_path, {"pools.yaml": pool(
        "  - 10.0.0.5/16  # metallb-lint: disable=pool-host-bits, pool-overlap -- the lab owns the /16\n")
        + L2_ALL})
    assert findings(repo) == []  # the reason is not read as a rule name: no unknown-suppression
    workspace = Workspace(repo)
    workspace.load("pools.yaml")
    written = collect(Repository(workspace.files, [])).names
    assert [(w.text, w.reason) for w in written] == [
        ("pool-host-bits", "the lab owns the /16"), ("pool-overlap", "the lab owns the /16")]
    line = (repo / "pools.yaml").read_text().splitlines()[7]
    assert [w.location.column for w in written] == [line.index("pool-host-bits") + 1, line.index("pool-overlap") + 1]


def test_several_rules_in_one_comment(tmp_path: Path) -> None:
    text = pool("  - 10.0.0.5/16\n") + "---\n" + pool("  - 10.0.0.0/24  # metallb-lint: disable=ML104,ML103\n",
                                                    name="office") + L2_ALL
    repo = make(tmp_path, {"pools.yaml": text})
    assert rules_at(findings(repo)) == [("pool-host-bits", 8)]
    assert sorted(rules_at(findings(repo, suppressions=False))) == [("pool-host-bits", 8), ("pool-overlap", 18)]


def test_suppressing_one_rule_does_not_hide_another(tmp_path: Path) -> None:
    text = pool("  - 10.0.0.5/16\n") + "---\n" + pool("  - 10.0.0.7/24  # metallb-lint: disable=pool-host-bits\n",
                                                    name="office") + L2_ALL
    repo = make(tmp_path, {"pools.yaml": text})
    assert rules_at(findings(repo)) == [("pool-host-bits", 8), ("pool-overlap", 18)]


def test_disable_file(tmp_path: Path) -> None:
    text = "# metallb-lint: disable-file=pool-host-bits -- a lab\n" + pool("  - 10.0.0.5/16\n  - 10.1.0.5/16\n")
    repo = make(tmp_path, {"pools.yaml": text + L2_ALL, "other.yaml": pool("  - 10.2.0.5/16\n", name="other")})
    assert rules_at(findings(repo)) == [("pool-host-bits", 8)]  # other.yaml only
    assert {f.location.file for f in findings(repo)} == {"other.yaml"}


def test_disable_file_keeps_other_rules(tmp_path: Path) -> None:
    text = "# metallb-lint: disable-file=pool-host-bits\n" + pool("  - 10.0.0.5/16\n")  # and no advertisement
    repo = make(tmp_path, {"pools.yaml": text})
    assert [f.rule for f in findings(repo)] == ["pool-not-advertised"]


def test_a_comment_inside_a_value_is_not_a_suppression(tmp_path: Path) -> None:
    text = pool("  - 10.0.0.5/16\n").replace("  name: lab\n", "  name: lab\n  labels: {note: 'a#metallb-lint: x'}\n")
    repo = make(tmp_path, {"pools.yaml": text + L2_ALL})
    assert [f.rule for f in findings(repo)] == ["pool-host-bits"]


# -- the annotation ----------------------------------------------------------


def test_annotation_hides_findings_about_its_object_only(tmp_path: Path) -> None:
    text = (pool("  - 10.0.0.5/16\n", annotation="pool-host-bits -- reviewed") + "---\n"
            + pool("  - 10.1.0.5/16\n", name="other") + L2_ALL)
    repo = make(tmp_path, {"pools.yaml": text})
    assert [(f.rule, f.object.name if f.object else None) for f in findings(repo)] == [("pool-host-bits", "other")]


def test_annotation_names_several_rules(tmp_path: Path) -> None:
    repo = make(tmp_path, {"pools.yaml": pool("    []\n", annotation="pool-empty, ML401")})
    assert findings(repo) == []
    assert sorted(f.rule for f in findings(repo, suppressions=False)) == ["pool-empty", "pool-not-advertised"]


OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: {prefix}-
resources:
- ../../base
"""
BASE = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- pools.yaml
"""


def test_annotation_travels_through_a_kustomize_overlay(tmp_path: Path) -> None:
    repo = make(tmp_path, {
        "base/kustomization.yaml": BASE,
        "base/pools.yaml": pool("  - 10.0.0.5/16\n", annotation="pool-host-bits") + L2_ALL,
        "overlays/prod/kustomization.yaml": OVERLAY.format(prefix="prod"),
    })
    assert findings(repo) == []
    unsuppressed = findings(repo, suppressions=False)
    assert [(f.rule, f.object.name if f.object else None) for f in unsuppressed] == [("pool-host-bits", "prod-lab")]


ANNOTATE_PATCH = """\
patches:
- target: {kind: IPAddressPool, name: lab}
  patch: |
    - op: add
      path: /metadata/annotations
      value: {"metallb-lint.io/ignore": "pool-host-bits"}
"""


def test_annotation_added_by_one_overlay_hides_only_its_copy(tmp_path: Path) -> None:
    files = {
        "base/kustomization.yaml": BASE,
        "base/pools.yaml": pool("  - 10.0.0.5/16\n") + L2_ALL,
        "overlays/prod/kustomization.yaml": OVERLAY.format(prefix="prod") + ANNOTATE_PATCH,
        "overlays/lab/kustomization.yaml": OVERLAY.format(prefix="lab"),
    }
    repo = make(tmp_path, files)
    assert [f.object.name if f.object else None for f in findings(repo)] == ["lab-lab"]


def test_annotation_in_one_overlay_keeps_the_shared_finding_of_another(tmp_path: Path) -> None:
    """Without prefixes, both overlays report one finding; one unannotated copy keeps it visible."""
    files = {
        "base/kustomization.yaml": BASE,
        "base/pools.yaml": pool("  - 10.0.0.5/16\n") + L2_ALL,
        "overlays/prod/kustomization.yaml": OVERLAY.replace("namePrefix: {prefix}-\n", "") + ANNOTATE_PATCH,
        "overlays/lab/kustomization.yaml": OVERLAY.replace("namePrefix: {prefix}-\n", ""),
    }
    repo = make(tmp_path, files)
    assert [f.rule for f in findings(repo)] == ["pool-host-bits"]
    (repo / "overlays/lab/kustomization.yaml").write_text(
        OVERLAY.replace("namePrefix: {prefix}-\n", "") + ANNOTATE_PATCH)
    assert findings(repo) == []


# -- unknown names: ML006 ------------------------------------------------------


def test_unknown_rule_in_a_comment_is_reported_with_a_hint(tmp_path: Path) -> None:
    repo = make(tmp_path, {"pools.yaml": pool("  - 10.0.0.5/16  # metallb-lint: disable=pool-host-bit\n") + L2_ALL})
    found = findings(repo)
    assert [(f.rule, f.location.line) for f in found] == [("pool-host-bits", 8), ("unknown-suppression", 8)]
    unknown = found[1]
    assert unknown.code == "ML006" and str(unknown.severity) == "warning"
    assert unknown.location.column == len("  - 10.0.0.5/16  # metallb-lint: disable=") + 1
    assert 'unknown rule "pool-host-bit"' in unknown.message and 'did you mean "pool-host-bits"?' in unknown.message


def test_unknown_rule_in_an_annotation_is_reported_once_across_targets(tmp_path: Path) -> None:
    repo = make(tmp_path, {
        "base/kustomization.yaml": BASE,
        "base/pools.yaml": pool("  - 10.0.0.0/16\n", annotation="pool-overlaps") + L2_ALL,
        "overlays/prod/kustomization.yaml": OVERLAY.format(prefix="prod"),
        "overlays/lab/kustomization.yaml": OVERLAY.format(prefix="lab"),
    })
    found = findings(repo)
    assert [(f.rule, f.location.file, f.location.line) for f in found] == [
        ("unknown-suppression", "base/pools.yaml", 7)]
    assert 'did you mean "pool-overlap"?' in found[0].message


def test_all_is_not_a_rule(tmp_path: Path) -> None:
    repo = make(tmp_path, {"pools.yaml": pool("  - 10.0.0.5/16  # metallb-lint: disable=all\n") + L2_ALL})
    found = findings(repo)
    assert sorted(f.rule for f in found) == ["pool-host-bits", "unknown-suppression"]
    assert any('there is no "all"' in f.message for f in found)


def test_unknown_suppression_can_itself_be_configured_off(tmp_path: Path) -> None:
    from linter.config import Config, RuleSettings

    repo = make(tmp_path, {"pools.yaml": pool("  - 10.0.0.0/16  # metallb-lint: disable=nope\n") + L2_ALL})
    result = lint(repo, [repo], REGISTRY, Config(rules={"ML006": RuleSettings(off=True)}))
    assert result.findings == ()


def test_fixture_for_ml006_hides_real_findings(tmp_path: Path) -> None:
    """The quiet fixture is quiet because its suppressions work, not because nothing is wrong."""
    case = FIXTURES / "unknown-suppression" / "quiet-when-suppressions-name-known-rules"
    assert findings(case) == []
    assert sorted({f.rule for f in findings(case, suppressions=False)}) == [
        "pool-empty", "pool-host-bits", "pool-not-advertised", "pool-overlap"]


# -- the command line ------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore",
           "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_no_suppressions_shows_everything(tmp_path: Path) -> None:
    text = ("# metallb-lint: disable-file=pool-overlap\n"
            + pool("  - 10.0.0.5/16  # metallb-lint: disable=pool-host-bits\n", annotation="pool-host-bits")
            + L2_ALL)
    repo = make(tmp_path / "repo", {"pools.yaml": text})
    quiet = run_cli("lint", cwd=repo)
    assert quiet.returncode == 0 and "No problems found" in quiet.stdout, quiet
    loud = run_cli("lint", "--no-suppressions", "--fail-on", "warning", cwd=repo)
    assert loud.returncode == 1, loud
    assert "[pool-host-bits ML103]" in loud.stdout
