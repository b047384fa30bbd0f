"""What the MetalLB Helm chart (`charts/metallb`) accepts and does, per chart version.

A small table written by us from the domain facts (facts §4.2 values defaults,
values.schema.json, render-time `fail`s; §3.3 releases), not a copy of the
chart's values.yaml or schema and not a template engine (DESIGN.md "Domain
semantics are code"). Rules ask three questions of it:

- does a key path exist at this chart version, and what type / enum has it;
- what is a value's default at this chart version (only the ones that matter);
- which combinations of values make the chart `fail` or get ignored.

A chart version is parsed leniently (`0.14.8`, `v0.14.8`); a range, a
wildcard or nothing is "unknown" (None): then every key any version has is
accepted and no version-specific check runs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from linter.addresses import is_unresolved

Version = tuple[int, int, int]

_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?\s*$")


def parse_version(text: object) -> Version | None:
    """`0.14.8`, `v0.14.8`, `0.14.8-rc1` → (0, 14, 8); a range, `0.14.x`, `*`, None → None."""
    if not isinstance(text, str) or is_unresolved(text):
        return None
    match = _VERSION.match(text)
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    if (major, minor, patch) == (0, 0, 0):  # the chart on `main` (facts §4.2): not a release
        return None
    return major, minor, patch


def show(version: Version) -> str:
    return ".".join(str(p) for p in version)


@dataclass(frozen=True, slots=True)
class Key:
    """One value of the chart. `type`: bool | int | str | list | map (free-form:
    not descended) | object (known children) | any. `since` / `until`: the first
    chart version that has it / the first that no longer has it."""

    type: str
    enum: tuple[str, ...] = ()
    since: Version | None = None
    until: Version | None = None

    def exists_in(self, version: Version | None) -> bool:
        if version is None:
            return True  # unknown version: the union of every version's keys
        if self.since is not None and version < self.since:
            return False
        return self.until is None or version < self.until


_LOG_LEVELS = ("all", "debug", "info", "warn", "error", "none")  # values.schema.json logLevel enum
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")  # image.pullPolicy enum (or null)
_V0_13 = (0, 13, 0)
_V0_14 = (0, 14, 0)  # frr-k8s switches arrived in 0.14.x; there is no chart tag for 0.14.0/0.14.1
_V0_16 = (0, 16, 0)


def _image(prefix: str) -> dict[str, Key]:
    return {f"{prefix}.repository": Key("str"), f"{prefix}.tag": Key("str"),
            f"{prefix}.pullPolicy": Key("str", _PULL_POLICIES)}


def _component(name: str) -> dict[str, Key]:
    """The values the controller and the speaker share."""
    keys = {
        f"{name}.enabled": Key("bool"), f"{name}.logLevel": Key("str", _LOG_LEVELS),
        f"{name}.serviceAccount.create": Key("bool"), f"{name}.serviceAccount.name": Key("str"),
        f"{name}.serviceAccount.annotations": Key("map"),
        f"{name}.nodeSelector": Key("map"), f"{name}.tolerations": Key("list"),
        f"{name}.affinity": Key("map"), f"{name}.resources": Key("map"),
        f"{name}.securityContext": Key("map"), f"{name}.podAnnotations": Key("map"),
        f"{name}.labels": Key("map"), f"{name}.priorityClassName": Key("str"),
        f"{name}.runtimeClassName": Key("str"), f"{name}.livenessProbe": Key("map"),
        f"{name}.readinessProbe": Key("map"), f"{name}.extraContainers": Key("list"),
        f"{name}.command": Key("str"),
    }
    keys.update(_image(f"{name}.image"))
    return keys


# Every key path of the chart, dotted. Parents of a listed path are objects.
KEYS: dict[str, Key] = {
    "imagePullSecrets": Key("list"), "nameOverride": Key("str"), "fullnameOverride": Key("str"),
    "loadBalancerClass": Key("str"), "global": Key("any"),  # Helm passes `global` to every chart
    "rbac.create": Key("bool"),
    "psp.create": Key("bool", until=(0, 13, 5)),  # still in values.yaml up to v0.13.4
    # Config before CRDs (≤0.12); from 0.13.0 a `fail` (ML503), so still a known key.
    "configInline": Key("any"), "existingConfigMap": Key("str", until=_V0_13),
    "crds.enabled": Key("bool", since=_V0_13),
    "crds.validationFailurePolicy": Key("str", ("Ignore", "Fail"), since=(0, 13, 6)),
    "prometheus.scrapeAnnotations": Key("bool"), "prometheus.metricsPort": Key("int"),
    "prometheus.secureMetricsPort": Key("int"), "prometheus.rbacPrometheus": Key("bool"),
    "prometheus.serviceAccount": Key("str"), "prometheus.namespace": Key("str"),
    "prometheus.controllerMetricsTLSSecret": Key("str"), "prometheus.speakerMetricsTLSSecret": Key("str"),
    "prometheus.rbacProxy": Key("map", until=_V0_16),  # kube-rbac-proxy removed in 0.16 (facts §3.3)
    "prometheus.podMonitor": Key("map"), "prometheus.serviceMonitor": Key("map"),
    "prometheus.prometheusRule": Key("map"),
    **_component("controller"),
    "controller.strategy": Key("map"),
    "controller.webhookMode": Key("str"),  # commented out until 0.15.x, set from 0.15.3 (facts §4.2)
    "controller.tlsMinVersion": Key("str"), "controller.tlsCipherSuites": Key("str"),
    **_component("speaker"),
    "speaker.tolerateMaster": Key("bool"), "speaker.updateStrategy": Key("map"),
    "speaker.startupProbe": Key("map"),
    "speaker.memberlist.enabled": Key("bool"), "speaker.memberlist.mlBindPort": Key("int"),
    "speaker.memberlist.mlBindAddrOverride": Key("str"), "speaker.memberlist.mlSecretKeyPath": Key("str"),
    "speaker.excludeInterfaces.enabled": Key("bool"),
    "speaker.ignoreExcludeLB": Key("bool", since=(0, 14, 4)),  # facts §4.2: absent in 0.14.3
    "speaker.frr.enabled": Key("bool"), **_image("speaker.frr.image"),
    "speaker.frr.metricsPort": Key("int"), "speaker.frr.secureMetricsPort": Key("int"),
    "speaker.frr.metricsBindAddress": Key("str"), "speaker.frr.resources": Key("map"),
    "speaker.frr.logLevel": Key("str"),
    "speaker.reloader.resources": Key("map"), "speaker.frrMetrics.resources": Key("map"),
    "frrk8s.enabled": Key("bool", since=_V0_14), "frrk8s.external": Key("bool", since=_V0_14),
    "frrk8s.namespace": Key("str", since=_V0_14),
    "frr-k8s": Key("map", since=_V0_14),  # the bundled subchart's own values (facts §4.2)
    # Checked against charts/metallb/values.yaml at every tag v0.12.0..v0.16.1:
    "speaker.initContainers": Key("map", since=(0, 15, 3)),  # resources of the FRR copy-files init containers
    "networkpolicies.enabled": Key("bool", since=(0, 15, 3)),
    "networkpolicies.defaultDeny": Key("bool", since=(0, 15, 3)),
    "networkpolicies.apiPort": Key("int", since=(0, 15, 3)),
    "speaker.bgpDebounceTimeout": Key("int", since=_V0_16),  # milliseconds; null = 3000
    "tls.cipherSuites": Key("str", since=_V0_16), "tls.curvePreferences": Key("str", since=_V0_16),
    "tls.minVersion": Key("str", since=_V0_16),
    "tls.controllerMetricsTLSSecret": Key("str", since=_V0_16),
    "tls.speakerMetricsTLSSecret": Key("str", since=_V0_16),
}

def _implied_objects() -> dict[str, Key]:
    """The parents of listed paths, existing as long as one of their children does
    (`frrk8s` is unknown on 0.13 like `frrk8s.enabled`)."""
    spans: dict[str, list[Key]] = {}
    for path, key in KEYS.items():
        parts = path.split(".")
        for i in range(1, len(parts)):
            spans.setdefault(".".join(parts[:i]), []).append(key)
    objects = {}
    for path, keys in spans.items():
        since = None if any(k.since is None for k in keys) else min(k.since for k in keys if k.since)
        until = None if any(k.until is None for k in keys) else max(k.until for k in keys if k.until)
        objects[path] = Key("object", since=since, until=until)
    return objects


_OBJECTS = _implied_objects()


def lookup(path: str) -> Key | None:
    """The key at a dotted path: a listed value, an implied object, or None."""
    return KEYS.get(path) or _OBJECTS.get(path)


def children(parent: str, version: Version | None) -> list[str]:
    """The names of the keys directly under `parent` ("" for the root) at `version`."""
    prefix = f"{parent}." if parent else ""
    names = set()
    for path, key in KEYS.items():
        if path.startswith(prefix) and key.exists_in(version):
            names.add(path[len(prefix):].split(".")[0])
    return sorted(names)


def suggest(path: str, version: Version | None) -> str | None:
    """The closest real key to an unknown one: a sibling that looks alike, or the
    same name under another parent (FRR settings under the wrong parent)."""
    parent, _, name = path.rpartition(".")
    close = difflib.get_close_matches(name, children(parent, version), n=1, cutoff=0.75)
    if close:
        return f"{parent}.{close[0]}" if parent else close[0]
    # `frr.enabled` at the root, `speaker.frrk8s.enabled`: the same tail elsewhere.
    # Only a unique match: `resources` or `enabled` alone say nothing about the parent meant.
    for depth in (2, 1):
        tail = ".".join(path.split(".")[-depth:])
        existing = [p for p, k in {**KEYS, **_OBJECTS}.items() if k.exists_in(version)]
        matches = {known for known in existing
                   if known != path and (known == tail or known.endswith("." + tail))}
        if len(matches) == 1:
            return matches.pop()
    everything = [p for p, k in KEYS.items() if k.exists_in(version)]
    close = difflib.get_close_matches(path, everything, n=1, cutoff=0.8)
    return close[0] if close else None


def type_problem(key: Key, value: object) -> str | None:
    """Why `value` does not fit `key`, or None. Null is always allowed: Helm
    drops a key set to null and the chart default applies."""
    if value is None or is_unresolved(value) or key.type in ("any",):
        return None
    expected = {"bool": bool, "str": str, "list": list, "map": dict, "object": dict}.get(key.type)
    if key.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be an integer, not {_describe(value)}"
    elif expected is not None and not isinstance(value, expected):
        # A quoted "false" is a non-empty string, which the templates treat as true.
        return f"must be {_article(key.type)}, not {_describe(value)}"
    if key.enum and isinstance(value, str) and value not in key.enum:
        return f'"{value}" is not one of {", ".join(key.enum)}'
    return None


def _article(kind: str) -> str:
    return {"bool": "a boolean", "str": "a string", "list": "a list", "map": "a mapping",
            "object": "a mapping"}.get(kind, kind)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__


# -- defaults that matter (facts §4.2 "Values defaults") --------------------------------------


def default(path: str, version: Version | None) -> object:
    """The chart's default for `path` at `version`; None when unknown or absent."""
    if path in ("speaker.enabled", "controller.enabled", "speaker.tolerateMaster",
                "speaker.memberlist.enabled", "speaker.excludeInterfaces.enabled"):
        return True
    if version is None:
        return None
    if path == "speaker.frr.enabled":
        # "Make the FRR mode the default one" in 0.13.10; FRR mode deprecated in 0.16.
        return (0, 13, 10) <= version < _V0_16
    if path == "frrk8s.enabled":
        return None if version < _V0_14 else version >= _V0_16  # the default backend from 0.16
    if path == "frrk8s.external":
        return None if version < _V0_14 else False
    if path == "prometheus.metricsPort":
        return 9120 if version >= _V0_16 else 7472
    if path == "speaker.ignoreExcludeLB":
        return False if version >= (0, 14, 4) else None
    return None


# -- render-time fails and ignored values (facts §4.2, §3.1, §8) -------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    path: str  # the value to point at
    message: str


_UNSET = object()


def get(values: Mapping[str, object], path: str) -> object:
    """The user's value at a dotted path, or `_UNSET`."""
    current: object = values
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _UNSET
        current = current[part]
    return current


def _effective(values: Mapping[str, object], path: str, version: Version | None,
               values_known: bool) -> tuple[object, bool]:
    """(value, explicit). A default is only trusted when every values layer was read."""
    value = get(values, path)
    if value is not _UNSET and value is not None:
        return value, True
    return (default(path, version) if values_known else None), False


def conflicts(values: Mapping[str, object], version: Version | None, values_known: bool = True) -> list[Conflict]:
    """The combinations that make the chart fail to render, or that it ignores."""
    found: list[Conflict] = []
    at = f"chart {show(version)}" if version else "the chart"
    if version is None or version >= _V0_14:  # the frr-k8s switches exist (0.14.x)
        frr, frr_explicit = _effective(values, "speaker.frr.enabled", version, values_known)
        k8s, k8s_explicit = _effective(values, "frrk8s.enabled", version, values_known)
        external, external_explicit = _effective(values, "frrk8s.external", version, values_known)
        fail = "speaker.frr.enabled and frrk8s.enabled / external are mutually exclusive!"
        if frr is True and (k8s is True or external is True):
            other = "frrk8s.enabled" if k8s is True else "frrk8s.external"
            other_explicit = k8s_explicit if k8s is True else external_explicit
            if frr_explicit and other_explicit:
                found.append(Conflict("speaker.frr.enabled", f"speaker.frr.enabled and {other} are both "
                                      f'true: the chart fails with "{fail}"'))
            elif frr_explicit:  # e.g. carried over from 0.14/0.15 into 0.16
                found.append(Conflict("speaker.frr.enabled", f"speaker.frr.enabled: true, but {other} "
                                      f'defaults to true in {at}: the chart fails with "{fail}"; '
                                      f"set {other}: false, or drop speaker.frr.enabled"))
            elif other_explicit:
                found.append(Conflict(other, f"{other}: true, but speaker.frr.enabled defaults to true "
                                      f'in {at}: the chart fails with "{fail}"; set speaker.frr.enabled: false'))
        if k8s is True and external is True and (k8s_explicit or external_explicit):
            where = "frrk8s.external" if external_explicit else "frrk8s.enabled"
            why = "" if k8s_explicit else f" (frrk8s.enabled defaults to true in {at})"
            found.append(Conflict(where, "frrk8s.enabled and frrk8s.external are both true"
                                  f'{why}: the chart fails with "frrk8s.enabled frrk8s.external are '
                                  'mutually exclusive!"'))
    if version is not None and version >= (0, 15, 0):
        memberlist = get(values, "speaker.memberlist.enabled")
        selector = get(values, "speaker.nodeSelector")
        if memberlist is False and isinstance(selector, Mapping) and selector:
            found.append(Conflict("speaker.nodeSelector", "speaker.memberlist.enabled is false and "
                                  'speaker.nodeSelector is set: the chart fails with "nodeSelector must '
                                  'be empty when memberlist is disabled" (L2 would assume a speaker on '
                                  "every node)"))
    if version is not None and version >= _V0_13:
        inline = get(values, "configInline")
        if inline is not _UNSET and inline:  # `if .Values.configInline`: an empty value passes
            found.append(Conflict("configInline", f"configInline is not supported from chart 0.13.0 "
                                  f"({at}): the chart fails to render; write IPAddressPool and "
                                  "L2Advertisement/BGPAdvertisement objects instead"))
    return found
