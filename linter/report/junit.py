"""JUnit XML: one test suite per rule, one failing test case per finding.

CI dashboards (GitLab, Jenkins, Azure) count test cases, so a rule with no
finding gets one passing case: the dashboard shows every check that ran,
not an empty report that looks like nothing was checked.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from linter.engine import Result
from linter.finding import Finding
from linter.report import ReportOptions
from linter.report.common import rule_table

# XML 1.0 forbids most control characters even escaped; a message quoting a
# broken file could carry one and make the whole report unreadable.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _case(suite: ET.Element, finding: Finding) -> None:
    location = finding.location
    case = ET.SubElement(suite, "testcase", {
        "name": _clean(f"{location}: {finding.object or finding.message}"),
        "classname": _clean(f"metallb-lint.{finding.target or 'repository'}"),
        "file": _clean(location.file), "line": str(location.line),
    })
    body = [f"{location}: {finding.severity}: {finding.message}"]
    body += [f"    {r.location}: note: {r.message}" for r in finding.related]
    failure = ET.SubElement(case, "failure", {"type": str(finding.severity), "message": _clean(finding.message)})
    failure.text = _clean("\n".join(body))


def junit_tree(result: Result) -> ET.Element:
    root = ET.Element("testsuites", {"name": "metallb-lint"})
    total = failures = errors = 0
    for info in rule_table(result.findings):
        found = [f for f in result.findings if f.code == info.code]
        suite = ET.SubElement(root, "testsuite", {
            "name": f"{info.code} {info.name}", "tests": str(max(len(found), 1)),
            "failures": str(len(found)), "errors": "0", "skipped": "0",
        })
        for finding in found:
            _case(suite, finding)
        if not found:
            ET.SubElement(suite, "testcase", {"name": "no findings", "classname": f"metallb-lint.{info.name}"})
        total += max(len(found), 1)
        failures += len(found)
    if result.errors:  # a crashed rule is an error of the run, not a finding
        suite = ET.SubElement(root, "testsuite", {
            "name": "metallb-lint internal errors", "tests": str(len(result.errors)),
            "failures": "0", "errors": str(len(result.errors)), "skipped": "0"})
        for number, message in enumerate(result.errors, start=1):
            case = ET.SubElement(suite, "testcase", {"name": f"internal error {number}",
                                                     "classname": "metallb-lint"})
            ET.SubElement(case, "error", {"message": _clean(message)})
        total += len(result.errors)
        errors += len(result.errors)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    return root


def write_junit(result: Result, stream: TextIO, options: ReportOptions) -> None:
    tree = junit_tree(result)
    ET.indent(tree)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(tree, encoding="unicode"))
    stream.write("\n")
