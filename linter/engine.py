"""`lint()`: the whole pipeline, from paths to sorted, de-duplicated findings."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from linter import suppress
from linter.config import Config
from linter.discover import DiscoveryError, discover
from linter.finding import Finding
from linter.model import Cluster, Repository, build_cluster
from linter.node_scope import NodeOptions, assign_nodes
from linter.render import LOOSE_TARGET, Target, build_targets, targets_including
from linter.workspace import Workspace

if TYPE_CHECKING:
    from linter.resource import RenderProblem
    from linter.rule import Rule


@dataclass(frozen=True, slots=True)
class Result:
    findings: tuple[Finding, ...]
    files: int  # files linted
    targets: int
    errors: tuple[str, ...] = ()  # internal errors: a bug in a rule, never a user's mistake
    clusters: tuple[Cluster, ...] = ()  # the model the rules saw, for reporters that draw it (markdown)


def lint(root: Path, paths: Sequence[Path], rules: Sequence[Rule], config: Config | None = None, *,
         suppressions: bool = True, baseline: frozenset[str] = frozenset(),
         nodes: NodeOptions | None = None) -> Result:
    """Lint `paths` (inside `root`) with `rules`, as `config` says.

    When every path is a file or missing (pre-commit's staged files, `git diff
    --name-only`), only the targets that include one of them are linted, rendered
    from the whole repository; see `_named_files`.

    Raises DiscoveryError for a path that leaves the root, or (a directory being
    named) that does not exist; ConfigError for a configured node file that does not exist.
    """
    config = config or Config()
    workspace = Workspace(root)
    named = _named_files(workspace, paths)
    if named is None:
        files = discover(workspace, list(paths) or [workspace.root])
    else:  # the whole repository, so an overlay or a Flux/Argo unit finds its base
        files = sorted(set(discover(workspace, [workspace.root]))
                       | set(discover(workspace, named.existing) if named.existing else ()))
    with _no_cyclic_gc():
        for path in files:
            workspace.load(path)
        targets, render_problems = build_targets(workspace, files, config.targets)
        node_lists = assign_nodes(targets, workspace, files, config, nodes or NodeOptions())
        sources = workspace.files
        if named is not None:  # lint only what the named files can affect
            targets, render_problems, files = _affected(targets, render_problems, named)
            sources = {name: sources[name] for name in files if name in sources}
        repository = Repository(sources, [build_cluster(target, node_lists.get(target.name, []))
                                          for target in targets],
                                render_problems, config.environments)
        found: list[Finding] = []
        errors: list[str] = []
        for rule in rules:
            try:
                found.extend(rule.check(repository))
            except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others
                errors.append(f"internal error in rule {rule.name} ({rule.code}): "
                              f"{type(error).__name__}: {error}")
        findings = config.apply(_unique(found))
        if suppressions:  # comments and annotations; `--no-suppressions` shows everything
            findings = suppress.apply(findings, repository)
        findings.sort(key=Finding.sort_key)
        fingerprinted = _with_fingerprints(findings, workspace)
        if suppressions and baseline:  # after fingerprints: the baseline lists them
            fingerprinted = [f for f in fingerprinted if f.fingerprint not in baseline]
    return Result(tuple(fingerprinted), len(files), len(targets), tuple(errors),
                  tuple(repository.clusters))


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


@dataclass(frozen=True, slots=True)
class _Named:
    """The files named in changed-files mode."""

    existing: list[Path]  # as given: linted even where discovery skips them (ignored, not YAML)
    present: frozenset[str]  # the existing ones, relative to the root
    paths: frozenset[str]  # every named path, relative; deleted ones too


def _named_files(workspace: Workspace, paths: Sequence[Path]) -> _Named | None:
    """The named files, when every path is a file or missing; None (lint everything
    under the paths, as before) when nothing or some directory is named.

    A missing file is no error here: `git diff --name-only` lists deleted files.
    It still selects a target that read it, should one list it.
    """
    if not paths or any(path.is_dir() for path in paths):
        return None
    existing: list[Path] = []
    present: set[str] = set()
    relative: set[str] = set()
    for path in paths:
        name = workspace.relative(path)
        if name is None:
            raise DiscoveryError(f"{path}: outside the repository root {workspace.root}")
        relative.add(name)
        if path.exists():
            existing.append(path)
            present.add(name)
    return _Named(existing, frozenset(present), frozenset(relative))


def _affected(targets: list[Target], problems: list[RenderProblem],
              named: _Named) -> tuple[list[Target], list[RenderProblem], list[str]]:
    """The targets to lint in changed-files mode, their render problems, and their files.

    Every target including a named file is linted whole: a change to a base can
    break an overlay anywhere. Named files no target includes are linted as loose
    files, on their own: not every other loose file of the repository.
    """
    rendered = [target for target in targets if target.name != LOOSE_TARGET]
    kept = targets_including(rendered, set(named.paths))
    covered = set().union(*(target.files for target in rendered))
    loose = {name for name in named.present if name not in covered}
    for target in targets:
        if target.name == LOOSE_TARGET and target.files & loose:
            # The same target narrowed: it keeps what Helm releases read (workspace, repository).
            kept.append(dataclasses.replace(target, resources=[r for r in target.resources if r.file in loose],
                                            files=target.files & loose))
    # Named files are linted even when no target holds them (a kustomization that
    # builds nothing): yaml-syntax and its render problems are reported for them.
    linted = set(named.present).union(*(target.files for target in kept))
    kept_problems = [problem for problem in problems if problem.location.file in linted]
    return kept, kept_problems, sorted(linted)


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
            renderer = KustomizeRenderer(workspace)
            resources, used = renderer.build(wanted)
            return Target(wanted, resources, used, [c for c in renderer.helm_charts if c.kustomization in used],
                          workspace)
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
