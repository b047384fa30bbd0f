"""ML403: MetalLB objects MetalLB never reads because of their namespace (facts §3.2)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from linter.addresses import is_unresolved
from linter.finding import Finding, Related, Severity
from linter.model import Cluster
from linter.rule import Rule

_INSTALL = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
  namespace: metallb-system
spec:
  template:
    spec:
      containers:
      - name: speaker
        image: quay.io/metallb/speaker:v0.14.8
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
  namespace: metallb-system
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
"""


class WrongNamespace(Rule):
    code = "ML403"
    name = "wrong-namespace"
    severity = Severity.ERROR
    summary = "A MetalLB custom resource outside the namespace MetalLB runs in."
    rationale = (
        "The controller and the speakers watch their configuration objects only in their own "
        "namespace, and the webhook refuses to create them anywhere else (`resource must be "
        "created in metallb-system namespace`). With Helm the namespace is the release's, not "
        "always metallb-system."
    )
    remediation = "Move the object to the namespace of the MetalLB installation of this target."
    bad_example = _INSTALL + "  namespace: metallb\nspec:\n  addresses: [192.168.10.0/28]\n"
    good_example = _INSTALL + "  namespace: metallb-system\nspec:\n  addresses: [192.168.10.0/28]\n"

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        if any(is_unresolved(i.namespace) for i in cluster.installations):
            return  # MetalLB's namespace is a Flux variable: unknown until substituted
        namespaces = cluster.metallb_namespaces
        placed = [r for r in cluster.config_resources if r.namespace and not is_unresolved(r.namespace)]
        if namespaces:
            installation = next(i for i in cluster.installations if i.namespace)
            expected = " or ".join(f'"{n}"' for n in sorted(namespaces))
            for resource in placed:
                if resource.namespace in namespaces:
                    continue
                yield self.finding(
                    f'{resource.describe()} is in namespace "{resource.namespace}", but MetalLB runs '
                    f"in {expected}: MetalLB never reads it",
                    resource.namespace_location(), cluster=cluster, resource=resource,
                    related=[Related(installation.location,
                                     f'MetalLB ({installation.how}) runs in "{installation.namespace}"')])
            return
        # No installation visible: do not guess which namespace is right, but
        # objects spread over several namespaces cannot all be read.
        counts = Counter(r.namespace for r in placed)
        if len(counts) < 2:
            return
        majority = counts.most_common(1)[0][0]
        for resource in placed:
            if resource.namespace != majority:
                yield self.finding(
                    f'{resource.describe()} is in namespace "{resource.namespace}" while the other '
                    f'MetalLB objects of this target are in "{majority}"; MetalLB reads only the '
                    "namespace it runs in (no installation is visible here to tell which is right)",
                    resource.namespace_location(), cluster=cluster, resource=resource,
                    severity=Severity.INFO)
