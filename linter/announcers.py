"""Which nodes run a speaker, and which of those may announce (facts §2.2, §4, §5.1, §9).

For one installation and the target's nodes: per node, whether the speaker
DaemonSet can be scheduled there (nodeSelector, required affinity, taints
against its tolerations plus the ones the DaemonSet controller adds), and
whether a speaker running there announces (the exclude-from-external-LB
label, NetworkUnavailable). The scheduling rules, the advertisement rules
and the Markdown diagram all read this one answer.

Nodes declared only in part (a talconfig, a k3s config, a Node manifest
written to set labels) do not list the labels the kubelet, the cloud provider
or node-feature-discovery add: a selector on such a label they do not
mention is unknown there, never "no match". Every other label is taken as
declared: the repository is where a node gets its role labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from linter.chart import Version, parse_version
from linter.installation import InstallationModel
from linter.model import Cluster
from linter.resource import Resource
from linter.nodes import CONTROL_PLANE_LABEL, EXCLUDE_LB_LABEL, MASTER_LABEL, Node
from linter.scheduling import Fit, fits
from linter.selectors import parse_selector

# What every declaration of a node settles, whatever its source: whether it is a control plane
# (distributions set these labels on control planes only) and whether it is excluded.
_SETTLED = frozenset((CONTROL_PLANE_LABEL, MASTER_LABEL, EXCLUDE_LB_LABEL, "kubernetes.io/os"))


def effective_labels(node: Node) -> dict[str, str]:
    """The labels to match: a partial declaration gets the ones the kubelet always sets
    (the hostname only for a node declared by name, not for a role or an assumed node)."""
    if node.labels_complete:
        return dict(node.labels)
    implicit = {"kubernetes.io/os": "linux"}
    if not node.group and not node.assumed:
        implicit["kubernetes.io/hostname"] = node.name
    return {**implicit, **node.labels}


def selector_keys(value: object, *, plain_map: bool = False) -> set[str]:
    """Every label key a LabelSelector or a node affinity refers to; with `plain_map`, the keys
    of a pod's nodeSelector map. `matchFields` (metadata.name) is reported as "metadata.name"."""
    if plain_map:
        return {str(k) for k in value} if isinstance(value, Mapping) else set()
    keys: set[str] = set()

    def walk(item: object, fields: bool = False) -> None:
        if isinstance(item, Mapping):
            if isinstance(item.get("key"), str) and "operator" in item:
                keys.add("metadata.name" if fields else item["key"])
            for name, child in item.items():
                if name == "matchLabels" and isinstance(child, Mapping):
                    keys.update(str(k) for k in child)
                else:
                    walk(child, fields or name == "matchFields")
        elif isinstance(item, list):
            for child in item:
                walk(child, fields)

    walk(value)
    return keys


def decidable(node: Node, keys: set[str]) -> bool:
    """Whether matching selectors on these label keys against `node` rests only on what we know.

    A partial declaration (no status) is taken at its word for the labels it lists and for
    what every source settles; a selector on any other label is unknown there: an admin or a
    controller may have set it outside the repository."""
    if node.labels_complete:
        return True
    known = set(effective_labels(node)) | _SETTLED
    if not node.group and not node.assumed:
        known.add("metadata.name")
    return keys <= known


def node_selectors(resource: Resource) -> list[object] | None:
    """An advertisement's or BGPPeer's `nodeSelectors` list (None when absent or not a list)."""
    value = resource.spec.get("nodeSelectors")
    return list(value) if isinstance(value, list) else None


def selected_nodes(selectors: Sequence[object], nodes: Sequence[Node]) -> list[Node] | None:
    """MetalLB's OR over a `nodeSelectors` list (empty: every node); None when unknown."""
    if not selectors:
        return list(nodes)
    parsed = [parse_selector(s) for s in selectors]
    if any(p is None for p in parsed):
        return None
    chosen = []
    for node in nodes:
        if not decidable(node, set().union(*(selector_keys(x) for x in selectors))):
            return None
        labels = effective_labels(node)
        if any(p.matches(labels) for p in parsed if p is not None):
            chosen.append(node)
    return chosen


@dataclass(frozen=True, slots=True)
class NodeVerdict:
    node: Node
    fit: Fit  # the speaker's scheduling on this node
    excluded: bool  # carries the exclude label, and this speaker honours it
    cordon_silences: bool = False  # cordoned, and this speaker (0.14.9 only, facts §5.1) stays silent there

    @property
    def runs(self) -> bool | None:
        return self.fit.runs

    @property
    def announces(self) -> bool | None:
        if self.fit.runs is False:
            return False
        if self.excluded or self.node.network_unavailable or self.cordon_silences:
            return False
        return self.fit.runs

    def reason(self) -> str:
        """Why no speaker announces from this node ('' when one does)."""
        if self.fit.runs is False:
            return "; ".join(self.fit.reasons) or "the speaker cannot be scheduled there"
        if self.excluded:
            return f"labelled {EXCLUDE_LB_LABEL}"
        if self.node.network_unavailable:
            return "condition NetworkUnavailable is True"
        if self.cordon_silences:
            return "cordoned (spec.unschedulable), and MetalLB 0.14.9 does not announce from cordoned nodes"
        return ""


@dataclass(slots=True)
class Announcers:
    installation: InstallationModel
    verdicts: list[NodeVerdict]
    version: Version | None
    honours_exclude_label: bool

    @property
    def nodes(self) -> list[Node]:
        return [v.node for v in self.verdicts]

    @property
    def certain(self) -> bool:
        """Every node is declared one by one: an 'every node' conclusion may be an error."""
        return all(not v.node.assumed and not v.node.group for v in self.verdicts)

    @property
    def assumed(self) -> bool:
        return any(v.node.assumed for v in self.verdicts)

    @property
    def single_node(self) -> bool:
        return len(self.verdicts) == 1 and not self.verdicts[0].node.group

    def announcing(self) -> list[NodeVerdict]:
        """Nodes where a speaker runs and announces (unknown counts as announcing: never guess)."""
        return [v for v in self.verdicts if v.announces is not False]

    def verdict(self, node: Node) -> NodeVerdict:
        return next(v for v in self.verdicts if v.node is node)


def honours_exclude_label(installation: InstallationModel) -> tuple[bool, Version | None]:
    """Whether this speaker skips nodes with the exclude label, and its version when known.

    The label is honoured from v0.14.0 (facts §5.1); the opt-out exists from
    v0.14.4, so an older speaker honours it whatever the values say."""
    version = parse_version(installation.version)
    if version is not None and version < (0, 14, 0):
        return False, version
    ignores = installation.ignore_exclude_lb.value is True and (version is None or version >= (0, 14, 4))
    return not ignores, version


def announcers(installation: InstallationModel, nodes: Iterable[Node]) -> Announcers | None:
    """The per-node answer for one installation; None when nothing is known to answer with."""
    nodes = list(nodes)
    if not nodes or not installation.known or not installation.speaker_enabled:
        return None
    honours, version = honours_exclude_label(installation)
    # v0.14.9 cleared announcements on cordoned nodes; v0.15.0 reverted it (facts §5.1).
    silent_when_cordoned = version is not None and (0, 14, 9) <= version < (0, 15, 0)
    placement = installation.speaker
    verdicts = []
    for node in nodes:
        fit = _fit(placement.node_selector.value, placement.tolerations.value, placement.affinity.value,
                   node, daemonset=True)
        excluded = honours and EXCLUDE_LB_LABEL in node.labels
        verdicts.append(NodeVerdict(node, fit, excluded, node.unschedulable and silent_when_cordoned))
    return Announcers(installation, verdicts, version, honours)


def cluster_announcers(cluster: Cluster, installation: InstallationModel) -> Announcers | None:
    """`announcers` for one of the cluster's installations against its nodes, computed once:
    four rules and the Markdown diagram ask."""
    return cluster.derived(("announcers", id(installation)), lambda: announcers(installation, cluster.nodes))


def _fit(node_selector: object, tolerations: object, affinity: object, node: Node, *, daemonset: bool) -> Fit:
    """`fits`, with a partly declared node's labels: a selector on a label it does not mention is unknown."""
    labelled = Node(node.name, node.location, node.source, effective_labels(node), node.label_locations,
                    node.taints, node.addresses, node.network_unavailable, node.unschedulable,
                    node.control_plane, node.assumed, node.group, node.labels_complete)
    fit = fits(node_selector, tolerations, affinity, labelled, daemonset=daemonset)
    keys = selector_keys(node_selector, plain_map=True) | selector_keys(affinity)
    if fit.runs is not True and (fit.selector_mismatch or fit.affinity_mismatch) and not decidable(node, keys):
        return Fit(None, fit.reasons, fit.blocking, False, False)
    return fit


def controller_fits(installation: InstallationModel, nodes: Iterable[Node]) -> list[tuple[Node, Fit]]:
    """Where the controller Deployment's pod may be scheduled, node by node."""
    placement = installation.controller
    return [(node, _fit(placement.node_selector.value, placement.tolerations.value, placement.affinity.value,
                        node, daemonset=False)) for node in nodes]


def has_controller(installation: InstallationModel) -> bool:
    """Whether the installation deploys a controller (Helm: `controller.enabled`; manifests: its Deployment)."""
    if installation.release is not None:
        values = installation.release.values
        controller = values.get("controller") if isinstance(values, Mapping) else None
        return not (isinstance(controller, Mapping) and controller.get("enabled") is False)
    return "controller" in installation.images  # a manifest model lists the images it found


def node_documents(cluster: Cluster) -> list[dict[str, object]]:
    """Each node of the cluster as `render --model` shows it: where it was declared, what it
    carries, and, per installation, whether a speaker runs and announces there, and why not."""
    documents: list[dict[str, object]] = []
    results = [r for r in (cluster_announcers(cluster, i) for i in cluster.installations) if r is not None]
    for node in cluster.nodes:
        speakers = []
        for result in results:
            verdict = result.verdict(node)
            speakers.append({"installation": f"{result.installation.how} {result.installation.name}".strip(),
                             "runs": verdict.runs, "announces": verdict.announces,
                             "reason": verdict.reason() or None})
        documents.append({
            "apiVersion": "metallb-lint.io/v1alpha1", "kind": "NodeModel",
            "metadata": {"name": node.name, "source": node.source, "location": str(node.location)},
            "spec": {
                "assumed": node.assumed, "group": node.group, "labelsComplete": node.labels_complete,
                "controlPlane": node.control_plane,
                "labels": {key: {"value": value, "location": str(node.label_location(key))}
                           for key, value in node.labels.items()},
                "taints": [{"taint": str(t), "location": str(t.location)} for t in node.taints],
                "addresses": [{"address": a, "location": str(where)} for a, where in node.addresses],
                "unschedulable": node.unschedulable, "networkUnavailable": node.network_unavailable,
                "speakers": speakers,
            },
        })
    return documents

