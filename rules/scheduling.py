"""ML201-ML206: will a speaker run, and may it announce, where it must (facts §4, §5, §9).

Every rule reads linter/announcers.py's per-node answer for each MetalLB
installation of a target, against the nodes linter/node_scope.py found. No
known node, or an installation whose values cannot be read: quiet. A
conclusion about "every node" is an error only when every node is declared
one by one; resting on a distribution's assumed control plane, or on a
config that stands for a whole role, it is a warning and says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from linter.announcers import (Announcers, cluster_announcers, controller_fits, has_controller, node_selectors,
                               selected_nodes)
from linter.chart import parse_version
from linter.finding import Finding, Related, Severity
from linter.installation import InstallationModel
from linter.model import Cluster
from linter.nodes import EXCLUDE_LB_LABEL, Node, Taint
from linter.rule import Rule
from linter.scheduling import toleration_for

_MASTER_KEYS = ("node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane")

_HELM_SPEAKER = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metallb
  namespace: metallb-system
spec:
  chart:
    spec:
      chart: metallb
      version: 0.14.8
      sourceRef: {kind: HelmRepository, name: metallb}
  values:
    speaker:
"""
_SINGLE_NODE = """\
---
apiVersion: v1
kind: Node
metadata:
  name: cp1
  labels:
    kubernetes.io/hostname: cp1
    kubernetes.io/os: linux
    node-role.kubernetes.io/control-plane: ""
    node.kubernetes.io/exclude-from-external-load-balancers: ""
spec:
  taints:
    - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
status:
  addresses: [{type: InternalIP, address: 192.168.1.10}]
"""


def names(nodes: Sequence[Node], limit: int = 3) -> str:
    shown = [n.name for n in nodes[:limit]]
    more = len(nodes) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def assumption(result: Announcers) -> str:
    """The message's caveat when the nodes are not declared one by one."""
    if result.assumed:
        source = result.verdicts[0].node.source
        return f" (assumed: {source}'s default control plane, since no file declares the nodes)"
    if not result.certain:
        return " (a node configuration that stands for every node of its role)"
    return ""


def _flow(toleration: dict[str, str]) -> str:
    parts = []
    for key in ("key", "operator", "value", "effect"):
        if key in toleration:
            value = toleration[key]
            parts.append(f'{key}: "{value}"' if key == "value" or value in ("true", "false", "") else f"{key}: {value}")
    return "{" + ", ".join(parts) + "}"


def _node_related(nodes: Sequence[Node], why: str) -> list[Related]:
    return [Related(n.location, f"node {n.name}: {why}") for n in nodes if not n.assumed][:10]


def _installations(cluster: Cluster) -> Iterator[tuple[InstallationModel, Announcers]]:
    for installation in cluster.installations:
        result = cluster_announcers(cluster, installation)
        if result is not None:
            yield installation, result


def _blind(result: Announcers) -> bool:
    """The speaker's nodeSelector or required affinity rejects every node (ML203's case, whatever
    the taints); an unknown answer on any node is not a rejection."""
    return all(v.fit.selector_mismatch or v.fit.affinity_mismatch for v in result.verdicts)


def speaker_of(installation: InstallationModel) -> str:
    """How messages name the speaker: by the release, or by the DaemonSet and its namespace."""
    if installation.release is not None:
        return f"the speaker of {installation.how} {installation.name}".rstrip()
    return f"the speaker DaemonSet in {installation.namespace or 'its namespace'}"


def controller_of(installation: InstallationModel) -> str:
    if installation.release is not None:
        return f"the controller of {installation.how} {installation.name}".rstrip()
    return f"the controller Deployment in {installation.namespace or 'its namespace'}"


class SpeakerMissingToleration(Rule):
    code = "ML201"
    name = "speaker-missing-toleration"
    severity = Severity.ERROR
    summary = "Nodes carry a NoSchedule/NoExecute taint the speaker does not tolerate: no speaker runs there."
    rationale = (
        "The speaker DaemonSet places a pod only on nodes whose taints it tolerates. Without a speaker a "
        "node never answers ARP/NDP or speaks BGP for a Service, so addresses that should be announced "
        "there are not; on a single-node cluster, or when every node is tainted, no LoadBalancer IP is "
        "reachable at all, while `kubectl get svc` shows them assigned. MetalLB's defaults tolerate only "
        "the master and control-plane NoSchedule taints (only master before 0.13.0); `CriticalAddonsOnly`, "
        "every NoExecute taint and custom taints are not tolerated."
    )
    remediation = (
        "Add the toleration the message gives: `speaker.tolerateMaster: true` or an entry in "
        "`speaker.tolerations` in Helm values, or `spec.template.spec.tolerations` of the speaker "
        "DaemonSet (a kustomize patch for the upstream manifests). Or remove the taint from the nodes."
    )
    bad_example = _HELM_SPEAKER + "      tolerateMaster: false\n" + _SINGLE_NODE
    good_example = _HELM_SPEAKER + "      tolerateMaster: true\n      ignoreExcludeLB: true\n" + _SINGLE_NODE

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for installation, result in _installations(cluster):
            if _blind(result):
                continue  # the nodeSelector/affinity matches nothing: speaker-selects-no-node says so
            lost = [v for v in result.verdicts if v.runs is False and v.fit.blocking
                    and not v.fit.selector_mismatch and not v.fit.affinity_mismatch]
            if not lost:
                continue
            nobody = all(v.runs is False for v in result.verdicts)
            dark = nobody or result.single_node
            severity = Severity.ERROR if dark and result.certain else Severity.WARNING
            taints: dict[str, tuple[Taint, list[Node]]] = {}
            for verdict in lost:
                for taint in verdict.fit.blocking:
                    taints.setdefault(str(taint), (taint, []))[1].append(verdict.node)
            fixes = "; ".join(self._fix(installation, taint) for taint, _ in taints.values())
            which = "; ".join(f"{text} on {names(nodes)}" for text, (_, nodes) in taints.items())
            if result.assumed:
                consequence = "so no speaker runs on the control plane"
            elif result.single_node:
                consequence = "so no speaker runs on the only node and no LoadBalancer IP is announced"
            elif nobody:
                consequence = "so no node of the cluster runs a speaker and no LoadBalancer IP is announced"
            else:
                consequence = f"so {len(lost)} of {len(result.verdicts)} nodes never announce"
            message = (f"{speaker_of(installation)} does not tolerate {which}, {consequence}"
                       f"{assumption(result)}. {fixes}")
            related = [Related(t.location, f"taint {t} on node {n.name}")
                       for t, nodes in taints.values() for n in nodes if not n.assumed][:10]
            yield self.finding(message, installation.speaker.tolerations.location, cluster=cluster,
                               resource=installation.source, related=related, severity=severity)

    @staticmethod
    def _fix(installation: InstallationModel, taint: Taint) -> str:
        toleration = _flow(toleration_for(taint))
        if installation.release is None:
            return f"Add to the speaker DaemonSet's tolerations: {toleration}"
        built = installation.speaker.tolerations.value
        built = built if isinstance(built, list) else []
        version = parse_version(installation.version)
        renders_it = taint.key == _MASTER_KEYS[0] or version is None or version >= (0, 13, 0)
        default_pair = taint.key in _MASTER_KEYS and taint.effect == "NoSchedule" and renders_it
        if default_pair and not any(isinstance(t, dict) and t.get("key") in _MASTER_KEYS for t in built):
            return "Set `speaker.tolerateMaster: true` (or add to `speaker.tolerations`: " + toleration + ")"
        return f"Add to `speaker.tolerations`: {toleration}"


class SpeakerExcludedByLabel(Rule):
    code = "ML202"
    name = "speaker-excluded-by-label"
    severity = Severity.ERROR
    summary = ("Nodes labelled node.kubernetes.io/exclude-from-external-load-balancers never announce, "
               "and the speaker does not ignore the label.")
    rationale = (
        "From v0.14.0 a speaker refuses to announce from a node that has the label, whatever its value "
        "(even \"false\"). kubeadm (since 1.21) and Talos put it on every control-plane node, so on a "
        "single-node cluster, or one where only control planes run speakers, Services get an IP that no "
        "node announces: the classic single-node failure. L2 logs it only at debug level."
    )
    remediation = (
        "On MetalLB 0.14.4 or newer set `speaker.ignoreExcludeLB: true` (Helm) or add `--ignore-exclude-lb` "
        "to the speaker's args (manifests). Otherwise remove the label from the nodes (Talos: a "
        "`machine.nodeLabels` patch with `$patch: delete`), or upgrade MetalLB."
    )
    bad_example = _HELM_SPEAKER + "      tolerateMaster: true\n" + _SINGLE_NODE
    good_example = _HELM_SPEAKER + "      tolerateMaster: true\n      ignoreExcludeLB: true\n" + _SINGLE_NODE

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for installation, result in _installations(cluster):
            running = [v for v in result.verdicts if v.runs is not False]
            excluded = [v for v in running if v.excluded]
            if not excluded:
                continue
            nobody = all(v.announces is False for v in running)
            severity = Severity.ERROR if nobody and result.certain else Severity.WARNING
            if result.assumed:
                consequence = "so the control plane never announces"
            elif nobody:
                consequence = "so no node announces any LoadBalancer IP"
            else:
                consequence = f"so {len(excluded)} of {len(running)} nodes that run a speaker never announce"
            subject = f"node {excluded[0].node.name} carries" if len(excluded) == 1 \
                else f"nodes {names([v.node for v in excluded])} carry"
            message = (f"{subject} {EXCLUDE_LB_LABEL} and {speaker_of(installation)} "
                       f"honours it, {consequence}{assumption(result)}. "
                       f"{self._fix(installation, result)}")
            related = [Related(v.node.label_location(EXCLUDE_LB_LABEL), f"node {v.node.name}: label set here")
                       for v in excluded if not v.node.assumed][:10]
            yield self.finding(message, installation.ignore_exclude_lb.location, cluster=cluster,
                               resource=installation.source, related=related, severity=severity)

    @staticmethod
    def _fix(installation: InstallationModel, result: Announcers) -> str:
        version = result.version
        if version is not None and version < (0, 14, 4):
            return (f"MetalLB {installation.version} has no way to ignore it: upgrade to 0.14.4 or newer "
                    "(then ignore it), or remove the label from those nodes")
        flag = "`speaker.ignoreExcludeLB: true`" if installation.release is not None \
            else "`--ignore-exclude-lb` in the speaker's args"
        newer = "" if version is not None else " (MetalLB 0.14.4 or newer)"
        return f"Set {flag}{newer}, or remove the label from those nodes"


class SpeakerSelectsNoNode(Rule):
    code = "ML203"
    name = "speaker-selects-no-node"
    severity = Severity.ERROR
    summary = "The speaker's nodeSelector or required node affinity matches no known node: no speaker runs."
    rationale = (
        "A DaemonSet whose nodeSelector or required affinity matches no node runs no pod, without any "
        "error: every Service gets an IP from the controller and none is announced. The Helm chart "
        "always adds `kubernetes.io/os: linux` to the values' nodeSelector."
    )
    remediation = "Fix the selector so it matches the nodes that must announce, or label those nodes."
    bad_example = _HELM_SPEAKER + "      nodeSelector: {node-role.kubernetes.io/edge: \"true\"}\n" + _SINGLE_NODE
    good_example = _HELM_SPEAKER + "      ignoreExcludeLB: true\n" + _SINGLE_NODE

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for installation, result in _installations(cluster):
            if result.assumed or not _blind(result):
                continue  # an assumed control plane is not all the nodes there are
            placement = installation.speaker
            selector_miss = any(v.fit.selector_mismatch for v in result.verdicts)
            where = placement.node_selector if selector_miss else placement.affinity
            what = "nodeSelector" if selector_miss else "required node affinity"
            reasons = sorted({r for v in result.verdicts for r in v.fit.reasons if not r.startswith("taint ")})
            message = (f"the {what} of {speaker_of(installation)} matches none of the "
                       f"{len(result.verdicts)} "
                       f"known nodes ({names(result.nodes)}): no speaker runs and no IP is announced"
                       f"{assumption(result)}; {'; '.join(reasons[:3])}")
            severity = Severity.ERROR if result.certain else Severity.WARNING
            yield self.finding(message, where.location, cluster=cluster, resource=installation.source,
                               related=_node_related(result.nodes, "not selected"), severity=severity)


class ControllerUnschedulable(Rule):
    code = "ML206"
    name = "controller-unschedulable"
    severity = Severity.ERROR
    summary = "The controller Deployment can run on no node: no IP is ever assigned and every MetalLB apply fails."
    rationale = (
        "The controller assigns every address and serves the validating webhook. MetalLB gives it no "
        "tolerations at all, and a Deployment's pods get none for NoSchedule taints (unlike a DaemonSet's): "
        "on a single tainted control plane it stays Pending, Services never get an IP, and with no "
        "webhook endpoint every apply of a MetalLB object is refused. Tolerating the taint for the "
        "speaker alone is not enough."
    )
    remediation = (
        "Add the toleration the message gives to `controller.tolerations` (Helm) or the controller "
        "Deployment's `spec.template.spec.tolerations`, or remove the taint."
    )
    bad_example = _HELM_SPEAKER + "      tolerateMaster: true\n      ignoreExcludeLB: true\n" + _SINGLE_NODE
    good_example = (_HELM_SPEAKER + "      tolerateMaster: true\n      ignoreExcludeLB: true\n    controller:\n"
                    "      tolerations:\n        - {key: node-role.kubernetes.io/control-plane, operator: Exists, "
                    "effect: NoSchedule}\n" + _SINGLE_NODE)

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for installation in cluster.installations:
            if not installation.known or not cluster.nodes or not has_controller(installation):
                continue
            if any(n.assumed or n.group for n in cluster.nodes):
                continue  # one node it can run on is enough: undeclared workers may be it
            fitted = controller_fits(installation, cluster.nodes)
            if any(fit.runs is not False for _, fit in fitted):
                continue
            taints: dict[str, Taint] = {str(t): t for _, fit in fitted for t in fit.blocking}
            reasons = sorted({r for _, fit in fitted for r in fit.reasons})
            field = "`controller.tolerations`" if installation.release is not None \
                else "the controller Deployment's tolerations"
            fix = f"; add to {field}: " + ", ".join(_flow(toleration_for(t)) for t in taints.values()) \
                if taints else ""
            message = (f"{controller_of(installation)} can run on none of the {len(fitted)} known nodes "
                       f"({names([n for n, _ in fitted])}): {'; '.join(reasons[:3])}. No IP is "
                       f"assigned and the webhook has no endpoint{fix}")
            placement = installation.controller
            if all(fit.selector_mismatch for _, fit in fitted):
                where = placement.node_selector.location
            elif all(fit.affinity_mismatch for _, fit in fitted):
                where = placement.affinity.location
            else:
                where = placement.tolerations.location
            yield self.finding(message, where, cluster=cluster,
                               resource=installation.source)


# -- advertisements and peers ------------------------------------------------------------------

_SELECTING_KINDS = ("L2Advertisement", "BGPAdvertisement", "BGPPeer")


class NodeSelectorMatchesNothing(Rule):
    code = "ML204"
    name = "node-selector-matches-nothing"
    severity = Severity.ERROR
    summary = "An L2Advertisement, BGPAdvertisement or BGPPeer `nodeSelectors` list matches no known node."
    rationale = (
        "MetalLB accepts a `nodeSelectors` list that matches nothing without a word: the advertisement "
        "then has no node to announce from (or the peer no node to peer from), and its pools' IPs are "
        "assigned but unreachable. Selectors in the list are ORed; an empty list means every node."
    )
    remediation = "Fix the selector's labels, label the nodes that must announce, or drop `nodeSelectors`."
    bad_example = """\
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  nodeSelectors:
    - matchLabels: {kubernetes.io/hostname: nodo-1}
---
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/hostname: node-1}
"""
    good_example = bad_example.replace("nodo-1", "node-1")

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        nodes = cluster.nodes
        if not nodes or any(n.assumed or n.group for n in nodes):
            return  # only the control plane (or a role) is known: other nodes may match
        namespaces = cluster.metallb_namespaces
        for resource in cluster.config_resources:
            if resource.kind not in _SELECTING_KINDS or (namespaces and resource.namespace not in namespaces):
                continue
            selectors = node_selectors(resource)
            if not selectors:
                continue
            chosen = selected_nodes(selectors, nodes)
            if chosen is None or chosen:
                continue
            what = "peers from no node" if resource.kind == "BGPPeer" else "is announced from no node"
            message = (f"{resource.describe()}: `nodeSelectors` matches none of the {len(nodes)} known nodes "
                       f"({names(nodes)}), so it {what}")
            yield self.finding(message, resource.spec.key_location("nodeSelectors"), cluster=cluster,
                               resource=resource, related=_node_related(nodes, "not selected"))


class AdvertisementHasNoAnnouncer(Rule):
    code = "ML205"
    name = "advertisement-has-no-announcer"
    severity = Severity.ERROR
    summary = "Some nodes announce, but none of those an advertisement selects can."
    rationale = (
        "An advertisement announces only from the nodes it selects that run a speaker and are not "
        "excluded: each selected node may be tainted without a toleration, outside the speaker's "
        "selector, labelled exclude-from-external-load-balancers or network-unavailable. Its pools' IPs "
        "are then assigned and never announced, while other advertisements work, so nothing looks wrong."
    )
    remediation = "Select nodes that run a speaker (see each node's reason), or fix what keeps the speaker off them."
    bad_example = _HELM_SPEAKER + """\
      tolerateMaster: true
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  nodeSelectors:
    - matchLabels: {node-role.kubernetes.io/control-plane: ""}
---
apiVersion: v1
kind: Node
metadata:
  name: cp1
  labels: {node-role.kubernetes.io/control-plane: "", node.kubernetes.io/exclude-from-external-load-balancers: ""}
---
apiVersion: v1
kind: Node
metadata:
  name: worker1
  labels: {node-role.kubernetes.io/worker: ""}
"""
    good_example = bad_example.replace('matchLabels: {node-role.kubernetes.io/control-plane: ""}',
                                       'matchLabels: {node-role.kubernetes.io/worker: ""}')

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for installation, result in _installations(cluster):
            if not result.announcing():
                continue  # the whole target is dark: ML201/202/203 say so
            for resource in cluster.config_resources:
                if resource.kind not in ("L2Advertisement", "BGPAdvertisement") \
                        or resource.namespace != installation.namespace:
                    continue
                selectors = node_selectors(resource) or []
                chosen = selected_nodes(selectors, result.nodes)
                if not chosen:
                    continue  # unknown, or nothing selected (ML204)
                verdicts = [result.verdict(n) for n in chosen]
                if any(v.announces is not False for v in verdicts):
                    continue
                lines = "; ".join(f"{v.node.name}: {v.reason()}" for v in verdicts[:5])
                more = f" and {len(verdicts) - 5} more" if len(verdicts) > 5 else ""
                message = (f"{resource.describe()} selects {len(verdicts)} node{'s' if len(verdicts) != 1 else ''}, "
                           f"and {speaker_of(installation)} announces from none of them ({lines}{more})"
                           f"{assumption(result)}")
                where = resource.spec.key_location("nodeSelectors") if selectors else resource.location()
                related = [Related(v.node.location, f"node {v.node.name}: {v.reason()}")
                           for v in verdicts if not v.node.assumed][:10]
                severity = Severity.ERROR if result.certain else Severity.WARNING
                yield self.finding(message, where, cluster=cluster, resource=resource, related=related,
                                   severity=severity)
