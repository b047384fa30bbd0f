"""SARIF 2.1.0, as GitHub code scanning reads it.

One run; one rule descriptor per registered rule (so the Security tab can
show a rule's help even when it has no result); `partialFingerprints` carries
the engine's line-independent fingerprint so code scanning tracks a finding
across pushes instead of closing and reopening it when lines move.
"""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote

from linter import __version__
from linter.engine import Result
from linter.finding import Finding, Location, Severity
from linter.report import ReportOptions
from linter.report.common import HOMEPAGE, RuleInfo, rule_table, rule_url

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "metallbLint/v1"  # bump the suffix if the fingerprint's recipe ever changes
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _descriptor(info: RuleInfo) -> dict[str, Any]:
    help_text = info.summary
    help_markdown = f"**{info.summary}**"
    if info.rationale:
        help_text += f"\n\nWhy: {info.rationale}"
        help_markdown += f"\n\n**Why.** {info.rationale}"
    if info.remediation:
        help_text += f"\n\nHow to fix: {info.remediation}"
        help_markdown += f"\n\n**How to fix.** {info.remediation}"
    url = rule_url(info.code, info.name)
    help_markdown += f"\n\n[Documentation]({url})"
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.rationale or info.summary},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": url,
        "defaultConfiguration": {"level": _LEVELS[info.severity]},
        "properties": {"tags": ["metallb", "gitops"]},
    }


def _physical(location: Location) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": location.line, "startColumn": location.column}
    if location.end_line is not None:
        region["endLine"] = location.end_line
    if location.end_column is not None:
        region["endColumn"] = location.end_column
    return {
        # Relative to the checkout: code scanning resolves %SRCROOT% itself, and an
        # absolute runner path would never match the repository's files.
        "artifactLocation": {"uri": quote(location.file, safe="/"), "uriBaseId": "%SRCROOT%"},
        "region": region,
    }


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(finding.location)}],
    }
    if finding.object is not None:
        obj = finding.object
        result["locations"][0]["logicalLocations"] = [{
            "name": obj.name or "", "fullyQualifiedName": str(obj), "kind": "object"}]
    if finding.related:
        result["relatedLocations"] = [
            {"id": number, "physicalLocation": _physical(r.location), "message": {"text": r.message}}
            for number, r in enumerate(finding.related, start=1)
        ]
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.target is not None:
        result["properties"] = {"target": finding.target}
    return result


def sarif_document(result: Result) -> dict[str, Any]:
    table = rule_table(result.findings)
    index = {info.code: position for position, info in enumerate(table)}
    invocation: dict[str, Any] = {"executionSuccessful": not result.errors}
    if result.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": message}} for message in result.errors]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "metallb-lint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": [_descriptor(info) for info in table],
            }},
            "invocations": [invocation],
            # Columns count characters as Python does; say so rather than let
            # consumers assume UTF-16 code units.
            "columnKind": "unicodeCodePoints",
            "results": [_result(finding, index) for finding in result.findings],
        }],
    }


def write_sarif(result: Result, stream: TextIO, options: ReportOptions) -> None:
    json.dump(sarif_document(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
