"""ML501-ML504: MetalLB Helm releases checked against the chart of their version (facts §4.2).

The rules read `cluster.helm_releases` only (linter/helm_release.py); the
chart's keys, defaults and render-time `fail`s are in linter/chart.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from linter import chart
from linter.addresses import is_unresolved
from linter.finding import Finding, Location, Related, Severity
from linter.model import Cluster, Repository
from linter.rule import Rule
from linter.yamlpos import YMap

_FLUX_SOURCES = "source.toolkit.fluxcd.io/"


def _releases(cluster: Cluster) -> list[Any]:
    # Typed loosely so that tests can hand in stand-in releases (tests/test_chart.py).
    return list(cluster.helm_releases)


# Namespace key for the Namespace objects in `_flux_sources`' answer.
_NAMESPACES = "Namespace"


def _flux_sources(repository: Repository) -> dict[str, set[str]]:
    """The names of the Flux source objects (HelmRepository, OCIRepository ...) in every
    file, by kind; under "Namespace", the namespaces the repository creates."""
    found: dict[str, set[str]] = {}
    for source in repository.files.values():
        for document in source.documents:
            value = document.value
            if not isinstance(value, dict):
                continue
            api_version = str(value.get("apiVersion", ""))
            if not api_version.startswith(_FLUX_SOURCES) and (api_version, value.get("kind")) != ("v1", _NAMESPACES):
                continue
            metadata = value.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            if isinstance(value.get("kind"), str) and isinstance(name, str):
                found.setdefault(value["kind"], set()).add(name)
    return found


def _version_related(release: Any) -> list[Related]:
    if release.version is None:
        return []
    return [Related(release.version_location, f"chart version {release.version}")]


def _walk(values: YMap, version: chart.Version | None, parent: str = "") -> Iterator[tuple[YMap, str, str]]:
    """(mapping, key, dotted path) for every entry, depth first, in file order; not
    below a key unknown at `version` (reported once, not for each child)."""
    for key in list(values):
        if not isinstance(key, str):
            continue
        path = f"{parent}.{key}" if parent else key
        yield values, key, path
        value = values[key]
        known = chart.lookup(path)
        if isinstance(value, YMap) and known is not None and known.type == "object" and known.exists_in(version):
            yield from _walk(value, version, path)


def _locate(values: YMap, path: str) -> Location | None:
    """Where the value at a dotted path was set, if it is set."""
    current: Any = values
    parts = path.split(".")
    for part in parts[:-1]:
        current = current.get(part) if isinstance(current, YMap) else None
    if isinstance(current, YMap) and parts[-1] in current:
        return _where(current, parts[-1])
    return None


def _where(mapping: YMap, key: str) -> Location:
    # A block mapping or list starts on the line after its key: point at the key then.
    if isinstance(mapping[key], (dict, list)):
        return mapping.key_location(key)
    return mapping.value_location(key)


def _flux(chart_name: str, version: str, values: str, repo_url: str = "https://metallb.github.io/metallb") -> str:
    return f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: metallb
  namespace: flux-system
spec:
  url: {repo_url}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metallb
  namespace: metallb-system
spec:
  interval: 1h
  chart:
    spec:
      chart: {chart_name}
      version: "{version}"
      sourceRef:
        kind: HelmRepository
        name: metallb
        namespace: flux-system
  values:
{values}"""


def _metallb_values(cluster: Cluster) -> Iterator[tuple[Any, chart.Version | None, YMap, object, str]]:
    """Every value the user set on a MetalLB release: (release, chart version, mapping, key, dotted path)."""
    for release in _releases(cluster):
        if not release.is_metallb or not isinstance(release.values, YMap):
            continue
        version = chart.parse_version(release.version)
        for mapping, key, path in _walk(release.values, version):
            yield release, version, mapping, key, path


class HelmValuesInvalid(Rule):
    code = "ML501"
    name = "helm-values-invalid"
    severity = Severity.ERROR
    summary = "A MetalLB Helm value of the wrong type or outside the values the chart allows."
    rationale = (
        "The chart's values schema rejects values such as `logLevel: verbose` or "
        "`crds.validationFailurePolicy: ignore`, so the release fails to install or upgrade. "
        "A quoted \"false\" where the chart expects a boolean is worse: the schema may let it "
        "through and the templates treat any non-empty string as true."
    )
    remediation = "Use the type the chart expects and one of its allowed values (see the message)."
    bad_example = _flux("metallb", "0.14.8", "    speaker:\n      logLevel: verbose\n")
    good_example = _flux("metallb", "0.14.8", "    speaker:\n      logLevel: info\n")

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for release, version, mapping, key, path in _metallb_values(cluster):
            known = chart.lookup(path)
            if known is None or not known.exists_in(version):
                continue  # helm-values-unknown-key's business
            problem = chart.type_problem(known, mapping[key])
            if problem:
                yield self.finding(f"MetalLB chart value {path} {problem}", _where(mapping, key),
                                   cluster=cluster, resource=release.resource,
                                   related=_version_related(release))


class HelmValuesUnknownKey(Rule):
    code = "ML502"
    name = "helm-values-unknown-key"
    severity = Severity.WARNING
    summary = "A MetalLB Helm value the chart does not have at that chart version."
    rationale = (
        "The chart's values schema does not forbid unknown keys, so Helm silently ignores a "
        "typo, a setting copied from another chart or an older/newer chart version, or an FRR "
        "setting under the wrong parent (`frr.enabled` instead of `speaker.frr.enabled`, "
        "`speaker.frrk8s` instead of `frrk8s`). The setting the user meant never applies."
    )
    remediation = "Rename the key to the chart's key (the message suggests the closest one), or upgrade the chart."
    bad_example = _flux("metallb", "0.14.3", "    speaker:\n      ignoreExcludeLB: true\n")
    good_example = _flux("metallb", "0.14.4", "    speaker:\n      ignoreExcludeLB: true\n")

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for release, version, mapping, key, path in _metallb_values(cluster):
            if is_unresolved(key):
                continue
            known = chart.lookup(path)
            if known is not None and known.exists_in(version):
                continue
            yield self.finding(self._message(path, known, version), mapping.key_location(key),
                               cluster=cluster, resource=release.resource,
                               related=_version_related(release))

    @staticmethod
    def _message(path: str, known: chart.Key | None, version: chart.Version | None) -> str:
        at = f"chart {chart.show(version)}" if version else "the chart"
        if known is not None and version is not None:
            if known.since is not None and version < known.since:
                return f"{path} is not a value of MetalLB {at}: it was added in {chart.show(known.since)}"
            if known.until is not None:
                return f"{path} is not a value of MetalLB {at}: it was removed in {chart.show(known.until)}"
        hint = chart.suggest(path, version)
        tail = f' (did you mean "{hint}"?)' if hint else ""
        return f"{path} is not a value of MetalLB {at}; Helm ignores it{tail}"


class HelmValuesConflict(Rule):
    code = "ML503"
    name = "helm-values-conflict"
    severity = Severity.ERROR
    summary = "MetalLB Helm values that make the chart fail to render, taking the version's defaults into account."
    rationale = (
        "The chart fails when FRR mode and frr-k8s are both on, when frr-k8s is both bundled "
        "and external, when memberlist is disabled while the speaker has a nodeSelector (0.15+), "
        "and when `configInline` is set on 0.13+. The defaults move between chart versions: "
        "speaker.frr.enabled is true in 0.13.10-0.15.x, frrk8s.enabled is true from 0.16, so "
        "values carried over from an older release break an upgrade."
    )
    remediation = (
        "Pick one BGP backend: on 0.16 drop `speaker.frr.enabled: true` (or set "
        "`frrk8s.enabled: false`); on 0.14/0.15 set `speaker.frr.enabled: false` with "
        "`frrk8s.enabled: true`."
    )
    bad_example = _flux("metallb", "0.16.1", "    speaker:\n      frr:\n        enabled: true\n")
    good_example = _flux("metallb", "0.16.1", "    speaker:\n      frr:\n        enabled: false\n")

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for release in _releases(cluster):
            if not release.is_metallb or not isinstance(release.values, YMap):
                continue
            version = chart.parse_version(release.version)
            for conflict in chart.conflicts(release.values, version, bool(release.values_known)):
                location = _locate(release.values, conflict.path) or release.chart_location
                yield self.finding(conflict.message, location, cluster=cluster, resource=release.resource,
                                   related=_version_related(release))


class HelmWrongChart(Rule):
    code = "ML504"
    name = "helm-wrong-chart"
    severity = Severity.ERROR
    summary = "A release the repository calls MetalLB that installs another chart, or whose chart source does not exist."
    rationale = (
        "A release named metallb (or installed in metallb-system, or with MetalLB values) whose "
        "chart source points at another chart installs that chart instead: MetalLB is missing "
        "and its values are silently ignored. A Flux HelmRelease whose sourceRef names a "
        "source object that is not in the repository never reconciles. Many repositories keep "
        "their Flux sources in another (platform) repository, so a missing source is reported only "
        "when this repository clearly owns where it would be: it declares sources of that kind, "
        "or it creates the source's namespace itself (flux-system aside, which bootstrap shares)."
    )
    remediation = (
        "Point the chart source at MetalLB's chart (https://metallb.github.io/metallb, chart "
        "`metallb`, or quay.io's OCI chart from 0.15.0), or add the missing source object."
    )
    bad_example = _flux("cert-manager", "1.14.4", "    speaker:\n      logLevel: info\n",
                        "https://charts.jetstack.io")
    good_example = _flux("metallb", "0.14.8", "    speaker:\n      logLevel: info\n")

    def check(self, repository: Repository) -> Iterator[Finding]:
        sources = _flux_sources(repository)
        for cluster in repository.clusters:
            yield from self._check(cluster, sources)

    def _check(self, cluster: Cluster, sources: dict[str, set[str]]) -> Iterator[Finding]:
        for release in _releases(cluster):
            if getattr(release, "source_missing", False):
                missing = self._missing(cluster, release, sources)
                if missing is not None:
                    yield missing
                continue
            if not release.named_metallb or release.is_metallb:
                continue
            chart_name, repository = release.chart, release.repository
            if chart_name and chart_name.rstrip("/").rsplit("/", 1)[-1] == "metallb":
                continue  # another publisher's MetalLB chart (Bitnami): MetalLB all the same
            if not (chart_name or repository) or is_unresolved(chart_name) or is_unresolved(repository):
                continue  # nothing known about the chart: do not guess
            what = f'chart "{chart_name}"' if chart_name else "its chart"
            source = f" from {repository}" if repository else ""
            where = release.chart_location if chart_name or release.repository_location is None \
                else release.repository_location
            yield self.finding(f'release "{release.name}" looks like MetalLB but installs {what}{source}, '
                               "not MetalLB's chart", where, cluster=cluster, resource=release.resource,
                               related=_version_related(release))

    def _missing(self, cluster: Cluster, release: Any, sources: dict[str, set[str]]) -> Finding | None:
        """A sourceRef to nothing. Many repositories keep their Flux sources in another
        repository (a platform or flux-system repository), so the reference is taken to be
        wrong only where this repository is clearly the one that would hold the source:
        it declares sources of that kind (a typo, a renamed source), or the source's
        namespace is one this repository creates (a Namespace object), which no other
        repository is expected to fill. flux-system is left out: bootstrap creates it and
        platform repositories commonly put shared sources there."""
        ref = getattr(release, "source_ref", None)
        if not isinstance(ref, str) or " " not in ref:
            return None
        kind, _, qualified = ref.partition(" ")
        namespace, _, name = qualified.rpartition("/")
        if is_unresolved(name) or is_unresolved(namespace):
            return None
        declared = sources.get(kind)
        if declared:
            close = difflib.get_close_matches(name, sorted(declared), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else f"; it declares {', '.join(sorted(declared))}"
        elif namespace and namespace != "flux-system" and namespace in sources.get(_NAMESPACES, set()):
            hint = f"; the repository creates namespace {namespace} but declares no {kind} at all"
        else:
            return None
        return self.finding(f'HelmRelease "{release.name}" takes its chart from {ref}, which is not in '
                            f"the repository: it never reconciles{hint}", release.chart_location,
                            cluster=cluster, resource=release.resource)
