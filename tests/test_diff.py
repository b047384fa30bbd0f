"""`metallb-lint diff`: real git repositories in temporary directories, the real program.

GIT_CEILING_DIRECTORIES and the working directory keep every git command
inside the test's own repository, never this checkout's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from linter.changes import _merged, _minus, format_interval
from linter.gitrev import extract, resolve

ROOT = Path(__file__).resolve().parent.parent

POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: {name}
  namespace: metallb-system
spec:
  addresses:
  - {address}
"""
L2_ALL = """\
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: all
  namespace: metallb-system
"""
LAN = POOL.format(name="lan", address="192.168.10.0/24")
SERVICES = POOL.format(name="services", address="192.168.10.200-192.168.10.250")
CLEAN = {"metallb/pools.yaml": LAN + "---\n" + L2_ALL}
OVERLAP = {"metallb/pools.yaml": LAN + "---\n" + SERVICES + "---\n" + L2_ALL}
HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metallb
  namespace: flux-system
spec:
  targetNamespace: {namespace}
  chart:
    spec:
      chart: metallb
"""


@pytest.fixture(autouse=True)
def _no_repository_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60)
    return result.stdout


def write(repo: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(repo: Path, files: Mapping[str, str], message: str) -> None:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def make_repo(tmp_path: Path, *commits: Mapping[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    for index, files in enumerate(commits):
        commit(repo, files, f"commit {index}")
    return repo


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS", "PYTHONPATH")}
    env.update(PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "linter", "diff", *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def diff_json(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run(repo, "--format", "json", *args)
    assert result.stderr == ""
    return result.returncode, json.loads(result.stdout)


def test_commit_that_introduces_an_overlap_fails(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CLEAN, OVERLAP)
    code, document = diff_json(repo, "HEAD~1", "HEAD")
    assert code == 1
    assert [f["rule"] for f in document["introduced"]] == ["pool-overlap"]
    assert document["fixed"] == []
    finding = document["introduced"][0]
    assert finding["file"] == "metallb/pools.yaml"  # relative to the root: no temporary directory
    assert set(finding) == {"rule", "code", "severity", "message", "file", "line", "column", "target",
                            "object", "related", "fingerprint"}
    assert {c["kind"] for c in document["changes"]} == {"pool-added", "advertisement-pools-changed"}


def test_commit_that_fixes_an_overlap_passes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, OVERLAP, CLEAN)
    code, document = diff_json(repo, "HEAD~1", "HEAD")
    assert code == 0
    assert document["introduced"] == []
    assert [f["rule"] for f in document["fixed"]] == ["pool-overlap"]
    assert document["fixed"][0]["file"] == "metallb/pools.yaml"
    assert "metallb-lint-diff-" not in json.dumps(document)
    removed = [c for c in document["changes"] if c["kind"] == "pool-removed"]
    assert [c["removed"] for c in removed] == [["192.168.10.200-192.168.10.250"]]


def test_moving_lines_introduces_and_fixes_nothing(tmp_path: Path) -> None:
    moved = {"metallb/pools.yaml": "# pools of the lab\n---\n" + L2_ALL + "---\n" + LAN + "---\n" + SERVICES}
    repo = make_repo(tmp_path, OVERLAP, moved)
    code, document = diff_json(repo, "HEAD~1", "HEAD")
    assert code == 0
    assert document["introduced"] == [] and document["fixed"] == []
    assert [f["rule"] for f in document["unchanged"]] == ["pool-overlap"]
    assert document["changes"] == []


def test_shrinking_a_pool_lists_the_removed_range(tmp_path: Path) -> None:
    smaller = {"metallb/pools.yaml": POOL.format(name="lan", address="192.168.10.0/25") + "---\n" + L2_ALL}
    repo = make_repo(tmp_path, CLEAN, smaller)
    code, document = diff_json(repo, "HEAD~1", "HEAD")
    assert code == 0
    [change] = document["changes"]
    assert change["kind"] == "pool-addresses-changed"
    assert change["removed"] == ["192.168.10.128/25"] and change["added"] == []
    assert (change["addresses_before"], change["addresses_after"]) == (256, 128)
    assert change["object"]["name"] == "lan" and change["file"] == "metallb/pools.yaml"


def test_working_tree_against_head_by_default(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CLEAN)
    write(repo, OVERLAP)  # uncommitted
    result = run(repo)
    assert result.returncode == 1, result.stderr
    assert "Introduced (1):" in result.stdout and "Fixed (0):" in result.stdout
    assert "1 introduced, 0 fixed, 0 unchanged." in result.stdout
    assert "IPAddressPool metallb-system/services added (192.168.10.200-192.168.10.250)" in result.stdout
    assert result.stdout.startswith("Comparing HEAD (")
    assert "with the working tree." in result.stdout.splitlines()[0]


def test_one_revision_is_compared_from_the_merge_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, OVERLAP)
    fork = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    # host bits set: pool-host-bits, a warning
    commit(repo, {"metallb/other.yaml": POOL.format(name="other", address="10.0.0.5/24")}, "feature work")
    git(repo, "checkout", "-q", "main")
    commit(repo, CLEAN, "main fixes the overlap")  # must not show as undone by the branch
    git(repo, "checkout", "-q", "feature")
    code, document = diff_json(repo, "main")
    assert document["base"] == {"revision": "main", "commit": fork}
    assert document["head"]["commit"] is None
    assert document["fixed"] == []
    assert [f["rule"] for f in document["introduced"]] == ["pool-host-bits"]
    assert [f["rule"] for f in document["unchanged"]] == ["pool-overlap"]
    assert code == 0  # a warning: below the default --fail-on
    assert run(repo, "main", "--fail-on", "warning").returncode == 1


def test_bad_revision_is_one_line_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CLEAN)
    for revision in ("no-such-branch", "--version"):
        result = run(repo, "--", revision) if revision.startswith("-") else run(repo, revision)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f'metallb-lint: error: unknown revision "{revision}": not a commit in this repository']


def test_outside_a_repository_exit_2(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    write(plain, CLEAN)
    result = run(plain)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "not inside a git work tree" in result.stderr


def test_work_tree_and_index_are_untouched(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CLEAN, OVERLAP)
    write(repo, {"metallb/staged.yaml": POOL.format(name="staged", address="10.1.0.0/24")})
    git(repo, "add", "metallb/staged.yaml")
    write(repo, {"metallb/pools.yaml": LAN, "notes.yaml": "untracked: true\n"})

    def state() -> tuple[str, ...]:
        return (git(repo, "status", "--porcelain=v1", "-uall"), git(repo, "diff"), git(repo, "diff", "--cached"),
                git(repo, "stash", "list"), git(repo, "rev-parse", "HEAD"),
                (repo / "metallb/pools.yaml").read_text(encoding="utf-8"))

    before = state()
    for args in ((), ("HEAD~1",), ("HEAD~1", "HEAD")):
        assert run(repo, *args).returncode in (0, 1)
    assert state() == before


def test_moving_the_metallb_namespace_is_a_change(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"flux/metallb.yaml": HELM_RELEASE.format(namespace="metallb-system")},
                     {"flux/metallb.yaml": HELM_RELEASE.format(namespace="metallb")})
    _, document = diff_json(repo, "HEAD~1", "HEAD")
    moved = [c for c in document["changes"] if c["kind"] == "installation-namespace-changed"]
    assert [(c["namespace_before"], c["namespace_after"]) for c in moved] == [("metallb-system", "metallb")]


@pytest.mark.parametrize("output_format", ["markdown", "rdjson", "github"])
def test_other_formats_report_the_introduced_findings(tmp_path: Path, output_format: str) -> None:
    repo = make_repo(tmp_path, CLEAN, OVERLAP)
    result = run(repo, "HEAD~1", "HEAD", "--format", output_format)
    assert result.returncode == 1
    assert "pool-overlap" in result.stdout or "ML104" in result.stdout
    assert "metallb/pools.yaml" in result.stdout


def test_extract_keeps_symlinks_inside_the_copy(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CLEAN)
    os.symlink("metallb/pools.yaml", repo / "inside.yaml")
    os.symlink("/etc/hostname", repo / "absolute.yaml")
    os.symlink("../../outside.yaml", repo / "metallb/up.yaml")
    os.symlink(".", repo / "here")
    os.symlink("here/../../escape.yaml", repo / "through.yaml")  # lexically inside, really not
    commit(repo, {}, "links")
    copy = tmp_path / "copy"
    copy.mkdir()
    extract(repo, resolve(repo, "HEAD"), copy)
    assert (copy / "inside.yaml").read_text(encoding="utf-8") == CLEAN["metallb/pools.yaml"]
    for name in ("absolute.yaml", "metallb/up.yaml", "through.yaml"):
        assert not os.path.lexists(copy / name), name


def test_interval_arithmetic() -> None:
    assert _merged([(5, 9), (0, 3), (4, 4), (20, 30)]) == [(0, 9), (20, 30)]
    assert _minus([(0, 255)], [(128, 255)]) == [(0, 127)]
    assert _minus([(0, 255)], [(10, 19), (100, 300)]) == [(0, 9), (20, 99)]
    assert _minus([(0, 9), (20, 29)], [(0, 29)]) == []
    base = int.from_bytes(bytes([192, 168, 10, 0]), "big")
    assert format_interval(4, (base, base + 255)) == "192.168.10.0/24"
    assert format_interval(4, (base + 200, base + 250)) == "192.168.10.200-192.168.10.250"
    assert format_interval(6, (0x20010DB8 << 96, (0x20010DB8 << 96) + 255)) == "2001:db8::/120"


def test_diff_formats_match_the_reporters() -> None:
    from linter import cli
    from linter.diff_report import DIFF_FORMAT_NAMES, diff_reporters

    assert cli._DIFF_FORMATS == DIFF_FORMAT_NAMES == tuple(diff_reporters())


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CLEAN, OVERLAP)
    result = run(repo, "HEAD~1", "HEAD", "--format", "json", "--output", str(tmp_path / "diff.json"),
                 "--format", "text", "--quiet")
    assert result.returncode == 1
    assert result.stdout.startswith("Introduced (1):")  # quiet: no header, no count line
    assert "unchanged." not in result.stdout
    document = json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))
    assert len(document["introduced"]) == 1


def test_a_new_target_lists_what_it_brings(tmp_path: Path) -> None:
    overlay = {"clusters/lab/kustomization.yaml": "resources:\n- pools.yaml\n",
               "clusters/lab/pools.yaml": POOL.format(name="lab", address="10.9.0.0/28") + "---\n" + L2_ALL}
    repo = make_repo(tmp_path, CLEAN, overlay)
    code, document = diff_json(repo, "HEAD~1", "HEAD")
    assert code == 0
    lab = [(c["kind"], c["object"] and c["object"]["name"]) for c in document["changes"]
           if c["target"] == "clusters/lab"]
    assert lab == [("target-added", None), ("pool-added", "lab"), ("advertisement-added", "all")]


PINNED_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metallb
  namespace: metallb-system
spec:
  chart:
    spec:
      chart: metallb
      version: {version}
  values:
    speaker:
      tolerateMaster: {tolerate}
"""


def _environments(prod_version: str, tolerate: str = "true") -> dict[str, str]:
    """Two clusters, each a kustomize root (a target) with its own pinned release."""
    kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [metallb.yaml]\n"
    return {"clusters/staging/kustomization.yaml": kustomization,
            "clusters/staging/metallb.yaml": PINNED_RELEASE.format(version="0.14.9", tolerate="true"),
            "clusters/prod/kustomization.yaml": kustomization,
            "clusters/prod/metallb.yaml": PINNED_RELEASE.format(version=prod_version, tolerate=tolerate)}


def test_bumping_the_prod_version_is_a_change_of_prod_only(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, _environments("0.14.8"), _environments("0.14.9"))
    _, document = diff_json(repo, "HEAD~1", "HEAD")
    bumps = [c for c in document["changes"] if c["kind"] == "version-changed"]
    assert [(c["target"], c["version_before"], c["version_after"]) for c in bumps] == [
        ("clusters/prod", "0.14.8", "0.14.9")]
    assert (bumps[0]["file"], bumps[0]["line"]) == ("clusters/prod/metallb.yaml", 10)
    assert "0.14.8 -> 0.14.9" in run(repo, "HEAD~1", "HEAD").stdout


def test_speaker_placement_change_is_listed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, _environments("0.14.9"), _environments("0.14.9", tolerate="false"))
    _, document = diff_json(repo, "HEAD~1", "HEAD")
    placement = [c for c in document["changes"] if c["kind"] == "placement-changed"]
    assert [(c["target"], c["field"]) for c in placement] == [("clusters/prod", "speaker tolerations")]
    assert placement[0]["after"] == [] and len(placement[0]["before"]) == 2
    assert (placement[0]["file"], placement[0]["line"]) == ("clusters/prod/metallb.yaml", 13)  # tolerateMaster


SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: ingress
  namespace: ingress
  annotations:
    metallb.io/loadBalancerIPs: 192.168.10.200
spec:
  type: LoadBalancer
  ports: [{port: 443}]
"""


def test_shrinking_a_pool_under_a_requested_ip_warns_of_reallocation(tmp_path: Path) -> None:
    installed = {"metallb/speaker.yaml": "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: speaker, "
                 "namespace: metallb-system}\nspec:\n  template:\n    spec:\n      containers:\n"
                 "        - {name: speaker, image: 'quay.io/metallb/speaker:v0.14.9'}\n",
                 "apps/service.yaml": SERVICE}
    smaller = {"metallb/pools.yaml": POOL.format(name="lan", address="192.168.10.0/25") + "---\n" + L2_ALL}
    repo = make_repo(tmp_path, {**CLEAN, **installed}, smaller)
    _, document = diff_json(repo, "HEAD~1", "HEAD")
    [left] = [c for c in document["changes"] if c["kind"] == "requested-ip-left-pools"]
    assert left["address"] == "192.168.10.200" and left["service"] == "ingress/ingress"
    assert (left["file"], left["line"]) == ("apps/service.yaml", 7)
    assert "addresses reallocated" in left["message"]
    assert [f["rule"] for f in document["introduced"]] == ["service-ip-not-in-pool"]


def test_suppressed_findings_stay_out_unless_no_suppressions(tmp_path: Path) -> None:
    suppressed = {"metallb/pools.yaml": OVERLAP["metallb/pools.yaml"].replace(
        "  - 192.168.10.200-192.168.10.250", "  - 192.168.10.200-192.168.10.250  # metallb-lint: disable=pool-overlap")}
    repo = make_repo(tmp_path, CLEAN, suppressed)
    code, document = diff_json(repo, "HEAD~1", "HEAD")
    assert code == 0 and document["introduced"] == []
    code, document = diff_json(repo, "HEAD~1", "HEAD", "--no-suppressions")
    assert code == 1 and [f["rule"] for f in document["introduced"]] == ["pool-overlap"]


def test_baseline_hides_a_finding_on_both_sides(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, CLEAN, OVERLAP)
    _, document = diff_json(repo, "HEAD~1", "HEAD")
    baseline = tmp_path / "baseline.json"
    written = subprocess.run([sys.executable, "-m", "linter", "baseline", "--output", str(baseline)], cwd=repo,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False)
    assert written.returncode == 0, written.stderr
    code, document = diff_json(repo, "HEAD~1", "HEAD", "--baseline", str(baseline))
    assert code == 0 and document["introduced"] == [] and document["fixed"] == []


def test_nodes_given_to_diff_reach_both_sides(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text("apiVersion: v1\nkind: Node\nmetadata:\n  name: solo\n"
                     "spec:\n  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]\n")
    repo = make_repo(tmp_path, _environments("0.14.9"), _environments("0.14.9", tolerate="false"))
    code, document = diff_json(repo, "HEAD~1", "HEAD", "--nodes", str(nodes))
    assert code == 1
    assert {(f["rule"], f["target"]) for f in document["introduced"]} == {
        ("speaker-missing-toleration", "clusters/prod")}
