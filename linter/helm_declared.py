"""Helm releases that a file declares rather than a Kubernetes object:
kustomize `helmCharts` entries, umbrella charts (a `Chart.yaml` with a
`metallb` dependency) and helmfile releases.

Each is read into a `Declared`: which chart from where, at which version,
its values layers (linter/helm_values.py) and the entry that declares it,
which is where findings about the release as a whole point.
linter/helm_release.py turns a `Declared` into a `HelmRelease`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from linter.addresses import is_unresolved
from linter.finding import Location
from linter.helm_values import Layers, overlay, typed, values_file, without
from linter.kustomize import HelmChart
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

_HELMFILE_NAMES = ("helmfile.yaml", "helmfile.yml")


@dataclass(slots=True)
class Declared:
    source: str  # "flux" | "argocd" | "kustomize" | "umbrella" | "helmfile"
    name: str
    namespace: str | None
    namespace_location: Location
    chart: str | None
    chart_location: Location
    version: str | None
    version_location: Location
    repository: str | None
    repository_location: Location | None
    layers: Layers
    declared: Location  # the entry (or object) that declares the release


def text(value: object) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def _documents(workspace: Workspace, path: str) -> list[YMap]:
    return [d.value for d in workspace.load(path).documents if isinstance(d.value, YMap)]


def _at(entry: YMap, key: str, fallback: Location) -> Location:
    return entry.value_location(key) if key in entry else fallback


# -- kustomize helmCharts --------------------------------------------------------------


def _chart_entry(workspace: Workspace | None, chart: HelmChart) -> tuple[YMap | None, YMap | None]:
    """(the helmCharts entry as written, its kustomization) found again by the entry's location."""
    if workspace is None or not workspace.is_file(chart.kustomization):
        return None, None
    for spec in _documents(workspace, chart.kustomization):
        listed = spec.get("helmCharts")
        if isinstance(listed, YSeq):
            for index, entry in enumerate(listed):
                if isinstance(entry, YMap) and listed.item_location(index) == chart.location:
                    return entry, spec
    return None, None


def from_helm_chart(chart: HelmChart, workspace: Workspace | None) -> Declared:
    entry, spec = _chart_entry(workspace, chart)
    here = chart.location
    layers = Layers(f'helmCharts entry "{chart.name}" in {chart.kustomization}')
    merge = text(entry.get("valuesMerge")) if entry is not None else None
    file_values: YMap | None = None
    if chart.values_file is not None:
        where = _at(entry, "valuesFile", here) if entry is not None else here
        if workspace is None or "://" in chart.values_file:
            layers.unknown(f'values file "{chart.values_file}" is not in this repository', where)
        elif merge != "replace" or not chart.values_inline:  # `replace` with inline values never reads it
            layers.read.add(chart.values_file)
            file_values, why = values_file(workspace, chart.values_file)
            if file_values is None:
                layers.unknown(why, where)
    inline = chart.values_inline
    if merge not in (None, "override", "merge", "replace"):
        layers.unknown(f'valuesMerge "{merge}" is not override, merge or replace: kustomize fails',
                       entry.value_location("valuesMerge") if entry is not None else here, "error")
    elif not inline:  # kustomize hands the values file to Helm as it is
        if file_values is not None:
            layers.items.append(file_values)
    elif merge == "replace":  # only the inline values, as written (a null deletes a chart default)
        layers.items.append(inline)
    elif merge == "merge":  # the values file wins over the inline values
        if chart.values_file is None:
            # ... and with no valuesFile, the chart's own values.yaml is that file.
            layers.unknown("valuesMerge: merge without a valuesFile lets the chart's values.yaml override "
                           "valuesInline", entry.value_location("valuesMerge") if entry is not None else here)
        elif file_values is not None:
            layers.items.append(overlay(inline, file_values))
    else:  # override, the default: the inline values win, a null there brings the default back
        layers.items.append(overlay(file_values, inline) if file_values is not None else overlay(None, inline))
    # Then each additionalValuesFiles with -f, which win over both.
    extra = entry.get("additionalValuesFiles") if entry is not None else None
    for index, path in enumerate(chart.additional_values_files):
        where = extra.item_location(index) if isinstance(extra, YSeq) else here
        if workspace is None or "://" in path:
            layers.unknown(f'values file "{path}" is not in this repository', where)
            continue
        layers.read.add(path)
        values, why = values_file(workspace, path)
        layers.add(values, why, where)
    namespace_at = here
    if entry is not None and "namespace" in entry:
        namespace_at = entry.value_location("namespace")
    elif spec is not None and text(spec.get("namespace")) == chart.namespace:
        namespace_at = spec.value_location("namespace")
    named = entry if entry is not None else YMap(chart.kustomization, None, here)
    return Declared("kustomize", chart.release_name or chart.name, chart.namespace, namespace_at, chart.name,
                    _at(named, "name", here), chart.version, _at(named, "version", here), chart.repo,
                    _at(named, "repo", here) if chart.repo else None, layers, here)


# -- umbrella charts -------------------------------------------------------------------


def _lookup(values: YMap, path: str) -> tuple[bool, object]:
    current: object = values
    for part in path.split("."):
        if not isinstance(current, YMap) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _enabled(dependency: YMap, parent: YMap | None) -> bool | None:
    """Whether Helm installs the dependency: tags first, then the first condition
    path that is a boolean (Helm's processDependencyEnabled); None when the
    parent's values cannot be read."""
    if parent is None:
        return None
    enabled = True
    tags = dependency.get("tags")
    values_tags = parent.get("tags")
    if isinstance(tags, list) and isinstance(values_tags, YMap):
        states = [values_tags[t] for t in tags if isinstance(t, str) and isinstance(values_tags.get(t), bool)]
        if any(states):
            enabled = True
        elif states:
            enabled = False
    condition = text(dependency.get("condition"))
    for path in (condition or "").split(","):
        found, value = _lookup(parent, path.strip()) if path.strip() else (False, None)
        if found and isinstance(value, bool):
            return value
    return enabled


def umbrella_releases(workspace: Workspace, path: str) -> list[Declared]:
    """The `metallb` dependencies of a Chart.yaml (apiVersion v2)."""
    found: list[Declared] = []
    directory = posixpath.dirname(path)
    for chart in _documents(workspace, path)[:1]:
        dependencies = chart.get("dependencies")
        if chart.get("apiVersion") != "v2" or not isinstance(dependencies, YSeq):
            continue
        for index, dependency in enumerate(dependencies):
            if not isinstance(dependency, YMap) or dependency.get("name") != "metallb":
                continue
            here = dependencies.item_location(index)
            key = text(dependency.get("alias")) or "metallb"
            layers = Layers(f'dependency "{key}" of {path}')
            values_path = posixpath.join(directory, "values.yaml") if directory else "values.yaml"
            layers.read.add(values_path)
            parent: YMap | None = YMap(path, None, here)
            if workspace.is_file(values_path):
                parent, why = values_file(workspace, values_path)
                if parent is None:
                    layers.unknown(why, here)
            enabled = _enabled(dependency, parent)
            if enabled is False:
                continue  # its condition or tags turn it off: Helm does not install it
            if parent is not None and isinstance(parent.get(key), YMap):
                mine = parent[key]
                # The condition's own switch (metallb.enabled) is the umbrella's, not a MetalLB value.
                for condition in (text(dependency.get("condition")) or "").split(","):
                    parts = condition.strip().split(".")
                    if len(parts) > 1 and parts[0] == key:
                        mine = without(mine, parts[1:])
                layers.items.append(mine)
            repository = text(dependency.get("repository"))
            found.append(Declared(
                "umbrella", key, None, here, "metallb", dependency.value_location("name"),
                text(dependency.get("version")), _at(dependency, "version", here), repository,
                dependency.value_location("repository") if repository else None, layers, here))
    return found


# -- helmfile -----------------------------------------------------------------------------


def is_helmfile(path: str) -> bool:
    return posixpath.basename(path) in _HELMFILE_NAMES or (
        "helmfile.d/" in f"/{path}" and path.endswith((".yaml", ".yml")))


def _repositories(documents: list[YMap]) -> dict[str, tuple[str, Location]]:
    found: dict[str, tuple[str, Location]] = {}
    for document in documents:
        listed = document.get("repositories")
        for entry in listed if isinstance(listed, list) else []:
            if isinstance(entry, YMap) and text(entry.get("name")) and text(entry.get("url")):
                url = str(entry["url"])
                if entry.get("oci") is True and "://" not in url:
                    url = f"oci://{url}"
                found[str(entry["name"])] = (url, entry.value_location("url"))
    return found


def _chart_source(workspace: Workspace, chart: str, repositories: dict[str, tuple[str, Location]],
                  directory: str) -> tuple[str, str | None, Location | None]:
    """(chart name, repository, where the repository is written) of a helmfile `chart:`."""
    if "://" in chart:  # oci://registry/path/metallb
        return chart.rstrip("/").rsplit("/", 1)[-1], chart.rstrip("/").rsplit("/", 1)[0], None
    local = workspace.join(directory, chart)  # None when it leaves the repository
    repository, _, name = chart.partition("/")
    if name and repository in repositories:
        url, where = repositories[repository]
        return name, url, where
    if chart.startswith((".", "/")) or not name or (local is not None and workspace.is_dir(local)):
        # A chart directory (helmfile's isLocalChart).
        return posixpath.basename(chart.rstrip("/")), local or chart, None
    # A Helm repository added outside the helmfile: only its name is known.
    return name, repository, None


def helmfile_releases(workspace: Workspace, path: str) -> list[Declared]:
    documents = _documents(workspace, path)
    repositories = _repositories(documents)
    directory = posixpath.dirname(path) or "."
    found: list[Declared] = []
    for document in documents:
        releases = document.get("releases")
        for index, release in enumerate(releases if isinstance(releases, YSeq) else []):
            if not isinstance(release, YMap) or not text(release.get("chart")) or release.get("installed") is False:
                continue
            here = releases.item_location(index)  # type: ignore[union-attr]
            name = text(release.get("name")) or ""
            chart, repository, repository_at = _chart_source(workspace, str(release["chart"]),
                                                             repositories, directory)
            layers = Layers(f'helmfile release "{name}" in {path}')
            _helmfile_layers(workspace, release, directory, layers)
            found.append(Declared(
                "helmfile", name, text(release.get("namespace")), _at(release, "namespace", here), chart,
                release.value_location("chart"), text(release.get("version")), _at(release, "version", here),
                repository, repository_at or (release.value_location("chart") if repository else None),
                layers, here))
    return found


def _helmfile_layers(workspace: Workspace, release: YMap, directory: str, layers: Layers) -> None:
    listed = release.get("values")
    for index, entry in enumerate(listed if isinstance(listed, YSeq) else []):
        where = listed.item_location(index)  # type: ignore[union-attr]
        if isinstance(entry, YMap):
            layers.items.append(entry)
        elif not isinstance(entry, str):
            continue
        elif entry.endswith(".gotmpl") or is_unresolved(entry):
            layers.unknown(f'values "{entry}" is a Go template helmfile renders first', where)
        elif "://" in entry or entry.startswith("git::"):
            layers.unknown(f'values "{entry}" is not in this repository', where)
        else:
            path = workspace.join(directory, entry)
            if path is None:
                layers.unknown(f'values "{entry}" leaves the repository', where, "error")
                continue
            layers.read.add(path)
            values, why = values_file(workspace, path)
            layers.add(values, why, where)
    for key, force in (("set", False), ("setString", True)):
        entries = release.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, YMap) or not text(entry.get("name")):
                continue
            if "value" not in entry:  # `values:` lists and `file:` entries are not read
                layers.unknown(f'{key} "{entry["name"]}" has no plain value', entry.location())
                continue
            raw = entry.get("value")
            written = "" if raw is None else str(raw).lower() if isinstance(raw, bool) else str(raw)
            layers.items.append((str(entry["name"]), written if force else typed(written),
                                 entry.value_location("value")))
    for key in ("secrets", "valuesTemplate"):
        if release.get(key):
            why = "are encrypted (helm-secrets)" if key == "secrets" else "is a template helmfile renders first"
            layers.unknown(f"{key} {why}", release.key_location(key))


def declared_releases(workspace: Workspace, files: list[str]) -> list[Declared]:
    """Every umbrella-chart and helmfile release among `files` (MetalLB's or not:
    helm_release.py decides), in file order."""
    found: list[Declared] = []
    for path in files:
        if posixpath.basename(path) == "Chart.yaml":
            found.extend(umbrella_releases(workspace, path))
        elif is_helmfile(path):
            found.extend(helmfile_releases(workspace, path))
    return found

