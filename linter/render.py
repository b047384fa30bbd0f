"""Targets, and the objects each one deploys.

A target is what one cluster gets. For now: each Kustomize root (a
kustomization no other kustomization includes), and the remaining loose
files together as one more target.

The Kustomize subset here follows local `resources`, `bases` and
`components` recursively and applies `namespace`; remote resources are not
fetched. Patches, generators and the other transformers are not evaluated
yet: the renderer is a module of its own so that it can grow.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from linter.discover import KUSTOMIZATION_NAMES
from linter.resource import Resource, resources_in
from linter.workspace import Workspace
from linter.yamlpos import YMap

LOOSE_TARGET = "(loose files)"

# Kinds kustomize's namespace transformer leaves alone.
CLUSTER_SCOPED_KINDS = frozenset((
    "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "IngressClass",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
    "PriorityClass", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
))

_INCLUDE_FIELDS = ("resources", "bases", "components")


@dataclass(slots=True)
class Target:
    name: str
    resources: list[Resource]
    files: set[str] = field(default_factory=set)  # every file that contributed


def kustomization_file(workspace: Workspace, directory: str) -> str | None:
    for name in KUSTOMIZATION_NAMES:
        path = posixpath.join(directory, name) if directory != "." else name
        if workspace.is_file(path):
            return path
    return None


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "gitlab.com/", "bitbucket.org/", "git@")) \
        or "?ref=" in entry or "//" in entry


class KustomizeRenderer:
    """Builds kustomization directories, each at most once."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._built: dict[str, tuple[list[Resource], set[str]]] = {}

    def included_dirs(self, kustomization: str) -> list[str]:
        """Local directories a kustomization file includes."""
        directory = posixpath.dirname(kustomization) or "."
        found = []
        for entry in self._entries(kustomization):
            path = self.workspace.join(directory, entry)
            if path is not None and self.workspace.is_dir(path):
                found.append(path)
        return found

    def _entries(self, kustomization: str) -> list[str]:
        source = self.workspace.load(kustomization)
        spec = source.documents[0].value if source.documents else None
        if not isinstance(spec, YMap):
            return []
        entries: list[str] = []
        for name in _INCLUDE_FIELDS:
            listed = spec.get(name)
            if isinstance(listed, list):
                entries.extend(e for e in listed if isinstance(e, str) and not is_remote(e))
        return entries

    def build(self, directory: str, _stack: tuple[str, ...] = ()) -> tuple[list[Resource], set[str]]:
        """The objects a kustomization directory renders, and the files read."""
        if directory in self._built:
            return self._built[directory]
        if directory in _stack:  # a cycle; reported by the Kustomize issue's rules
            return [], set()
        kustomization = kustomization_file(self.workspace, directory)
        if kustomization is None:
            return [], set()
        resources: list[Resource] = []
        files = {kustomization}
        for entry in self._entries(kustomization):
            path = self.workspace.join(directory, entry)
            if path is None:
                continue  # leaves the repository root: never read
            if self.workspace.is_dir(path):
                child, child_files = self.build(path, (*_stack, directory))
                resources.extend(child)
                files |= child_files
            elif self.workspace.is_file(path):
                files.add(path)
                for document in self.workspace.load(path).documents:
                    resources.extend(resources_in(document.value, path))
        spec = self.workspace.load(kustomization).documents
        config = spec[0].value if spec else None
        if isinstance(config, YMap) and isinstance(config.get("namespace"), str) and config["namespace"]:
            resources = [_with_namespace(r, config, kustomization) for r in resources]
        self._built[directory] = (resources, files)
        return resources, files


def _with_namespace(resource: Resource, kustomization: YMap, path: str) -> Resource:
    if resource.kind in CLUSTER_SCOPED_KINDS:
        return resource
    namespace = kustomization["namespace"]
    data = resource.data.shallow_copy()
    metadata = resource.metadata.shallow_copy()
    metadata["namespace"] = namespace
    metadata.set_location("namespace", kustomization.value_location("namespace"))
    data["metadata"] = metadata
    return Resource(data, resource.file)


def build_targets(workspace: Workspace, files: list[str]) -> list[Target]:
    """One target per Kustomize root among `files`, plus the loose files."""
    renderer = KustomizeRenderer(workspace)
    kustomizations = [f for f in files if posixpath.basename(f) in KUSTOMIZATION_NAMES]
    directories = {posixpath.dirname(k) or ".": k for k in kustomizations}
    included: set[str] = set()
    for kustomization in kustomizations:
        included.update(renderer.included_dirs(kustomization))
    targets: list[Target] = []
    consumed: set[str] = set()
    for directory in sorted(directories):
        resources, used = renderer.build(directory)
        consumed |= used
        if directory not in included:
            targets.append(Target(directory, resources, used))
    loose_files = [f for f in files if f not in consumed and f not in kustomizations]
    if loose_files:
        loose: list[Resource] = []
        for path in loose_files:
            for document in workspace.load(path).documents:
                loose.extend(resources_in(document.value, path))
        targets.append(Target(LOOSE_TARGET, loose, set(loose_files)))
    return targets
