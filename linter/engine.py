"""`lint()`: the whole pipeline, from paths to sorted, de-duplicated findings."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from linter.discover import discover
from linter.finding import Finding
from linter.model import Repository, build_cluster
from linter.render import build_targets
from linter.workspace import Workspace

if TYPE_CHECKING:
    from linter.rule import Rule


@dataclass(frozen=True, slots=True)
class Result:
    findings: tuple[Finding, ...]
    files: int  # files linted
    targets: int
    errors: tuple[str, ...] = ()  # internal errors: a bug in a rule, never a user's mistake


def lint(root: Path, paths: Sequence[Path], rules: Sequence[Rule]) -> Result:
    """Lint `paths` (inside `root`) with `rules`.

    Raises DiscoveryError for a path that does not exist or leaves the root.
    """
    workspace = Workspace(root)
    files = discover(workspace, list(paths) or [workspace.root])
    for path in files:
        workspace.load(path)
    targets = build_targets(workspace, files)
    repository = Repository(workspace.files, [build_cluster(target) for target in targets])
    found: list[Finding] = []
    errors: list[str] = []
    for rule in rules:
        try:
            found.extend(rule.check(repository))
        except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others
            errors.append(f"internal error in rule {rule.name} ({rule.code}): "
                          f"{type(error).__name__}: {error}")
    findings = _unique(found)
    findings.sort(key=Finding.sort_key)
    return Result(tuple(_with_fingerprints(findings, workspace)), len(files), len(targets), tuple(errors))


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per problem: a base file rendered into three overlays is reported once."""
    seen: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        seen.setdefault(finding.identity(), finding)
    return list(seen.values())


def _with_fingerprints(findings: list[Finding], workspace: Workspace) -> list[Finding]:
    counts: dict[str, int] = {}
    result = []
    for finding in findings:
        source = workspace.files.get(finding.location.file)
        line_text = source.line(finding.location.line) if source else ""
        base = finding.fingerprint_base(line_text)
        counts[base] = counts.get(base, 0) + 1
        fingerprint = base if counts[base] == 1 else f"{base}:{counts[base]}"
        result.append(dataclasses.replace(finding, fingerprint=fingerprint))
    return result
