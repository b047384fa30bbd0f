"""End-to-end tests of the command line: the contracts of DESIGN.md ("External contracts").

Most tests run the real program (`python -m linter`) in a small repository
built in a temporary directory, so exit codes, stdout/stderr and the current
directory are exactly what a user or a CI job sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import linter
from linter.engine import lint
from rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent

# `path:line:col: severity [name code] message`
FINDING_LINE = re.compile(
    r"^(?P<file>[^\s:][^:]*):(?P<line>[1-9]\d*):(?P<column>[1-9]\d*): (?P<severity>error|warning|info) "
    r"\[(?P<rule>[a-z0-9]+(?:-[a-z0-9]+)*) (?P<code>ML\d{3})\] (?P<message>\S.*)$"
)
NOTE_LINE = re.compile(r"^    \S+:\d+:\d+: note: .+$")
SUMMARY_LINE = re.compile(r"^(No problems found|\d+ errors?, \d+ warnings?, \d+ info) in \d+ files? "
                          r"\(\d+ targets?\)\.$")
ANSI = re.compile(r"\x1b\[")

POOL_LAN = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
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
APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - port: 80
"""
OVERLAPPING_POOLS = POOL_LAN.format(address="192.168.10.0/24") + """\
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
""" + L2_ALL

CLEAN = {
    "metallb/pools.yaml": POOL_LAN.format(address="192.168.10.0/24") + "---\n" + L2_ALL,
    "apps/web.yaml": APP,
}
ERROR = {"metallb/pools.yaml": OVERLAPPING_POOLS, "apps/web.yaml": APP}
# host bits set: pool-host-bits, a warning, and nothing else
WARNING_ONLY = {"metallb/pools.yaml": POOL_LAN.format(address="192.168.12.100/24") + "---\n" + L2_ALL}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def stdout_lines(self) -> list[str]:
        return self.stdout.splitlines()

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


@pytest.fixture(autouse=True)
def _no_repository_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git never finds a repository above the test's temporary directory."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONWARNINGS"] = "ignore"  # stderr must hold only what the tool prints
    env.update(extra or {})
    return env


def run_cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> Run:
    result = subprocess.run(
        [sys.executable, "-m", "linter", *args],
        cwd=cwd, env=_env(env), capture_output=True, text=True, timeout=120, check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def run_in_tty(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """Run the program with stdout on a pseudo-terminal; what it wrote there."""
    pty = pytest.importorskip("pty")  # POSIX only
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "linter", *args], cwd=cwd, env=_env(env),
            stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
        assert process.stderr is not None
        process.stderr.close()
    finally:
        os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def make_repo(directory: Path, files: Mapping[str, str], *, git: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if git:
        subprocess.run(["git", "init", "-q", str(directory)], check=True, capture_output=True)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def finding_lines(output: str) -> list[re.Match[str]]:
    return [m for m in map(FINDING_LINE.match, output.splitlines()) if m]


def assert_text_report(output: str, *, summary: bool = True) -> list[re.Match[str]]:
    """Every line is a finding, an indented note, or (last) the summary; the findings."""
    lines = output.splitlines()
    if summary:
        assert lines and SUMMARY_LINE.match(lines[-1]), output
        lines = lines[:-1]
    for line in lines:
        assert FINDING_LINE.match(line) or NOTE_LINE.match(line), f"unexpected line {line!r} in\n{output}"
    return finding_lines(output)


# -- exit codes -------------------------------------------------------------


def test_clean_repository_exits_0_and_says_no_problems(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", CLEAN)
    run = run_cli("lint", cwd=repo)
    assert run.returncode == 0, run
    assert run.stderr == ""
    assert run.stdout_lines == ["No problems found in 2 files (1 target)."]


def test_error_finding_exits_1(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", ERROR)
    run = run_cli("lint", cwd=repo)
    assert run.returncode == 1, run
    assert run.stderr == ""
    findings = assert_text_report(run.stdout)
    assert [(m["rule"], m["code"], m["severity"]) for m in findings] == [("pool-overlap", "ML104", "error")]
    assert run.stdout_lines[-1] == "1 error, 0 warnings, 0 info in 2 files (1 target)."


def test_fail_on_warning_and_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", WARNING_ONLY)
    default = run_cli("lint", cwd=repo)
    assert default.returncode == 0, default
    assert [m["severity"] for m in assert_text_report(default.stdout)] == ["warning"]
    assert run_cli("lint", "--fail-on", "warning", cwd=repo).returncode == 1
    assert run_cli("lint", "--fail-on", "info", cwd=repo).returncode == 1
    assert run_cli("lint", "--fail-on", "error", cwd=repo).returncode == 0


@pytest.mark.parametrize("args", [
    # With a directory named; a missing file named alone is skipped (changed-files
    # mode: `git diff --name-only` lists deleted files), see tests/test_precommit.py.
    ("lint", ".", "does/not/exist"),
    ("lint", ".."),
    ("lint", "--no-such-option"),
    ("--no-such-option",),
    ("lint", "--format", "xml"),
    ("lint", "--fail-on", "fatal"),
    ("explain",),
], ids=["missing-path", "outside-the-root", "unknown-option", "unknown-global-option", "bad-format",
        "bad-fail-on", "missing-argument"])
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    repo = make_repo(tmp_path / "repo", CLEAN)
    run = run_cli(*args, cwd=repo)
    assert run.returncode == 2, run
    assert run.stdout == ""
    assert len(run.stderr_lines) == 1, run.stderr
    assert run.stderr_lines[0].startswith("metallb-lint: error: "), run.stderr
    assert "Traceback" not in run.stderr


def test_missing_path_names_the_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", CLEAN)
    run = run_cli("lint", "metallb", "does/not/exist", cwd=repo)
    assert run.returncode == 2
    assert "does/not/exist" in run.stderr


def test_unknown_option_names_the_option(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", CLEAN)
    assert "--no-such-option" in run_cli("lint", "--no-such-option", cwd=repo).stderr


def test_version(tmp_path: Path) -> None:
    run = run_cli("--version", cwd=tmp_path)
    assert run.returncode == 0
    assert linter.__version__ in run.stdout


# -- text format ------------------------------------------------------------


def _overlap_position(text: str) -> tuple[int, int]:
    """1-based line and column of the second (overlapping) entry in OVERLAPPING_POOLS."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "192.168.10.200-192.168.10.250" in line:
            return number, line.index("192.168.10.200") + 1
    raise AssertionError("entry not found")


def test_text_paths_relative_to_git_top_level(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "clusters/prod/pools.yaml": OVERLAPPING_POOLS,
        "clusters/prod/apps.yaml": APP,
    }, git=True)
    line, column = _overlap_position(OVERLAPPING_POOLS)
    # from the top level, from inside the repository, and with an absolute path:
    # always relative to the git top level
    for cwd, args in ((repo, ()), (repo / "clusters" / "prod", (".",)), (repo / "clusters", ()),
                      (repo, (str(repo / "clusters"),))):
        run = run_cli("lint", "--no-color", *args, cwd=cwd)
        assert run.returncode == 1, (cwd, run)
        findings = assert_text_report(run.stdout)
        assert len(findings) == 1, run.stdout
        found = findings[0]
        assert (found["file"], int(found["line"]), int(found["column"])) == \
            ("clusters/prod/pools.yaml", line, column), (cwd, args)
        assert (found["severity"], found["rule"], found["code"]) == ("error", "pool-overlap", "ML104")
        notes = [text for text in run.stdout_lines if text.startswith("    ")]
        assert notes and all(n.startswith("    clusters/prod/pools.yaml:8:5: note: ") for n in notes), notes


def test_text_paths_relative_to_current_directory_without_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "plain", {"sub/dir/pools.yaml": OVERLAPPING_POOLS})
    assert not (repo / ".git").exists()
    line, column = _overlap_position(OVERLAPPING_POOLS)
    for args in ((), ("sub",), (str(repo / "sub" / "dir" / "pools.yaml"),)):
        run = run_cli("lint", *args, cwd=repo)
        assert run.returncode == 1, run
        findings = assert_text_report(run.stdout)
        assert [(m["file"], int(m["line"]), int(m["column"])) for m in findings] == \
            [("sub/dir/pools.yaml", line, column)], args
    # The current directory is the root: from `sub`, paths are relative to `sub`.
    run = run_cli("lint", cwd=repo / "sub")
    assert [m["file"] for m in finding_lines(run.stdout)] == ["dir/pools.yaml"]


def test_color_only_on_a_terminal_and_never_with_no_color(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", ERROR)
    coloured = run_in_tty("lint", cwd=repo)
    assert ANSI.search(coloured), "a terminal gets colours (else this test proves nothing)"
    for output in (run_in_tty("lint", "--no-color", cwd=repo),
                   run_in_tty("lint", cwd=repo, env={"NO_COLOR": "1"})):
        assert not ANSI.search(output), output
        assert len(assert_text_report(output)) == 1
    piped = run_cli("lint", cwd=repo)
    assert not ANSI.search(piped.stdout)


def test_quiet_drops_the_summary(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", ERROR)
    full = run_cli("lint", cwd=repo)
    quiet = run_cli("lint", "--quiet", cwd=repo)
    assert quiet.returncode == 1
    assert quiet.stdout_lines == full.stdout_lines[:-1]
    assert len(assert_text_report(quiet.stdout, summary=False)) == 1
    assert not any(SUMMARY_LINE.match(line) for line in quiet.stdout_lines)
    clean = run_cli("lint", "-q", cwd=make_repo(tmp_path / "clean", CLEAN))
    assert (clean.returncode, clean.stdout) == (0, "")


# -- JSON format ------------------------------------------------------------

DOCUMENT_KEYS = {"tool", "version", "findings", "summary"}
FINDING_KEYS = {"rule", "code", "severity", "message", "file", "line", "column", "target", "object",
                "related", "fingerprint"}
OBJECT_KEYS = {"apiVersion", "kind", "namespace", "name"}
RELATED_KEYS = {"file", "line", "column", "message"}
SUMMARY_KEYS = {"error", "warning", "info", "files", "targets"}


def lint_json(repo: Path, *args: str) -> dict:
    run = run_cli("lint", "--format", "json", *args, cwd=repo)
    assert run.returncode in (0, 1), run
    assert run.stderr == ""
    return json.loads(run.stdout)


def check_json_shape(document: dict, repo: Path) -> None:
    assert set(document) == DOCUMENT_KEYS
    assert document["tool"] == "metallb-lint"
    assert document["version"] == linter.__version__
    assert set(document["summary"]) == SUMMARY_KEYS
    assert all(type(v) is int for v in document["summary"].values())
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["severity"] in ("error", "warning", "info")
        assert re.fullmatch(r"ML\d{3}", finding["code"])
        assert isinstance(finding["fingerprint"], str) and finding["fingerprint"]
        assert finding["target"] is None or isinstance(finding["target"], str)
        places = [finding, *finding["related"]]
        for related in finding["related"]:
            assert set(related) == RELATED_KEYS
            assert isinstance(related["message"], str) and related["message"]
        for place in places:
            assert not place["file"].startswith("/") and "\\" not in place["file"], place
            assert (repo / place["file"]).is_file(), place
            lines = (repo / place["file"]).read_text(errors="replace").splitlines()
            assert type(place["line"]) is int and 1 <= place["line"] <= len(lines), place
            assert type(place["column"]) is int and 1 <= place["column"] <= len(lines[place["line"] - 1]) + 1
        if finding["object"] is not None:
            assert set(finding["object"]) == OBJECT_KEYS
    counts = {severity: 0 for severity in ("error", "warning", "info")}
    for finding in document["findings"]:
        counts[finding["severity"]] += 1
    assert {k: document["summary"][k] for k in counts} == counts


def test_json_matches_the_design(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "clusters/prod/metallb/pools.yaml": OVERLAPPING_POOLS,
        "clusters/prod/apps.yaml": APP,
        "clusters/prod/kustomization.yaml": "resources:\n- metallb/pools.yaml\n- apps.yaml\n",
    }, git=True)
    document = lint_json(repo / "clusters")
    check_json_shape(document, repo)
    line, column = _overlap_position(OVERLAPPING_POOLS)
    assert document["findings"] == [{
        "rule": "pool-overlap",
        "code": "ML104",
        "severity": "error",
        "message": document["findings"][0]["message"],
        "file": "clusters/prod/metallb/pools.yaml",
        "line": line,
        "column": column,
        "target": "clusters/prod",
        "object": {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                   "namespace": "metallb-system", "name": "services"},
        "related": [{"file": "clusters/prod/metallb/pools.yaml", "line": 8, "column": 5,
                     "message": document["findings"][0]["related"][0]["message"]}],
        "fingerprint": document["findings"][0]["fingerprint"],
    }]
    assert "192.168.10.0/24" in document["findings"][0]["message"]
    assert document["summary"] == {"error": 1, "warning": 0, "info": 0, "files": 3, "targets": 1}


def test_json_clean_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", CLEAN)
    document = lint_json(repo)
    check_json_shape(document, repo)
    assert document["findings"] == []
    assert document["summary"] == {"error": 0, "warning": 0, "info": 0, "files": 2, "targets": 1}


def test_fingerprint_survives_moved_lines_and_tells_findings_apart(tmp_path: Path) -> None:
    two_problems = OVERLAPPING_POOLS.replace("  - 192.168.10.0/24\n", "  - 192.168.10.0/24\n  - 10.0.0.7/16\n")
    repo = make_repo(tmp_path / "repo", {"pools.yaml": two_problems})
    before = lint_json(repo)
    check_json_shape(before, repo)
    assert sorted(f["rule"] for f in before["findings"]) == ["pool-host-bits", "pool-overlap"]
    fingerprints = [f["fingerprint"] for f in before["findings"]]
    assert len(set(fingerprints)) == len(fingerprints)

    # Unrelated lines above every finding: a comment block, a document, a label.
    moved = ("# Managed by the platform team.\n# Do not edit by hand.\n"
             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\ndata:\n  a: b\n---\n"
             + two_problems.replace("  name: lan\n", "  name: lan\n  labels:\n    tier: edge\n", 1))
    (repo / "pools.yaml").write_text(moved)
    after = lint_json(repo)
    check_json_shape(after, repo)
    assert [f["fingerprint"] for f in after["findings"]] == fingerprints
    assert [f["line"] for f in after["findings"]] == [f["line"] + 11 for f in before["findings"]]
    assert [f["message"] for f in after["findings"]] == [f["message"] for f in before["findings"]]


def test_json_to_a_file_and_text_to_stdout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", ERROR)
    run = run_cli("lint", "--format", "json", "--output", "out.json", "--format", "text", cwd=repo)
    assert run.returncode == 1, run
    assert run.stderr == ""
    findings = assert_text_report(run.stdout)
    document = json.loads((repo / "out.json").read_text())
    check_json_shape(document, repo)
    assert [(f["file"], f["line"], f["column"], f["code"]) for f in document["findings"]] == \
        [(m["file"], int(m["line"]), int(m["column"]), m["code"]) for m in findings]
    assert not [p.name for p in repo.iterdir() if p.name.startswith(".out.json")]  # no temporary left


# -- rules and explain ------------------------------------------------------


def test_rules_lists_every_rule(tmp_path: Path) -> None:
    run = run_cli("rules", cwd=tmp_path)
    assert run.returncode == 0
    rows = [line.split(None, 3) for line in run.stdout_lines]
    assert [(r[0], r[1], r[2]) for r in rows] == [(r.code, r.name, str(r.severity)) for r in REGISTRY]
    assert [r[3] for r in rows] == [r.summary for r in REGISTRY]


def test_docs_rules_md_is_up_to_date(tmp_path: Path) -> None:
    run = run_cli("rules", "--format", "markdown", cwd=tmp_path)
    assert run.returncode == 0
    for rule in REGISTRY:
        assert rule.code in run.stdout and rule.name in run.stdout
    committed = ROOT / "docs" / "rules.md"
    assert committed.is_file(), "docs/rules.md is missing: python -m linter rules --format markdown > docs/rules.md"
    assert committed.read_text(encoding="utf-8") == run.stdout, \
        "docs/rules.md is stale: python -m linter rules --format markdown > docs/rules.md"


def test_explain_by_code_and_by_name(tmp_path: Path) -> None:
    by_code = run_cli("explain", "ML104", cwd=tmp_path)
    by_name = run_cli("explain", "pool-overlap", cwd=tmp_path)
    assert by_code.returncode == by_name.returncode == 0
    assert by_code.stdout == by_name.stdout
    assert run_cli("explain", "ml104", cwd=tmp_path).stdout == by_code.stdout
    rule = next(r for r in REGISTRY if r.code == "ML104")
    text = by_code.stdout
    assert text.startswith("ML104 pool-overlap (error)")
    for heading in ("Why", "How to fix", "Bad", "Good"):
        assert re.search(rf"^{heading}:?$", text, re.MULTILINE), heading
    assert rule.summary in text
    indented = "\n".join("    " + line for line in rule.bad_example.splitlines())
    assert indented in text
    assert "\n".join("    " + line for line in rule.good_example.splitlines()) in text
    assert text.index("Bad") < text.index(indented)


def test_explain_unknown_rule_exits_2(tmp_path: Path) -> None:
    run = run_cli("explain", "nosuch", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr_lines) == 1 and "nosuch" in run.stderr


def test_explain_suggests_a_close_name(tmp_path: Path) -> None:
    run = run_cli("explain", "pool-overlaps", cwd=tmp_path)
    assert run.returncode == 2
    assert "pool-overlap" in run.stderr_lines[0]


# -- rule examples ----------------------------------------------------------


@pytest.mark.parametrize("rule", REGISTRY, ids=[r.name for r in REGISTRY])
def test_bad_example_fires_and_good_example_does_not(tmp_path: Path, rule: object) -> None:
    for kind, fires in (("bad_example", True), ("good_example", False)):
        directory = tmp_path / kind
        directory.mkdir()
        text = getattr(rule, kind)
        # Examples of the Kustomize rules are kustomizations, which only count under that name.
        name = "kustomization.yaml" if "kustomize.config.k8s.io" in text else "example.yaml"
        (directory / name).write_text(text, encoding="utf-8")
        result = lint(directory, [directory], REGISTRY)
        assert result.errors == ()
        rules_fired = {f.rule for f in result.findings}
        assert (rule.name in rules_fired) is fires, (  # type: ignore[attr-defined]
            f"{rule.code} {kind}: " + "; ".join(f"{f.location} [{f.rule}] {f.message}"  # type: ignore[attr-defined]
                                                for f in result.findings))


# -- broken files -----------------------------------------------------------


def test_syntax_error_beside_a_real_finding(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\ndata:\n  a: b\n",
        "pools.yaml": OVERLAPPING_POOLS,
    })
    (repo / "binary.yaml").write_bytes(b"\x00\x01\x02\xff")
    run = run_cli("lint", cwd=repo)
    assert run.returncode == 1, run
    assert run.stderr == "", run.stderr
    findings = assert_text_report(run.stdout)
    assert {(m["file"], m["rule"]) for m in findings} == {
        ("binary.yaml", "yaml-syntax"), ("broken.yaml", "yaml-syntax"), ("pools.yaml", "pool-overlap")}
    document = lint_json(repo)
    check_json_shape(document, repo)
    assert document["summary"]["error"] == 3
