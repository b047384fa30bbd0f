"""`metallb-lint diff`: lint two revisions and say what the change does.

BASE and HEAD are each linted on their own (a revision is copied out of git
into a temporary directory; the working tree is linted in place), with the
same rules, each with the configuration of its own root. Findings are
matched by fingerprint, which ignores line numbers, so a block that moved is
neither introduced nor fixed. The MetalLB model of both sides feeds the
change detectors of linter/changes.py.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from linter.changes import Change, changes
from linter.config import ConfigError, load_config
from linter.engine import Result, lint
from linter.finding import Finding, Severity
from linter.gitrev import RevisionError, extract, merge_base, resolve, toplevel
from linter.node_scope import NodeOptions

if TYPE_CHECKING:
    from linter.rule import Rule

WORKING_TREE = "the working tree"


class DiffError(Exception):
    """A bad revision, no repository, or a configuration that cannot be read (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Side:
    label: str  # what the user named, e.g. "origin/main" or "the working tree"
    commit: str | None  # None: the working tree


@dataclass(frozen=True, slots=True)
class DiffResult:
    base: Side
    head: Side
    introduced: tuple[Finding, ...]  # located in HEAD
    fixed: tuple[Finding, ...]  # located in BASE
    unchanged: tuple[Finding, ...]  # HEAD's copies
    changes: tuple[Change, ...]
    files: int = 0  # linted in HEAD
    targets: int = 0
    errors: tuple[str, ...] = field(default=())  # internal errors of rules, either side


def sides(root: Path, base: str | None, head: str | None) -> tuple[Side, Side]:
    """BASE and HEAD as the command line names them (see `metallb-lint diff --help`)."""
    if head is not None:  # two revisions: exactly those, like `git diff A B`
        return Side(base or "HEAD", resolve(root, base or "HEAD")), Side(head, resolve(root, head))
    name = base or "HEAD"
    # One revision: where this branch left it, like `git diff A...`, so that
    # commits pushed to origin/main since then do not show as reverted here.
    commit = merge_base(root, resolve(root, name), resolve(root, "HEAD"))
    return Side(name, commit), Side(WORKING_TREE, None)


@dataclass(frozen=True, slots=True)
class LintOptions:
    """What both sides are linted with, beyond the rules and each side's configuration."""

    nodes: NodeOptions | None = None
    suppressions: bool = True
    baseline: frozenset[str] = frozenset()


def _lint_side(root: Path, side: Side, rules: Sequence[Rule], config_file: Path | None,
               rule_names: dict[str, str], options: LintOptions) -> Result:
    with tempfile.TemporaryDirectory(prefix="metallb-lint-diff-") as temporary:
        tree = root if side.commit is None else Path(temporary)
        if side.commit is not None:
            extract(root, side.commit, tree)
        # Paths of findings are relative to `tree`, which is the repository
        # root on both sides: the temporary directory never shows.
        # The result carries the model the rules saw, so the change summary
        # describes exactly what was linted, without rendering twice.
        try:
            config = load_config(tree, config_file, rule_names)
            return lint(tree, [tree], rules, config, suppressions=options.suppressions,
                        baseline=options.baseline, nodes=options.nodes)
        except ConfigError as error:
            raise DiffError(f"{side.label}: {error}") from error


def run_diff(start: Path, base: str | None, head: str | None, rules: Sequence[Rule],
             config_file: Path | None = None, rule_names: dict[str, str] | None = None,
             options: LintOptions | None = None) -> DiffResult:
    """Compare BASE and HEAD of the repository holding `start`."""
    options = options or LintOptions()
    try:
        root = toplevel(start)
        old_side, new_side = sides(root, base, head)
        old = _lint_side(root, old_side, rules, config_file, rule_names or {}, options)
        new = _lint_side(root, new_side, rules, config_file, rule_names or {}, options)
    except RevisionError as error:
        raise DiffError(str(error)) from error
    before = {f.fingerprint for f in old.findings}
    after = {f.fingerprint for f in new.findings}
    return DiffResult(
        old_side, new_side,
        introduced=tuple(f for f in new.findings if f.fingerprint not in before),
        fixed=tuple(f for f in old.findings if f.fingerprint not in after),
        unchanged=tuple(f for f in new.findings if f.fingerprint in before),
        changes=tuple(changes(list(old.clusters), list(new.clusters))),
        files=new.files, targets=new.targets,
        errors=tuple(dict.fromkeys(old.errors + new.errors)),
    )


def failed(result: DiffResult, fail_on: Severity) -> bool:
    """Only what the change introduces can fail it: old problems are not the author's."""
    return any(f.severity >= fail_on for f in result.introduced)
