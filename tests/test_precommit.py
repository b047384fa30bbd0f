"""Changed-files mode (the files pre-commit passes), and the real pre-commit hook.

(a) The engine, given files: the whole repository is rendered, but only the
    targets including a named file (and named loose files) are linted.
(b) `pre-commit` itself, installing this project as a hook repository from a
    local git copy, rejecting a bad commit and accepting a good one.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from linter.engine import Result, lint
from linter.finding import Severity
from rules import REGISTRY

PROJECT = Path(__file__).resolve().parent.parent

BASE_POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
spec:
  addresses:
    - 192.168.5.0/28
    - 192.168.5.300/32
"""


def _extra_pool(name: str, cidr: str) -> str:
    return (f"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: {name}\n"
            f"  namespace: metallb-system\nspec:\n  addresses:\n    - {cidr}\n")


@pytest.fixture()
def overlays(tmp_path: Path) -> Path:
    """A base with one bad entry; two overlays each adding a pool that overlaps the
    base's (a problem only the rendered overlay shows); a loose file with its own
    bad entry; a loose file that is not YAML at all."""
    files = {
        "base/pool.yaml": BASE_POOL,
        "base/kustomization.yaml": "resources: [pool.yaml]\n",
        "overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n  - extra.yaml\n",
        "overlays/prod/extra.yaml": _extra_pool("prod-extra", "192.168.5.8/29"),
        "overlays/staging/kustomization.yaml": "resources:\n  - ../../base\n  - extra.yaml\n",
        "overlays/staging/extra.yaml": _extra_pool("staging-extra", "192.168.5.4/30"),
        "loose/notes.yaml": _extra_pool("notes", "10.0.0.999/32"),
        "loose/broken.yaml": "key: [unclosed\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _lint(root: Path, *names: str) -> Result:
    return lint(root, [root / name for name in names], REGISTRY)


def _problems(result: Result) -> list[tuple[str, str, str | None]]:
    """(rule, file, object name) of each error: what the tests compare."""
    return [(f.rule, f.location.file, f.object.name if f.object else None)
            for f in result.findings if f.severity == Severity.ERROR]


BASE_BAD = ("pool-address-invalid", "base/pool.yaml", "lan")
PROD_OVERLAP = ("pool-overlap", "overlays/prod/extra.yaml", "prod-extra")
STAGING_OVERLAP = ("pool-overlap", "overlays/staging/extra.yaml", "staging-extra")
NOTES_BAD = ("pool-address-invalid", "loose/notes.yaml", "notes")


def test_a_directory_still_lints_everything_under_it(overlays: Path) -> None:
    result = lint(overlays, [overlays], REGISTRY)
    assert set(_problems(result)) >= {BASE_BAD, PROD_OVERLAP, STAGING_OVERLAP, NOTES_BAD}
    assert any(f.rule == "yaml-syntax" for f in result.findings)


def test_a_changed_base_lints_every_overlay_built_on_it(overlays: Path) -> None:
    result = _lint(overlays, "base/pool.yaml")
    # The base's own entry once (both overlays render it), and each overlay's
    # overlap that only the rendered overlay shows; nothing of the loose files.
    assert _problems(result) == [BASE_BAD, PROD_OVERLAP, STAGING_OVERLAP]
    assert not any(f.rule == "yaml-syntax" for f in result.findings)
    assert (result.targets, result.files) == (2, 6)  # the two overlays: 2 kustomizations + 2 extras + base's 2


def test_a_changed_overlay_file_lints_that_overlay_only(overlays: Path) -> None:
    result = _lint(overlays, "overlays/prod/extra.yaml")
    assert _problems(result) == [BASE_BAD, PROD_OVERLAP]
    assert (result.targets, result.files) == (1, 4)


def test_a_named_loose_file_is_linted_alone_as_a_loose_file(overlays: Path) -> None:
    result = _lint(overlays, "loose/notes.yaml")
    assert _problems(result) == [NOTES_BAD]
    assert (result.targets, result.files) == (1, 1)  # not loose/broken.yaml too
    broken = _lint(overlays, "loose/broken.yaml")
    assert [f.rule for f in broken.findings] == ["yaml-syntax"]
    assert broken.files == 1


def test_a_named_file_that_no_longer_exists_is_skipped(overlays: Path) -> None:
    # `git diff --name-only` lists deleted files; they are no error, and no finding.
    gone = _lint(overlays, "overlays/prod/deleted.yaml")
    assert (gone.findings, gone.files, gone.targets, gone.errors) == ((), 0, 0, ())
    with_gone = _lint(overlays, "overlays/prod/extra.yaml", "overlays/prod/deleted.yaml")
    assert _problems(with_gone) == [BASE_BAD, PROD_OVERLAP]
    assert (with_gone.targets, with_gone.files) == (1, 4)


def test_files_of_both_overlays_lint_both_once(overlays: Path) -> None:
    result = _lint(overlays, "overlays/prod/extra.yaml", "overlays/staging/extra.yaml", "loose/notes.yaml")
    assert _problems(result) == [BASE_BAD, NOTES_BAD, PROD_OVERLAP, STAGING_OVERLAP]
    assert (result.targets, result.files) == (3, 7)



def test_a_flux_unit_is_linted_through_the_overlay_it_renders(overlays: Path) -> None:
    # Each cluster's Flux Kustomization renders one overlay: the unit's file selects
    # its cluster's target, and the base selects both.
    for name in ("prod", "staging"):
        (overlays / "clusters" / name).mkdir(parents=True)
        (overlays / "clusters" / name / "metallb.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            f"  name: metallb-{name}\n  namespace: flux-system\nspec:\n  path: ./overlays/{name}\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
    assert _problems(_lint(overlays, "clusters/staging/metallb.yaml")) == [BASE_BAD, STAGING_OVERLAP]
    result = _lint(overlays, "base/pool.yaml")
    assert _problems(result) == [BASE_BAD, PROD_OVERLAP, STAGING_OVERLAP]
    assert result.targets == 2

# --- (b) the real pre-commit -------------------------------------------------


def _pre_commit() -> list[str] | None:
    """How to run pre-commit: this interpreter's module, else the executable on
    PATH or next to this interpreter (a virtualenv's bin/ not on PATH)."""
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    beside = Path(sys.executable).parent / "pre-commit"
    found = shutil.which("pre-commit") or (str(beside) if beside.exists() else None)
    return [found] if found else None


@dataclass(frozen=True)
class HookRepo:
    """A hook repository pre-commit has already cloned and installed once."""

    config: str  # the .pre-commit-config.yaml of a repository using it
    env: dict[str, str]
    command: list[str]


def _git(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _git_init(path: Path, env: dict[str, str]) -> None:
    for args in (("init", "-q"), ("config", "user.name", "test"), ("config", "user.email", "test@example.com"),
                 ("config", "commit.gpgsign", "false")):
        assert _git(path, *args, env=env).returncode == 0


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookRepo]:
    command = _pre_commit()
    if command is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]'; CI installs it)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("pre-commit")
    env = {**os.environ,
           # pre-commit's clones and hook environments, away from the user's cache;
           # one per module, so the hook environment is built once for every test here.
           "PRE_COMMIT_HOME": str(base / "cache"),
           # No user or system git configuration (hooks path, templates, signing).
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CEILING_DIRECTORIES": str(base)}
    env.pop("PRE_COMMIT", None)  # set when this suite itself runs under a hook
    # pre-commit installs a hook repository from git at a revision: a copy of
    # this checkout (as it is now, uncommitted changes included) committed once.
    source = base / "metallb-lint"
    shutil.copytree(PROJECT, source, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", ".mypy_cache", ".venv", "venv"))
    _git_init(source, env)
    assert _git(source, "add", "-A", env=env).returncode == 0
    assert _git(source, "commit", "-q", "-m", "hook repository", env=env).returncode == 0
    sha = _git(source, "rev-parse", "HEAD", env=env).stdout.strip()
    config = f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n      - id: metallb-lint\n"
    # Clone and pip-install the hook once (the slow part: the package's dependencies).
    warm = base / "warm"
    warm.mkdir()
    _git_init(warm, env)
    (warm / ".pre-commit-config.yaml").write_text(config)
    started = time.monotonic()
    installed = subprocess.run([*command, "install-hooks"], cwd=warm, env=env, capture_output=True, text=True,
                               timeout=900, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    print(f"pre-commit hook environment built in {time.monotonic() - started:.0f} s")
    yield HookRepo(config, env, command)


def _repository(path: Path, hook: HookRepo, files: dict[str, str]) -> Path:
    """A git repository with the hook installed and `files` committed (unchecked)."""
    path.mkdir()
    _git_init(path, hook.env)
    (path / ".pre-commit-config.yaml").write_text(hook.config)
    installed = subprocess.run([*hook.command, "install"], cwd=path, env=hook.env, capture_output=True,
                               text=True, timeout=120, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    assert _git(path, "add", "-A", env=hook.env).returncode == 0
    committed = _git(path, "commit", "-q", "--no-verify", "-m", "start", env=hook.env)
    assert committed.returncode == 0, committed.stderr
    return path


GOOD_POOL = BASE_POOL.replace("    - 192.168.5.300/32\n", "")
ADVERTISEMENT = ("apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: lan\n"
                 "  namespace: metallb-system\n")
START = {
    "base/pool.yaml": GOOD_POOL,
    "base/l2.yaml": ADVERTISEMENT,
    "base/kustomization.yaml": "resources: [pool.yaml, l2.yaml]\n",
    "overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n",
    # A problem already in the repository, in a target the commits below do not touch.
    "overlays/staging/kustomization.yaml": "resources:\n  - ../../base\n  - extra.yaml\n",
    "overlays/staging/extra.yaml": _extra_pool("staging-extra", "192.168.5.4/30"),
}


def _commit(path: Path, hook: HookRepo, name: str, text: str) -> subprocess.CompletedProcess[str]:
    (path / name).parent.mkdir(parents=True, exist_ok=True)
    (path / name).write_text(text)
    assert _git(path, "add", name, env=hook.env).returncode == 0
    return _git(path, "commit", "-m", f"change {name}", env=hook.env)


def test_pre_commit_rejects_a_bad_commit_with_the_finding(hook_repo: HookRepo, tmp_path: Path) -> None:
    repository = _repository(tmp_path / "repo", hook_repo, START)
    result = _commit(repository, hook_repo, "overlays/prod/extra.yaml", _extra_pool("prod-extra", "10.0.0.999/32"))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert ('overlays/prod/extra.yaml:8:7: error [pool-address-invalid ML101] IPAddressPool "prod-extra"'
            in output), output
    # The staged file's kustomization is not staged, so the file is linted loose;
    # staging's overlap, in a target this commit does not touch, is not reported.
    assert "staging-extra" not in output, output
    assert _git(repository, "rev-list", "--count", "HEAD", env=hook_repo.env).stdout.strip() == "1"


def test_pre_commit_reports_an_overlay_broken_by_a_staged_base(hook_repo: HookRepo, tmp_path: Path) -> None:
    repository = _repository(tmp_path / "repo", hook_repo, START)
    widened = GOOD_POOL.replace("192.168.5.0/28", "192.168.5.0/27")
    result = _commit(repository, hook_repo, "base/pool.yaml", widened)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # Found in staging's rendered result, in a file the commit did not touch.
    assert "overlays/staging/extra.yaml:8:7: error [pool-overlap ML104]" in output, output


def test_pre_commit_accepts_a_good_commit(hook_repo: HookRepo, tmp_path: Path) -> None:
    repository = _repository(tmp_path / "repo", hook_repo, START)
    result = _commit(repository, hook_repo, "overlays/prod/kustomization.yaml",
                     "resources:\n  - ../../base\n  - extra.yaml\n")
    assert result.returncode != 0  # extra.yaml is missing: kustomize-error, so first add it
    (repository / "overlays/prod/extra.yaml").write_text(_extra_pool("prod-extra", "10.0.1.0/24"))
    assert _git(repository, "add", "-A", env=hook_repo.env).returncode == 0
    result = _git(repository, "commit", "-m", "prod: its own pool", env=hook_repo.env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "metallb-lint" in output and "Passed" in output, output


def test_the_command_line_lints_named_files_as_pre_commit_passes_them(
        overlays: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from linter.cli import main

    monkeypatch.chdir(overlays)  # pre-commit runs at the top level, with relative names
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(overlays.parent))
    result = CliRunner().invoke(main, ["lint", "overlays/prod/extra.yaml", "overlays/prod/gone.yaml"])
    assert result.exit_code == 1, result.output
    assert "overlays/prod/extra.yaml:8:7: error [pool-overlap ML104]" in result.output
    assert "staging" not in result.output and "loose/" not in result.output
    assert "in 4 files (1 target)" in result.output
    gone = CliRunner().invoke(main, ["lint", "overlays/prod/gone.yaml"])
    assert (gone.exit_code, gone.output) == (0, "No problems found in 0 files (0 targets).\n")


def test_a_named_loose_helm_release_still_reads_values_from_another_file(tmp_path: Path) -> None:
    """Narrowing the loose files to the named one must not hide where its values live."""
    (tmp_path / "release.yaml").write_text("""\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: metallb, namespace: metallb-system}
spec:
  chart:
    spec: {chart: metallb, version: 0.14.8, sourceRef: {kind: HelmRepository, name: metallb}}
  valuesFrom:
    - kind: ConfigMap
      name: metallb-values
""")
    (tmp_path / "values.yaml").write_text("""\
apiVersion: v1
kind: ConfigMap
metadata: {name: metallb-values, namespace: metallb-system}
data:
  values.yaml: |
    speaker:
      ignoreExcludeLb: true
""")
    full = {(f.rule, f.location.file) for f in lint(tmp_path, [tmp_path], REGISTRY).findings}
    named = {(f.rule, f.location.file) for f in _lint(tmp_path, "release.yaml").findings}
    assert ("helm-values-unknown-key", "values.yaml") in full
    assert named == full
