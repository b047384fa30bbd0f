"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff.

`::error file=F,line=L,col=C,endLine=..,endColumn=..,title=T::message`. GitHub
parses the properties up to `::`, so `:` and `,` inside a value must be
escaped as well as `%`, CR and LF (which end the command) everywhere.
"""

from __future__ import annotations

from typing import TextIO

from linter.engine import Result
from linter.finding import Finding, Severity
from linter.report import ReportOptions
from linter.report.common import plural, severity_counts

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    location = finding.location
    properties = [("file", location.file), ("line", str(location.line)), ("col", str(location.column))]
    if location.end_line is not None:
        properties.append(("endLine", str(location.end_line)))
    if location.end_column is not None:
        properties.append(("endColumn", str(location.end_column)))
    properties.append(("title", f"{finding.rule} {finding.code}"))
    # Related locations go into the message: an annotation has one place only,
    # and the reviewer needs "overlaps lan at pools.yaml:7" to act on it.
    message = finding.message + "".join(f"\nnote: {r.location}: {r.message}" for r in finding.related)
    head = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMANDS[finding.severity]} {head}::{escape_data(message)}\n"


def write_github(result: Result, stream: TextIO, options: ReportOptions) -> None:
    for finding in result.findings:
        stream.write(annotation(finding))
    for message in result.errors:
        stream.write(f"::error title={escape_property('metallb-lint internal error')}::{escape_data(message)}\n")
    if options.quiet:
        return
    counts = severity_counts(result.findings)
    # A plain line for the log: GitHub shows at most a few annotations per step
    # on the diff, so the total must be readable without them.
    stream.write(f"metallb-lint: {plural(counts[Severity.ERROR], 'error')}, "
                 f"{plural(counts[Severity.WARNING], 'warning')}, {counts[Severity.INFO]} info "
                 f"in {plural(result.files, 'file')} ({plural(result.targets, 'target')}).\n")
