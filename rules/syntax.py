"""ML001: files that cannot be read as YAML."""

from __future__ import annotations

from collections.abc import Iterator

from linter.finding import Finding, Severity
from linter.model import Repository
from linter.rule import Rule


class YamlSyntax(Rule):
    code = "ML001"
    name = "yaml-syntax"
    severity = Severity.ERROR
    summary = "A file cannot be parsed: bad YAML, a duplicate key, bad encoding or an alias bomb."
    rationale = (
        "kubectl, kustomize, Flux and Argo CD refuse the whole file, so nothing in it is applied. "
        "A duplicate key is an error for Kubernetes even where other YAML tools keep the last value."
    )
    remediation = "Fix the YAML at the reported line; remove the repeated key; save the file as UTF-8."
    bad_example = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  name: lan-pool
spec:
  addresses: [192.168.10.0/24]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
"""
    good_example = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
spec:
  addresses: [192.168.10.0/24]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
"""

    def check(self, repository: Repository) -> Iterator[Finding]:
        for source in repository.files.values():
            for problem in source.problems:
                yield self.finding(problem.message, problem.location)
