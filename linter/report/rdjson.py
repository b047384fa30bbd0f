"""reviewdog's Diagnostic JSON (rdjson), for `reviewdog -f=rdjson`.

reviewdog posts the diagnostics as review comments on the changed lines; it
filters to the diff itself, so every finding is written.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from linter.engine import Result
from linter.finding import Finding, Location, Severity
from linter.report import ReportOptions
from linter.report.common import HOMEPAGE, rule_url

_SEVERITIES = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}
SOURCE = {"name": "metallb-lint", "url": HOMEPAGE}


def _location(location: Location) -> dict[str, Any]:
    start = {"line": location.line, "column": location.column}
    span: dict[str, Any] = {"start": start}
    if location.end_line is not None:
        end = {"line": location.end_line}
        if location.end_column is not None:
            end["column"] = location.end_column
        span["end"] = end
    return {"path": location.file, "range": span}


def diagnostic(finding: Finding) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "message": finding.message,
        "location": _location(finding.location),
        "severity": _SEVERITIES[finding.severity],
        "source": SOURCE,
        "code": {"value": finding.code, "url": rule_url(finding.code, finding.rule)},
    }
    if finding.related:
        entry["related_locations"] = [
            {"message": r.message, "location": _location(r.location)} for r in finding.related]
    return entry


def write_rdjson(result: Result, stream: TextIO, options: ReportOptions) -> None:
    document = {"source": SOURCE, "diagnostics": [diagnostic(f) for f in result.findings]}
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
