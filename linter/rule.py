"""The base class of every rule: metadata plus one `check` generator.

A rule reads the model and yields findings. It never reads CLI options,
applies suppressions or prints: the engine and the reporters do that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from linter.finding import Finding, Location, Related, Severity
from linter.model import Cluster, Repository
from linter.resource import Resource


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line
    rationale: ClassVar[str]  # why it matters: what MetalLB does with it
    remediation: ClassVar[str]  # how to fix it
    bad_example: ClassVar[str]  # YAML that fires the rule
    good_example: ClassVar[str]  # the same, fixed

    def check(self, repository: Repository) -> Iterator[Finding]:
        """Findings for the whole repository; by default, cluster by cluster."""
        for cluster in repository.clusters:
            yield from self.check_cluster(cluster)

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        return iter(())

    def finding(
        self,
        message: str,
        location: Location,
        *,
        cluster: Cluster | None = None,
        resource: Resource | None = None,
        related: Iterable[Related] = (),
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            rule=self.name,
            severity=self.severity if severity is None else severity,
            message=message,
            location=location,
            target=cluster.target if cluster else None,
            object=resource.ref() if resource else None,
            related=tuple(related),
        )
