"""Node sources (linter.node_sources, linter.talos): what each declaration makes of a node.

Inputs are shaped like the real thing: `kubectl get nodes -o yaml`, talhelper
talconfigs with the MetalLB label patch, Talos machine configs, k3s configs,
k3s-ansible group_vars. Lines are 1-based, as findings report them.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from linter.finding import Location
from linter.loader import load_text
from linter.node_sources import DISTRIBUTIONS, distribution_nodes, nodes_from_file, nodes_from_resources, \
    nodes_from_text
from linter.nodes import CONTROL_PLANE_LABEL, EXCLUDE_LB_LABEL, Node
from linter.resource import resources_in
from linter.workspace import Workspace

KUBECTL_NODES = """\
apiVersion: v1
items:
- apiVersion: v1
  kind: Node
  metadata:
    labels:
      kubernetes.io/hostname: cp1
      node-role.kubernetes.io/control-plane: ""
      node.kubernetes.io/exclude-from-external-load-balancers: ""
    name: cp1
  spec:
    podCIDR: 10.244.0.0/24
    taints:
    - effect: NoSchedule
      key: node-role.kubernetes.io/control-plane
  status:
    addresses:
    - address: 192.168.1.10
      type: InternalIP
    - address: cp1
      type: Hostname
    conditions:
    - type: NetworkUnavailable
      status: "False"
    - type: Ready
      status: "True"
- apiVersion: v1
  kind: Node
  metadata:
    labels: {kubernetes.io/hostname: w1}
    name: w1
  spec:
    unschedulable: true
    taints:
    - {key: node.kubernetes.io/unschedulable, effect: NoSchedule, timeAdded: "2024-05-01T10:00:00Z"}
  status:
    addresses:
    - {type: ExternalIP, address: 203.0.113.7}
    conditions:
    - {type: NetworkUnavailable, status: "True"}
kind: List
metadata:
  resourceVersion: ""
"""


def by_name(nodes: list[Node] | None) -> dict[str, Node]:
    assert nodes is not None
    return {node.name: node for node in nodes}


def taint_strings(node: Node) -> set[str]:
    return {str(taint) for taint in node.taints}


def write(root: Path, files: dict[str, str]) -> Workspace:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return Workspace(root)


# --- Node objects ---------------------------------------------------------------


def test_kubectl_list_gives_tainted_excluded_control_plane_with_locations() -> None:
    nodes = by_name(nodes_from_text(KUBECTL_NODES, "nodes.yaml"))
    cp1, w1 = nodes["cp1"], nodes["w1"]
    assert cp1.control_plane and not w1.control_plane
    assert cp1.location == Location("nodes.yaml", 10, 11, 10, 14)  # `name: cp1`
    assert cp1.labels[EXCLUDE_LB_LABEL] == ""
    assert cp1.label_location(EXCLUDE_LB_LABEL).line == 9
    assert taint_strings(cp1) == {"node-role.kubernetes.io/control-plane:NoSchedule"}
    assert cp1.taints[0].location.line == 14
    assert cp1.addresses == (("192.168.1.10", cp1.addresses[0][1]),)  # the Hostname entry is skipped
    assert cp1.addresses[0][1].line == 18
    assert not cp1.network_unavailable and not cp1.unschedulable
    assert cp1.source == "Node" and not cp1.assumed and not cp1.group


def test_cordoned_node_without_network() -> None:
    w1 = by_name(nodes_from_text(KUBECTL_NODES, "nodes.yaml"))["w1"]
    assert w1.unschedulable and w1.network_unavailable
    assert [address for address, _ in w1.addresses] == ["203.0.113.7"]
    assert taint_strings(w1) == {"node.kubernetes.io/unschedulable:NoSchedule"}


def test_kubectl_json_nodelist_is_read_and_keeps_lines() -> None:
    text = json.dumps({"apiVersion": "v1", "kind": "NodeList", "items": [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "solo", "labels": {
            "node-role.kubernetes.io/master": ""}}}]}, indent="\t")
    [node] = nodes_from_text(text, "-")
    assert node.name == "solo" and node.control_plane
    assert node.location.line == text.splitlines().index('\t\t\t\t"name": "solo",') + 1


def test_several_node_documents_and_other_kinds_ignored() -> None:
    text = ("apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n"
            "apiVersion: v1\nkind: Node\nmetadata: {name: c}\n")
    assert [node.name for node in nodes_from_text(text, "n.yaml")] == ["a", "c"]


@pytest.mark.parametrize("text, message", [
    ("items: [\n", "not valid YAML or JSON"),
    ('{"kind": "List", "apiVersion": "v1", "items": []}', "no Node objects"),
    ("", "no Node objects"),
    ("just a string", "no Node objects"),
])
def test_nodes_from_text_rejects_with_one_line_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        nodes_from_text(text, "my-nodes.yaml")
    assert "my-nodes.yaml" in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_malformed_node_fields_are_skipped() -> None:
    text = """\
apiVersion: v1
kind: Node
metadata:
  name: odd
  labels: {good: "1", ? [a, b] : x, templated: "${ZONE}", number: 3, flag: true}
spec:
  unschedulable: "yes please"
  taints:
  - {key: a, effect: Sometimes}
  - "not a mapping"
  - {key: b, value: 7, effect: NoSchedule}
  - {key: c, effect: NoExecute, value: null}
status: {addresses: "10.0.0.1", conditions: [{type: NetworkUnavailable, status: true}]}
"""
    source = load_text(text, "odd.yaml")
    [node] = nodes_from_resources(resources_in(source.documents[0].value, "odd.yaml"))
    assert node.labels == {"good": "1", "number": "3", "flag": "true"}
    assert taint_strings(node) == {"c:NoExecute"}
    assert not node.unschedulable and not node.network_unavailable and node.addresses == ()


# --- talconfig.yaml ------------------------------------------------------------

TALCONFIG = """\
clusterName: home
talosVersion: v1.9.5
endpoint: https://192.168.1.10:6443
nodes:
  - hostname: cp1
    ipAddress: 192.168.1.10, fd00::10
    controlPlane: true
    installDisk: /dev/sda
    patches:
      - |-
        machine:
          nodeLabels:
            node.kubernetes.io/exclude-from-external-load-balancers:
              $$patch: delete
  - hostname: w1
    ipAddress: 192.168.1.20
    controlPlane: false
    nodeTaints:
      dedicated: "storage:NoSchedule"
      gpu: ":NoExecute"
      bad: "nocolon"
    nodeLabels:
      role: ${ROLE}
"""


def test_talconfig_inline_delete_patch_removes_exclude_label() -> None:
    source = load_text(TALCONFIG, "talos/talconfig.yaml")
    nodes = by_name(nodes_from_file(source))
    cp1, w1 = nodes["cp1"], nodes["w1"]
    assert cp1.source == "talconfig.yaml" and cp1.control_plane and not w1.control_plane
    assert EXCLUDE_LB_LABEL not in cp1.labels
    assert cp1.labels[CONTROL_PLANE_LABEL] == ""
    assert taint_strings(cp1) == {"node-role.kubernetes.io/control-plane:NoSchedule"}
    # Defaults with no line of their own sit at `controlPlane: true`.
    assert cp1.taints[0].location.line == 7
    assert cp1.label_location(CONTROL_PLANE_LABEL).line == 7
    assert cp1.location.line == 5 and cp1.location.column == 15
    assert [address for address, _ in cp1.addresses] == ["192.168.1.10", "fd00::10"]


def test_talconfig_worker_taints_and_templated_label_left_out() -> None:
    w1 = by_name(nodes_from_file(load_text(TALCONFIG, "talconfig.yaml")))["w1"]
    assert taint_strings(w1) == {"dedicated=storage:NoSchedule", "gpu:NoExecute"}
    assert {taint.key: taint.location.line for taint in w1.taints} == {"dedicated": 19, "gpu": 20}
    assert "role" not in w1.labels and EXCLUDE_LB_LABEL not in w1.labels


def test_talconfig_without_patch_keeps_default_exclude_label() -> None:
    text = TALCONFIG.split("    patches:")[0]
    cp1 = by_name(nodes_from_file(load_text(text, "talconfig.yaml")))["cp1"]
    assert cp1.labels[EXCLUDE_LB_LABEL] == ""
    assert cp1.label_location(EXCLUDE_LB_LABEL).line == 7


def test_talconfig_node_labels_replace_generated_labels_node_over_role() -> None:
    text = """\
clusterName: home
nodes:
  - hostname: a
    controlPlane: true
  - hostname: b
    controlPlane: true
    nodeLabels: {rack: r2}
controlPlane:
  nodeLabels:
    rack: r1
"""
    nodes = by_name(nodes_from_file(load_text(text, "talconfig.yaml")))
    # talhelper replaces machine.nodeLabels, so the generated exclude label is gone.
    assert nodes["a"].labels == {"rack": "r1", CONTROL_PLANE_LABEL: ""}
    assert nodes["a"].label_location("rack").line == 10
    assert nodes["b"].labels == {"rack": "r2", CONTROL_PLANE_LABEL: ""}


def test_talconfig_patch_order_global_last_and_override_patches() -> None:
    text = """\
clusterName: home
patches:
  - "machine: {nodeLabels: {tier: global}}"
controlPlane:
  patches:
    - "machine: {nodeLabels: {tier: role, from-role: x}}"
nodes:
  - hostname: a
    controlPlane: true
    patches: ["machine: {nodeLabels: {tier: node}}"]
  - hostname: b
    controlPlane: true
    overridePatches: true
    patches: ["machine: {nodeLabels: {mine: only}}"]
"""
    nodes = by_name(nodes_from_file(load_text(text, "talconfig.yaml")))
    assert nodes["a"].labels["tier"] == "global" and nodes["a"].labels["from-role"] == "x"
    assert nodes["a"].label_location("tier").line == 3
    assert "from-role" not in nodes["b"].labels and nodes["b"].labels["mine"] == "only"


def test_talconfig_patch_value_that_is_no_delete_directive_keeps_label() -> None:
    text = TALCONFIG.replace("$$patch: delete", "$$patch: replace")
    cp1 = by_name(nodes_from_file(load_text(text, "talconfig.yaml")))["cp1"]
    assert cp1.labels[EXCLUDE_LB_LABEL] == ""


def test_talconfig_label_set_inside_inline_patch_is_located_in_the_talconfig() -> None:
    text = TALCONFIG.replace("              $$patch: delete", "              $$patch: delete\n"
                             "            metallb.io/speaker: \"yes\"")
    cp1 = by_name(nodes_from_file(load_text(text, "talconfig.yaml")))["cp1"]
    assert cp1.labels["metallb.io/speaker"] == "yes"
    assert cp1.label_location("metallb.io/speaker") == Location("talconfig.yaml", 15, 13)


TALCONFIG_FILE_PATCH = """\
clusterName: lab
nodes:
  - hostname: solo
    ipAddress: 10.0.0.5
    controlPlane: true
controlPlane:
  patches:
    - "@./patches/metallb.yaml"
    - op: add
      path: /machine/kubelet/extraArgs
      value: {rotate-server-certificates: "true"}
"""

METALLB_PATCH = """\
cluster:
  allowSchedulingOnControlPlanes: true
machine:
  nodeLabels:
    node.kubernetes.io/exclude-from-external-load-balancers:
      $patch: delete
"""


def test_talconfig_file_patch_through_workspace(tmp_path: Path) -> None:
    workspace = write(tmp_path, {"cluster/talconfig.yaml": TALCONFIG_FILE_PATCH,
                                 "cluster/patches/metallb.yaml": METALLB_PATCH})
    [solo] = nodes_from_file(workspace.load("cluster/talconfig.yaml"), workspace) or []
    assert solo.control_plane and EXCLUDE_LB_LABEL not in solo.labels
    assert solo.taints == ()  # allowSchedulingOnControlPlanes in the patch
    assert solo.labels[CONTROL_PLANE_LABEL] == ""


def test_talconfig_file_patch_unreadable_without_workspace_or_outside_root(tmp_path: Path) -> None:
    workspace = write(tmp_path, {"talconfig.yaml": TALCONFIG_FILE_PATCH.replace("./patches", "../../etc")})
    [solo] = nodes_from_file(workspace.load("talconfig.yaml"), workspace) or []
    assert EXCLUDE_LB_LABEL in solo.labels and solo.taints
    [again] = nodes_from_file(load_text(TALCONFIG_FILE_PATCH, "talconfig.yaml")) or []
    assert EXCLUDE_LB_LABEL in again.labels


def test_talconfig_top_level_allow_scheduling_drops_taint_not_label() -> None:
    text = "allowSchedulingOnControlPlanes: true\n" + TALCONFIG_FILE_PATCH.split("controlPlane:\n")[0]
    [solo] = nodes_from_file(load_text(text, "talconfig.yaml")) or []
    assert solo.taints == ()
    assert EXCLUDE_LB_LABEL in solo.labels  # Talos keeps it: MetalLB still skips the node


# --- Talos machine configs -------------------------------------------------------

MACHINE_CONFIG = """\
version: v1alpha1
debug: false
persist: true
machine:
  type: controlplane
  token: abc.def
  nodeLabels:
    node.kubernetes.io/exclude-from-external-load-balancers: ""
  nodeTaints:
    example.com/storage: "true:NoSchedule"
  network:
    hostname: talos-cp-1
    interfaces:
      - interface: eth0
        addresses:
          - 192.168.50.11/24
        routes: [{network: 0.0.0.0/0, gateway: 192.168.50.1}]
cluster:
  clusterName: lab
  allowSchedulingOnControlPlanes: false
"""


def test_talos_machine_config_control_plane() -> None:
    [node] = nodes_from_file(load_text(MACHINE_CONFIG, "talos/controlplane.yaml")) or []
    assert node.name == "talos-cp-1" and node.location.line == 12
    assert node.source == "Talos machine config" and node.control_plane
    assert node.labels[EXCLUDE_LB_LABEL] == "" and node.label_location(EXCLUDE_LB_LABEL).line == 8
    assert taint_strings(node) == {"example.com/storage=true:NoSchedule",
                                   "node-role.kubernetes.io/control-plane:NoSchedule"}
    assert [(address, at.line) for address, at in node.addresses] == [("192.168.50.11", 16)]


def test_talos_machine_config_label_removed_in_file_and_scheduling_allowed() -> None:
    text = MACHINE_CONFIG.replace('    node.kubernetes.io/exclude-from-external-load-balancers: ""\n',
                                  "    topology.kubernetes.io/zone: a\n").replace("false\n", "true\n")
    text = text.replace("    hostname: talos-cp-1\n", "")
    [node] = nodes_from_file(load_text(text, "talos/cp-2.yaml")) or []
    assert node.name == "cp-2" and EXCLUDE_LB_LABEL not in node.labels
    assert taint_strings(node) == {"example.com/storage=true:NoSchedule"}


def test_talos_worker_and_patch_files() -> None:
    worker = "version: v1alpha1\nmachine:\n  type: worker\n  network: {}\n---\n" \
             "apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: w-7\n"
    [node] = nodes_from_file(load_text(worker, "worker.yaml")) or []
    assert node.name == "w-7" and node.location.line == 8 and not node.control_plane and node.taints == ()
    assert nodes_from_file(load_text(METALLB_PATCH, "patches/metallb.yaml")) is None


# --- k3s / RKE2 --------------------------------------------------------------------

K3S_SERVER = """\
write-kubeconfig-mode: "0644"
cluster-init: true
node-name: k3s-cp
node-ip: 10.1.0.2
tls-san:
  - k3s.example.com
disable:
  - servicelb
  - traefik
node-taint: ["CriticalAddonsOnly=true:NoExecute"]
node-label:
  - "region=eu"
  - "zone={{ zone }}"
"""


def test_k3s_server_config() -> None:
    [node] = nodes_from_file(load_text(K3S_SERVER, "k3s/config.yaml")) or []
    assert node.group and node.control_plane and node.source == "k3s config"
    assert node.name == "k3s-cp" and node.location.line == 3
    assert taint_strings(node) == {"CriticalAddonsOnly=true:NoExecute"}
    assert node.taints[0].location == Location("k3s/config.yaml", 10, 14, 10, 49)
    assert node.labels == {CONTROL_PLANE_LABEL: "true", "node-role.kubernetes.io/master": "true",
                           "node-role.kubernetes.io/etcd": "true", "region": "eu"}
    assert node.label_location("region").line == 12
    assert [address for address, _ in node.addresses] == ["10.1.0.2"]
    assert EXCLUDE_LB_LABEL not in node.labels


@pytest.mark.parametrize("path, control_plane", [
    ("config.yaml", False),  # joins a server, says nothing else: an agent
    ("hosts/server-2/config.yaml", True),
    ("rke2/agent/config.yaml", False),
])
def test_k3s_joining_config_role(path: str, control_plane: bool) -> None:
    text = "server: https://10.1.0.2:6443\ntoken: ${K3S_TOKEN}\nnode-taint: gpu=true:NoSchedule\n"
    [node] = nodes_from_file(load_text(text, path)) or []
    assert node.control_plane is control_plane
    assert (CONTROL_PLANE_LABEL in node.labels) is control_plane
    assert taint_strings(node) == {"gpu=true:NoSchedule"}


def test_helm_values_with_server_key_is_not_k3s() -> None:
    values = "server:\n  replicas: 2\ncontroller: {}\ndisable: [a]\n"
    assert nodes_from_file(load_text(values, "values.yaml")) is None


GROUP_VARS = """\
k3s_release_version: v1.30.2+k3s1
k3s_server:
  node-ip: "{{ ansible_host }}"
  disable: [servicelb]
  node-taint:
    - node-role.kubernetes.io/control-plane:NoSchedule
k3s_agent:
  node-label:
    - storage=fast
"""


def test_ansible_group_vars_one_group_per_role() -> None:
    nodes = nodes_from_file(load_text(GROUP_VARS, "inventory/group_vars/all.yml")) or []
    server, agent = nodes
    assert server.control_plane and not agent.control_plane and server.group and agent.group
    assert server.addresses == ()  # Jinja: unknown
    assert taint_strings(server) == {"node-role.kubernetes.io/control-plane:NoSchedule"}
    assert server.taints[0].location.line == 6
    assert agent.labels == {"storage": "fast"} and agent.location.line == 7


# --- distributions -------------------------------------------------------------------

AT = Location(".metallb-lint.yaml", 3, 15)


@pytest.mark.parametrize("name, taints, excluded", [
    ("kubeadm", {"node-role.kubernetes.io/control-plane:NoSchedule"}, True),
    ("talos", {"node-role.kubernetes.io/control-plane:NoSchedule"}, True),
    ("k3s", set(), False),
    ("rke2", set(), False),
    ("microk8s", set(), False),
    ("k0s", {"node-role.kubernetes.io/control-plane:NoSchedule"}, False),
])
def test_distribution_defaults(name: str, taints: set[str], excluded: bool) -> None:
    [node] = distribution_nodes(name, AT)
    assert node.assumed and node.group and node.control_plane and node.location == AT
    assert taint_strings(node) == taints and all(taint.location == AT for taint in node.taints)
    assert (EXCLUDE_LB_LABEL in node.labels) is excluded
    assert all(node.label_location(key) == AT for key in node.labels)


def test_distribution_labels() -> None:
    assert distribution_nodes("k3s", AT)[0].labels[CONTROL_PLANE_LABEL] == "true"
    assert distribution_nodes("kubeadm", AT)[0].labels[CONTROL_PLANE_LABEL] == ""
    assert "node.kubernetes.io/microk8s-controlplane" in distribution_nodes("microk8s", AT)[0].labels
    assert distribution_nodes("k0s", AT)[0].labels["node.k0sproject.io/role"] == "control-plane"


def test_generic_and_unknown_distribution() -> None:
    assert distribution_nodes("generic", AT) == []
    assert set(DISTRIBUTIONS) == {"generic", "kubeadm", "k3s", "rke2", "microk8s", "talos", "k0s"}
    with pytest.raises(ValueError, match="openshift"):
        distribution_nodes("openshift", AT)


# --- robustness -------------------------------------------------------------------------


def test_kubernetes_objects_and_plain_files_declare_no_nodes() -> None:
    assert nodes_from_file(load_text(KUBECTL_NODES, "nodes.yaml")) is None
    assert nodes_from_file(load_text("- a\n- b\n", "list.yaml")) is None
    assert nodes_from_file(load_text("key: [unclosed\n", "broken.yaml")) is None


@pytest.mark.parametrize("text", [
    "clusterName: x\nnodes: [1, null, {hostname: [a]}, {controlPlane: true, nodeLabels: [x], patches: 3}]\n",
    "clusterName: x\nnodes: [{hostname: a, controlPlane: true, patches: ['@', '@/etc/passwd', '- not: map', '{{']}]\n",
    "clusterName: x\nnodes: [{ipAddress: 5, nodeTaints: {a: 1, b: {$patch: delete}, 3: ':NoSchedule'}}]\n",
    "clusterName: x\nnodes: []\ncontrolPlane: [1]\nworker: {patches: {a: b}}\n",
    "machine: {type: controlplane, nodeLabels: 1, network: {hostname: 5, interfaces: [1, {addresses: 2}]}}\n",
    "machine: {type: init, network: [], nodeTaints: {a: b}}\ncluster: 7\n",
    "node-taint: [1, ':NoSchedule', '=x:NoExecute', 'k=v:Bogus']\nnode-label: {a: b}\nnode-ip: [1]\n",
    "node-name: ${NAME}\nserver: 3\nnode-label: ['=', '-x=y']\n",
    "k3s_server: [1]\nk3s_agent: {node-taint: 4}\nrke2_server: {}\n",
])
def test_garbage_shapes_never_raise(text: str, tmp_path: Path) -> None:
    workspace = write(tmp_path, {"talconfig.yaml": text})
    result = nodes_from_file(workspace.load("talconfig.yaml"), workspace)
    assert result is None or all(isinstance(node, Node) for node in result)


def test_random_documents_never_raise() -> None:
    rng = random.Random(7)
    atoms = ["", "x", "1", "true", "null", "${V}", "{{ v }}", "a=b:NoSchedule", "@./p.yaml", "[1", "|"]
    keys = ["clusterName", "nodes", "machine", "type", "controlplane", "nodeLabels", "nodeTaints", "patches",
            "node-taint", "node-label", "server", "k3s_server", "hostname", "controlPlane", "network",
            "interfaces", "addresses", "apiVersion", "kind", "metadata", "items", "status", "spec"]

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 4 or roll < 0.4:
            return rng.choice(atoms + [1, True, None])
        if roll < 0.7:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(300):
        doc = {key: value(0) for key in rng.sample(keys, 4)}
        if rng.random() < 0.3:
            doc.update({"clusterName": "c", "nodes": [value(1), {"controlPlane": True, "patches": value(2)}]})
        if rng.random() < 0.3:
            doc["machine"] = {"type": rng.choice(["controlplane", "worker"]), "network": value(2),
                              "nodeLabels": value(2)}
        text = json.dumps(doc)
        nodes_from_file(load_text(text, "f.yaml"))
        source = load_text(text, "f.yaml")
        nodes_from_resources(r for d in source.documents for r in resources_in(d.value, "f.yaml"))
        try:
            nodes_from_text(text, "f.yaml")
        except ValueError:
            pass
