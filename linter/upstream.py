"""MetalLB's own upstream install, modelled instead of fetched.

A kustomization that lists `github.com/metallb/metallb/config/native?ref=v0.14.8`
(or a raw `metallb-native.yaml` URL) deploys MetalLB's speaker and controller,
and overlays patch them (tolerations, nodeSelector, args). The linter never
fetches, so for these URLs it builds the objects that matter from what is
known about each release (domain facts §4.1): the Namespace, the controller
Deployment, the speaker DaemonSet and, for the frr-k8s flavour, the
`frr-k8s-daemon` DaemonSet. Only fields upstream has are built (no marker
annotation: that would change the kustomize-equivalent output); fields not
modelled are probes, volumes, securityContext, serviceAccountName, pod
annotations, initContainers and the sidecars' command/args/ports.

Every value below was read from `metallb/metallb` at the tag it is listed
under: `config/manifests/metallb-{native,frr,frr-k8s}.yaml` (v0.13.0+) and
`manifests/{metallb,metallb-frr,namespace}.yaml` (v0.12.x). The model was
checked field by field against those files and against `kubectl kustomize`
of `manifests/`, `config/{native,frr,frr-k8s,frr-k8s-external}` at every tag
v0.12.0-v0.16.1 and at main 7938d3f (frr-k8s built with metallb/frr-k8s at
the ref config/frr-k8s pins).

Findings about a modelled object point at the kustomization line naming the
URL: every mapping and sequence here carries it as its origin.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from linter.finding import Location
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq

Version = tuple[int, int, int]

NAMESPACE = "metallb-system"
FIRST: Version = (0, 12, 0)
LATEST: Version = (0, 16, 1)  # the newest tag in facts §3.3; `main` HEAD 7938d3f models as this
# Latest patch of each release line, for refs to a release branch (`?ref=v0.14`):
# those branches pin the images of their latest release (config/controllers/speaker.yaml@v0.14).
_LINE_LATEST: dict[tuple[int, int], Version] = {
    (0, 12): (0, 12, 1), (0, 13): (0, 13, 12), (0, 14): (0, 14, 9), (0, 15): (0, 15, 3), (0, 16): (0, 16, 1),
}

_MASTER = {"effect": "NoSchedule", "key": "node-role.kubernetes.io/master", "operator": "Exists"}
_CONTROL_PLANE = {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}
_RBAC_PROXY = "gcr.io/kubebuilder/kube-rbac-proxy:v0.13.1"

# Per-version differences: each row holds what changed in that release and
# stays in force for every later one, so an untagged version such as v0.14.10
# takes the behaviour of the nearest earlier row.
_CHANGES: tuple[tuple[Version, dict[str, Any]], ...] = (
    ((0, 12, 0), {
        "ns_labels": {"app": "metallb"},  # manifests/namespace.yaml@v0.12.1
        "speaker_tolerations": [_MASTER],  # the control-plane toleration came with v0.13.0 (commit 9834f2ad7)
        "config_arg": True,  # `--config=config`: the ConfigMap era
        "metrics": ("monitoring", 7472),
        "webhook": False, "controller_tls": False, "speaker_pod_name": False, "controller_pod_name": False,
        "ml_secret_path": False,  # METALLB_ML_SECRET_KEY from the memberlist Secret
        "frr_controller_env": False, "frr_logging_env": True,  # manifests/metallb-frr.yaml@v0.12.1
        "frr_image": "quay.io/frrouting/frr:stable_7.5",
    }),
    ((0, 13, 0), {
        "ns_labels": {f"pod-security.kubernetes.io/{mode}": "privileged" for mode in ("audit", "enforce", "warn")},
        "speaker_tolerations": [_MASTER, _CONTROL_PLANE], "config_arg": False, "webhook": True,
        "frr_controller_env": True, "frr_logging_env": False, "frr_image": "frrouting/frr:v7.5.1",
    }),
    ((0, 13, 8), {"ml_secret_path": True, "frr_image": "quay.io/frrouting/frr:7.5.1"}),
    ((0, 13, 10), {"frr_image": "quay.io/frrouting/frr:8.4.2"}),
    ((0, 13, 11), {"frr_image": "quay.io/frrouting/frr:8.5.2"}),
    ((0, 14, 0), {
        "controller_tls": True,
        # frr-k8s-daemon: config/frr-k8s pulls metallb/frr-k8s config/default at this ref.
        "frrk8s_ref": "v0.0.8", "frrk8s_frr_image": "quay.io/frrouting/frr:8.4.2", "frrk8s_component_label": False,
        "frrk8s_containers": ("kube-rbac-proxy:rbac", "kube-rbac-proxy-frr:rbac", "frr-k8s:frrk8s",
                              "frr:frr", "frr-metrics:frr", "reloader:frr"),
    }),
    ((0, 14, 4), {"frr_image": "quay.io/frrouting/frr:9.0.2", "frrk8s_ref": "v0.0.10",
                  "frrk8s_frr_image": "quay.io/frrouting/frr:9.0.2"}),
    ((0, 14, 5), {"frrk8s_ref": "v0.0.11"}),
    ((0, 14, 6), {"speaker_pod_name": True, "frr_image": "quay.io/frrouting/frr:9.1.0", "frrk8s_ref": "v0.0.13",
                  "frrk8s_frr_image": "quay.io/frrouting/frr:9.1.0"}),
    ((0, 14, 8), {"frrk8s_ref": "v0.0.14"}),
    ((0, 14, 9), {"frrk8s_ref": "v0.0.16"}),
    ((0, 15, 0), {"frrk8s_ref": "v0.0.20",
                  "frrk8s_containers": ("kube-rbac-proxy:rbac", "kube-rbac-proxy-frr:rbac", "frr-k8s:frrk8s",
                                        "frr:frr", "frr-metrics:frr", "frr-status:frr", "reloader:frr")}),
    ((0, 15, 3), {"frr_image": "quay.io/frrouting/frr:10.4.1", "frrk8s_ref": "v0.0.21",
                  "frrk8s_frr_image": "quay.io/frrouting/frr:10.4.1", "frrk8s_component_label": True}),
    ((0, 16, 0), {
        "metrics": ("metricshttps", 9120),  # metrics moved to HTTPS, kube-rbac-proxy removed
        "controller_tls": False, "controller_pod_name": True, "frr_image": "quay.io/frrouting/frr:10.5.3",
        "frrk8s_ref": "v0.0.25", "frrk8s_frr_image": "quay.io/frrouting/frr:10.4.3",
        "frrk8s_containers": ("controller:frrk8s", "frr:frr", "frr-metrics:frr", "frr-status:frr", "reloader:frr"),
    }),
)

# Where each flavour can be installed from, and since which release it exists there.
_KUSTOMIZE_DIRS: dict[str, tuple[str, Version]] = {
    "config/native": ("native", (0, 13, 0)),
    "config/frr": ("frr", (0, 13, 0)),
    "config/frr-k8s": ("frr-k8s", (0, 14, 0)),
    "config/frr-k8s-external": ("frr-k8s-external", (0, 14, 6)),
    "manifests": ("native", FIRST),  # manifests/kustomization.yaml@v0.12.1: metallb.yaml + namespace.yaml
}
_MANIFEST_FILES: dict[str, tuple[str, Version]] = {
    "config/manifests/metallb-native.yaml": ("native", (0, 13, 0)),
    "config/manifests/metallb-frr.yaml": ("frr", (0, 13, 0)),
    "config/manifests/metallb-frr-k8s.yaml": ("frr-k8s", (0, 14, 0)),
    "manifests/metallb.yaml": ("native", FIRST),
    "manifests/metallb-frr.yaml": ("frr", FIRST),
    "manifests/namespace.yaml": ("namespace", FIRST),
}


@dataclass(frozen=True, slots=True)
class Upstream:
    """What a remote entry names: which install, of which release, at which ref."""

    url: str
    path: str  # in the repository: "config/native", "config/manifests/metallb-native.yaml"
    flavour: str  # native, frr, frr-k8s, frr-k8s-external, namespace (v0.12 namespace.yaml)
    ref: str  # as written ("" when the URL has none: the default branch)
    version: Version  # the release whose behaviour is modelled
    image_tag: str  # tag of quay.io/metallb/{speaker,controller}
    pinned: bool  # False for main, a branch, a commit: what it deploys can change


_VERSION = re.compile(r"v(\d+)\.(\d+)\.(\d+)")


def _classify(ref: str, legacy_path: bool) -> tuple[Version, str, bool] | None:
    """(version, image tag, pinned) for a ref, or None when it cannot be modelled."""
    name = re.sub(r"^refs/(tags|heads)/", "", ref)
    if match := _VERSION.fullmatch(name):
        version = (int(match[1]), int(match[2]), int(match[3]))
        return (version, name, True) if FIRST <= version <= LATEST else None
    if match := re.fullmatch(r"metallb-chart-(\d+)\.(\d+)\.(\d+)", name):
        # The chart release tags sit on commits whose config/ differs from the
        # release tag only by `:main` images (git diff v0.14.8 metallb-chart-0.14.8).
        version = (int(match[1]), int(match[2]), int(match[3]))
        return (version, "main", False) if FIRST <= version <= LATEST else None
    if match := re.fullmatch(r"v(\d+)\.(\d+)", name):
        line = _LINE_LATEST.get((int(match[1]), int(match[2])))
        return (line, "v%d.%d.%d" % line, False) if line else None
    if legacy_path or re.match(r"v?\d+\.\d+", name):
        # manifests/ is gone from main and a commit could be of any era; a
        # version-like ref that is no release tag (`0.14.8`, `v0.14.8-rc1`) names nothing known.
        return None
    # main, the default branch, another branch or a commit: modelled as main HEAD.
    return LATEST, "main", False


def _split_ref(query: str) -> str:
    values = parse_qs(query)
    # kustomize: `version` is an alias of `ref`, and `ref` wins (kustomize docs, "remote targets").
    return (values.get("ref") or values.get("version") or [""])[0]


@lru_cache(maxsize=512)
def parse_upstream(url: str) -> Upstream | None:
    """The MetalLB install a remote `resources` entry names, or None."""
    base, _, query = url.strip().partition("?")
    text = re.sub(r"^(git::)?(https?|ssh|git)://", "", base)
    text = re.sub(r"^(git@)?github\.com:", "github.com/", text).removeprefix("git@").removeprefix("www.")
    raw = re.fullmatch(r"raw\.githubusercontent\.com/metallb/metallb/(?:refs/(?:tags|heads)/)?([^/]+)/(.+)",
                       text, re.IGNORECASE) \
        or re.fullmatch(r"github\.com/metallb/metallb/raw/(?:refs/(?:tags|heads)/)?([^/]+)/(.+)", text, re.IGNORECASE)
    if raw:
        ref, path = raw[1], raw[2]
        entry = _MANIFEST_FILES.get(path)
    else:
        git = re.fullmatch(r"github\.com/metallb/metallb(?:\.git)?(?://|/)(.+?)/*", text, re.IGNORECASE)
        if git is None:
            return None
        ref, path = _split_ref(query), git[1].strip("/")
        entry = _KUSTOMIZE_DIRS.get(path)
    if entry is None:
        return None
    flavour, since = entry
    legacy_path = since == FIRST
    classified = _classify(ref, legacy_path)
    if classified is None:
        return None
    version, image_tag, pinned = classified
    if version < since or (legacy_path and version >= (0, 13, 0)):
        return None  # the path does not exist at that release
    if path == "manifests/metallb-frr.yaml":
        image_tag, pinned = "main", False  # experimental in v0.12: its images are `:main` even at the tag
    return Upstream(url, path, flavour, ref, version, image_tag, pinned)


def _facts(version: Version) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for since, changes in _CHANGES:
        if since <= version:
            facts.update(changes)
    return facts


def _field(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _flavour_env(up: Upstream, facts: dict[str, Any], component: str) -> list[dict[str, Any]]:
    """The env entries a BGP flavour puts first (config/{frr,frr-k8s,frr-k8s-external}/*-patch.yaml)."""
    if up.flavour == "frr":
        if component == "controller":
            return [{"name": "METALLB_BGP_TYPE", "value": "frr"}] if facts["frr_controller_env"] else []
        env = [{"name": "FRR_CONFIG_FILE", "value": "/etc/frr_reloader/frr.conf"},
               {"name": "FRR_RELOADER_PID_FILE", "value": "/etc/frr_reloader/reloader.pid"},
               {"name": "METALLB_BGP_TYPE", "value": "frr"}]
        return env + ([{"name": "FRR_LOGGING_LEVEL", "value": "informational"}] if facts["frr_logging_env"] else [])
    if up.flavour in ("frr-k8s", "frr-k8s-external"):
        env = [{"name": "METALLB_BGP_TYPE", "value": "frr-k8s"}]
        if up.flavour == "frr-k8s-external" and component == "speaker":
            env.append({"name": "FRRK8S_NAMESPACE", "value": "frr-k8s-system"})
        return env
    return []  # native sets no METALLB_BGP_TYPE


def _args(facts: dict[str, Any], component: str) -> list[str]:
    args = [f"--port={facts['metrics'][1]}"] + (["--config=config"] if facts["config_arg"] else [])
    args.append("--log-level=info")
    if component == "controller" and facts["controller_tls"]:
        args.append("--tls-min-version=VersionTLS12")
    return args


def _workload(up: Upstream, facts: dict[str, Any], component: str) -> dict[str, Any]:
    labels = {"app": "metallb", "component": component}
    metrics_name, metrics_port = facts["metrics"]
    ports: list[dict[str, Any]] = [{"containerPort": metrics_port, "name": metrics_name}]
    env = _flavour_env(up, facts, component)
    if component == "speaker":
        env += [_field("METALLB_NODE_NAME", "spec.nodeName")]
        env += [_field("METALLB_POD_NAME", "metadata.name")] if facts["speaker_pod_name"] else []
        env += [_field("METALLB_HOST", "status.hostIP"), _field("METALLB_ML_BIND_ADDR", "status.podIP"),
                {"name": "METALLB_ML_LABELS", "value": "app=metallb,component=speaker"}]
        env.append({"name": "METALLB_ML_SECRET_KEY_PATH", "value": "/etc/ml_secret_key"} if facts["ml_secret_path"]
                   else {"name": "METALLB_ML_SECRET_KEY",
                         "valueFrom": {"secretKeyRef": {"key": "secretkey", "name": "memberlist"}}})
        ports += [{"containerPort": 7946, "name": "memberlist-tcp"},
                  {"containerPort": 7946, "name": "memberlist-udp", "protocol": "UDP"}]
    else:
        env += [_field("METALLB_POD_NAME", "metadata.name")] if facts["controller_pod_name"] else []
        env += [{"name": "METALLB_ML_SECRET_NAME", "value": "memberlist"},
                {"name": "METALLB_DEPLOYMENT", "value": "controller"}]
        if facts["webhook"]:
            ports.append({"containerPort": 9443, "name": "webhook-server", "protocol": "TCP"})
    container = {"args": _args(facts, component), "env": env, "image": f"quay.io/metallb/{component}:{up.image_tag}",
                 "name": component, "ports": ports}
    containers = [container]
    if up.flavour == "frr" and component == "speaker":
        # The FRR sidecars come first (metallb-frr.yaml); kept as name + image so
        # that a JSON patch addressing the speaker by index lands where it does upstream.
        containers = [{"image": facts["frr_image"], "name": name} for name in ("frr", "reloader", "frr-metrics")]
        containers.append(container)
    pod: dict[str, Any] = {"containers": containers}
    if component == "speaker":
        pod["hostNetwork"] = True
    pod["nodeSelector"] = {"kubernetes.io/os": "linux"}
    if component == "speaker":
        pod["tolerations"] = facts["speaker_tolerations"]  # the controller has none
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet" if component == "speaker" else "Deployment",
        "metadata": {"labels": labels, "name": component, "namespace": NAMESPACE},
        "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": pod}},
    }


def _frr_k8s_daemon(facts: dict[str, Any]) -> dict[str, Any]:
    """frr-k8s-daemon, which config/frr-k8s puts in metallb-system (metallb-frr-k8s.yaml)."""
    images = {"rbac": _RBAC_PROXY, "frr": facts["frrk8s_frr_image"],
              "frrk8s": f"quay.io/metallb/frr-k8s:{facts['frrk8s_ref']}"}
    labels = {f"app.kubernetes.io/{key}": "frr-k8s" for key in ("component", "created-by", "instance", "name",
                                                                 "part-of")}
    labels.update({"app.kubernetes.io/managed-by": "kustomize", "control-plane": "frr-k8s"})
    pod_labels = {"app": "frr-k8s", "control-plane": "frr-k8s"}
    if facts["frrk8s_component_label"]:
        pod_labels["app.kubernetes.io/component"] = "frr-k8s"
    node_terms = [{"matchExpressions": [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64", "ppc64le", "s390x"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"labels": labels, "name": "frr-k8s-daemon", "namespace": NAMESPACE},
        "spec": {
            "selector": {"matchLabels": {"control-plane": "frr-k8s"}},
            "template": {"metadata": {"labels": pod_labels}, "spec": {
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": node_terms}}},
                "containers": [{"image": images[kind], "name": name}
                               for name, kind in (entry.split(":") for entry in facts["frrk8s_containers"])],
                "hostNetwork": True,
                "tolerations": [_MASTER, _CONTROL_PLANE],  # no nodeSelector: the affinity does that job
            }},
        },
    }


def model(up: Upstream) -> list[dict[str, Any]]:
    """The modelled objects as plain data, in the order of the upstream manifest."""
    facts = _facts(up.version)
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"labels": facts["ns_labels"], "name": NAMESPACE}}
    if up.flavour == "namespace":
        return [namespace]
    objects = [_workload(up, facts, "controller")]
    if up.flavour == "frr-k8s":
        objects.append(_frr_k8s_daemon(facts))
    objects.append(_workload(up, facts, "speaker"))
    if up.version < (0, 13, 0):
        objects.reverse()  # manifests/metallb.yaml@v0.12.1 lists the speaker first
    # v0.12's metallb.yaml has no Namespace (it is namespace.yaml); every later manifest starts with it.
    with_namespace = not up.path.startswith("manifests/")
    return copy.deepcopy([namespace, *objects] if with_namespace else objects)  # the table stays intact


def _positioned(value: Any, file: str, location: Location) -> Any:
    """`value` as YMap/YSeq whose every position is `location` (a fresh copy each time)."""
    if isinstance(value, dict):
        mapping = YMap(file, None, location)
        for key, item in value.items():
            mapping[key] = _positioned(item, file, location)
        return mapping
    if isinstance(value, (list, tuple)):
        sequence = YSeq(file, None, location)
        sequence.extend(_positioned(item, file, location) for item in value)
        sequence.locations = [location] * len(sequence)
        return sequence
    return value


def resolve_remote(url: str, location: Location) -> list[Resource] | None:
    """Modelled objects for MetalLB's own upstream install at `url`, or None for any other remote.

    `location` is the kustomization line naming the URL: every value of the
    returned objects reports it as where it was written.
    """
    up = parse_upstream(url)
    if up is None:
        return None
    return [Resource(_positioned(obj, url, location), url) for obj in model(up)]


def is_modelled(resource: Resource) -> bool:
    """Whether `resource` was built here rather than read from a file."""
    return any(_looks_remote(file) and parse_upstream(file) is not None
               for file in (resource.file, resource.data.file))


def _looks_remote(file: str) -> bool:
    return "github" in file and ("://" in file or file.startswith(("github.com/", "git@")))
