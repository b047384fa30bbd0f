"""What several reporters share: rule descriptors, documentation links, counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from linter.finding import Finding, Severity

# Where the project and its rule documentation live. One constant, so a fork
# or a move changes every reporter's links at once.
HOMEPAGE = "https://github.com/metallb-lint/metallb-lint"
RULES_DOC = f"{HOMEPAGE}/blob/main/docs/rules.md"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a report says about a rule; built from the registry or, for a code it lacks, the finding."""

    code: str
    name: str
    severity: Severity
    summary: str
    rationale: str
    remediation: str


def rule_anchor(code: str, name: str) -> str:
    """GitHub's anchor for the heading "## ML104 `pool-overlap`" of docs/rules.md."""
    return f"{code}-{name}".lower()


def rule_url(code: str, name: str) -> str:
    return f"{RULES_DOC}#{rule_anchor(code, name)}"


def rule_table(findings: Iterable[Finding]) -> list[RuleInfo]:
    """Every registered rule in code order, then any code a finding has that the registry lacks.

    A finding of an unregistered code (a future internal rule) must still get a
    descriptor, or SARIF consumers reject the result's ruleIndex.
    """
    from rules import REGISTRY  # imported late: reporters load without rules until used

    table = [RuleInfo(r.code, r.name, r.severity, r.summary, r.rationale, r.remediation) for r in REGISTRY]
    known = {info.code for info in table}
    for finding in findings:
        if finding.code not in known:
            known.add(finding.code)
            table.append(RuleInfo(finding.code, finding.rule, finding.severity, finding.rule, "", ""))
    return table


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    counts = {severity: 0 for severity in sorted(Severity, reverse=True)}
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
