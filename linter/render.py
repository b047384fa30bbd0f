"""Targets: what each cluster reconciles, and the objects it deploys.

In order of precedence:
1. each root Flux `Kustomization` / Argo CD `Application` of this
   repository, with every unit reachable from it (linter/gitops.py);
2. each Kustomize root (a kustomization no other kustomization includes)
   that no unit renders (linter/kustomize.py);
3. the remaining loose files, together.
A directory a unit renders is evaluated through that unit (with its
substitutions), never again as a standalone root.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field

from linter.discover import KUSTOMIZATION_NAMES
from linter.gitops import GitOpsRenderer, Rendered, argo_bucket, is_unit, unit_key
from linter.config import DeclaredTarget
from linter.finding import Location
from linter.helm_declared import Declared, declared_releases
from linter.helm_release import helm_releases
from linter.kustomization import kustomization_file
from linter.kustomize import HelmChart, KustomizeRenderer
from linter.resource import RenderProblem, Resource, resources_in
from linter.workspace import Workspace

LOOSE_TARGET = "(loose files)"


@dataclass(slots=True)
class Target:
    name: str
    resources: list[Resource]
    files: set[str] = field(default_factory=set)  # every file that contributed
    # What Helm releases need beyond the objects (linter/helm_release.py): the
    # kustomize helmCharts of the target and the releases its umbrella charts and
    # helmfiles declare, and where valuesFrom / value files are found.
    helm_charts: list[HelmChart | Declared] = field(default_factory=list)
    workspace: Workspace | None = None
    repository: list[Resource] = field(default_factory=list)  # every object of every file


def _file_resources(workspace: Workspace, path: str) -> list[Resource]:
    return [r for document in workspace.load(path).documents for r in resources_in(document.value, path)]


def _generated(unit: Resource) -> bool:
    return unit.data.node is None


def _gitops_targets(workspace: Workspace, everything: list[Resource], kustomize: KustomizeRenderer,
                    problems: list[RenderProblem]) -> tuple[list[Target], set[str]]:
    """One target per root unit; also returns every file the units read."""
    gitops = GitOpsRenderer(workspace, kustomize, everything)
    raw_units = gitops.units(everything)
    if not raw_units:
        problems.extend(gitops.problems)
        return [], set()
    first: dict[tuple[object, ...], Rendered] = {unit_key(u): gitops.render(u) for u in raw_units}
    read_by_others: dict[str, set[tuple[object, ...]]] = {}
    for key, rendered in first.items():
        for path in rendered.files:
            read_by_others.setdefault(path, set()).add(key)
    # A unit that renders no path of this repository (a chart, another source)
    # is an ordinary object of whatever target holds its file.
    roots = [u for u in raw_units if first[unit_key(u)].paths
             and not (read_by_others.get(u.file, set()) - {unit_key(u)})]
    buckets: dict[str, Target] = {}
    consumed: set[str] = set()
    reached: set[tuple[object, ...]] = set()

    def into(name: str, resources: list[Resource], files: set[str]) -> None:
        target = buckets.setdefault(name, Target(name, []))
        target.resources.extend(resources)
        target.files |= files
        consumed.update(files)

    for root in roots:
        paths = first[unit_key(root)].paths
        home = argo_bucket(root) or (paths[0] if paths else f"{root.kind}/{root.name}")
        if home in buckets and root.group != "argoproj.io":
            home = f"{home} ({root.kind} {root.namespace}/{root.name})"
        if root.file not in first[unit_key(root)].files:  # applied by hand, with what shares its file
            into(home, _file_resources(workspace, root.file), {root.file})
        pending, seen = [(root, home)], {unit_key(root)}
        while pending:
            unit, parent_home = pending.pop(0)
            # The root as written; a child as its parent rendered it (substituted).
            rendered = first[unit_key(unit)] if unit is root else gitops.render(unit)
            problems.extend(rendered.problems)
            # Argo CD deploys to the Application's destination; Flux to its own cluster.
            unit_home = argo_bucket(unit) or parent_home
            if _generated(unit):  # made by an ApplicationSet: in no file's objects
                into(unit_home, [unit], set())
            into(unit_home, rendered.resources, rendered.files)
            for child in gitops.units(rendered.resources):
                if unit_key(child) not in seen:
                    seen.add(unit_key(child))
                    pending.append((child, unit_home))
        reached |= seen
    for unit in raw_units:  # units no root reaches: report what they could not render
        if unit_key(unit) not in reached:
            problems.extend(first[unit_key(unit)].problems)
            bucket = argo_bucket(unit)
            if bucket and _generated(unit):
                into(bucket, [unit], set())
    problems.extend(gitops.problems)
    return list(buckets.values()), consumed


def _declared_targets(workspace: Workspace, declared: Sequence[DeclaredTarget], everything: list[Resource],
                      kustomize: KustomizeRenderer, problems: list[RenderProblem]) -> list[Target]:
    """The targets the configuration declares: what their paths render, and the
    Flux Kustomizations / Argo CD Applications found there, followed."""
    gitops = GitOpsRenderer(workspace, kustomize, everything)
    targets = []
    for entry in declared:
        target = Target(entry.name, [])
        for path in entry.paths:
            directory = workspace.join(".", path.strip().lstrip("/"))
            if directory is None or not workspace.is_dir(directory):
                problems.append(RenderProblem(f'target "{entry.name}": path "{path}" is not a directory of '
                                              "this repository", Location(".metallb-lint.yaml", 1, 1)))
                continue
            if kustomization_file(workspace, directory):
                resources, used = kustomize.build(directory)
            else:
                rendered = Rendered()
                resources, used = gitops.plain_directory(directory, rendered), rendered.files
            target.resources.extend(resources)
            target.files |= used
        pending, seen = gitops.units(target.resources), set()
        while pending:
            unit = pending.pop(0)
            if unit_key(unit) in seen:
                continue
            seen.add(unit_key(unit))
            rendered = gitops.render(unit)
            problems.extend(rendered.problems)
            target.resources.extend(rendered.resources)
            target.files |= rendered.files
            pending.extend(gitops.units(rendered.resources))
        targets.append(target)
    problems.extend(gitops.problems)
    return targets


def build_targets(workspace: Workspace, files: list[str],
                  declared: Sequence[DeclaredTarget] = ()) -> tuple[list[Target], list[RenderProblem]]:
    """The targets among `files` (or the declared ones), and what could not be rendered."""
    kustomize = KustomizeRenderer(workspace)
    problems: list[RenderProblem] = []
    # Every object of every file, read once: where units are found, and where
    # Flux substituteFrom / valuesFrom look for their ConfigMaps and Secrets.
    everything = [r for path in files for r in _file_resources(workspace, path)]
    if declared:  # the configuration replaces discovery
        targets = _with_helm_context(_declared_targets(workspace, declared, everything, kustomize, problems),
                                     workspace, everything, kustomize, files, standalone=False)
    else:
        targets = _by_destination(_with_helm_context(
            _discovered_targets(workspace, files, everything, kustomize, problems),
            workspace, everything, kustomize, files))
    problems.extend(_with_release_files(targets))
    unique = {(p.location, p.message): p for p in [*kustomize.problems.values(), *problems]}
    return targets, list(unique.values())


def _discovered_targets(workspace: Workspace, files: list[str], everything: list[Resource],
                        kustomize: KustomizeRenderer, problems: list[RenderProblem]) -> list[Target]:
    """Root units first, then Kustomize roots no unit renders, then the loose files."""
    targets, consumed = _gitops_targets(workspace, everything, kustomize, problems)
    kustomizations = [f for f in files if posixpath.basename(f) in KUSTOMIZATION_NAMES]
    directories = {posixpath.dirname(k) or ".": k for k in kustomizations}
    included: set[str] = set()
    for kustomization in kustomizations:
        included.update(kustomize.included_dirs(kustomization))
    for directory in sorted(directories):
        resources, used = kustomize.build(directory)
        if directory in included or directories[directory] in consumed:
            continue
        consumed |= used
        targets.append(Target(directory, resources, used))
    loose_files = {f for f in files if f not in consumed and f not in kustomizations}
    if loose_files:
        targets.append(Target(LOOSE_TARGET, [r for r in everything if r.file in loose_files], loose_files))
    return targets


def _with_helm_context(targets: list[Target], workspace: Workspace, everything: list[Resource],
                       kustomize: KustomizeRenderer, files: list[str], standalone: bool = True) -> list[Target]:
    """Give each target its kustomize helmCharts (those of kustomizations it built),
    the umbrella-chart and helmfile releases of its files, and the repository's
    objects, which Flux valuesFrom may name.

    An umbrella chart or helmfile no rendered target reads is a deployment unit of
    its own: with `standalone` (discovery, not declared targets) it becomes a target
    named after its chart directory or helmfile, rather than part of the loose
    files, so that changed-files mode selects it by its own files only."""
    declared = declared_releases(workspace, files)
    claimed: set[int] = set()
    for target in targets:
        target.helm_charts = [c for c in kustomize.helm_charts if c.kustomization in target.files]
        target.files |= {path for chart in target.helm_charts if isinstance(chart, HelmChart)
                         for path in (chart.values_file, *chart.additional_values_files) if path and "://" not in path}
        if target.name != LOOSE_TARGET or not standalone:
            mine = [d for d in declared if d.declared.file in target.files]
            target.helm_charts += mine
            claimed.update(id(d) for d in mine)
        target.workspace, target.repository = workspace, everything
    if standalone:
        units: dict[str, Target] = {}
        names = {target.name for target in targets}
        for release in declared:
            if id(release) in claimed or not helm_releases([], workspace, [release], []):
                continue  # read by a rendered target, or not MetalLB: no unit of its own
            path = release.declared.file
            name = (posixpath.dirname(path) or ".") if release.source == "umbrella" else path
            unit = units.get(path)
            if unit is None:
                unit = units[path] = Target(name if name not in names else path, [], {path}, [], workspace, everything)
                names.add(unit.name)
            unit.helm_charts.append(release)
        targets = targets + list(units.values())
    return targets


def _with_release_files(targets: list[Target]) -> list[RenderProblem]:
    """Add the files each MetalLB release of a target reads its values from to the
    target's files (so that changing only a values file, or the file of a valuesFrom
    ConfigMap, selects the target in changed-files mode), and return the values
    those releases could not read, reported once (render-skipped)."""
    problems: list[RenderProblem] = []
    for target in targets:
        for release in helm_releases(target.resources, target.workspace, target.helm_charts, target.repository):
            target.files |= release.files
            problems.extend(release.problems)
    return problems


def _by_destination(targets: list[Target]) -> list[Target]:
    """Move each Argo CD Application to the target of its destination cluster,
    when Argo CD deploys something of this repository there: an Application
    installing MetalLB belongs with that cluster's pools."""
    by_name = {target.name: target for target in targets}
    for target in targets:
        keep: list[Resource] = []
        for resource in target.resources:
            bucket = argo_bucket(resource) if is_unit(resource) else None
            destination = by_name.get(bucket) if bucket else None
            if destination is None or destination is target:
                keep.append(resource)
                continue
            destination.resources.append(resource)
            destination.files.add(resource.file)
        target.resources = keep
    return [t for t in targets if t.resources or t.helm_charts]


def targets_including(targets: list[Target], changed: set[str]) -> list[Target]:
    """The targets a change to `changed` (relative paths) can affect."""
    return [target for target in targets if target.files & changed]
