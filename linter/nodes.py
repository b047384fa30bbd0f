"""The nodes of a cluster, as the repository declares them.

A `Node` is what the scheduling rules need of a Kubernetes node: its labels,
its taints, its addresses and the conditions that stop a speaker from
announcing, each remembering the file and line that declared it. Sources
(linter/node_sources.py) turn Node objects, `kubectl get nodes -o yaml`
lists, Talos and k3s configuration, and distribution defaults into these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.finding import Location

EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
MASTER_LABEL = "node-role.kubernetes.io/master"


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute
    location: Location

    def __str__(self) -> str:
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect}"


@dataclass(slots=True)
class Node:
    name: str
    location: Location  # where the node is declared (its name, hostname, ...)
    source: str  # "Node", "talconfig.yaml", "Talos machine config", "k3s config", "distribution kubeadm", ...
    labels: dict[str, str] = field(default_factory=dict)
    label_locations: dict[str, Location] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    addresses: tuple[tuple[str, Location], ...] = ()  # (IP address, where)
    network_unavailable: bool = False  # condition NetworkUnavailable=True: the speaker does not announce
    unschedulable: bool = False  # cordoned (spec.unschedulable)
    control_plane: bool = False
    assumed: bool = False  # from distribution defaults, not declared by the repository
    group: bool = False  # stands for every node of one role (a k3s server config): how many is unknown
    # Every label the node has is listed (a `kubectl get nodes` dump); else only those the
    # repository sets, and a selector on another label is unknown there (linter/announcers.py).
    labels_complete: bool = False

    def label_location(self, key: str) -> Location:
        return self.label_locations.get(key, self.location)
