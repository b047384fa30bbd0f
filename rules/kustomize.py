"""ML002-ML003: what the Kustomize renderer could not follow."""

from __future__ import annotations

from collections.abc import Iterator

from linter.finding import Finding, Severity
from linter.model import Repository
from linter.rule import Rule

class KustomizeError(Rule):
    code = "ML002"
    name = "kustomize-error"
    severity = Severity.ERROR
    summary = "A kustomization that kustomize cannot build: a missing path, a cycle, a path out of the repository."
    rationale = (
        "kustomize (and so Flux and Argo CD) refuses to build the whole overlay, so nothing in it is "
        "applied. A path that leaves the repository is never read by metallb-lint: a pull request "
        "must not make CI read files outside the checkout."
    )
    remediation = "Fix the path in `resources`, `bases` or `components`, or create what it names."
    bad_example = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: metallb-system
resources:
  - pools.yaml  # no such file
"""
    good_example = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: metallb-system
resources: []
"""

    def check(self, repository: Repository) -> Iterator[Finding]:
        for problem in repository.render_problems:
            if problem.kind == "error":
                yield self.finding(problem.message, problem.location)


class KustomizeRemoteSkipped(Rule):
    code = "ML003"
    name = "kustomize-remote-skipped"
    severity = Severity.INFO
    summary = "A remote Kustomize resource that is not fetched, so its objects are not linted."
    rationale = (
        "metallb-lint never touches the network. Objects from a remote base (a Git URL, an HTTP "
        "manifest) are invisible to every rule; the finding says what was not evaluated rather "
        "than staying silently incomplete. Reported once per URL."
    )
    remediation = "Nothing to fix; vendor the manifests into the repository to have them linted."
    bad_example = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - https://example.com/manifests/app.yaml
"""
    good_example = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: []
"""

    def check(self, repository: Repository) -> Iterator[Finding]:
        remote = sorted((p for p in repository.render_problems if p.kind == "remote"),
                        key=lambda p: (p.location.file, p.location.line, p.location.column))
        seen: set[str] = set()
        for problem in remote:
            if problem.message not in seen:  # the message names the URL
                seen.add(problem.message)
                yield self.finding(problem.message, problem.location)
