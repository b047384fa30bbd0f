"""Talos nodes: talhelper's `talconfig.yaml` and Talos machine configs.

Talos decides a control plane's labels and taints in three layers, and the
linter follows them in that order:

1. `talosctl gen config` (which talhelper runs) writes
   `machine.nodeLabels: {node.kubernetes.io/exclude-from-external-load-balancers: ""}`
   into every control-plane config (Talos 1.8+; siderolabs/talos
   `pkg/machinery/config/generate`, `AddExcludeFromExternalLoadBalancer`).
2. talhelper then sets talconfig's `nodeLabels`/`nodeTaints` (the node's own
   map, else its role's: field by field, the node wins) by *replacing* the
   generated maps, which drops the default exclude label
   (budimanjojo/talhelper `pkg/talos/nodeconfig.go`, `pkg/config/nodeconfigs.go`).
   Then come the patches: role, node (only the node's with
   `overridePatches: true`), and the top-level ones last
   (`pkg/generate/config.go`). A strategic-merge `$patch: delete` removes a
   label (talconfig writes `$$patch`, which talhelper turns into `$patch`).
3. At runtime Talos adds the `node-role.kubernetes.io/control-plane` label and,
   unless `cluster.allowSchedulingOnControlPlanes` is true, the
   `node-role.kubernetes.io/control-plane:NoSchedule` taint. No patch removes
   these two.

A machine config on disk is already past layer 1: the exclude label is taken
from the file as written (removing it from the file is how users drop it), and
only layer 3 is added.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from linter.addresses import is_unresolved
from linter.finding import Location
from linter.loader import SourceFile, load_text
from linter.nodes import CONTROL_PLANE_LABEL, EXCLUDE_LB_LABEL, Node, Taint
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

TALCONFIG_SOURCE = "talconfig.yaml"
MACHINE_CONFIG_SOURCE = "Talos machine config"
EFFECTS = frozenset(("NoSchedule", "PreferNoSchedule", "NoExecute"))
_MACHINE_TYPES = {"controlplane": True, "init": True, "worker": False, "join": False}

Relocate = Callable[[Location], Location]


def scalar_text(value: object) -> str | None:
    """A label value as Kubernetes would store it; None when unknown (templated) or not a scalar."""
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, str):
        return None if is_unresolved(value) else value
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _mapping(value: object, key: str) -> YMap:
    found = value.get(key) if isinstance(value, YMap) else None
    return found if isinstance(found, YMap) else YMap()


def _unescape(part: str) -> str:
    """A JSON pointer segment (RFC 6901): `~1` is `/`, `~0` is `~`."""
    return part.replace("~1", "/").replace("~0", "~")


def _is_delete(value: object) -> bool:
    return isinstance(value, dict) and any(value.get(k) == "delete" for k in ("$patch", "$$patch"))


class _TalosNode:
    """Labels and taints of one Talos node while its layers are applied."""

    def __init__(self, name: str, location: Location, control_plane: bool, default_at: Location) -> None:
        self.name, self.location, self.control_plane = name, location, control_plane
        self.default_at = default_at  # where a default with no line of its own is reported
        self.labels: dict[str, tuple[str, Location]] = {}
        self.taints: dict[str, Taint] = {}  # by key: Talos keeps nodeTaints in a map
        self.allow_scheduling = False
        self.addresses: list[tuple[str, Location]] = []

    def apply_labels(self, labels: object, relocate: Relocate | None = None) -> None:
        if not isinstance(labels, YMap):
            return
        for key, value in labels.items():
            if not isinstance(key, str) or is_unresolved(key):
                continue
            if _is_delete(value):
                self.labels.pop(key, None)
                continue
            if isinstance(value, (dict, list)):
                continue  # not a label value nor a directive: skipped
            text = scalar_text(value)
            if text is None:
                self.labels.pop(key, None)  # the new value is templated: unknown, never guessed
                continue
            where = labels.key_location(key)
            self.labels[key] = (text, relocate(where) if relocate else where)

    def apply_taints(self, taints: object, relocate: Relocate | None = None) -> None:
        """`key: "value:Effect"` or `key: ":Effect"` (Talos and talhelper share the form)."""
        if not isinstance(taints, YMap):
            return
        for key, value in taints.items():
            if not isinstance(key, str) or is_unresolved(key):
                continue
            if _is_delete(value):
                self.taints.pop(key, None)
                continue
            if not isinstance(value, str) or ":" not in value:
                continue  # not "value:Effect": skipped
            if is_unresolved(value):
                self.taints.pop(key, None)  # templated: unknown, never guessed
                continue
            taint_value, effect = value.rsplit(":", 1)
            if effect not in EFFECTS:
                continue
            where = taints.key_location(key)
            self.taints[key] = Taint(key, taint_value, effect, relocate(where) if relocate else where)

    def apply_config(self, config: object, relocate: Relocate | None = None) -> None:
        """A (partial) machine config: a strategic-merge patch or a whole document; or a JSON6902 patch."""
        if isinstance(config, YSeq):
            self.apply_json6902(config, relocate)
            return
        machine = _mapping(config, "machine")
        self.apply_labels(machine.get("nodeLabels"), relocate)
        self.apply_taints(machine.get("nodeTaints"), relocate)
        cluster = _mapping(config, "cluster")
        for key in ("allowSchedulingOnMasters", "allowSchedulingOnControlPlanes"):  # the old name first
            if isinstance(cluster.get(key), bool):
                self.allow_scheduling = cluster[key]

    def apply_json6902(self, operations: YSeq, relocate: Relocate | None = None) -> None:
        """A JSON6902 patch (`- op: remove` / `add` / `replace`) on the labels, taints or the
        scheduling switch; any other operation or path changes nothing we model."""
        for index, operation in enumerate(operations):
            if not isinstance(operation, YMap) or not isinstance(operation.get("path"), str):
                continue
            op, parts = operation.get("op"), [_unescape(p) for p in operation["path"].split("/")[1:]]
            where = operations.item_location(index)
            where = relocate(where) if relocate else where
            if parts[:2] == ["machine", "nodeLabels"] and len(parts) == 3:
                if op == "remove":
                    self.labels.pop(parts[2], None)
                elif op in ("add", "replace"):
                    text = scalar_text(operation.get("value"))
                    if text is None:
                        self.labels.pop(parts[2], None)  # not a literal label value: unknown
                    else:
                        self.labels[parts[2]] = (text, where)
            elif parts[:2] == ["machine", "nodeTaints"] and len(parts) == 3 and op in ("remove", "add", "replace"):
                self.taints.pop(parts[2], None)
                value = operation.get("value")
                if op != "remove" and isinstance(value, str) and ":" in value and not is_unresolved(value):
                    taint_value, effect = value.rsplit(":", 1)
                    if effect in EFFECTS:
                        self.taints[parts[2]] = Taint(parts[2], taint_value, effect, where)
            elif parts[:1] == ["cluster"] and len(parts) == 2 and parts[1] in (
                    "allowSchedulingOnControlPlanes", "allowSchedulingOnMasters") and op in ("add", "replace"):
                if isinstance(operation.get("value"), bool):
                    self.allow_scheduling = operation["value"]

    def node(self, source: str) -> Node:
        labels = {key: value for key, (value, _) in self.labels.items()}
        label_locations = {key: where for key, (_, where) in self.labels.items()}
        taints = dict(self.taints)
        if self.control_plane:
            # Runtime layer: the role label and the taint, which no config removes.
            labels.setdefault(CONTROL_PLANE_LABEL, "")
            label_locations.setdefault(CONTROL_PLANE_LABEL, self.default_at)
            if not self.allow_scheduling and CONTROL_PLANE_LABEL not in taints:
                taints[CONTROL_PLANE_LABEL] = Taint(CONTROL_PLANE_LABEL, "", "NoSchedule", self.default_at)
        return Node(self.name, self.location, source, labels, label_locations, tuple(taints.values()),
                    tuple(self.addresses), control_plane=self.control_plane)


# --- talconfig.yaml ---------------------------------------------------------


def is_talconfig(value: object) -> bool:
    return isinstance(value, YMap) and "clusterName" in value and isinstance(value.get("nodes"), list)


def _relocator(source: SourceFile, at: Location) -> Relocate:
    """Map positions inside an inline patch string back to the talconfig.

    A block scalar (`- |`) starts on the line after its indicator and every
    line carries the block's indentation; any other string (quoted, plain)
    is reported at its own position.
    """
    line = source.line(at.line)
    indicator = line[at.column - 1:at.column] if at.column >= 1 else ""
    if indicator not in ("|", ">"):
        return lambda _inner: at
    following = (source.line(number) for number in range(at.line + 1, at.line + 50))
    first = next((text for text in following if text.strip()), "")
    indent = len(first) - len(first.lstrip(" "))
    return lambda inner: Location(at.file, at.line + inner.line, inner.column + indent)


def _patches(entries: object, source: SourceFile, workspace: Workspace | None
             ) -> list[tuple[YMap | YSeq, Relocate | None]]:
    """Each patch a `patches:` list names: a strategic-merge mapping or a JSON6902 list;
    unreadable ones skipped."""
    found: list[tuple[YMap | YSeq, Relocate | None]] = []
    if not isinstance(entries, YSeq):
        return found
    for index, entry in enumerate(entries):
        if isinstance(entry, (YMap, YSeq)):
            found.append((entry, None))
        elif isinstance(entry, str) and entry.startswith("@"):
            if workspace is None or is_unresolved(entry):
                continue
            path = workspace.join(posixpath.dirname(source.path), entry[1:].strip())
            if path is None or not workspace.is_file(path):
                continue
            found.extend((doc.value, None) for doc in workspace.load(path).documents
                         if isinstance(doc.value, (YMap, YSeq)))
        elif isinstance(entry, str) and not is_unresolved(entry):
            inline = load_text(entry, source.path)
            relocate = _relocator(source, entries.item_location(index))
            found.extend((doc.value, relocate) for doc in inline.documents
                         if isinstance(doc.value, (YMap, YSeq)))
    return found


def talconfig_nodes(config: YMap, source: SourceFile, workspace: Workspace | None) -> list[Node]:
    """The nodes of one talconfig document (see the module docstring for the layers)."""
    nodes: list[Node] = []
    everyone = _patches(config.get("patches"), source, workspace)
    allow_everywhere = any(config.get(key) is True
                           for key in ("allowSchedulingOnControlPlanes", "allowSchedulingOnMasters"))
    entries = config["nodes"]
    for index, entry in enumerate(entries):
        if not isinstance(entry, YMap):
            continue
        control_plane = entry.get("controlPlane") is True
        role = _mapping(config, "controlPlane" if control_plane else "worker")
        hostname = entry.get("hostname")
        name = hostname if isinstance(hostname, str) and hostname else f"{source.path} node {index + 1}"
        where = entry.value_location("hostname") if "hostname" in entry else entries.item_location(index)
        default_at = entry.key_location("controlPlane") if control_plane else where
        node = _TalosNode(name, where, control_plane, default_at)
        node.allow_scheduling = allow_everywhere
        if control_plane:
            node.labels[EXCLUDE_LB_LABEL] = ("", default_at)  # written by `talosctl gen config`
        node.addresses = _talconfig_addresses(entry)
        for field, apply in (("nodeLabels", node.apply_labels), ("nodeTaints", node.apply_taints)):
            layer = entry if isinstance(entry.get(field), YMap) else role
            if isinstance(layer.get(field), YMap):
                if field == "nodeLabels":
                    node.labels.clear()  # talhelper replaces the generated map
                apply(layer[field])
        own = _patches(entry.get("patches"), source, workspace)
        if not (own and entry.get("overridePatches") is True):
            own = _patches(role.get("patches"), source, workspace) + own
        for patch, relocate in own + everyone:
            node.apply_config(patch, relocate)
        nodes.append(node.node(TALCONFIG_SOURCE))
    return nodes


def _talconfig_addresses(entry: YMap) -> list[tuple[str, Location]]:
    value = entry.get("ipAddress")
    if not isinstance(value, str):
        return []
    where = entry.value_location("ipAddress")
    return [(part.strip(), where) for part in value.split(",")
            if part.strip() and not is_unresolved(part)]


# --- machine configs -----------------------------------------------------------


def is_machine_config(value: object) -> bool:
    """A whole machine config: `machine.type` set (a patch leaves it out)."""
    machine = value.get("machine") if isinstance(value, YMap) else None
    return isinstance(machine, YMap) and isinstance(machine.get("type"), str) and machine["type"] in _MACHINE_TYPES


def machine_config_node(config: YMap, source: SourceFile, hostname_doc: YMap | None) -> Node:
    """The node one machine-config document configures.

    Its name: `machine.network.hostname`, else a `HostnameConfig` document of the
    same file (Talos 1.12 multi-document configs), else the file name.
    """
    machine = config["machine"]
    control_plane = _MACHINE_TYPES[machine["type"]]
    network = _mapping(machine, "network")
    hostname, owner = network.get("hostname"), network
    if not (isinstance(hostname, str) and hostname) and hostname_doc is not None:
        hostname, owner = hostname_doc.get("hostname"), hostname_doc
    if isinstance(hostname, str) and hostname and not is_unresolved(hostname):
        name, where = hostname, owner.value_location("hostname")
    else:
        name = posixpath.splitext(posixpath.basename(source.path))[0]
        where = machine.value_location("type")
    node = _TalosNode(name, where, control_plane, machine.value_location("type"))
    node.apply_config(config)
    node.addresses = _interface_addresses(network)
    return node.node(MACHINE_CONFIG_SOURCE)


def _interface_addresses(network: YMap) -> list[tuple[str, Location]]:
    found: list[tuple[str, Location]] = []
    interfaces = network.get("interfaces")
    for interface in interfaces if isinstance(interfaces, list) else ():
        addresses = interface.get("addresses") if isinstance(interface, YMap) else None
        if not isinstance(addresses, YSeq):
            continue
        for index, address in enumerate(addresses):
            if isinstance(address, str) and address and not is_unresolved(address):
                found.append((address.split("/", 1)[0], addresses.item_location(index)))
    return found
