"""`lint()`: the whole pipeline, from paths to sorted, de-duplicated findings."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from linter.config import Config
from linter.discover import discover
from linter.finding import Finding
from linter.model import Repository, build_cluster
from linter.render import Target, build_targets
from linter.workspace import Workspace

if TYPE_CHECKING:
    from linter.rule import Rule


@dataclass(frozen=True, slots=True)
class Result:
    findings: tuple[Finding, ...]
    files: int  # files linted
    targets: int
    errors: tuple[str, ...] = ()  # internal errors: a bug in a rule, never a user's mistake


def lint(root: Path, paths: Sequence[Path], rules: Sequence[Rule], config: Config | None = None) -> Result:
    """Lint `paths` (inside `root`) with `rules`, as `config` says.

    Raises DiscoveryError for a path that does not exist or leaves the root.
    """
    config = config or Config()
    workspace = Workspace(root)
    files = discover(workspace, list(paths) or [workspace.root])
    with _no_cyclic_gc():
        for path in files:
            workspace.load(path)
        targets, render_problems = build_targets(workspace, files, config.targets)
        repository = Repository(workspace.files, [build_cluster(target) for target in targets],
                                render_problems)
        found: list[Finding] = []
        errors: list[str] = []
        for rule in rules:
            try:
                found.extend(rule.check(repository))
            except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others
                errors.append(f"internal error in rule {rule.name} ({rule.code}): "
                              f"{type(error).__name__}: {error}")
        findings = config.apply(_unique(found))
        findings.sort(key=Finding.sort_key)
        fingerprinted = _with_fingerprints(findings, workspace)
    return Result(tuple(fingerprinted), len(files), len(targets), tuple(errors))


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the repository is linted.

    Every loaded value keeps its libyaml node (for positions), so loading
    only ever adds live objects, and each generation-2 collection walks all
    of them again: that made loading three times slower than parsing. At the
    end the objects are frozen before collection resumes, so switching it
    back on does not walk them all once more; reference counting frees them
    as usual when the result is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
            gc.unfreeze()


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


def find_target(root: Path, name: str, config: Config | None = None) -> Target | None:
    """The target called `name` (a target name or a path relative to the root), rendered.

    A Kustomize directory that is not a root of its own (a base) is rendered
    on its own; a plain directory names the one target that deploys it.
    """
    workspace = Workspace(root)
    files = discover(workspace, [workspace.root])
    wanted = name.strip().rstrip("/").removeprefix("./") or "."
    with _no_cyclic_gc():
        targets, _ = build_targets(workspace, files, (config or Config()).targets)
        for target in targets:
            if target.name == wanted:
                return target
        from linter.kustomization import kustomization_file
        from linter.kustomize import KustomizeRenderer

        if workspace.join(".", wanted) and kustomization_file(workspace, wanted):
            resources, used = KustomizeRenderer(workspace).build(wanted)
            return Target(wanted, resources, used)
        # A plain directory a Flux Kustomization or an Argo CD Application renders.
        prefix = "" if wanted == "." else wanted + "/"
        holding = [t for t in targets if any(f.startswith(prefix) for f in t.files)]
        if len(holding) == 1:
            return holding[0]
    return None


def target_names(root: Path, config: Config | None = None) -> list[str]:
    workspace = Workspace(root)
    targets, _ = build_targets(workspace, discover(workspace, [workspace.root]), (config or Config()).targets)
    return [target.name for target in targets]
