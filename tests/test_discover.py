"""Discovery never reads outside the repository root, even through symlinks."""

from __future__ import annotations

from pathlib import Path

from linter.engine import lint
from rules import REGISTRY

BAD_POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: outside, namespace: metallb-system}
spec: {addresses: [10.0.0.1]}
"""


def _outside_and_repo(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "pool.yaml").write_text(BAD_POOL)
    repo = tmp_path / "repo"
    repo.mkdir()
    return outside, repo


def test_a_file_symlink_out_of_the_root_is_not_read(tmp_path: Path) -> None:
    outside, repo = _outside_and_repo(tmp_path)
    (repo / "pool.yaml").symlink_to(outside / "pool.yaml")
    result = lint(repo, [repo], REGISTRY)
    assert result.findings == ()
    assert result.files == 0


def test_a_kustomize_resource_through_a_symlinked_directory_is_not_read(tmp_path: Path) -> None:
    outside, repo = _outside_and_repo(tmp_path)
    (repo / "vendored").symlink_to(outside, target_is_directory=True)
    (repo / "kustomization.yaml").write_text("resources:\n  - vendored/pool.yaml\n")
    result = lint(repo, [repo], REGISTRY)
    # Only the refusal is reported; the pool behind the link is never read.
    assert [(f.rule, f.location.line) for f in result.findings] == [("kustomize-error", 2)]
    assert "leaves the repository root" in result.findings[0].message


def test_a_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    _, repo = _outside_and_repo(tmp_path)
    (repo / "real").mkdir()
    (repo / "real" / "pool.yaml").write_text(BAD_POOL)
    (repo / "kustomization.yaml").write_text("resources:\n  - linked/pool.yaml\n")
    (repo / "linked").symlink_to(repo / "real", target_is_directory=True)
    result = lint(repo, [repo / "kustomization.yaml"], REGISTRY)
    assert {f.rule for f in result.findings} == {"pool-address-invalid", "pool-not-advertised"}
