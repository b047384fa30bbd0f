"""The configuration file: validation errors name the key; rules settings; declared targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.config import load_config
from rules import REGISTRY

POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: {name}
  namespace: metallb-system
spec:
  addresses: [{address}]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: {name}
  namespace: metallb-system
"""


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for site, address in (("site-a", "10.9.0.0/28"), ("site-b", "10.9.0.8/29")):
        (tmp_path / site).mkdir()
        (tmp_path / site / "kustomization.yaml").write_text("resources: [pools.yaml]\n")
        (tmp_path / site / "pools.yaml").write_text(POOL.format(name=site, address=address))
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "pools.yaml").write_text(POOL.format(name="legacy", address="10.8.0.1/24"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def lint(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(main, ["lint", "--format", "json", *args])
    if result.exit_code == 2:
        return 2, [], result.output
    return result.exit_code, json.loads(result.output)["findings"], result.output


def test_without_configuration_the_host_bits_warning_does_not_fail(repo: Path) -> None:
    code, findings, _ = lint()
    assert code == 0
    assert [(f["rule"], f["severity"]) for f in findings] == [("pool-host-bits", "warning")]


@pytest.mark.parametrize("name", ["pool-host-bits", "ML103", "ml103"])
def test_a_rule_named_by_name_or_code_can_be_made_an_error(repo: Path, name: str) -> None:
    (repo / ".metallb-lint.yaml").write_text(f"rules:\n  {name}:\n    severity: error\n")
    code, findings, _ = lint()
    assert code == 1
    assert [(f["rule"], f["severity"]) for f in findings] == [("pool-host-bits", "error")]


def test_a_rule_can_be_turned_off(repo: Path) -> None:
    (repo / ".metallb-lint.yaml").write_text("rules:\n  pool-host-bits: {severity: off}\n")
    assert lint()[:2] == (0, [])


def test_ignore_paths_hide_findings_only_under_their_globs(repo: Path) -> None:
    (repo / ".metallb-lint.yaml").write_text("rules:\n  pool-host-bits:\n    ignore-paths: ['site-*/**']\n")
    assert [f["file"] for f in lint()[1]] == ["legacy/pools.yaml"]
    (repo / ".metallb-lint.yaml").write_text("rules:\n  pool-host-bits:\n    ignore-paths: ['legacy/*']\n")
    assert lint()[1] == []


def test_pyproject_table_is_read(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.metallb-lint.rules.pool-host-bits]\nseverity = "off"\n')
    assert lint()[:2] == (0, [])


def test_declared_targets_replace_discovery(repo: Path) -> None:
    # Two Kustomize roots are two clusters by discovery; declared as one, their pools overlap.
    (repo / ".metallb-lint.yaml").write_text(
        "targets:\n  - name: datacenter\n    paths: [site-a, site-b]\n"
        "rules:\n  pool-host-bits: {severity: off}\n")
    code, findings, _ = lint()
    assert code == 1
    assert [(f["rule"], f["file"], f["target"]) for f in findings] == [
        ("pool-overlap", "site-b/pools.yaml", "datacenter")]
    rendered = CliRunner().invoke(main, ["render", "datacenter"])
    assert rendered.exit_code == 0
    assert rendered.output.count("kind: IPAddressPool") == 2


@pytest.mark.parametrize(("text", "message"), [
    ("rule:\n  pool-overlap: {}\n", '.metallb-lint.yaml: top level: unknown key "rule" (did you mean "rules"?)'),
    ("rules:\n  pool-overlapp: {severity: error}\n",
     '.metallb-lint.yaml: rules: unknown rule "pool-overlapp" (did you mean "pool-overlap"?)'),
    ("rules:\n  pool-overlap: {severity: fatal}\n", ".metallb-lint.yaml: rules.pool-overlap.severity: 'fatal' is not one of"),
    ("rules:\n  pool-overlap: {ignore: ['x']}\n", '.metallb-lint.yaml: rules.pool-overlap: unknown key "ignore"'),
    ("targets:\n  - name: a\n    path: [x]\n", '.metallb-lint.yaml: targets[0]: unknown key "path" (did you mean "paths"?)'),
    ("targets:\n  - {name: a, paths: [x]}\n  - {name: a, paths: [y]}\n",
     '.metallb-lint.yaml: targets: the name "a" is declared twice'),
    ("rules: [\n", ".metallb-lint.yaml: invalid YAML"),
])
def test_a_bad_configuration_is_one_line_naming_the_key_and_exit_2(repo: Path, text: str, message: str) -> None:
    (repo / ".metallb-lint.yaml").write_text(text)
    result = CliRunner().invoke(main, ["lint"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_an_explicit_configuration_file_that_does_not_exist_is_exit_2(repo: Path) -> None:
    result = CliRunner().invoke(main, ["lint", "--config", "nowhere.yaml"])
    assert result.exit_code == 2
    assert "nowhere.yaml: no such configuration file" in result.output


def test_the_installed_package_finds_its_schema(repo: Path) -> None:
    """The schema ships as package data: check it through the installed command."""
    import shutil
    import subprocess

    command = shutil.which("metallb-lint")
    if command is None:
        pytest.skip("the metallb-lint console script is not installed (pip install .)")
    (repo / ".metallb-lint.yaml").write_text("rules:\n  pool-overlap: {severity: fatal}\n")
    result = subprocess.run([command, "lint"], cwd=repo, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "rules.pool-overlap.severity: 'fatal' is not one of" in result.stderr


def test_the_readme_configuration_example_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("**Configuration.**", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / ".metallb-lint.yaml").write_text(example, encoding="utf-8")
    names = {key: rule.code for rule in REGISTRY for key in (rule.code, rule.name)}
    config = load_config(tmp_path, None, names)
    assert config.distribution == "talos" and config.nodes == ("talos/talconfig.yaml",)
    assert config.targets[0].nodes == ("inventory/dc-nodes.yaml",) and config.targets[0].distribution == "kubeadm"
    assert config.environments.reference == "clusters/staging"
    assert config.environments.groups == (("clusters/staging", "clusters/prod"),)
