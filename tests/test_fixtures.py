"""Every fixture repository yields exactly the findings its markers announce."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fixture_harness import FIXTURES, all_cases, expected_findings, lint_case
from rules import REGISTRY

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.relative_to(FIXTURES).as_posix() for c in CASES])
def test_fixture(case: Path) -> None:
    expected = expected_findings(case)
    result = lint_case(case)
    assert result.errors == ()
    actual = {(f.rule, f.location.file, f.location.line) for f in result.findings}
    wanted = {(e.rule, e.file, e.line) for e in expected}
    details = "\n".join(f"  {f.location}: [{f.rule}] {f.message}" for f in result.findings)
    assert actual == wanted, f"findings differ from the markers; got:\n{details}"
    repeated = [k for k, n in Counter((f.rule, str(f.location), f.message) for f in result.findings).items() if n > 1]
    assert not repeated, f"the same finding is reported more than once: {repeated}"
    for entry in expected:
        if entry.message is None:
            continue
        messages = [f.message for f in result.findings
                    if (f.rule, f.location.file, f.location.line) == (entry.rule, entry.file, entry.line)]
        assert any(entry.message in m for m in messages), (entry, messages)
    for entry in expected:
        if entry.severity is not None:
            severities = {str(f.severity) for f in result.findings
                          if (f.rule, f.location.file, f.location.line) == (entry.rule, entry.file, entry.line)}
            assert severities == {entry.severity}, (entry, severities)


@pytest.mark.parametrize("rule", REGISTRY, ids=[r.name for r in REGISTRY])
def test_every_rule_has_a_firing_and_a_quiet_fixture(rule: object) -> None:
    folder = FIXTURES / rule.name  # type: ignore[attr-defined]
    fires = [c for c in folder.glob("fires-*") if any(e.rule == rule.name for e in expected_findings(c))]  # type: ignore[attr-defined]
    quiet = [c for c in folder.glob("quiet-*") if not any(e.rule == rule.name for e in expected_findings(c))]  # type: ignore[attr-defined]
    assert fires, f"no tests/fixtures/{rule.name}/fires-* case expects {rule.name}"  # type: ignore[attr-defined]
    assert quiet, f"no tests/fixtures/{rule.name}/quiet-* case"  # type: ignore[attr-defined]
