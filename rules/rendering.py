"""ML002-ML005: what the renderer could not follow or evaluate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from linter.finding import Finding, Severity
from linter.model import Repository
from linter.rule import Rule

class _RenderProblemRule(Rule):
    """Reports the renderer's problems of the kinds it names, where they were found."""

    kinds: ClassVar[frozenset[str]]

    def check(self, repository: Repository) -> Iterator[Finding]:
        for problem in repository.render_problems:
            if problem.kind in self.kinds:
                yield self.finding(problem.message, problem.location)


class KustomizeError(_RenderProblemRule):
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

    kinds = frozenset({"error"})


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


class RenderSkipped(_RenderProblemRule):
    code = "ML004"
    name = "render-skipped"
    severity = Severity.INFO
    summary = "Part of a target that metallb-lint does not evaluate: an unsupported Kustomize field, another source."
    rationale = (
        "Rather than be silently wrong, the linter says what it left out: a kustomization field it "
        "does not implement (replacements, plugins...), or a Flux Kustomization / Argo CD "
        "Application whose source is not this repository. Findings may be missing for what it deploys."
    )
    remediation = "Nothing to fix; vendor the source or simplify the kustomization to have it linted."
    bad_example = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: vendor
  namespace: flux-system
spec:
  interval: 10m
  path: ./deploy
  sourceRef:
    kind: OCIRepository
    name: vendor-manifests
"""
    good_example = """\
apiVersion: v1
kind: Namespace
metadata:
  name: metallb-system
"""

    kinds = frozenset({"unsupported", "skipped"})


class VariableUnresolved(_RenderProblemRule):
    code = "ML005"
    name = "variable-unresolved"
    severity = Severity.INFO
    summary = "A Flux postBuild variable with no value in the repository: the value it feeds is not checked."
    rationale = (
        "Flux substitutes `${VAR}` from `postBuild.substitute` and the ConfigMaps and Secrets of "
        "`substituteFrom`. When those are not in the repository (created in the cluster, or "
        "encrypted), the linter cannot know the value, so rules skip it instead of guessing. Flux "
        "itself would put an empty string there."
    )
    remediation = "Define the variable in `postBuild.substitute` or in a ConfigMap of the repository, or give a default: `${VAR:=value}`."
    bad_example = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: metallb-config
  namespace: flux-system
spec:
  interval: 10m
  path: ./
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute:
      CLUSTER: prod
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
spec:
  addresses: ["${LB_RANGE}"]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
  namespace: metallb-system
"""
    good_example = bad_example.replace("CLUSTER: prod", "LB_RANGE: 192.168.10.0/28")

    kinds = frozenset({"unresolved"})
