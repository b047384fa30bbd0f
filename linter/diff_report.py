"""Reports of `metallb-lint diff`: text, json and markdown here; rdjson and
github through the lint reporters, fed the introduced findings only (a
review comment or an annotation belongs on what the change brought in).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from linter import __version__
from linter.diff import DiffResult, Side
from linter.engine import Result
from linter.finding import Finding, Severity
from linter.report import ReportOptions

DiffReporter = Callable[[DiffResult, TextIO, ReportOptions], None]

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}


def _side_text(side: Side) -> str:
    return side.label if side.commit is None else f"{side.label} ({side.commit[:12]})"


def _counts(result: DiffResult) -> str:
    return f"{len(result.introduced)} introduced, {len(result.fixed)} fixed, {len(result.unchanged)} unchanged"


def write_text(result: DiffResult, stream: TextIO, options: ReportOptions) -> None:
    def finding_lines(findings: tuple[Finding, ...]) -> list[str]:
        lines = []
        for finding in findings:
            severity = str(finding.severity)
            if options.color:
                severity = f"{_COLORS[finding.severity]}{severity}\033[0m"
            lines.append(f"  {finding.location}: {severity} [{finding.rule} {finding.code}] {finding.message}")
            lines += [f"      {related.location}: note: {related.message}" for related in finding.related]
        return lines or ["  none"]

    def change_lines() -> list[str]:
        lines, target = [], None
        for change in result.changes:
            if change.target != target:
                target = change.target
                lines.append(f"  {target}:")
            lines.append(f"    {change.message}")
        return lines or ["  none"]

    # Blocks separated by a blank line. Quiet: only the sections that have
    # something in them, no header and no count line.
    blocks: list[list[str]] = []
    if not options.quiet:
        blocks.append([f"Comparing {_side_text(result.base)} with {_side_text(result.head)}."])
    for title, findings in (("Introduced", result.introduced), ("Fixed", result.fixed)):
        if findings or not options.quiet:
            blocks.append([f"{title} ({len(findings)}):", *finding_lines(findings)])
    if result.changes or not options.quiet:
        blocks.append([f"Changes ({len(result.changes)}):", *change_lines()])
    if not options.quiet:
        blocks.append([f"{_counts(result)}."])
    if blocks:
        stream.write("\n\n".join("\n".join(block) for block in blocks) + "\n")


def _side_json(side: Side) -> dict[str, Any]:
    # The working tree has no commit: `commit` is null and `revision` says which it is.
    return {"revision": side.label, "commit": side.commit}


def to_json(result: DiffResult) -> dict[str, Any]:
    from linter.report.json_report import finding_to_json

    return {
        "tool": "metallb-lint",
        "version": __version__,
        "base": _side_json(result.base),
        "head": _side_json(result.head),
        "introduced": [finding_to_json(f) for f in result.introduced],
        "fixed": [finding_to_json(f) for f in result.fixed],
        "unchanged": [finding_to_json(f) for f in result.unchanged],
        "changes": [c.to_json() for c in result.changes],
    }


def write_json(result: DiffResult, stream: TextIO, options: ReportOptions) -> None:
    json.dump(to_json(result), stream, indent=2)
    stream.write("\n")


def _cell(text: str) -> str:
    # A `|` would end the table cell; a newline would end the row.
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(result: DiffResult, stream: TextIO, options: ReportOptions) -> None:
    """A pull-request comment: counts, then tables of introduced and fixed findings, then changes."""
    lines = [f"### metallb-lint diff: {_side_text(result.base)} → {_side_text(result.head)}", "",
             f"**{_counts(result)}**", ""]
    for title, findings in (("Introduced", result.introduced), ("Fixed", result.fixed)):
        if not findings:
            continue
        lines += [f"#### {title}", "", "| Severity | Rule | Location | Message |", "|---|---|---|---|"]
        lines += [f"| {f.severity} | `{f.code}` {f.rule} | `{_cell(str(f.location))}` | {_cell(f.message)} |"
                  for f in findings]
        lines.append("")
    if result.changes:
        lines += ["#### MetalLB changes", ""]
        target = None
        for change in result.changes:
            if change.target != target:
                target = change.target
                lines.append(f"- `{_cell(target)}`")
            lines.append(f"  - {_cell(change.message)}")
        lines.append("")
    stream.write("\n".join(lines))


def _through_lint_reporter(name: str) -> DiffReporter:
    def write(result: DiffResult, stream: TextIO, options: ReportOptions) -> None:
        from linter.report import reporters

        introduced = Result(result.introduced, result.files, result.targets, result.errors)
        reporters()[name](introduced, stream, options)

    return write


def diff_reporters() -> dict[str, DiffReporter]:
    return {"text": write_text, "json": write_json, "markdown": write_markdown,
            "rdjson": _through_lint_reporter("rdjson"), "github": _through_lint_reporter("github")}


DIFF_FORMAT_NAMES = ("text", "json", "markdown", "rdjson", "github")
