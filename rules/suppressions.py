"""ML006: a suppression that suppresses nothing because no rule has that name."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from linter.finding import Finding, Location, Severity
from linter.model import Repository
from linter.rule import Rule
from linter.suppress import collect


class UnknownSuppression(Rule):
    code = "ML006"
    name = "unknown-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment or metallb-lint.io/ignore annotation names no rule, or cannot be read."
    rationale = (
        "A misspelt rule name suppresses nothing, so the finding it was meant to hide keeps failing the build "
        "while the comment suggests it is handled; a name of a future or removed rule hides nothing either. "
        "There is no `all`: each rule is named, so a new rule is never hidden by an old comment."
    )
    remediation = (
        "Use a rule name or code that `metallb-lint rules` lists (`pool-host-bits` or `ML103`), "
        "as `# metallb-lint: disable=RULE[,RULE] -- reason`, or remove the suppression."
    )
    bad_example = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
spec:
  addresses:
  # metallb-lint: disable=pool-hostbit -- the lab uses the whole /24 on purpose
  - 192.168.10.7/24
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
  namespace: metallb-system
"""
    good_example = bad_example.replace("disable=pool-hostbit ", "disable=pool-host-bits ")

    def check(self, repository: Repository) -> Iterator[Finding]:
        from rules import REGISTRY  # deferred: the registry imports this module

        known = {key.lower(): key for rule in REGISTRY for key in (rule.code, rule.name)}
        suppressions = collect(repository)
        seen: set[tuple[str, Location]] = set()  # one annotation rendered into several targets
        for written in suppressions.names:
            if written.text.lower() in known or (written.text, written.location) in seen:
                continue
            seen.add((written.text, written.location))
            yield self.finding(f'suppression names unknown rule "{written.text}"{_hint(written.text, known)}',
                               written.location)
        for problem in dict.fromkeys(suppressions.problems):
            yield self.finding(problem.message, problem.location)


def _hint(name: str, known: dict[str, str]) -> str:
    if name.lower() == "all":
        return "; there is no \"all\": name each rule (`metallb-lint rules` lists them)"
    close = difflib.get_close_matches(name.lower(), list(known), n=1)
    return f'; did you mean "{known[close[0]]}"?' if close else "; `metallb-lint rules` lists the rules"
