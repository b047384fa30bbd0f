"""The JSON document described in DESIGN.md ("External contracts")."""

from __future__ import annotations

import json
from typing import Any, TextIO

from linter import __version__
from linter.engine import Result
from linter.finding import Finding, Severity
from linter.report import ReportOptions


def finding_to_json(finding: Finding) -> dict[str, Any]:
    location, obj = finding.location, finding.object
    return {
        "rule": finding.rule,
        "code": finding.code,
        "severity": str(finding.severity),
        "message": finding.message,
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "target": finding.target,
        "object": None if obj is None else {
            "apiVersion": obj.api_version, "kind": obj.kind, "namespace": obj.namespace, "name": obj.name,
        },
        "related": [
            {"file": r.location.file, "line": r.location.line, "column": r.location.column, "message": r.message}
            for r in finding.related
        ],
        "fingerprint": finding.fingerprint,
    }


def write_json(result: Result, stream: TextIO, options: ReportOptions) -> None:
    summary: dict[str, int] = {str(severity): 0 for severity in sorted(Severity, reverse=True)}
    for finding in result.findings:
        summary[str(finding.severity)] += 1
    summary["files"] = result.files
    summary["targets"] = result.targets
    document = {
        "tool": "metallb-lint",
        "version": __version__,
        "findings": [finding_to_json(f) for f in result.findings],
        "summary": summary,
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")
