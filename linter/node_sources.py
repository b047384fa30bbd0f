"""What a repository declares about its nodes, as `linter.nodes.Node` values.

Four kinds of source, each keeping the file and line of every node, label,
taint and address:

- Kubernetes `Node` objects (committed manifests, `--nodes FILE`, stdin);
- Talos: talhelper's `talconfig.yaml` and machine configs (linter/talos.py);
- k3s / RKE2 `config.yaml`, and the same keys under `k3s_server` /
  `k3s_agent` (or `rke2_server` / `rke2_agent`) in Ansible group_vars;
- the control plane a distribution creates by default (facts §5.2).

A templated value (`{{ }}`, `${VAR}`) is unknown: the label, taint or
address it would set is left out, never guessed. Malformed input is skipped
piece by piece; nothing here raises on a file's content.
"""

from __future__ import annotations

from collections.abc import Iterable

from linter.addresses import is_unresolved
from linter.finding import Location
from linter.loader import SourceFile, load_text
from linter.nodes import CONTROL_PLANE_LABEL, EXCLUDE_LB_LABEL, MASTER_LABEL, Node, Taint
from linter.resource import Resource, resources_in
from linter.talos import EFFECTS, is_machine_config, is_talconfig, machine_config_node, scalar_text, \
    talconfig_nodes
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

DISTRIBUTIONS: tuple[str, ...] = ("generic", "kubeadm", "k3s", "rke2", "microk8s", "talos", "k0s")

ETCD_LABEL = "node-role.kubernetes.io/etcd"
K3S_SOURCE = "k3s config"

# --- Kubernetes Node objects ---------------------------------------------------


def nodes_from_resources(resources: Iterable[Resource]) -> list[Node]:
    """core/v1 `Node` objects, already expanded from `kind: List` / NodeList.

    Labels from metadata.labels; taints, spec.unschedulable; InternalIP and
    ExternalIP addresses (Hostname skipped); the NetworkUnavailable=True
    condition; a control plane is labelled `node-role.kubernetes.io/control-plane`
    or `.../master` (any value: kubectl shows the role from the key alone).
    """
    nodes: list[Node] = []
    for resource in resources:
        if resource.kind != "Node" or resource.api_version != "v1":
            continue
        metadata, spec = resource.metadata, resource.spec
        status = resource.data.get("status")
        status = status if isinstance(status, YMap) else YMap()
        name = resource.name
        where = metadata.value_location("name") if name else resource.location()
        labels, label_locations = _map_labels(metadata.get("labels"))
        nodes.append(Node(
            name=name or "<unnamed>", location=where, source="Node",
            labels=labels, label_locations=label_locations,
            taints=_object_taints(spec.get("taints")),
            addresses=_status_addresses(status.get("addresses")),
            network_unavailable=_network_unavailable(status.get("conditions")),
            unschedulable=spec.get("unschedulable") is True,
            control_plane=CONTROL_PLANE_LABEL in labels or MASTER_LABEL in labels,
            # A dump of the live node (it has a status) lists every label; a manifest
            # committed to add labels lists only those.
            labels_complete="status" in resource.data,
        ))
    return nodes


def _map_labels(value: object) -> tuple[dict[str, str], dict[str, Location]]:
    labels: dict[str, str] = {}
    locations: dict[str, Location] = {}
    if isinstance(value, YMap):
        for key, item in value.items():
            text = scalar_text(item)
            if isinstance(key, str) and not is_unresolved(key) and text is not None:
                labels[key], locations[key] = text, value.key_location(key)
    return labels, locations


def _object_taints(value: object) -> tuple[Taint, ...]:
    taints: list[Taint] = []
    if not isinstance(value, YSeq):
        return ()
    for index, item in enumerate(value):
        if not isinstance(item, YMap):
            continue
        key, taint_value, effect = item.get("key"), item.get("value", ""), item.get("effect")
        taint_value = "" if taint_value is None else taint_value
        if isinstance(key, str) and not is_unresolved(key) and isinstance(taint_value, str) \
                and not is_unresolved(taint_value) and isinstance(effect, str) and effect in EFFECTS:
            taints.append(Taint(key, taint_value, str(effect), value.item_location(index)))
    return tuple(taints)


def _status_addresses(value: object) -> tuple[tuple[str, Location], ...]:
    found: list[tuple[str, Location]] = []
    for item in value if isinstance(value, YSeq) else ():
        if isinstance(item, YMap) and item.get("type") in ("InternalIP", "ExternalIP"):
            address = item.get("address")
            if isinstance(address, str) and address and not is_unresolved(address):
                found.append((address, item.value_location("address")))
    return tuple(found)


def _network_unavailable(value: object) -> bool:
    return any(isinstance(item, YMap) and item.get("type") == "NetworkUnavailable"
               and item.get("status") == "True" for item in (value if isinstance(value, YSeq) else ()))


def nodes_from_text(text: str, name: str) -> list[Node]:
    """Nodes from `--nodes FILE` or stdin: `kubectl get nodes -o yaml|json`, a
    List/NodeList, or several Node documents; `name` is the file in locations.

    Raises ValueError (one line, naming `name`) when the text is not YAML/JSON
    or holds no Node.
    """
    source = load_text(text, name)
    if source.problems:
        problem = source.problems[0]
        raise ValueError(f"{name}: not valid YAML or JSON: {problem.message} (line {problem.location.line})")
    resources = [found for document in source.documents for found in resources_in(document.value, name)]
    nodes = nodes_from_resources(resources)
    if not nodes:
        raise ValueError(f"{name}: no Node objects (expected `kubectl get nodes -o yaml` or Node manifests)")
    return nodes


# --- configuration files --------------------------------------------------------

# Keys only `k3s server` / `rke2 server` accepts: a config holding one is a server's.
_SERVER_ONLY = frozenset(("cluster-init", "tls-san", "disable", "write-kubeconfig-mode", "cluster-cidr",
                          "service-cidr", "cluster-dns", "datastore-endpoint", "flannel-backend",
                          "disable-network-policy", "disable-cloud-controller", "etcd-expose-metrics",
                          "kube-apiserver-arg", "kube-controller-manager-arg", "kube-scheduler-arg", "cni"))
# Keys that tell a k3s/RKE2 config apart from any other YAML with a `server:` or
# `disable:` key (Helm values often have both, as mappings).
_DISTINCTIVE = frozenset(("node-taint", "node-label", "node-name", "node-ip", "node-external-ip",
                          "cluster-init", "tls-san", "write-kubeconfig-mode"))
_ANSIBLE_ROLES = {"k3s_server": True, "k3s_agent": False, "rke2_server": True, "rke2_agent": False}


def nodes_from_file(source: SourceFile, workspace: Workspace | None = None) -> list[Node] | None:
    """Node declarations in a file that is not a Kubernetes object; None when it declares none.

    Recognised by content: a talconfig (`clusterName` + `nodes`), a Talos machine
    config (`machine.type`), a k3s/RKE2 config, Ansible group_vars with
    `k3s_server`/`k3s_agent`. Kubernetes objects are left to
    `nodes_from_resources`. `workspace` reads talconfig `@file` patches.

    k3s/RKE2 role heuristic (a config does not say which it is):
    1. Any server-only key (`cluster-init`, `tls-san`, `disable`,
       `write-kubeconfig-mode`, `cluster-cidr`, ...): server.
    2. Else a path naming `agent`/`worker`: agent; naming `server`/`master`/
       `control`: server.
    3. Else `server:` (the URL a node joins): agent; without it the node
       starts a cluster: server.
    """
    values = [document.value for document in source.documents]
    hostname_docs = [value for value in values if isinstance(value, YMap)
                     and value.get("kind") == "HostnameConfig" and isinstance(value.get("apiVersion"), str)]
    machine_docs = [value for value in values if is_machine_config(value)]
    nodes: list[Node] = []
    for value in values:
        if not isinstance(value, YMap) or ("apiVersion" in value and "kind" in value):
            continue
        if is_talconfig(value):
            nodes.extend(talconfig_nodes(value, source, workspace))
        elif is_machine_config(value):
            # A HostnameConfig names the machine only when the file configures one machine.
            only = hostname_docs[0] if len(hostname_docs) == 1 and len(machine_docs) == 1 else None
            nodes.append(machine_config_node(value, source, only))
        elif _is_k3s_config(value):
            nodes.append(_k3s_node(value, value.location(), _k3s_role(value, source.path), source.path))
        else:
            for key, server in _ANSIBLE_ROLES.items():
                config = value.get(key)
                if isinstance(config, YMap):
                    nodes.append(_k3s_node(config, value.key_location(key), server, f"{source.path} {key}"))
    return nodes or None


def _is_k3s_config(value: YMap) -> bool:
    if any(key in value for key in _DISTINCTIVE):
        return True
    server = value.get("server")
    return isinstance(server, str) and server.startswith("https://")


def _k3s_role(config: YMap, path: str) -> bool:
    """True for a server (control plane); the heuristic is in `nodes_from_file`."""
    if any(key in config for key in _SERVER_ONLY):
        return True
    words = path.lower().replace("-", "/").replace("_", "/").replace(".", "/").split("/")
    if any(word in ("agent", "agents", "worker", "workers") for word in words):
        return False
    if any(word in ("server", "servers", "master", "masters", "control", "controlplane") for word in words):
        return True
    return "server" not in config


def _k3s_node(config: YMap, where: Location, server: bool, fallback: str) -> Node:
    """One group node: it stands for every node started with `config`."""
    node_name = config.get("node-name")
    resolved = isinstance(node_name, str) and node_name and not is_unresolved(node_name)
    name = str(node_name) if resolved else f"{'server' if server else 'agent'} ({fallback})"
    location = config.value_location("node-name") if resolved else where
    labels: dict[str, str] = {}
    label_locations: dict[str, Location] = {}
    if server:
        # k3s pkg/server/server.go sets these on every server, with the string "true".
        defaults = [CONTROL_PLANE_LABEL, MASTER_LABEL]
        if config.get("cluster-init") is True:
            defaults.append(ETCD_LABEL)  # embedded etcd
        for label in defaults:
            labels[label], label_locations[label] = "true", location
    for text, at in _strings(config, "node-label"):
        key, _, value = text.partition("=")
        if key and not key.startswith("-"):
            labels[key.strip()], label_locations[key.strip()] = value.strip(), at
    taints: list[Taint] = []
    for text, at in _strings(config, "node-taint"):
        taint = _parse_taint(text, at)
        if taint is not None:
            taints.append(taint)
    addresses = [(part.strip(), at) for key in ("node-ip", "node-external-ip")
                 for text, at in _strings(config, key) for part in text.split(",")
                 if part.strip()]
    return Node(name, location, K3S_SOURCE, labels, label_locations, tuple(taints), tuple(addresses),
                control_plane=server, group=True)


def _strings(config: YMap, key: str) -> list[tuple[str, Location]]:
    """A k3s flag's values: a list of strings or a single string; templated ones left out."""
    value = config.get(key)
    if isinstance(value, str):
        pairs = [(value, config.value_location(key))]
    elif isinstance(value, YSeq):
        pairs = [(item, value.item_location(index)) for index, item in enumerate(value) if isinstance(item, str)]
    else:
        return []
    return [(text, at) for text, at in pairs if text and not is_unresolved(text)]


def _parse_taint(text: str, at: Location) -> Taint | None:
    """`key=value:Effect` or `key:Effect`, as kubelet's `--register-with-taints` reads it."""
    head, colon, effect = text.strip().rpartition(":")
    if not colon or effect not in EFFECTS:
        return None
    key, _, value = head.partition("=")
    return Taint(key, value, effect, at) if key else None


# --- distribution defaults ------------------------------------------------------

_KUBEADM_LABELS = {CONTROL_PLANE_LABEL: "", EXCLUDE_LB_LABEL: ""}
_K3S_LABELS = {CONTROL_PLANE_LABEL: "true", MASTER_LABEL: "true"}
# name -> (labels, taint keys with effect NoSchedule); facts §5.2.
_DEFAULTS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "kubeadm": (_KUBEADM_LABELS, (CONTROL_PLANE_LABEL,)),
    "talos": (_KUBEADM_LABELS, (CONTROL_PLANE_LABEL,)),
    "k3s": (_K3S_LABELS, ()),
    "rke2": (_K3S_LABELS, ()),
    "microk8s": ({"node.kubernetes.io/microk8s-controlplane": "microk8s-controlplane",
                  "microk8s.io/cluster": "true"}, ()),
    # k0s >= v1.33.1 with --enable-worker (a controller is no node otherwise).
    "k0s": ({"node.k0sproject.io/role": "control-plane", CONTROL_PLANE_LABEL: "true"}, (CONTROL_PLANE_LABEL,)),
}


def distribution_nodes(name: str, at: Location) -> list[Node]:
    """The control plane distribution `name` creates by default, located at `at`
    (the config line that chose the distribution); "generic" assumes nothing.
    Raises ValueError for a name not in DISTRIBUTIONS.
    """
    if name not in DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {name!r}: expected one of {', '.join(DISTRIBUTIONS)}")
    if name == "generic":
        return []
    labels, taint_keys = _DEFAULTS[name]
    return [Node(
        name=f"{name} control plane", location=at, source=f"distribution {name}",
        labels=dict(labels), label_locations={key: at for key in labels},
        taints=tuple(Taint(key, "", "NoSchedule", at) for key in taint_keys),
        control_plane=True, assumed=True, group=True,
    )]


__all__ = ["DISTRIBUTIONS", "distribution_nodes", "nodes_from_file", "nodes_from_resources",
           "nodes_from_text"]
