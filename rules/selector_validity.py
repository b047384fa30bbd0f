"""ML207: label selectors and node affinity that Kubernetes or MetalLB rejects (facts §2.1, §9)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from linter.finding import Finding, Location, Severity
from linter.model import Cluster
from linter.resource import Resource
from linter.rule import Rule
from linter.scheduling import SelectorProblem, metallb_selector_list_problems, node_affinity_problems
from linter.yamlpos import YMap, YSeq

# MetalLB kind -> the selector lists in its spec (dotted path from spec).
_LISTS = {
    "L2Advertisement": ("nodeSelectors", "ipAddressPoolSelectors", "serviceSelectors"),
    "BGPAdvertisement": ("nodeSelectors", "ipAddressPoolSelectors", "serviceSelectors"),
    "BGPPeer": ("nodeSelectors",),
    "IPAddressPool": ("serviceAllocation.namespaceSelectors", "serviceAllocation.serviceSelectors"),
}


def locate(value: object, path: Sequence[str | int], fallback: Location) -> Location:
    """The position of `path` inside a loaded value: the deepest step that still exists."""
    where = fallback
    current = value
    for step in path:
        if isinstance(current, YMap) and step in current:
            where = current.value_location(step)
            current = current[step]
        elif isinstance(current, YSeq) and isinstance(step, int) and 0 <= step < len(current):
            where = current.item_location(step)
            current = current[step]
        else:
            break
    return where


def _child(value: object, dotted: str) -> tuple[YMap | None, str]:
    """The mapping holding the last key of `dotted`, and that key."""
    *parents, last = dotted.split(".")
    current = value
    for part in parents:
        current = current.get(part) if isinstance(current, YMap) else None
    return (current if isinstance(current, YMap) else None), last


class SelectorInvalid(Rule):
    code = "ML207"
    name = "selector-invalid"
    severity = Severity.ERROR
    summary = "A label selector or node affinity term that Kubernetes or MetalLB rejects."
    rationale = (
        "An unknown operator, `Exists` with values, `In` without values, `Gt` without exactly one integer, "
        "an empty key, or (in MetalLB's selector lists) the same selector, expression or value twice: "
        "MetalLB refuses the whole object (the webhook denies it, or the speaker drops the configuration), "
        "and the API server refuses a DaemonSet or Deployment with such an affinity. Nothing the object "
        "configures takes effect."
    )
    remediation = "Fix the operator or values as the message says, or remove the duplicate."
    bad_example = """\
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  nodeSelectors:
    - matchExpressions:
        - {key: node-role.kubernetes.io/worker, operator: Exists, values: ["true"]}
"""
    good_example = """\
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  nodeSelectors:
    - matchExpressions:
        - {key: node-role.kubernetes.io/worker, operator: Exists}
"""

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for resource in cluster.config_resources:
            for dotted in _LISTS.get(resource.kind, ()):
                parent, key = _child(resource.spec, dotted)
                if parent is None or key not in parent:
                    continue
                value = parent[key]
                for problem in metallb_selector_list_problems(value, field=key):
                    yield self._report(cluster, resource, f"spec.{dotted}", value, problem,
                                       parent.value_location(key), "MetalLB refuses the whole object")
        for installation in cluster.installations:
            release = installation.release
            if release is None or not isinstance(release.values, YMap):
                continue
            for component in ("speaker", "controller"):
                values = release.values.get(component)
                if not isinstance(values, YMap) or "affinity" not in values:
                    continue
                affinity = values["affinity"]
                for problem in node_affinity_problems(affinity):
                    yield self._report(cluster, installation.source, f"{component}.affinity", affinity, problem,
                                       values.value_location("affinity"),
                                       f"the chart's {component} {'DaemonSet' if component == 'speaker' else 'Deployment'} "
                                       "is refused by the API server")
        namespaces = cluster.metallb_namespaces
        for workload in cluster.resources:
            if workload.group != "apps" or workload.kind not in ("DaemonSet", "Deployment") \
                    or workload.namespace not in namespaces:
                continue
            template = workload.spec.get("template")
            pod = template.get("spec") if isinstance(template, YMap) else None
            if not isinstance(pod, YMap) or "affinity" not in pod:
                continue
            for problem in node_affinity_problems(pod["affinity"]):
                yield self._report(cluster, workload, "spec.template.spec.affinity", pod["affinity"], problem,
                                   pod.value_location("affinity"), "the API server refuses the workload")

    def _report(self, cluster: Cluster, resource: Resource | None, field: str, value: object,
                problem: SelectorProblem, fallback: Location, consequence: str) -> Finding:
        if not problem.rejected:
            consequence = "the scheduler cannot parse it, so this term never matches a node"
        where = locate(value, problem.path, fallback)
        steps = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem.path)
        name = resource.describe() if resource is not None else "MetalLB"
        return self.finding(f"{name}: {field}{steps}: {problem.message}; {consequence}", where,
                            cluster=cluster, resource=resource)
