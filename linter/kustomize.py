"""Kustomize, built offline: what one kustomization directory renders.

Follows local `resources`, `bases` and `components` recursively and applies
`namespace`. Remote resources are never fetched. What cannot be followed (a
missing path, a path out of the repository, a cycle, a remote URL) becomes
a `RenderProblem` at the line that names it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from linter.discover import KUSTOMIZATION_NAMES
from linter.finding import Location
from linter.resource import RenderProblem, Resource, resources_in
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

# Kinds kustomize's namespace transformer leaves alone.
CLUSTER_SCOPED_KINDS = frozenset((
    "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "IngressClass",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
    "PriorityClass", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
))

_INCLUDE_FIELDS = ("resources", "bases", "components")


@dataclass(frozen=True, slots=True)
class Include:
    """One entry of `resources`, `bases` or `components`."""

    entry: str
    location: Location
    remote: bool


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
        self.problems: dict[tuple[Location, str], RenderProblem] = {}

    def included_dirs(self, kustomization: str) -> list[str]:
        """Local directories a kustomization file includes."""
        directory = posixpath.dirname(kustomization) or "."
        found = []
        for include in self._includes(kustomization):
            path = None if include.remote else self.workspace.join(directory, include.entry)
            if path is not None and self.workspace.is_dir(path):
                found.append(path)
        return found

    def _includes(self, kustomization: str) -> list[Include]:
        source = self.workspace.load(kustomization)
        spec = source.documents[0].value if source.documents else None
        if not isinstance(spec, YMap):
            return []
        includes: list[Include] = []
        for name in _INCLUDE_FIELDS:
            listed = spec.get(name)
            if isinstance(listed, YSeq):
                includes.extend(Include(entry, listed.item_location(index), is_remote(entry))
                                for index, entry in enumerate(listed) if isinstance(entry, str))
        return includes

    def _problem(self, message: str, location: Location, remote: bool = False) -> None:
        self.problems.setdefault((location, message), RenderProblem(message, location, "remote" if remote else "error"))

    def build(self, directory: str, _stack: tuple[str, ...] = ()) -> tuple[list[Resource], set[str]]:
        """The objects a kustomization directory renders, and the files read."""
        if directory in self._built:
            return self._built[directory]
        kustomization = kustomization_file(self.workspace, directory)
        if kustomization is None:
            return [], set()
        resources: list[Resource] = []
        files = {kustomization}
        for include in self._includes(kustomization):
            if include.remote:
                self._problem(f'remote resource "{include.entry}" is not fetched: its objects are not linted',
                              include.location, remote=True)
                continue
            path = self.workspace.join(directory, include.entry)
            if path is None:
                self._problem(f'"{include.entry}" leaves the repository root: it is never read',
                              include.location)
            elif path in (*_stack, directory):
                self._problem(f'"{include.entry}" includes a kustomization that includes this one '
                              "(a cycle): kustomize refuses to build it", include.location)
            elif self.workspace.is_dir(path):
                if kustomization_file(self.workspace, path) is None:
                    self._problem(f'"{include.entry}" is a directory without a kustomization.yaml: '
                                  "kustomize refuses to build it", include.location)
                    continue
                child, child_files = self.build(path, (*_stack, directory))
                resources.extend(child)
                files |= child_files
            elif self.workspace.is_file(path):
                files.add(path)
                for document in self.workspace.load(path).documents:
                    resources.extend(resources_in(document.value, path))
            else:
                self._problem(f'"{include.entry}" does not exist: kustomize refuses to build it',
                              include.location)
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
