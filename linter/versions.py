"""Which MetalLB version each installation runs, and every place that pins it.

Per installation of a target (linter/installation.py), the pins are:

- Helm: the chart version (Flux `spec.chart.spec.version`, or the
  `OCIRepository` `spec.ref` a `chartRef` names; Argo CD `targetRevision`;
  kustomize `helmCharts[].version`; a `Chart.yaml` dependency's or a
  helmfile release's `version`), and the image tag overrides
  `controller.image.tag` / `speaker.image.tag` in the values, which win over
  the chart's appVersion for their component (facts §4.2: chart X.Y.Z ships
  appVersion vX.Y.Z).
- Manifests: the tag of each `metallb/controller` and `metallb/speaker`
  image, located where it was set (a vendored manifest's line, a patch, a
  kustomize `images:` entry); for MetalLB's upstream install referenced
  remotely (linter/upstream.py), the `?ref=` / URL ref on the kustomization
  line, unless an `images:` override replaced that component's tag.

A pin is `pinned` (an exact version, or a digest/commit whose version is not
known), `unpinned` (no version, `*`, a semver range, `latest`, `main`, a
branch ref: a sync can change what runs) or `unknown` (an unresolved
`${VAR}`: never guessed). Versions compare as semantic versions, with or
without the `v`. A CRD bundle pinned on its own (`config/crd?ref=`) is not
rendered; `crd_bundle_pins` reads it from the skipped remote entries.

Environments (for version-skew): the cluster each installation deploys to,
with the repository files that feed it; `share_a_base` groups them.
"""

from __future__ import annotations

from collections.abc import Sequence

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from linter.addresses import is_unresolved
from linter.finding import Location
from linter.gitops import argo_bucket
from linter.helm_release import HelmRelease
from linter.installation import InstallationModel, installations
from linter.model import Cluster
from linter.resource import RenderProblem, Resource
from linter.upstream import is_modelled, parse_upstream
from linter.yamlpos import YMap

Version = tuple[int, int, int]

PINNED, UNPINNED, UNKNOWN = "pinned", "unpinned", "unknown"
ALL = "all"  # a pin that sets both components (a chart version, a remote ref)
COMPONENTS = ("controller", "speaker")

# An exact version; a suffix (`-rc1`, bitnami's `-debian-12-r0`) keeps the release it names.
_EXACT = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?")
# Semver constraints as Helm, Flux and Argo CD read them: operators, wildcards, partial versions.
_RANGE = re.compile(r"^[\^~]|[<>=|*,]|\s-\s|^v?\d+(\.\d+)?$|^v?\d+(\.(\d+|[xX*]))*\.[xX*]$")
_HASH = re.compile(r"(sha256:)?[0-9a-f]{40,64}")
# The images linter/installation.py recognises (quay.io, Docker Hub, a mirror, bitnami).
_METALLB_IMAGE = re.compile(r"(?:^|/)metallb[/-](speaker|controller)(?::|@|$)")
_DOCKER_HUB = re.compile(r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?metallb/(speaker|controller)$")


def parse_version(text: object) -> Version | None:
    """`0.14.8` and `v0.14.8` alike; None for anything that is not one exact version."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        return None
    match = _EXACT.fullmatch(str(text).strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def show(version: Version | None) -> str:
    return "%d.%d.%d" % version if version else "unknown"


def classify(raw: object) -> tuple[str, Version | None, str]:
    """(state, version, why unpinned) of a version as written."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return UNPINNED, None, "no version"
    if is_unresolved(raw):
        return UNKNOWN, None, ""
    text = str(raw).strip()
    version = parse_version(text)
    if version is not None:
        return PINNED, version, ""
    if text == "*":
        return UNPINNED, None, '"*"'
    if text.lower() in ("latest", "stable"):
        return UNPINNED, None, f'"{text}"'
    if text in ("main", "master", "HEAD"):
        return UNPINNED, None, f'the branch "{text}"'
    if _HASH.fullmatch(text):
        return PINNED, None, ""  # a digest or commit: fixed, but which release it is is not known
    if _RANGE.search(text):
        return UNPINNED, None, f'the semver range "{text}"'
    return UNPINNED, None, f'the branch ref "{text}"'


@dataclass(frozen=True, slots=True)
class Pin:
    what: str  # "chart version (HelmRelease spec.chart.spec.version)", "speaker image tag", ...
    component: str  # ALL, "controller" or "speaker"
    raw: str | None  # as written
    state: str  # PINNED, UNPINNED, UNKNOWN
    version: Version | None
    why: str  # for an unpinned pin: what it is ("the branch main", "no version")
    location: Location
    image: str | None = None  # the image it sets, for image pins

    def as_dict(self) -> dict[str, object]:
        return {"what": self.what, "component": self.component, "value": self.raw, "state": self.state,
                "version": show(self.version) if self.version else None,
                "file": self.location.file, "line": self.location.line, "column": self.location.column}


def _pin(what: str, component: str, raw: object, location: Location, image: str | None = None) -> Pin:
    state, version, why = classify(raw)
    text = None if raw is None else str(raw)
    return Pin(what, component, text, state, version, why, location, image)


@dataclass(slots=True)
class InstallationVersions:
    """One installation of one target, with its pins."""

    target: str
    environment: str  # the target, or an Argo CD Application's destination cluster
    how: str  # "Flux HelmRelease", "speaker DaemonSet", ...
    namespace: str | None
    backend: str
    installation: InstallationModel
    pins: list[Pin] = field(default_factory=list)

    def effective(self, component: str) -> Pin | None:
        """The pin that decides `component`'s version: its own override, else the whole-install pin."""
        own = [p for p in self.pins if p.component == component]
        if own:
            return own[-1]
        return next((p for p in self.pins if p.component == ALL), None)

    @property
    def main_pin(self) -> Pin | None:
        """The pin that decides the installation's version (the CRDs and templates with it):
        the chart or remote ref, else the controller's image, else the speaker's."""
        return next((p for p in self.pins if p.component == ALL), None) \
            or self.effective("controller") or self.effective("speaker")

    @property
    def version(self) -> Version | None:
        pin = self.main_pin
        return pin.version if pin is not None and pin.state == PINNED else None

    @property
    def files(self) -> set[str]:
        return {p.location.file for p in self.pins}

    def as_dict(self) -> dict[str, object]:
        return {"how": self.how, "namespace": self.namespace, "environment": self.environment,
                "version": show(self.version) if self.version else None, "backend": self.backend,
                "pins": [p.as_dict() for p in self.pins]}


# -- Helm ------------------------------------------------------------------------------------


def _chart_what(release: HelmRelease) -> str:
    if release.source == "argocd":
        return "chart version (Argo CD targetRevision)"
    if release.source == "kustomize":
        return "chart version (kustomize helmCharts version)"
    if release.source == "umbrella":
        return "chart version (Chart.yaml dependencies version)"
    if release.source == "helmfile":
        return "chart version (helmfile release version)"
    spec = release.resource.spec if release.resource is not None else YMap()
    if isinstance(spec.get("chartRef"), YMap):
        return "chart version (OCIRepository spec.ref)"
    return "chart version (HelmRelease spec.chart.spec.version)"


def _helm_pins(release: HelmRelease) -> list[Pin]:
    pins = [_pin(_chart_what(release), ALL, release.version, release.version_location)]
    values = release.values
    for component in COMPONENTS:
        block = values.get(component) if isinstance(values, YMap) else None
        image = block.get("image") if isinstance(block, YMap) else None
        if not isinstance(image, YMap):
            continue
        repository = image.get("repository")
        tag = image.get("tag")
        if tag is not None and tag != "":  # an empty tag means the chart's appVersion
            pins.append(_pin(f"{component} image tag (values {component}.image.tag)", component, tag,
                             image.value_location("tag"),
                             repository if isinstance(repository, str) else None))
        elif isinstance(repository, str):  # another repository with the chart's tag: recorded for its image
            chart = parse_version(release.version)
            pins.append(Pin(f"{component} image repository (values {component}.image.repository)", component,
                            None, PINNED if chart else UNKNOWN, chart, "", image.value_location("repository"),
                            repository))
    return pins


# -- manifests -------------------------------------------------------------------------------


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference (a registry port is not a tag)."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        name, _, tag = name.rpartition(":")
    return name, tag, digest or None


def is_docker_hub(image: str | None) -> bool:
    """MetalLB's own images on Docker Hub (deprecated since v0.13, facts §8)."""
    return bool(image) and bool(_DOCKER_HUB.match(split_image(str(image))[0]))


def _main_containers(resource: Resource) -> list[tuple[str, YMap]]:
    template = resource.spec.get("template")
    pod = template.get("spec") if isinstance(template, YMap) else None
    found = []
    for key in ("containers", "initContainers"):
        listed = pod.get(key) if isinstance(pod, YMap) else None
        for container in listed if isinstance(listed, list) else []:
            if isinstance(container, YMap) and isinstance(container.get("image"), str):
                match = _METALLB_IMAGE.search(container["image"])
                if match:
                    found.append((match.group(1), container))
    return found


def _image_pin(component: str, container: YMap, resource: Resource) -> Pin:
    image = str(container["image"])
    where = container.value_location("image")
    overridden = bool(container.overrides and "image" in container.overrides)
    name, tag, digest = split_image(image)
    if is_modelled(resource) and not overridden:
        up = parse_upstream(resource.file)
        if up is not None:
            raw = up.ref or None
            if up.pinned:
                return Pin("remote ref (kustomize resources)", ALL, raw, PINNED, up.version, "", where, name)
            if not raw:
                why = "no ref (the default branch)"
            elif _HASH.fullmatch(raw) or parse_version(raw) or raw.startswith("metallb-chart-"):
                # A commit, a chart tag, v0.12's experimental FRR manifest: their images are `:main`.
                why = f'the ref "{raw}", whose images are tagged {up.image_tag}'
            else:
                why = f'the branch "{raw}"'
            return Pin("remote ref (kustomize resources)", ALL, raw, UNPINNED, None, why, where, name)
    what = f"{component} image tag" + (" (override)" if overridden else "")
    if tag is None and digest is not None:
        return Pin(what, component, image, PINNED, None, "", where, name)
    if tag is None:
        return Pin(what, component, image, UNPINNED, None, "no tag (latest)", where, name)
    state, version, why = classify(tag)
    return Pin(what, component, tag, state, version, why, where, name)


def _manifest_pins(cluster: Cluster, installation: InstallationModel) -> list[Pin]:
    pins: list[Pin] = []
    seen: set[str] = set()
    for resource in cluster.resources:
        if resource.group != "apps" or resource.kind not in ("DaemonSet", "Deployment") \
                or resource.namespace != installation.namespace:
            continue
        for component, container in _main_containers(resource):
            if component in seen:
                continue
            seen.add(component)
            pin = _image_pin(component, container, resource)
            if pin.component == ALL and any(p.component == ALL and p.location == pin.location for p in pins):
                continue  # one remote ref pins both components: listed once
            pins.append(pin)
    # The whole-install pin first, then component pins: `effective` takes the last one.
    return sorted(pins, key=lambda p: p.component != ALL)


# -- per cluster -----------------------------------------------------------------------------


def _environment(target: str, installation: InstallationModel) -> str:
    source = installation.source
    bucket = argo_bucket(source) if source is not None else None
    # Argo CD Applications that only name a chart stay in their file's target
    # even though each deploys to its own cluster: that cluster is the environment.
    return bucket if bucket and bucket != target else target


def installation_versions(cluster: Cluster) -> list[InstallationVersions]:
    """Every MetalLB installation of `cluster` with its pins (kustomize helmCharts too)."""
    models = list(cluster.installations)
    covered = {id(m.release) for m in models if m.release is not None}
    # Releases without an object (helmCharts, umbrella chart, helmfile), should the model leave them out.
    extra = [r for r in cluster.helm_releases if r.resource is None and r.is_metallb and id(r) not in covered]
    if extra:
        models.extend(installations([], extra))
    found = []
    for model in models:
        release = model.release
        if release is not None:
            if not release.is_metallb:
                continue  # another publisher's chart: its versions are not MetalLB's
            pins = _helm_pins(release)
        elif model.source is not None and model.source.group == "apps":
            pins = _manifest_pins(cluster, model)
        else:
            continue  # recognised but not modelled: nothing known
        found.append(InstallationVersions(cluster.target, _environment(cluster.target, model), model.how,
                                          model.namespace, str(model.bgp_backend.value), model, pins))
    return found


_REMOTE = re.compile(r'remote resource "([^"]+)"')
_CRD_PATH = re.compile(r"github\.com[/:]metallb/metallb(?:\.git)?//?config/crd(?:/|$)", re.IGNORECASE)


def crd_bundle_pins(problems: list[RenderProblem]) -> list[Pin]:
    """MetalLB's CRDs pinned on their own (`github.com/metallb/metallb/config/crd?ref=...`),
    from the remote entries kustomize could not render (they are not modelled)."""
    pins = []
    for problem in problems:
        match = _REMOTE.search(problem.message) if problem.kind == "remote" else None
        if match is None:
            continue
        base, _, query = match[1].partition("?")
        if _CRD_PATH.search(base):
            values = parse_qs(query)
            ref = (values.get("ref") or values.get("version") or [None])[0]  # kustomize: `ref` wins
            pins.append(_pin("CRD bundle ref (kustomize resources)", "crds", ref, problem.location, match[1]))
    return pins


def version_for(versions: list[InstallationVersions], namespace: str | None) -> Version | None:
    """The MetalLB version that reads objects of `namespace`: that namespace's
    installation(s), else every installation of the target, when they agree."""
    here = [v for v in versions if v.namespace == namespace] if namespace else []
    for candidates in (here, versions):
        known = {v.version for v in candidates}
        if candidates:
            return known.pop() if len(known) == 1 else None
    return None


# -- environments (version-skew) -------------------------------------------------------------


class Environment:
    """A cluster an installation deploys to, and every repository file that feeds it."""

    def __init__(self, name: str, cluster: Cluster) -> None:
        self.name = name
        self.cluster = cluster  # the target it was found in, for the finding's target
        self.files: set[str] = set()
        self.installations: list[InstallationVersions] = []


def environments(clusters: list[Cluster]) -> list[Environment]:
    """Every environment with a MetalLB installation (see rules/versions.py for what counts)."""
    by_name: dict[str, Environment] = {}
    for cluster in clusters:
        local = {r.file for r in cluster.resources if not is_modelled(r)}
        for installation in installation_versions(cluster):
            if installation.environment == cluster.target:
                files = local
            else:  # an Argo CD Application: its own file only
                source = installation.installation.source
                files = {source.file} if source is not None else set()
            environment = by_name.setdefault(installation.environment,
                                             Environment(installation.environment, cluster))
            # Kustomization files are no object's file: the pins' own files count too.
            environment.files |= files | installation.files
            environment.installations.append(installation)
    return sorted(by_name.values(), key=lambda e: e.name)


def share_a_base(found: list[Environment], declared: Sequence[Sequence[str]] = ()) -> list[list[Environment]]:
    """Environments connected by a shared file (union-find over the files), or that the
    configuration declares as environments of one installation (`environments.groups`)."""
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, environment in enumerate(found):
        for file in environment.files:
            if file in owner:
                parent[root(index)] = root(owner[file])
            else:
                owner[file] = index
    index_of = {environment.name: index for index, environment in enumerate(found)}
    for names in declared:
        members = [index_of[name] for name in names if name in index_of]
        for member in members[1:]:
            parent[root(member)] = root(members[0])
    groups: dict[int, list[Environment]] = {}
    for index, environment in enumerate(found):
        groups.setdefault(root(index), []).append(environment)
    return [g for g in groups.values() if len(g) > 1]
