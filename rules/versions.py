"""ML301-ML306: MetalLB versions, between environments, between components, and
what the pinned version supports (linter/versions.py, linter/features.py).

ML301 compares *environments* that share a base. An environment is a target,
or, for an Argo CD Application that only names a chart (it stays in its
file's target), the Application's destination cluster. Two environments
share a base when some repository file contributes to both: for a target,
every local file its rendered objects were read from; for such an Argo CD
environment, the file of its Application (or ApplicationSet). Sharing is
transitive (a base of a base). Remote URLs never count: two overlays that
each name an upstream URL share nothing through it.

A pin's files count as read by its environment (a kustomization line is
no object's file). The reference version of a group is, in order: the
version the base pins (a pin located in a file more than one environment
reads, whose pins there all give one version: an ApplicationSet's list
elements give each cluster its own and are no base pin), else the
configuration's reference environment, else the most common version of the
group's installations, the newest on a tie (the environment behind is the one to
move). Every pin deciding a component's version that differs is reported,
once per environment, with the reference pin as the related location.
Environments are also grouped, and the reference named, by the configuration's
`environments: {groups, reference}` (schemas/config.schema.json).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterator

from linter import features
from linter.finding import Finding, Related, Severity
from linter.model import Cluster, Repository
from linter.rule import Rule
from linter.versions import ALL, COMPONENTS, PINNED, UNPINNED, Environment, InstallationVersions, Pin, \
    crd_bundle_pins, environments, installation_versions, share_a_base, show

_HELM = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metallb
  namespace: metallb-system
spec:
  interval: 1h
  chart:
    spec:
      chart: metallb
      version: "{version}"
      sourceRef:
        kind: HelmRepository
        name: metallb
        namespace: flux-system
{values}"""


def _argo(name: str, cluster: str, revision: str) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://metallb.github.io/metallb
    chart: metallb
    targetRevision: {revision}
  destination:
    name: {cluster}
    namespace: metallb-system
"""


def _versions(cluster: Cluster) -> list[InstallationVersions]:
    return installation_versions(cluster)


# -- ML301 ---------------------------------------------------------------------------------------


def _component_pins(installation: InstallationVersions) -> list[Pin]:
    """The pins deciding each component's version, once each."""
    found: list[Pin] = []
    for component in COMPONENTS:
        pin = installation.effective(component)
        if pin is not None and pin.state == PINNED and pin.version and pin not in found:
            found.append(pin)
    return found


class VersionSkew(Rule):
    code = "ML301"
    name = "version-skew"
    severity = Severity.ERROR
    summary = "Environments that share a base run different MetalLB versions."
    rationale = (
        "Staging is where a MetalLB upgrade is tried; an overlay left on an older version (an "
        "older remote ref, a patched chart version, one image bumped) makes prod run something "
        "staging never ran, and the next base change lands on two versions at once. Nothing "
        "fails at apply time: the skew only shows when behaviour differs."
    )
    remediation = (
        "Pin MetalLB once, in the shared base, and let overlays inherit it; when an environment "
        "must lead or lag on purpose, say so with a suppression comment on its pin."
    )
    bad_example = _argo("metallb-staging", "staging", "0.14.8") + "---\n" + _argo("metallb-prod", "prod", "0.13.12")
    good_example = _argo("metallb-staging", "staging", "0.14.8") + "---\n" + _argo("metallb-prod", "prod", "0.14.8")

    def check(self, repository: Repository) -> Iterator[Finding]:
        settings = repository.environments
        for group in share_a_base(environments(repository.clusters), settings.groups):
            yield from self._group(group, settings.reference)

    def _group(self, group: list[Environment], configured: str | None = None) -> Iterator[Finding]:
        entries = [(e, i, p) for e in group for i in e.installations for p in _component_pins(i)]
        if len({p.version for _, _, p in entries}) < 2:
            return
        # A base's own pin: in a file several environments read, and one version in that file
        # (an ApplicationSet's list elements, or Applications side by side, give each cluster
        # its own line and version there: no base pin).
        readers = Counter(file for environment in group for file in environment.files)
        versions_in: dict[str, set[object]] = {}
        for _, _, pin in entries:
            versions_in.setdefault(pin.location.file, set()).add(pin.version)
        base = [p for _, _, p in entries if readers[p.location.file] > 1 and len(versions_in[p.location.file]) == 1]
        chosen = [i.version for e in group if e.name == configured for i in e.installations if i.version]
        if base:
            counts = Counter(p.version for p in base)
            origin = "the shared base"
        elif chosen:  # the configuration's reference environment
            counts = Counter(chosen)
            origin = f"the reference environment {configured}"
        else:
            counts = Counter(i.version for e in group for i in e.installations if i.version)
            origin = ""
        if not counts:
            return
        best = max(counts.values())
        reference = max(v for v, n in counts.items() if n == best and v)  # the newest on a tie
        reference_pin = min((p for e, _, p in entries if p.version == reference
                             and (p in base if base else e.name == configured if chosen else True)),
                            key=lambda p: (p.location.file, p.location.line), default=None)
        on_reference = sorted({e.name for e, _, p in entries if p.version == reference})
        reported: set[tuple[str, object]] = set()
        for environment, installation, pin in entries:
            if pin.version == reference or (environment.name, pin.location) in reported:
                continue
            reported.add((environment.name, pin.location))
            where = origin or ", ".join(on_reference)
            yield self.finding(
                f"MetalLB {show(pin.version)} in {environment.name} ({pin.what}) differs from "
                f"{show(reference)} in {where}" + (f" ({', '.join(on_reference)})" if base else ""),
                pin.location, cluster=environment.cluster, resource=installation.installation.source,
                related=[Related(reference_pin.location, f"reference: MetalLB {show(reference)} "
                                                         f"({reference_pin.what})")]
                if reference_pin and reference_pin.location != pin.location else [])


# -- ML302 ---------------------------------------------------------------------------------------


class ComponentVersionMismatch(Rule):
    code = "ML302"
    name = "component-version-mismatch"
    severity = Severity.ERROR
    summary = "Inside one installation, controller and speaker (or chart and image override) differ in version."
    rationale = (
        "The controller and the speakers exchange configuration through the CRDs and memberlist, "
        "and the CRDs come with the chart or manifest version. A speaker image bumped without the "
        "controller, or an image tag override away from the chart's appVersion, runs binaries "
        "against CRDs and templates of another release."
    )
    remediation = (
        "Move the whole installation: change the chart version or the remote ref, and drop the "
        "per-component tag overrides (or set them to the same version)."
    )
    bad_example = _HELM.format(version="0.14.8", values="  values:\n    speaker:\n      image:\n"
                                                         "        tag: v0.14.9\n")
    good_example = _HELM.format(version="0.14.9", values="")

    def check(self, repository: Repository) -> Iterator[Finding]:
        bundles = crd_bundle_pins(repository.render_problems)
        for cluster in repository.clusters:
            yield from self._check(cluster, bundles)

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        return self._check(cluster, [])

    def _check(self, cluster: Cluster, bundles: list[Pin]) -> Iterator[Finding]:
        for installation in _versions(cluster):
            whole = next((p for p in installation.pins if p.component == ALL), None)
            # A CRD bundle pinned in a kustomization that also pins this installation.
            for bundle in bundles:
                if whole is not None and whole.version and bundle.version and bundle.version != whole.version \
                        and bundle.location.file in installation.files:
                    yield self.finding(
                        f"MetalLB's CRDs are pinned at {show(bundle.version)} ({bundle.what}) but the installation "
                        f"is {show(whole.version)} ({whole.what})", bundle.location, cluster=cluster,
                        resource=installation.installation.source,
                        related=[Related(whole.location, f"MetalLB {show(whole.version)}")])
            own = {c: installation.effective(c) for c in COMPONENTS}
            if whole is not None and whole.state == PINNED and whole.version:
                for component, pin in own.items():
                    if pin is not None and pin is not whole and pin.version and pin.version != whole.version:
                        yield self.finding(
                            f"{component} runs MetalLB {show(pin.version)} ({pin.what}) but the installation "
                            f"is {show(whole.version)} ({whole.what})", pin.location, cluster=cluster,
                            resource=installation.installation.source,
                            related=[Related(whole.location, f"MetalLB {show(whole.version)}")])
                continue
            controller, speaker = own["controller"], own["speaker"]
            if controller is None or speaker is None or not controller.version or not speaker.version \
                    or controller.version == speaker.version:
                continue
            # The overridden one deviates; with neither (or both) overridden, the speaker is reported.
            deviating, other = (controller, speaker) if "override" in controller.what \
                and "override" not in speaker.what else (speaker, controller)
            yield self.finding(
                f"{deviating.component} runs MetalLB {show(deviating.version)} but {other.component} runs "
                f"{show(other.version)}", deviating.location, cluster=cluster,
                resource=installation.installation.source,
                related=[Related(other.location, f"{other.component} at MetalLB {show(other.version)}")])


# -- ML303 ---------------------------------------------------------------------------------------


class UnpinnedVersion(Rule):
    code = "ML303"
    name = "unpinned-version"
    severity = Severity.WARNING
    summary = "MetalLB's version is not pinned: a sync can upgrade it under the cluster."
    rationale = (
        "A chart version range, `*`, no version at all, a `latest` or `main` image, or a remote "
        "base at a branch resolves to whatever is newest when Flux or Argo CD next syncs. MetalLB "
        "releases change defaults (the 0.16 chart switched the BGP backend to frr-k8s) and remove "
        "kinds (AddressPool in 0.14.2): an upgrade nobody reviewed."
    )
    remediation = "Pin an exact release: chart version `0.14.9`, image tag `v0.14.9`, `?ref=v0.14.9`."
    bad_example = _HELM.format(version="0.14.*", values="")
    good_example = _HELM.format(version="0.14.9", values="")

    def check(self, repository: Repository) -> Iterator[Finding]:
        yield from super().check(repository)
        for bundle in crd_bundle_pins(repository.render_problems):
            if bundle.state == UNPINNED:
                yield self.finding(f"MetalLB {bundle.what} is not pinned: {bundle.why}; pin an exact release",
                                   bundle.location)

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for installation in _versions(cluster):
            for pin in installation.pins:
                if pin.state == UNPINNED:
                    yield self.finding(
                        f"MetalLB {pin.what} is not pinned: {pin.why}; pin an exact release",
                        pin.location, cluster=cluster, resource=installation.installation.source)


# -- ML304 / ML305 -------------------------------------------------------------------------------


def _what(use: features.Use) -> str:
    """What a message names: the annotation or image itself when there is one."""
    if use.detail and use.feature.key.startswith("annotation:"):
        return f'annotation "{use.detail}"'
    if use.detail and use.feature.key.startswith("image:"):
        return f'image "{use.detail}" on Docker Hub'
    return use.feature.what


class ApiNotSupported(Rule):
    code = "ML304"
    name = "api-not-supported"
    severity = Severity.ERROR
    summary = "The pinned MetalLB version does not support a kind, field, flag or annotation the target uses."
    rationale = (
        "The API server prunes fields a CRD does not declare, MetalLB ignores annotations and "
        "configuration forms it does not read, and a speaker given an unknown flag does not start. "
        "The object applies cleanly and MetalLB behaves as if it were not there."
    )
    remediation = "Upgrade MetalLB to the version the message names, or stop using the feature."
    bad_example = _HELM.format(version="0.13.12", values="") + """\
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: l2
  namespace: metallb-system
spec:
  serviceSelectors:
    - matchLabels: {exposure: public}
"""
    good_example = _HELM.format(version="0.16.1", values="") + bad_example[bad_example.index("---"):]

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for use in features.uses(cluster, _versions(cluster)):
            if use.feature.key.removeprefix("kind:") in features.STATUS_KINDS:
                continue  # status objects: api-deprecated says they do not belong in Git at all
            why = features.unsupported(use.feature, use.version)
            if why is None:
                continue
            feature = use.feature
            if why == "older":
                text = f"{_what(use)} needs MetalLB {show(feature.since)} or later; this target runs " \
                       f"{show(use.version)}: {feature.effect}"
            else:
                text = f"{_what(use)} is not supported from MetalLB {show(feature.until)}; this target runs " \
                       f"{show(use.version)}: {feature.effect}"
            yield self.finding(text, use.location, cluster=cluster, resource=use.resource)


class ApiDeprecated(Rule):
    code = "ML305"
    name = "api-deprecated"
    severity = Severity.WARNING
    summary = "A deprecated MetalLB API, annotation prefix or image, or a status object committed to Git."
    rationale = (
        "Deprecated forms still work but are next to go: BGPPeer v1beta1 converts through a "
        "webhook, metallb.universe.tf/ annotations are kept for compatibility only, Docker Hub "
        "images are no longer published, spec.loadBalancerIP cannot express dual stack. Status "
        "objects (ServiceL2Status, ServiceBGPStatus, ConfigurationState) are written by MetalLB; "
        "a copy in Git fights the speaker."
    )
    remediation = "Use the replacement the message names."
    bad_example = _HELM.format(version="0.14.9", values="") + """\
---
apiVersion: metallb.io/v1beta1
kind: BGPPeer
metadata:
  name: tor
  namespace: metallb-system
spec:
  myASN: 64512
  peerASN: 64513
  peerAddress: 10.0.0.1
"""
    good_example = bad_example.replace("metallb.io/v1beta1\nkind: BGPPeer", "metallb.io/v1beta2\nkind: BGPPeer")

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for use in features.uses(cluster, _versions(cluster)):
            feature = use.feature
            if not features.is_deprecated(feature, use.version):
                continue
            what = _what(use)
            instead = f"metallb.io/{use.detail.split('/', 1)[1]}" \
                if use.detail.startswith("metallb.universe.tf/") else feature.instead
            if feature.key.removeprefix("kind:") in features.STATUS_KINDS:
                text = f"{feature.key[5:]} is a status object MetalLB writes itself: remove it from Git"
            elif feature.deprecated == features.ALWAYS:
                text = f"{what} is deprecated: use {instead}"
            else:
                text = f"{what} is deprecated since MetalLB {show(feature.deprecated)} (this target runs " \
                       f"{show(use.version)}): use {instead}"
            yield self.finding(text, use.location, cluster=cluster, resource=use.resource)


# -- ML306 ---------------------------------------------------------------------------------------


def _closest(name: str) -> str | None:
    lowered = {a.lower(): a for a in features.ANNOTATIONS}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


class UnknownAnnotation(Rule):
    code = "ML306"
    name = "unknown-annotation"
    severity = Severity.WARNING
    summary = "A metallb.io/ or metallb.universe.tf/ annotation MetalLB does not read."
    rationale = (
        "MetalLB reads four Service annotations (address-pool, loadBalancerIPs, allow-shared-ip, "
        "and the ip-allocated-from-pool it writes). Any other name under its prefixes, such as the "
        "singular loadBalancerIP, is silently ignored: the Service gets some address from some pool."
    )
    remediation = "Use the annotation the message suggests (the names are case-sensitive)."
    bad_example = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: web
  annotations:
    metallb.io/loadBalancerIP: 192.168.10.5
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
"""
    good_example = bad_example.replace("metallb.io/loadBalancerIP:", "metallb.io/loadBalancerIPs:")

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for resource in cluster.resources:
            if resource.api_version != "v1" or resource.kind != "Service":
                continue  # MetalLB reads annotations of Services only
            annotations = resource.metadata.get("annotations")
            if not isinstance(annotations, dict):
                continue
            for key in annotations:
                name = str(key)
                prefix = next((p for p in features.PREFIXES if name.startswith(p)), None)
                if prefix is None or name[len(prefix):] in features.ANNOTATIONS:
                    continue
                close = _closest(name[len(prefix):])
                hint = f'; did you mean "metallb.io/{close}"?' if close else \
                    f"; MetalLB reads {', '.join('metallb.io/' + a for a in features.ANNOTATIONS)}"
                where = annotations.key_location(key) if hasattr(annotations, "key_location") \
                    else resource.location()
                yield self.finding(f'annotation "{name}" is not one MetalLB reads: it is ignored{hint}',
                                   where, cluster=cluster, resource=resource)


__all__ = ["VersionSkew", "ComponentVersionMismatch", "UnpinnedVersion", "ApiNotSupported", "ApiDeprecated",
           "UnknownAnnotation"]
