"""`path:line:col: severity [name code] message`, one finding per line."""

from __future__ import annotations

from typing import TextIO

from linter.engine import Result
from linter.finding import Severity
from linter.report import ReportOptions

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def write_text(result: Result, stream: TextIO, options: ReportOptions) -> None:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if options.color else text

    for finding in result.findings:
        severity = paint(str(finding.severity), _COLORS[finding.severity])
        where = paint(str(finding.location), _BOLD)
        stream.write(f"{where}: {severity} [{finding.rule} {finding.code}] {finding.message}\n")
        for related in finding.related:
            stream.write(paint(f"    {related.location}: note: {related.message}", _DIM) + "\n")
    if options.quiet:
        return
    counts = {severity: 0 for severity in Severity}
    for finding in result.findings:
        counts[finding.severity] += 1
    scope = f"in {_plural(result.files, 'file')} ({_plural(result.targets, 'target')})"
    if not result.findings:
        stream.write(f"No problems found {scope}.\n")
        return
    stream.write(f"{_plural(counts[Severity.ERROR], 'error')}, {_plural(counts[Severity.WARNING], 'warning')}, "
                 f"{counts[Severity.INFO]} info {scope}.\n")
