"""Which nodes each target (cluster) has.

In order, the first that gives any node wins, so a repository never mixes
what it declares with what is assumed:
1. `--nodes FILE` (the live cluster's `kubectl get nodes -o yaml`), for every target;
2. Node objects the target itself deploys, and the node files the
   configuration names for it (or for every target);
3. node files found in the repository (talconfig.yaml, Talos machine
   configs, k3s/RKE2 config, Node lists no target deploys): the ones
   nearest the target's own files. A file at the same distance as files of
   other directories is ambiguous and not used: name it in the configuration;
4. the distribution's default control plane (`--distribution`, or the
   configuration's `distribution:`), marked as assumed.
With none of these the target's nodes are unknown and the node rules stay quiet.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from linter.config import Config, ConfigError
from linter.finding import Location
from linter.node_sources import distribution_nodes, nodes_from_file, nodes_from_resources
from linter.nodes import Node
from linter.render import Target
from linter.resource import resources_in
from linter.workspace import Workspace


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """What the command line says about nodes."""

    nodes: tuple[Node, ...] = ()  # --nodes
    distribution: str | None = None  # --distribution


@dataclass(frozen=True, slots=True)
class _NodeFile:
    path: str
    nodes: tuple[Node, ...]


def _file_nodes(workspace: Workspace, path: str) -> list[Node]:
    """The nodes one repository file declares, whatever its form."""
    source = workspace.load(path)
    declared = nodes_from_file(source, workspace)
    if declared:
        return declared
    objects = [r for document in source.documents for r in resources_in(document.value, path)]
    return nodes_from_resources(o for o in objects if o.kind == "Node")


def _node_files(workspace: Workspace, files: Iterable[str]) -> list[_NodeFile]:
    found = []
    for path in files:
        nodes = _file_nodes(workspace, path)
        if nodes:
            found.append(_NodeFile(path, tuple(nodes)))
    return found


def _parts(path: str) -> tuple[str, ...]:
    directory = posixpath.dirname(path)
    return tuple(directory.split("/")) if directory else ()


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """How many leading directories two directories share."""
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def _nearest(target: Target, candidates: Sequence[_NodeFile]) -> list[_NodeFile]:
    if not candidates:
        return []
    directories = {_parts(f) for f in target.files}  # a few directories for many files
    scored = [(max((_shared(_parts(c.path), d) for d in directories), default=0), c) for c in candidates]
    best = max(score for score, _ in scored)
    chosen = [c for score, c in scored if score == best]
    if best == 0 and len({posixpath.dirname(c.path) for c in chosen}) > 1:
        return []  # files of several clusters, none nearer this one: which is it?
    return chosen


def _unique(nodes: Iterable[Node]) -> list[Node]:
    """One node per name: the first source that declares it wins."""
    seen: dict[str, Node] = {}
    for node in nodes:
        seen.setdefault(node.name, node)
    return list(seen.values())


def assign_nodes(targets: Sequence[Target], workspace: Workspace, files: Sequence[str], config: Config,
                 options: NodeOptions) -> dict[str, list[Node]]:
    """Each target's nodes, by target name; the node files used become files of the target
    (so that changed-files mode lints a target when its talconfig.yaml changes)."""
    discovered: list[_NodeFile] | None = None
    result: dict[str, list[Node]] = {}
    for target in targets:
        declared = config.target(target.name)
        nodes: list[Node] = list(options.nodes)
        if not nodes:
            nodes = nodes_from_resources(r for r in target.resources if r.kind == "Node" and r.group == "")
            for named in (declared.nodes if declared and declared.nodes else config.nodes):
                path = workspace.join("", named)
                if path is None or not workspace.is_file(path):
                    raise ConfigError(f"{config.source}: nodes: {named} is not a file inside the repository")
                nodes.extend(_file_nodes(workspace, path))
                target.files.add(path)
        if not nodes:
            if discovered is None:  # files the configuration gives to some target are theirs alone
                configured = set(config.nodes) | {name for t in config.targets for name in t.nodes}
                discovered = _node_files(workspace, [f for f in files if f not in configured])
            for chosen in _nearest(target, discovered):
                nodes.extend(chosen.nodes)
                target.files.add(chosen.path)
        if not nodes:
            distribution = options.distribution or (declared.distribution if declared else None) \
                or config.distribution
            if distribution and distribution != "generic":
                where = Location(config.source or "--distribution", config.distribution_line
                                 if config.source and not options.distribution else 1, 1)
                nodes = distribution_nodes(distribution, where)
        result[target.name] = _unique(nodes)
    return result
