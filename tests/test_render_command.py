"""`metallb-lint render` and the changed-file mapping of targets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from linter.cli import main
from linter.discover import discover
from linter.render import build_targets, targets_including
from linter.workspace import Workspace

POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
spec:
  addresses: [192.168.5.0/28]
"""


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "pool.yaml").write_text(POOL)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [pool.yaml]\n")
    for name in ("prod", "staging"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kustomization.yaml").write_text(
            f"namespace: metallb-{name}\nresources:\n  - ../base\n  - extra.yaml\n")
        (tmp_path / name / "extra.yaml").write_text(POOL.replace("name: lan", f"name: {name}-only"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def test_render_prints_the_objects_of_a_target(repo: Path) -> None:
    result = CliRunner().invoke(main, ["render", "prod"])
    assert result.exit_code == 0, result.output
    objects = list(yaml.safe_load_all(result.output))
    assert [(o["metadata"]["name"], o["metadata"]["namespace"]) for o in objects] == [
        ("lan", "metallb-prod"), ("prod-only", "metallb-prod")]


def test_render_with_provenance_says_which_file_set_each_field(repo: Path) -> None:
    plain = CliRunner().invoke(main, ["render", "prod"]).output
    result = CliRunner().invoke(main, ["render", "prod", "--provenance"])
    assert result.exit_code == 0
    assert list(yaml.safe_load_all(result.output)) == list(yaml.safe_load_all(plain))
    lines = result.output.splitlines()
    # The namespace of the base pool was set by the overlay's kustomization, line 1.
    assert "  namespace: metallb-prod  # prod/kustomization.yaml:1:12" in lines
    assert "    - 192.168.5.0/28  # base/pool.yaml:6:15" in lines


def test_render_accepts_a_base_that_is_no_target_of_its_own(repo: Path) -> None:
    result = CliRunner().invoke(main, ["render", "./base/"])
    assert result.exit_code == 0
    assert [o["metadata"]["name"] for o in yaml.safe_load_all(result.output)] == ["lan"]


def test_render_of_an_unknown_target_is_a_usage_error(repo: Path) -> None:
    result = CliRunner().invoke(main, ["render", "nowhere"])
    assert result.exit_code == 2
    assert 'no target "nowhere"; the targets are: prod, staging' in result.output


def test_a_changed_base_file_maps_to_every_overlay_and_an_overlay_file_to_its_own(repo: Path) -> None:
    workspace = Workspace(repo)
    targets, _ = build_targets(workspace, discover(workspace, [repo]))
    assert [t.name for t in targets_including(targets, {"base/pool.yaml"})] == ["prod", "staging"]
    assert [t.name for t in targets_including(targets, {"staging/extra.yaml"})] == ["staging"]
    assert targets_including(targets, {"README.md"}) == []
