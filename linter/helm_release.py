"""Helm releases a target deploys: Flux HelmReleases, Argo CD Applications with a
chart source, and the releases files declare (linter/helm_declared.py: kustomize
`helmCharts` entries, umbrella charts, helmfile releases). Each becomes one
`HelmRelease`: which chart (and whether it is MetalLB's), at which version,
from where, and the user's values merged as Helm merges them
(linter/helm_values.py).

Only releases that are MetalLB's chart, or that the repository calls MetalLB,
are returned: the Helm rules (ML501-ML504) need nothing else.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from linter.discover import KUSTOMIZATION_NAMES
from linter.finding import Location
from linter.helm_declared import Declared, from_helm_chart
from linter.helm_declared import text as _text
from linter.helm_values import Layers, embedded_values, merge_layers, mentions, string_values, typed, values_file
from linter.kustomize import HelmChart
from linter.resource import RenderProblem, Resource, data_text, find_object
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

FLUX_HELM_GROUP = "helm.toolkit.fluxcd.io"
FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io"
# Charts called metallb that are not MetalLB's own chart (other values, other templates).
_OTHER_PUBLISHERS = ("bitnami",)
# kustomize's generator suffix: 10 hex digits with 0, 1, 3, a, e swapped for g, h, k, m, t
# (api/hasher encode), so it never spells a word or reads as a number.
_HASH_SUFFIX = "-[2456789bcdfghkmt]{10}"


@dataclass(slots=True)
class HelmRelease:
    resource: Resource | None
    source: str  # "flux" | "argocd" | "kustomize" | "umbrella" | "helmfile"
    name: str
    namespace: str | None
    chart: str | None
    chart_location: Location
    version: str | None
    version_location: Location
    repository: str | None
    repository_location: Location | None
    values: YMap
    values_known: bool
    is_metallb: bool
    named_metallb: bool
    problems: list[RenderProblem] = field(default_factory=list)
    source_missing: bool = False  # a Flux sourceRef / chartRef names an object the repository lacks
    source_ref: str | None = None  # e.g. "HelmRepository flux-system/metallb", for that message
    deleted: dict[str, Location] = field(default_factory=dict)  # dotted paths a null removed
    files: set[str] = field(default_factory=set)  # repository files the values were (or would be) read from
    namespace_location: Location | None = None  # where the release's namespace is decided
    # The object or entry declaring the release: a helmCharts entry, a Chart.yaml
    # dependency, a helmfile release, else the HelmRelease / Application.
    declared: Location | None = None


def _chart_name(chart: str | None) -> str | None:
    return chart.rstrip("/").rsplit("/", 1)[-1] if chart else None


def _finish(resource: Resource | None, found: Declared) -> HelmRelease:
    layers = found.layers
    deleted: dict[str, Location] = {}
    values = merge_layers(layers.items, found.declared, deleted)
    is_metallb = _chart_name(found.chart) == "metallb" and \
        not any(other in (found.repository or "").lower() for other in _OTHER_PUBLISHERS)
    words = [found.name, found.namespace or "", (resource.name or "") if resource else ""]
    named = any("metallb" in w.lower() for w in words) or mentions(values, "metallb")
    files = {layer.file if isinstance(layer, YMap) else layer[2].file for layer in layers.items} | layers.read
    return HelmRelease(resource, found.source, found.name, found.namespace, found.chart, found.chart_location,
                       found.version, found.version_location, found.repository, found.repository_location,
                       values, layers.known, is_metallb, named, layers.problems, deleted=deleted,
                       files={f for f in files if f}, namespace_location=found.namespace_location,
                       declared=found.declared)


def helm_releases(resources: list[Resource], workspace: Workspace | None,
                  charts: Sequence[HelmChart | Declared], repository: list[Resource]) -> list[HelmRelease]:
    """The MetalLB (or MetalLB-named) Helm releases among a target's objects and declared releases.

    `charts`: the target's kustomize helmCharts entries, and the umbrella-chart and
    helmfile releases of its files (linter/render.py attaches them).
    `repository` is every object of every file: where Flux finds sources and
    valuesFrom objects a target does not deploy itself (the target's own,
    rendered objects are looked at first: a generated values ConfigMap)."""
    lookup = resources + repository
    found: list[HelmRelease] = []
    for resource in resources:
        if resource.group == FLUX_HELM_GROUP and resource.kind == "HelmRelease":
            found.append(_flux(resource, workspace, lookup))
        elif resource.group == "argoproj.io" and resource.kind == "Application":
            found.extend(_argo(resource, workspace))
    for chart in charts:
        found.append(_finish(None, chart if isinstance(chart, Declared) else from_helm_chart(chart, workspace)))
    return [r for r in found if r.is_metallb or r.named_metallb]


# -- Flux ------------------------------------------------------------------------

def _flux(resource: Resource, workspace: Workspace | None, lookup: list[Resource]) -> HelmRelease:
    spec = resource.spec
    here = resource.location()
    chart: str | None = None
    chart_location = version_location = here
    version: str | None = None
    repository: str | None = None
    repository_location: Location | None = None
    missing, reference = False, None
    chart_block = spec.get("chart")
    chart_spec = chart_block.get("spec") if isinstance(chart_block, YMap) else None
    ref = spec.get("chartRef")
    if isinstance(chart_spec, YMap):
        chart, chart_location = _text(chart_spec.get("chart")), chart_spec.value_location("chart")
        version, version_location = _text(chart_spec.get("version")), chart_spec.value_location("version")
        source_ref = chart_spec.get("sourceRef")
    elif isinstance(ref, YMap):
        source_ref = ref
        chart_location = version_location = spec.value_location("chartRef")
    else:
        source_ref = None
    if isinstance(source_ref, YMap):
        kind, name = source_ref.get("kind"), source_ref.get("name")
        namespace = _text(source_ref.get("namespace")) or resource.namespace
        reference = f"{kind} {namespace + '/' if namespace else ''}{name}"
        target = find_object(lookup, kind, name, namespace, FLUX_SOURCE_GROUP)
        if target is None:
            missing = True
        elif kind == "HelmChart":  # a HelmChart object: its chart, version and own source
            chart, chart_location = _text(target.spec.get("chart")), target.spec.value_location("chart")
            version, version_location = _text(target.spec.get("version")), target.spec.value_location("version")
            inner = target.spec.get("sourceRef")
            upstream = find_object(lookup, inner.get("kind"), inner.get("name"), target.namespace,
                                   FLUX_SOURCE_GROUP) if isinstance(inner, YMap) else None
            if upstream is not None:
                repository, repository_location = _text(upstream.spec.get("url")), upstream.spec.value_location("url")
        else:
            repository, repository_location = _text(target.spec.get("url")), target.spec.value_location("url")
            if kind == "OCIRepository":  # the URL names the chart; the ref pins it
                chart, chart_location = _chart_name(repository), repository_location
                version, version_location = _oci_version(target)
    layers = Layers(resource.describe())
    if isinstance(chart_spec, YMap) and (chart_spec.get("valuesFiles") or chart_spec.get("valuesFile")):
        # Files of the chart source (replacing the chart's values.yaml), not of this repository.
        key = "valuesFiles" if chart_spec.get("valuesFiles") else "valuesFile"
        layers.unknown(f"chart {key} are read from the chart source", chart_spec.key_location(key))
    values_from = spec.get("valuesFrom")
    for entry in values_from if isinstance(values_from, list) else []:
        if isinstance(entry, YMap):
            _flux_values_from(entry, resource, workspace, lookup, layers)
    if isinstance(spec.get("values"), YMap):
        layers.items.append(spec["values"])
    target_namespace = _text(spec.get("targetNamespace"))
    namespace_at = spec.value_location("targetNamespace") if target_namespace else resource.namespace_location()
    release = _finish(resource, Declared(
        "flux", _text(spec.get("releaseName")) or resource.name or "", target_namespace or resource.namespace,
        namespace_at, chart, chart_location, version, version_location, repository, repository_location,
        layers, spec.location()))
    release.source_missing, release.source_ref = missing, reference
    return release


def _oci_version(source: Resource) -> tuple[str | None, Location]:
    ref = source.spec.get("ref")
    if isinstance(ref, YMap):
        for key in ("tag", "semver", "digest"):
            if _text(ref.get(key)):
                return _text(ref[key]), ref.value_location(key)
        return None, source.spec.value_location("ref")
    return None, source.spec.location()  # no ref: Flux pulls `latest`


def _flux_values_from(entry: YMap, owner: Resource, workspace: Workspace | None, lookup: list[Resource],
                      layers: Layers) -> None:
    kind, name = entry.get("kind"), entry.get("name")
    key = _text(entry.get("valuesKey")) or "values.yaml"
    optional = entry.get("optional") is True
    where = entry.location()
    found = find_object(lookup, kind, name, owner.namespace, "")
    if found is None:
        hashed = _hashed_twin(lookup, kind, name, owner.namespace) if not optional else None
        if hashed is not None:
            # The target makes it, under a name Flux never asks for: the release fails to reconcile.
            layers.known = False
            layers.problems.append(RenderProblem(
                f"{layers.owner}: {kind} {name} is generated as {hashed}: Flux cannot find it; set "
                "`generatorOptions: {disableNameSuffixHash: true}` or add a nameReference configuration",
                entry.value_location("name") if "name" in entry else where, "error"))
        elif not optional:  # Flux skips a missing optional reference, and fails otherwise
            layers.unknown(f"{kind} {name} is not in this repository", where)
        return
    layers.read.add(found.file)
    if "sops" in found.data:
        layers.unknown(f"{kind} {name} is encrypted (sops)", where)
        return
    holder, text, holder_key = _data_entry(found, key)
    if text is None:
        if not optional:
            layers.unknown(f'{kind} {name} has no key "{key}"', where)
        return
    target_path = _text(entry.get("targetPath"))
    if target_path:  # one value, typed as --set types it
        location = holder.value_location(holder_key) if holder is not None else found.location()
        layers.items.append((target_path, typed(text.strip()), location))
        return
    if holder is not None:
        values, why = embedded_values(holder, holder_key, workspace)
    else:  # decoded Secret data has no place in the file but its key's
        data = found.data.get("data")
        values, why = string_values(text, data.value_location(key) if isinstance(data, YMap) else where)
    layers.add(values, f'{kind} {name} key "{key}" {why}', where)


def _hashed_twin(lookup: list[Resource], kind: object, name: object, namespace: str | None) -> str | None:
    """The name of a `kind` object in `namespace` called `name` plus a kustomize hash suffix, if any."""
    if kind not in ("ConfigMap", "Secret") or not isinstance(name, str) or not name:
        return None
    pattern = re.compile(re.escape(name) + _HASH_SUFFIX + r"\Z")
    for resource in lookup:
        # A generated object's file is the kustomization that generated it (linter/generators.py).
        if resource.kind == kind and resource.group == "" and resource.namespace in (namespace, None) \
                and posixpath.basename(resource.file) in KUSTOMIZATION_NAMES \
                and isinstance(resource.name, str) and pattern.match(resource.name):
            return resource.name
    return None


def _data_entry(found: Resource, key: str) -> tuple[YMap | None, str | None, str]:
    """(the map holding `key` as text, the text, key); holder None for decoded Secret data."""
    text = data_text(found, key)
    plain = found.data.get("stringData") if found.kind == "Secret" else None
    if isinstance(plain, YMap) and plain.get(key) == text and text is not None:
        return plain, text, key
    data = found.data.get("data")
    if found.kind != "Secret" and isinstance(data, YMap) and text is not None:
        return data, text, key
    return None, text, key


# -- Argo CD ---------------------------------------------------------------------

def _argo(app: Resource, workspace: Workspace | None) -> list[HelmRelease]:
    spec = app.spec
    sources: list[YMap] = []
    if isinstance(spec.get("source"), YMap):
        sources.append(spec["source"])
    if isinstance(spec.get("sources"), list):
        sources.extend(s for s in spec["sources"] if isinstance(s, YMap))
    refs = {s["ref"]: s for s in sources if _text(s.get("ref"))}
    destination = spec.get("destination")
    namespace = _text(destination.get("namespace")) if isinstance(destination, YMap) else None
    namespace_at = destination.value_location("namespace") if namespace and isinstance(destination, YMap) \
        else app.location()
    releases = []
    for source in sources:
        repo = _text(source.get("repoURL"))
        chart = _text(source.get("chart"))
        if chart is None and not (repo and "metallb" in repo.lower() and _text(source.get("path"))):
            continue  # not a Helm chart source
        if chart is None:  # MetalLB's git repository, chart at a path
            chart = posixpath.basename(str(source["path"]).rstrip("/"))
            chart_location = source.value_location("path")
        else:
            chart_location = source.value_location("chart")
        written = source.get("helm")
        helm = written if isinstance(written, YMap) else YMap(app.file)
        layers = Layers(app.describe())
        _argo_layers(source, helm, refs, workspace, layers)
        releases.append(_finish(app, Declared(
            "argocd", _text(helm.get("releaseName")) or app.name or "", namespace, namespace_at, chart,
            chart_location, _text(source.get("targetRevision")), source.value_location("targetRevision"),
            repo, source.value_location("repoURL") if repo else None, layers, source.location())))
    return releases


def _argo_layers(source: YMap, helm: YMap, refs: dict[str, YMap], workspace: Workspace | None,
                 layers: Layers) -> None:
    files = helm.get("valueFiles")
    ignore_missing = helm.get("ignoreMissingValueFiles") is True
    for index, entry in enumerate(files if isinstance(files, YSeq) else []):
        where = files.item_location(index) if isinstance(files, YSeq) else helm.location()
        if not isinstance(entry, str):
            continue
        if entry.startswith("$"):  # $ref/path: a file of another source; ours when it exists here
            ref, _, rest = entry[1:].partition("/")
            if ref not in refs:
                layers.unknown(f'value file "{entry}" names no source with ref "{ref}"', where, "error")
                continue
            path = workspace.join(".", rest) if workspace else None
        elif _text(source.get("path")):
            path = workspace.join(str(source["path"]), entry) if workspace else None
        else:  # a file inside the chart package, which is not here
            layers.unknown(f'value file "{entry}" is inside the chart', where)
            continue
        if workspace is not None and path is None:
            layers.unknown(f'value file "{entry}" leaves the repository', where, "error")
            continue
        if path is not None:
            layers.read.add(path)
        if path is None or workspace is None or not workspace.is_file(path):
            if not ignore_missing:
                layers.unknown(f'value file "{entry}" is not in this repository', where)
            continue
        values, why = values_file(workspace, path)
        layers.add(values, why, where)
    if isinstance(helm.get("valuesObject"), YMap):  # replaces `values` entirely, as Argo CD does
        layers.items.append(helm["valuesObject"])
    elif isinstance(helm.get("values"), str):
        values, why = embedded_values(helm, "values", workspace)
        layers.add(values, f"helm.values {why}", helm.value_location("values"))
    for parameter in helm.get("parameters") or []:
        if isinstance(parameter, YMap) and _text(parameter.get("name")):
            raw = parameter.get("value")
            text = "" if raw is None else str(raw).lower() if isinstance(raw, bool) else str(raw)
            value = text if parameter.get("forceString") is True else typed(text)
            layers.items.append((str(parameter["name"]), value, parameter.value_location("value")))
    if helm.get("fileParameters"):
        layers.unknown("helm.fileParameters are not read", helm.key_location("fileParameters"))
