"""Targets, and the objects each one deploys.

A target is what one cluster gets. For now: each Kustomize root (a
kustomization no other kustomization includes), and the remaining loose
files together as one more target. How a kustomization renders lives in
linter/kustomize.py.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from linter.discover import KUSTOMIZATION_NAMES
from linter.kustomize import KustomizeRenderer
from linter.resource import RenderProblem, Resource, resources_in
from linter.workspace import Workspace

LOOSE_TARGET = "(loose files)"


@dataclass(slots=True)
class Target:
    name: str
    resources: list[Resource]
    files: set[str] = field(default_factory=set)  # every file that contributed


def build_targets(workspace: Workspace, files: list[str]) -> tuple[list[Target], list[RenderProblem]]:
    """One target per Kustomize root among `files`, plus the loose files,
    and what could not be rendered."""
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
    return targets, list(renderer.problems.values())
