"""The command line: turns flags into arguments for `lint()` and picks the exit code.

Exit codes (DESIGN.md): 0 nothing at or above --fail-on; 1 findings at or
above it; 2 usage or configuration error.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from linter import __version__

if TYPE_CHECKING:
    from linter.config import Config
    from linter.engine import Result
    from linter.node_scope import NodeOptions

_SEVERITIES = ("error", "warning", "info")
_FORMATS = ("text", "json", "sarif", "github", "rdjson", "junit", "markdown")  # kept equal to linter.report.FORMAT_NAMES (a test checks)


def _fail(message: str) -> None:
    click.echo(f"metallb-lint: error: {message}", err=True)
    sys.exit(2)


class _Cli(click.Group):
    """Reports a usage error (bad flag, bad value) as one line on stderr, exit 2.

    Click's own report is three lines (usage, hint, error); scripts and CI logs
    expect one `metallb-lint: error: ...` line like every other error of the tool.
    """

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        no_args_help = getattr(click.exceptions, "NoArgsIsHelpError", ())
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except no_args_help as error:  # bare `metallb-lint`: the help text, as click prints it
            error.show()
            sys.exit(error.exit_code)
        except click.UsageError as error:
            message = " ".join(error.format_message().split()).rstrip(".")
            hint = f"; see '{error.ctx.command_path} --help'" if error.ctx is not None else ""
            _fail(f"{message}{hint}")
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


F = TypeVar("F", bound=Callable[..., Any])


def _output_options(formats: tuple[str, ...], fail_on_help: str, quiet_help: str) -> Callable[[F], F]:
    """The output options `lint` and `diff` share: --format/--output pairs, --fail-on, --quiet, --no-color."""
    options = [
        click.option("--format", "formats", multiple=True, type=click.Choice(formats),
                     help="Output format; repeat with --output to write several."),
        click.option("--output", "outputs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
                     help="File for the format given at the same position (default: stdout)."),
        click.option("--fail-on", type=click.Choice(_SEVERITIES), default="error", show_default=True,
                     help=fail_on_help),
        click.option("--quiet", "-q", is_flag=True, help=quiet_help),
        click.option("--no-color", is_flag=True, help="Never colour the text output (also: NO_COLOR)."),
    ]

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


_DISTRIBUTIONS = ("generic", "kubeadm", "k3s", "rke2", "microk8s", "talos", "k0s")  # linter.node_sources


def _node_options(command: F) -> F:
    """--nodes and --distribution: what the repository does not say about the cluster's nodes."""
    command = click.option("--distribution", type=click.Choice(_DISTRIBUTIONS),
                           help="Assume this distribution's default control plane when no file declares "
                                "the nodes.")(command)
    return click.option("--nodes", "nodes_file", metavar="FILE",
                        help="Node manifests for every target, e.g. `kubectl get nodes -o yaml` "
                             "(- for stdin).")(command)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="metallb-lint")
def main() -> None:
    """Lint a GitOps repository for what MetalLB will get wrong, offline."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_output_options(_FORMATS, fail_on_help="Exit 1 when a finding is at least this severe.",
                 quiet_help="Findings only, no summary line.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: .metallb-lint.yaml or [tool.metallb-lint] in pyproject.toml).")
@click.option("--no-suppressions", is_flag=True,
              help="Show every finding: ignore suppression comments, annotations and --baseline.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Hide the findings this file lists (written by `metallb-lint baseline`).")
@_node_options
def lint(paths: tuple[Path, ...], formats: tuple[str, ...], outputs: tuple[Path, ...],
         config_file: Path | None, fail_on: str, quiet: bool, no_color: bool,
         no_suppressions: bool, baseline_file: Path | None,
         nodes_file: str | None = None, distribution: str | None = None) -> None:
    """Lint PATHS (files or directories; default: the current directory)."""
    from linter.config import ConfigError
    from linter.discover import DiscoveryError
    from linter.engine import lint as run_lint
    from linter.finding import Severity
    from linter.workspace import repository_root
    from rules import REGISTRY

    if len(outputs) > max(len(formats), 1):
        _fail("each --output needs a --format before it")
    root = repository_root(Path.cwd())
    config = _load_config(root, config_file)
    baseline = _load_baseline(baseline_file) if baseline_file is not None else frozenset()
    node_options = _read_node_options(nodes_file, distribution)
    try:
        result = run_lint(root, list(paths) or [Path.cwd()], REGISTRY, config,
                          suppressions=not no_suppressions, baseline=baseline, nodes=node_options)
    except (DiscoveryError, ConfigError) as error:
        _fail(str(error))
        return
    _write_reports(result, formats or (_default_format(),), outputs, quiet, no_color)
    for message in result.errors:
        click.echo(f"metallb-lint: {message} (please report this bug)", err=True)
    if result.errors:
        sys.exit(2)
    threshold = Severity.parse(fail_on)
    sys.exit(1 if any(f.severity >= threshold for f in result.findings) else 0)


def _read_node_options(nodes_file: str | None, distribution: str | None) -> NodeOptions:
    from linter.node_scope import NodeOptions
    from linter.node_sources import nodes_from_text

    if nodes_file is None:
        return NodeOptions(distribution=distribution)
    try:
        if nodes_file == "-":
            text, name = sys.stdin.read(), "<stdin>"
        else:
            text, name = Path(nodes_file).read_text(encoding="utf-8"), nodes_file
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"{nodes_file}: cannot read: {getattr(error, 'strerror', None) or error}")
        raise  # unreachable: _fail exits
    try:
        return NodeOptions(tuple(nodes_from_text(text, name)), distribution)
    except ValueError as error:
        _fail(str(error))
        raise  # unreachable


def _load_config(root: Path, config_file: Path | None) -> Config:
    from linter.config import ConfigError, load_config
    from rules import REGISTRY

    if config_file is not None and not config_file.is_file():
        _fail(f"{config_file}: no such configuration file")
    names = {key: rule.code for rule in REGISTRY for key in (rule.code, rule.name)}
    try:
        return load_config(root, config_file, names)
    except ConfigError as error:
        _fail(str(error))
        raise  # unreachable: _fail exits


def _default_format() -> str:
    """`github` annotations inside GitHub Actions (which sets GITHUB_ACTIONS=true), else text."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _write_reports(result: Result, formats: tuple[str, ...], outputs: tuple[Path, ...],
                   quiet: bool, no_color: bool) -> None:
    from linter.report import ReportOptions, reporters

    writers = reporters()
    for index, name in enumerate(formats):
        if index < len(outputs):
            _write_atomically(outputs[index], lambda stream, n=name: writers[n](
                result, stream, ReportOptions(color=False, quiet=quiet)))
        else:
            color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
            writers[name](result, sys.stdout, ReportOptions(color=color, quiet=quiet))


def _write_atomically(path: Path, write: object) -> None:
    """Write a report to a temporary file and rename it: never a partial report."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            write(stream)  # type: ignore[operator]
        os.replace(temporary, path)
    except OSError as error:
        _fail(f"cannot write {path}: {error.strerror}")


@main.command()
@click.argument("target")
@click.option("--provenance", is_flag=True, help="Add a comment per field saying which file and line set it.")
@click.option("--model", "show_model", is_flag=True,
              help="Also print the MetalLB installation model(s) and the target's nodes (where each speaker "
                   "runs and announces), after a '# metallb-lint installation model' line.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (declared targets).")
@_node_options
def render(target: str, provenance: bool, config_file: Path | None, show_model: bool = False,
           nodes_file: str | None = None, distribution: str | None = None) -> None:
    """Print the objects TARGET deploys, as a YAML stream.

    TARGET is a target's name as `lint` reports it (a Kustomize root, the path
    a root Flux Kustomization or Argo CD Application renders) or any
    Kustomize directory of the repository, relative to the repository root.
    """
    from linter.emit import dump
    from linter.engine import find_target, target_names
    from linter.workspace import repository_root

    root = repository_root(Path.cwd())
    config = _load_config(root, config_file)
    path = Path(target)
    if path.exists():  # a path given relative to the current directory
        try:
            target = path.resolve().relative_to(root).as_posix() or "."
        except ValueError:
            _fail(f"{target}: outside the repository root {root}")
    found = find_target(root, target, config)
    if found is None:
        names = target_names(root, config)
        known = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
        _fail(f'no target "{target}"; the targets are: {known or "none"}')
        return
    click.echo(dump(found.resources, provenance), nl=False)
    if show_model:  # the installations, and the nodes with where each speaker runs and announces
        from linter.announcers import node_documents
        from linter.config import ConfigError
        from linter.discover import discover
        from linter.emit import dump_models
        from linter.model import build_cluster
        from linter.node_scope import assign_nodes
        from linter.workspace import Workspace

        workspace = found.workspace or Workspace(root)
        try:
            nodes = assign_nodes([found], workspace, discover(workspace, [workspace.root]), config,
                                 _read_node_options(nodes_file, distribution))[found.name]
        except ConfigError as error:
            _fail(str(error))
            return
        cluster = build_cluster(found, nodes)
        click.echo(dump_models(cluster.installations, node_documents(cluster)), nl=False)


def _load_baseline(path: Path) -> frozenset[str]:
    from linter.baseline import BaselineError, load

    try:
        return load(path)
    except BaselineError as error:
        _fail(str(error))
        raise  # unreachable: _fail exits


@main.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Baseline file to write (default: .metallb-lint-baseline.json at the repository root).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: .metallb-lint.yaml or [tool.metallb-lint] in pyproject.toml).")
def write_baseline(paths: tuple[Path, ...], output: Path | None, config_file: Path | None) -> None:
    """Record the current findings of PATHS, so `lint --baseline FILE` reports only new ones."""
    from linter.baseline import DEFAULT_NAME, write
    from linter.discover import DiscoveryError
    from linter.engine import lint as run_lint
    from linter.workspace import repository_root
    from rules import REGISTRY

    root = repository_root(Path.cwd())
    config = _load_config(root, config_file)
    try:
        result = run_lint(root, list(paths) or [Path.cwd()], REGISTRY, config)
    except DiscoveryError as error:
        _fail(str(error))
        return
    for message in result.errors:  # a rule that crashed would leave its findings out of the baseline
        click.echo(f"metallb-lint: {message} (please report this bug)", err=True)
    if result.errors:
        sys.exit(2)
    target = output or root / DEFAULT_NAME
    try:
        write(target, result.findings)
    except OSError as error:
        _fail(f"cannot write {target}: {error.strerror}")
    count = len(result.findings)
    click.echo(f"metallb-lint: wrote {count} finding{'s' if count != 1 else ''} to {target}", err=True)


_DIFF_FORMATS = ("text", "json", "markdown", "rdjson", "github")  # linter.diff_report.DIFF_FORMAT_NAMES


@main.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@_output_options(_DIFF_FORMATS, fail_on_help="Exit 1 when the change introduces a finding at least this severe.",
                 quiet_help="No header or counts; only sections with something in them.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file for both sides (default: each side's own).")
@click.option("--no-suppressions", is_flag=True,
              help="Compare every finding: ignore suppression comments, annotations and --baseline.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Leave out, on both sides, the findings this file lists.")
@_node_options
def diff(base: str | None, head: str | None, formats: tuple[str, ...], outputs: tuple[Path, ...],
         config_file: Path | None, fail_on: str, quiet: bool, no_color: bool, no_suppressions: bool = False,
         baseline_file: Path | None = None, nodes_file: str | None = None,
         distribution: str | None = None) -> None:
    """Findings introduced and fixed, and MetalLB changes, between two git revisions.

    No argument: HEAD against the working tree. BASE alone: the merge base of
    BASE and HEAD against the working tree (`diff origin/main` in a pull
    request). BASE HEAD: those two revisions. Revisions are read from git;
    the work tree and the index are never touched.
    """
    from linter.diff import DiffError, LintOptions, failed, run_diff
    from linter.diff_report import diff_reporters
    from linter.finding import Severity
    from linter.report import ReportOptions
    from rules import REGISTRY

    if len(outputs) > max(len(formats), 1):
        _fail("each --output needs a --format before it")
    if config_file is not None and not config_file.is_file():
        _fail(f"{config_file}: no such configuration file")
    names = {key: rule.code for rule in REGISTRY for key in (rule.code, rule.name)}
    options = LintOptions(_read_node_options(nodes_file, distribution), not no_suppressions,
                          _load_baseline(baseline_file) if baseline_file is not None else frozenset())
    try:
        result = run_diff(Path.cwd(), base, head, REGISTRY,
                          config_file.resolve() if config_file else None, names, options)
    except DiffError as error:
        _fail(str(error))
        return
    writers = diff_reporters()
    for index, name in enumerate(formats or (_default_format(),)):
        if index < len(outputs):
            _write_atomically(outputs[index], lambda stream, n=name: writers[n](
                result, stream, ReportOptions(color=False, quiet=quiet)))
        else:
            color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
            writers[name](result, sys.stdout, ReportOptions(color=color, quiet=quiet))
    for message in result.errors:
        click.echo(f"metallb-lint: {message} (please report this bug)", err=True)
    if result.errors:
        sys.exit(2)
    sys.exit(1 if failed(result, Severity.parse(fail_on)) else 0)


@main.command("versions")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (declared targets).")
def versions(path: Path | None, output_format: str, config_file: Path | None) -> None:
    """Per target: MetalLB installation(s), version, backend and each pin with its file:line."""
    from linter.discover import DiscoveryError
    from linter.versions_report import run_versions
    from linter.workspace import repository_root

    root = repository_root(Path.cwd())
    config = _load_config(root, config_file)
    if path is not None and not path.exists():
        _fail(f"{path}: no such file or directory")
    try:
        click.echo(run_versions(root, path or Path.cwd(), config, output_format), nl=False)
    except DiscoveryError as error:
        _fail(str(error))


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(("text", "markdown")), default="text",
              show_default=True)
def list_rules(output_format: str) -> None:
    """List every rule: code, name, default severity, summary."""
    from rules import REGISTRY

    if output_format == "markdown":
        from linter.ruledoc import rules_markdown

        click.echo(rules_markdown(REGISTRY), nl=False)
        return
    width = max(len(rule.name) for rule in REGISTRY)
    for rule in REGISTRY:
        click.echo(f"{rule.code}  {rule.name:<{width}}  {str(rule.severity):<7}  {rule.summary}")


@main.command()
@click.argument("rule_name", metavar="RULE")
def explain(rule_name: str) -> None:
    """What RULE (a code such as ML104 or a name such as pool-overlap) checks, why, and how to fix it."""
    from linter.ruledoc import explain_text
    from rules import REGISTRY, find_rule

    rule = find_rule(rule_name)
    if rule is None:
        names = [r.name for r in REGISTRY] + [r.code for r in REGISTRY]
        close = difflib.get_close_matches(rule_name, names, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else "; `metallb-lint rules` lists them"
        _fail(f'unknown rule "{rule_name}"{hint}')
        return
    click.echo(explain_text(rule), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
