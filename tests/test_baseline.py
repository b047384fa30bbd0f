"""`metallb-lint baseline` and `lint --baseline FILE`: adopt the tool, fail only on new problems."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

POOLS = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
spec:
  addresses:
  - 192.168.10.0/24
  - 10.0.0.7/16
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: services
  namespace: metallb-system
spec:
  addresses:
  - 192.168.10.200-192.168.10.250
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: all
  namespace: metallb-system
"""
NEW_OVERLAP = """\
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: extra
  namespace: metallb-system
spec:
  addresses:
  - 10.0.5.0/24
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore",
           "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    directory = tmp_path / "repo"
    (directory / "metallb").mkdir(parents=True)
    (directory / "metallb" / "pools.yaml").write_text(POOLS, encoding="utf-8")
    return directory


def test_baseline_then_lint_is_clean(repo: Path) -> None:
    assert run_cli("lint", cwd=repo).returncode == 1  # an overlap and host bits
    written = run_cli("baseline", cwd=repo)
    assert written.returncode == 0, written
    assert written.stdout == ""
    assert "wrote 2 findings" in written.stderr
    baseline = repo / ".metallb-lint-baseline.json"
    document = json.loads(baseline.read_text())
    assert [(e["rule"], e["file"]) for e in document["findings"]] == [
        ("pool-host-bits", "metallb/pools.yaml"), ("pool-overlap", "metallb/pools.yaml")]
    assert all(set(e) == {"fingerprint", "rule", "code", "file", "message"} for e in document["findings"])
    run = run_cli("lint", "--baseline", ".metallb-lint-baseline.json", "--fail-on", "info", cwd=repo)
    assert run.returncode == 0, run
    assert "No problems found" in run.stdout
    assert not [p.name for p in repo.iterdir() if p.name.startswith("..metallb-lint-baseline")]  # no temporary


def test_baseline_is_stable(repo: Path) -> None:
    run_cli("baseline", "--output", "first.json", cwd=repo)
    run_cli("baseline", "--output", "second.json", cwd=repo)
    assert (repo / "first.json").read_text() == (repo / "second.json").read_text()


def test_a_new_finding_still_fails(repo: Path) -> None:
    run_cli("baseline", cwd=repo)
    with (repo / "metallb" / "pools.yaml").open("a", encoding="utf-8") as stream:
        stream.write(NEW_OVERLAP)
    run = run_cli("lint", "--baseline", ".metallb-lint-baseline.json", cwd=repo)
    assert run.returncode == 1, run
    reported = [line for line in run.stdout.splitlines() if " [" in line and "note:" not in line]
    assert len(reported) == 1 and "[pool-overlap ML104]" in reported[0] and '"extra"' in reported[0], run.stdout


def test_moved_lines_do_not_resurface_baselined_findings(repo: Path) -> None:
    run_cli("baseline", "--output", "baseline.json", cwd=repo)
    moved = ("# Managed by the platform team.\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n"
             "data:\n  a: b\n---\n" + POOLS.replace("  name: lan\n", "  name: lan\n  labels:\n    tier: edge\n"))
    (repo / "metallb" / "pools.yaml").write_text(moved, encoding="utf-8")
    run = run_cli("lint", "--baseline", "baseline.json", "--fail-on", "info", cwd=repo)
    assert run.returncode == 0, run


def test_baseline_respects_suppressions_and_no_suppressions_ignores_it(repo: Path) -> None:
    pools = repo / "metallb" / "pools.yaml"
    pools.write_text(POOLS.replace("  - 10.0.0.7/16\n", "  - 10.0.0.7/16  # metallb-lint: disable=pool-host-bits\n"))
    run_cli("baseline", cwd=repo)
    document = json.loads((repo / ".metallb-lint-baseline.json").read_text())
    assert [e["rule"] for e in document["findings"]] == ["pool-overlap"]  # a suppressed finding is not listed
    run = run_cli("lint", "--baseline", ".metallb-lint-baseline.json", "--no-suppressions", cwd=repo)
    assert run.returncode == 1 and "[pool-overlap ML104]" in run.stdout and "[pool-host-bits ML103]" in run.stdout


def test_baseline_of_a_clean_repository_is_empty(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    run = run_cli("baseline", "--output", "b.json", cwd=repo)
    assert run.returncode == 0 and "wrote 0 findings" in run.stderr
    assert json.loads((repo / "b.json").read_text())["findings"] == []
    assert run_cli("lint", "--baseline", "b.json", cwd=repo).returncode == 0


@pytest.mark.parametrize("content, says", [
    (None, "no such baseline file"),
    ("{not json", "invalid JSON"),
    ('{"version": 1}', 'no "findings" list'),
    ('[1, 2]', 'no "findings" list'),
    ('{"version": 7, "findings": []}', "version"),
    ('{"version": 1, "findings": [{"rule": "pool-overlap"}]}', "findings[0]: no fingerprint"),
], ids=["missing", "not-json", "no-findings", "not-an-object", "bad-version", "no-fingerprint"])
def test_invalid_baseline_is_a_usage_error(repo: Path, content: str | None, says: str) -> None:
    if content is not None:
        (repo / "b.json").write_text(content, encoding="utf-8")
    run = run_cli("lint", "--baseline", "b.json", cwd=repo)
    assert run.returncode == 2, run
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("metallb-lint: error: b.json") and says in lines[0], lines


def test_baseline_to_an_unwritable_place_is_a_usage_error(repo: Path) -> None:
    run = run_cli("baseline", "--output", "no/such/dir/b.json", cwd=repo)
    assert run.returncode == 2, run
    assert len(run.stderr.splitlines()) == 1 and "cannot write" in run.stderr
