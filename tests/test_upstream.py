"""MetalLB's upstream install, modelled for remote kustomize entries (linter.upstream).

Nothing here fetches: the expected values are literals copied from
metallb/metallb at the tags named in each comment (read with
`git show <tag>:<file>` on a mirror of the repository).
"""

from __future__ import annotations

from typing import Any

import pytest

from linter.finding import Location
from linter.resource import Resource
from linter.upstream import is_modelled, parse_upstream, resolve_remote
from linter.yamlpos import YMap, YSeq, plain

HERE = Location("clusters/prod/metallb/kustomization.yaml", 4, 3, 4, 60)
GH = "github.com/metallb/metallb"
RAW = "https://raw.githubusercontent.com/metallb/metallb"

MASTER = {"effect": "NoSchedule", "key": "node-role.kubernetes.io/master", "operator": "Exists"}
CONTROL_PLANE = {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}
PSA = {"pod-security.kubernetes.io/audit": "privileged", "pod-security.kubernetes.io/enforce": "privileged",
       "pod-security.kubernetes.io/warn": "privileged"}


def _field(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


# --- recognition ---------------------------------------------------------------

RECOGNISED = [
    # url, flavour, version, image tag, pinned
    (f"{GH}/config/native?ref=v0.14.8", "native", (0, 14, 8), "v0.14.8", True),
    (f"{GH}//config/native?ref=v0.14.8", "native", (0, 14, 8), "v0.14.8", True),
    (f"https://{GH}/config/frr?ref=v0.13.12", "frr", (0, 13, 12), "v0.13.12", True),
    (f"https://{GH}//config/frr-k8s?ref=v0.16.1", "frr-k8s", (0, 16, 1), "v0.16.1", True),
    ("git@github.com:metallb/metallb.git//config/native?ref=v0.15.3", "native", (0, 15, 3), "v0.15.3", True),
    (f"ssh://git@{GH}.git//config/native?ref=v0.14.9", "native", (0, 14, 9), "v0.14.9", True),
    (f"git::https://{GH}.git//config/native/?ref=v0.14.9", "native", (0, 14, 9), "v0.14.9", True),
    (f"https://{GH}.git/config/native?ref=v0.13.5", "native", (0, 13, 5), "v0.13.5", True),
    (f"https://{GH}/config/native?timeout=120&ref=v0.14.8", "native", (0, 14, 8), "v0.14.8", True),
    (f"https://{GH}/config/native?version=v0.14.8", "native", (0, 14, 8), "v0.14.8", True),
    (f"https://{GH}/config/native?version=v0.13.1&ref=v0.14.8", "native", (0, 14, 8), "v0.14.8", True),  # ref wins
    (f"{GH}/config/frr-k8s-external?ref=v0.14.6", "frr-k8s-external", (0, 14, 6), "v0.14.6", True),
    ("https://GitHub.com/MetalLB/metallb/config/native?ref=v0.14.8", "native", (0, 14, 8), "v0.14.8", True),
    # main, no ref (default branch), another branch, a commit: main HEAD, `:main` images.
    (f"{GH}/config/native?ref=main", "native", (0, 16, 1), "main", False),
    (f"{GH}/config/native", "native", (0, 16, 1), "main", False),
    (f"{GH}/config/frr-k8s?ref=my-fork-branch", "frr-k8s", (0, 16, 1), "main", False),
    (f"{GH}/config/native?ref=7938d3f89b8bd808dae2e42d97d6ae7e18e9ed54", "native", (0, 16, 1), "main", False),
    # A release branch pins its latest release's images (config/controllers/speaker.yaml@v0.14).
    (f"{GH}/config/native?ref=v0.14", "native", (0, 14, 9), "v0.14.9", False),
    # A chart tag: the release's config with `:main` images (git diff v0.14.8 metallb-chart-0.14.8).
    (f"{GH}/config/native?ref=metallb-chart-0.14.8", "native", (0, 14, 8), "main", False),
    # Untagged versions inside the known range take the nearest earlier behaviour.
    (f"{GH}/config/native?ref=v0.14.10", "native", (0, 14, 10), "v0.14.10", True),
    (f"{RAW}/v0.14.8/config/manifests/metallb-native.yaml", "native", (0, 14, 8), "v0.14.8", True),
    (f"{RAW}/v0.13.12/config/manifests/metallb-frr.yaml", "frr", (0, 13, 12), "v0.13.12", True),
    (f"{RAW}/v0.16.1/config/manifests/metallb-frr-k8s.yaml", "frr-k8s", (0, 16, 1), "v0.16.1", True),
    (f"{RAW}/refs/tags/v0.14.8/config/manifests/metallb-native.yaml", "native", (0, 14, 8), "v0.14.8", True),
    (f"{RAW}/main/config/manifests/metallb-native.yaml", "native", (0, 16, 1), "main", False),
    (f"https://{GH}/raw/v0.14.8/config/manifests/metallb-native.yaml", "native", (0, 14, 8), "v0.14.8", True),
    (f"{RAW}/v0.12.1/manifests/metallb.yaml", "native", (0, 12, 1), "v0.12.1", True),
    (f"{RAW}/v0.12.1/manifests/namespace.yaml", "namespace", (0, 12, 1), "v0.12.1", True),
    # manifests/metallb-frr.yaml@v0.12.1 itself uses `:main` images.
    (f"{RAW}/v0.12.1/manifests/metallb-frr.yaml", "frr", (0, 12, 1), "main", False),
    (f"{GH}/manifests?ref=v0.12.1", "native", (0, 12, 1), "v0.12.1", True),
]

NOT_RECOGNISED = [
    f"{GH}/config/crd?ref=v0.14.8",
    f"{GH}/config/prometheus-native?ref=v0.14.8",
    f"{GH}/config/manifests/metallb-native.yaml?ref=v0.14.8",  # a git URL must name a directory
    f"{GH}?ref=v0.14.8",
    "github.com/metallb/frr-k8s/config/default?ref=v0.0.25",
    "github.com/someone/metallb/config/native?ref=v0.14.8",
    "github.com/metallb/metallb-operator/config/default?ref=v0.14.0",
    f"{RAW}/v0.14.8/config/manifests/metallb-native-prometheus.yaml",
    f"{GH}/config/native?ref=v0.12.1",  # config/native came with v0.13.0
    f"{GH}/config/frr-k8s?ref=v0.13.12",  # ... config/frr-k8s with v0.14.0
    f"{GH}/config/frr-k8s-external?ref=v0.14.5",  # ... frr-k8s-external with v0.14.6
    f"{RAW}/v0.14.8/manifests/metallb.yaml",  # manifests/ is gone from v0.13.0
    f"{RAW}/main/manifests/metallb.yaml",
    f"{RAW}/v0.11.0/manifests/metallb.yaml",  # before the known releases
    f"{GH}/config/native?ref=v0.17.0",  # after them
    f"{GH}/config/native?ref=0.14.8",  # not a tag upstream has
    "https://example.com/metallb-native.yaml",
    "../base",
]


@pytest.mark.parametrize(("url", "flavour", "version", "image_tag", "pinned"), RECOGNISED)
def test_recognised(url: str, flavour: str, version: tuple[int, int, int], image_tag: str, pinned: bool) -> None:
    up = parse_upstream(url)
    assert up is not None
    assert (up.flavour, up.version, up.image_tag, up.pinned) == (flavour, version, image_tag, pinned)
    assert up.url == url


def test_ref_text_is_kept() -> None:
    assert parse_upstream(f"{GH}/config/native?ref=main").ref == "main"  # type: ignore[union-attr]
    assert parse_upstream(f"{GH}/config/native").ref == ""  # type: ignore[union-attr]
    assert parse_upstream(f"{GH}/config/native?ref=v0.14").ref == "v0.14"  # type: ignore[union-attr]


@pytest.mark.parametrize("url", NOT_RECOGNISED)
def test_not_recognised(url: str) -> None:
    assert parse_upstream(url) is None
    assert resolve_remote(url, HERE) is None


# --- the model -----------------------------------------------------------------

def _objects(url: str) -> dict[str, Resource]:
    resources = resolve_remote(url, HERE)
    assert resources is not None
    return {f"{r.kind}/{r.name}": r for r in resources}


def _pod(resource: Resource) -> dict[str, Any]:
    return plain(resource.spec["template"]["spec"])  # type: ignore[return-value]


def _container(resource: Resource, name: str) -> dict[str, Any]:
    return next(c for c in _pod(resource)["containers"] if c["name"] == name)


@pytest.mark.parametrize(("url", "tolerations", "speaker_args", "controller_args"), [
    (f"{GH}/manifests?ref=v0.12.1", [MASTER],
     ["--port=7472", "--config=config", "--log-level=info"], ["--port=7472", "--config=config", "--log-level=info"]),
    (f"{GH}/config/native?ref=v0.13.12", [MASTER, CONTROL_PLANE],
     ["--port=7472", "--log-level=info"], ["--port=7472", "--log-level=info"]),
    (f"{GH}/config/native?ref=v0.14.8", [MASTER, CONTROL_PLANE],
     ["--port=7472", "--log-level=info"], ["--port=7472", "--log-level=info", "--tls-min-version=VersionTLS12"]),
    (f"{GH}/config/native?ref=v0.16.1", [MASTER, CONTROL_PLANE],  # v0.16.0 moved metrics to 9120
     ["--port=9120", "--log-level=info"], ["--port=9120", "--log-level=info"]),
])
def test_model_per_version(url: str, tolerations: list[dict[str, str]], speaker_args: list[str],
                           controller_args: list[str]) -> None:
    objects = _objects(url)
    assert set(objects) == {"Namespace/metallb-system", "DaemonSet/speaker", "Deployment/controller"}
    tag = url.rsplit("=", 1)[1]
    speaker, controller = objects["DaemonSet/speaker"], objects["Deployment/controller"]
    for resource, component in ((speaker, "speaker"), (controller, "controller")):
        assert resource.api_version == "apps/v1"
        assert resource.namespace == "metallb-system"
        assert resource.labels == {"app": "metallb", "component": component}
        assert plain(resource.spec["selector"]) == {"matchLabels": {"app": "metallb", "component": component}}
        assert _pod(resource)["nodeSelector"] == {"kubernetes.io/os": "linux"}
        assert _container(resource, component)["image"] == f"quay.io/metallb/{component}:{tag}"
    assert _pod(speaker)["tolerations"] == tolerations
    assert _pod(speaker)["hostNetwork"] is True
    assert "tolerations" not in _pod(controller) and "hostNetwork" not in _pod(controller)
    assert _container(speaker, "speaker")["args"] == speaker_args
    assert _container(controller, "controller")["args"] == controller_args
    # manifests/namespace.yaml@v0.12.1 vs config/native/ns.yaml (PSA labels) from v0.13.0
    namespace_labels = {"app": "metallb"} if tag == "v0.12.1" else PSA
    assert objects["Namespace/metallb-system"].labels == namespace_labels


def test_unpinned_refs_use_main_images() -> None:
    for url in (f"{GH}/config/native?ref=main", f"{GH}/config/native?ref=0123456789abcdef0123456789abcdef01234567"):
        objects = _objects(url)
        assert _container(objects["DaemonSet/speaker"], "speaker")["image"] == "quay.io/metallb/speaker:main"
        assert _container(objects["Deployment/controller"], "controller")["image"] == \
            "quay.io/metallb/controller:main"


def test_interpolated_version_takes_the_nearest_earlier_behaviour() -> None:
    # v0.14.10 does not exist: v0.14.9's behaviour (speaker has METALLB_POD_NAME since v0.14.6), its own tag.
    speaker = _objects(f"{GH}/config/native?ref=v0.14.10")["DaemonSet/speaker"]
    container = _container(speaker, "speaker")
    assert container["image"] == "quay.io/metallb/speaker:v0.14.10"
    assert [e["name"] for e in container["env"]][:2] == ["METALLB_NODE_NAME", "METALLB_POD_NAME"]


def test_bgp_type_env_only_for_frr_flavours() -> None:
    def bgp_type(url: str, component: str, kind: str) -> list[str]:
        env = _container(_objects(url)[f"{kind}/{component}"], component)["env"]
        return [e["value"] for e in env if e["name"] == "METALLB_BGP_TYPE"]

    for component, kind in (("speaker", "DaemonSet"), ("controller", "Deployment")):
        assert bgp_type(f"{GH}/config/native?ref=v0.14.8", component, kind) == []
        assert bgp_type(f"{GH}/config/frr?ref=v0.14.8", component, kind) == ["frr"]
        assert bgp_type(f"{GH}/config/frr-k8s?ref=v0.14.8", component, kind) == ["frr-k8s"]
        assert bgp_type(f"{GH}/config/frr-k8s-external?ref=v0.14.8", component, kind) == ["frr-k8s"]
    # config/frr-k8s-external/speaker-patch.yaml@v0.16.1
    env = _container(_objects(f"{GH}/config/frr-k8s-external?ref=v0.16.1")["DaemonSet/speaker"], "speaker")["env"]
    assert {"name": "FRRK8S_NAMESPACE", "value": "frr-k8s-system"} in env


def test_raw_file_contents() -> None:
    # manifests/metallb.yaml@v0.12.1: speaker then controller, no Namespace; namespace.yaml: only the Namespace.
    workloads = resolve_remote(f"{RAW}/v0.12.1/manifests/metallb.yaml", HERE)
    assert workloads is not None and [r.kind for r in workloads] == ["DaemonSet", "Deployment"]
    namespace = resolve_remote(f"{RAW}/v0.12.1/manifests/namespace.yaml", HERE)
    assert namespace is not None and [(r.kind, r.name) for r in namespace] == [("Namespace", "metallb-system")]
    # metallb-frr-k8s.yaml@v0.16.1: Namespace, controller, frr-k8s-daemon, speaker (statuscleaner not modelled).
    frr_k8s = resolve_remote(f"{RAW}/v0.16.1/config/manifests/metallb-frr-k8s.yaml", HERE)
    assert frr_k8s is not None
    assert [r.name for r in frr_k8s] == ["metallb-system", "controller", "frr-k8s-daemon", "speaker"]


# --- equality with the real manifests (literals copied from the tags) ---------------

# metallb/metallb:config/manifests/metallb-native.yaml@v0.14.8, DaemonSet speaker, spec.template.spec
# (the fields modelled; probes, volumes, securityContext, serviceAccountName left out).
SPEAKER_V0_14_8 = {
    "containers": [{
        "args": ["--port=7472", "--log-level=info"],
        "env": [_field("METALLB_NODE_NAME", "spec.nodeName"), _field("METALLB_POD_NAME", "metadata.name"),
                _field("METALLB_HOST", "status.hostIP"), _field("METALLB_ML_BIND_ADDR", "status.podIP"),
                {"name": "METALLB_ML_LABELS", "value": "app=metallb,component=speaker"},
                {"name": "METALLB_ML_SECRET_KEY_PATH", "value": "/etc/ml_secret_key"}],
        "image": "quay.io/metallb/speaker:v0.14.8",
        "name": "speaker",
        "ports": [{"containerPort": 7472, "name": "monitoring"}, {"containerPort": 7946, "name": "memberlist-tcp"},
                  {"containerPort": 7946, "name": "memberlist-udp", "protocol": "UDP"}],
    }],
    "hostNetwork": True,
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [MASTER, CONTROL_PLANE],
}
# same file, Deployment controller
CONTROLLER_V0_14_8 = {
    "containers": [{
        "args": ["--port=7472", "--log-level=info", "--tls-min-version=VersionTLS12"],
        "env": [{"name": "METALLB_ML_SECRET_NAME", "value": "memberlist"},
                {"name": "METALLB_DEPLOYMENT", "value": "controller"}],
        "image": "quay.io/metallb/controller:v0.14.8",
        "name": "controller",
        "ports": [{"containerPort": 7472, "name": "monitoring"},
                  {"containerPort": 9443, "name": "webhook-server", "protocol": "TCP"}],
    }],
    "nodeSelector": {"kubernetes.io/os": "linux"},
}
# metallb/metallb:manifests/metallb.yaml@v0.12.1, DaemonSet speaker
SPEAKER_V0_12_1 = {
    "containers": [{
        "args": ["--port=7472", "--config=config", "--log-level=info"],
        "env": [_field("METALLB_NODE_NAME", "spec.nodeName"), _field("METALLB_HOST", "status.hostIP"),
                _field("METALLB_ML_BIND_ADDR", "status.podIP"),
                {"name": "METALLB_ML_LABELS", "value": "app=metallb,component=speaker"},
                {"name": "METALLB_ML_SECRET_KEY",
                 "valueFrom": {"secretKeyRef": {"key": "secretkey", "name": "memberlist"}}}],
        "image": "quay.io/metallb/speaker:v0.12.1",
        "name": "speaker",
        "ports": [{"containerPort": 7472, "name": "monitoring"}, {"containerPort": 7946, "name": "memberlist-tcp"},
                  {"containerPort": 7946, "name": "memberlist-udp", "protocol": "UDP"}],
    }],
    "hostNetwork": True,
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [MASTER],
}
# metallb/metallb:config/manifests/metallb-frr.yaml@v0.13.12, DaemonSet speaker (FRR sidecars: name + image)
SPEAKER_FRR_V0_13_12_CONTAINERS = [
    {"image": "quay.io/frrouting/frr:8.5.2", "name": "frr"},
    {"image": "quay.io/frrouting/frr:8.5.2", "name": "reloader"},
    {"image": "quay.io/frrouting/frr:8.5.2", "name": "frr-metrics"},
    {"args": ["--port=7472", "--log-level=info"],
     "env": [{"name": "FRR_CONFIG_FILE", "value": "/etc/frr_reloader/frr.conf"},
             {"name": "FRR_RELOADER_PID_FILE", "value": "/etc/frr_reloader/reloader.pid"},
             {"name": "METALLB_BGP_TYPE", "value": "frr"},
             _field("METALLB_NODE_NAME", "spec.nodeName"), _field("METALLB_HOST", "status.hostIP"),
             _field("METALLB_ML_BIND_ADDR", "status.podIP"),
             {"name": "METALLB_ML_LABELS", "value": "app=metallb,component=speaker"},
             {"name": "METALLB_ML_SECRET_KEY_PATH", "value": "/etc/ml_secret_key"}],
     "image": "quay.io/metallb/speaker:v0.13.12",
     "name": "speaker",
     "ports": [{"containerPort": 7472, "name": "monitoring"}, {"containerPort": 7946, "name": "memberlist-tcp"},
               {"containerPort": 7946, "name": "memberlist-udp", "protocol": "UDP"}]},
]
# metallb/metallb:config/manifests/metallb-frr-k8s.yaml@v0.16.1
SPEAKER_FRR_K8S_V0_16_1_ENV = [
    {"name": "METALLB_BGP_TYPE", "value": "frr-k8s"}, _field("METALLB_NODE_NAME", "spec.nodeName"),
    _field("METALLB_POD_NAME", "metadata.name"), _field("METALLB_HOST", "status.hostIP"),
    _field("METALLB_ML_BIND_ADDR", "status.podIP"),
    {"name": "METALLB_ML_LABELS", "value": "app=metallb,component=speaker"},
    {"name": "METALLB_ML_SECRET_KEY_PATH", "value": "/etc/ml_secret_key"},
]
SPEAKER_FRR_K8S_V0_16_1_PORTS = [
    {"containerPort": 9120, "name": "metricshttps"}, {"containerPort": 7946, "name": "memberlist-tcp"},
    {"containerPort": 7946, "name": "memberlist-udp", "protocol": "UDP"},
]
FRR_K8S_DAEMON_V0_16_1 = {
    "metadata": {
        "labels": {"app.kubernetes.io/component": "frr-k8s", "app.kubernetes.io/created-by": "frr-k8s",
                   "app.kubernetes.io/instance": "frr-k8s", "app.kubernetes.io/managed-by": "kustomize",
                   "app.kubernetes.io/name": "frr-k8s", "app.kubernetes.io/part-of": "frr-k8s",
                   "control-plane": "frr-k8s"},
        "name": "frr-k8s-daemon", "namespace": "metallb-system"},
    "selector": {"matchLabels": {"control-plane": "frr-k8s"}},
    "template_labels": {"app": "frr-k8s", "app.kubernetes.io/component": "frr-k8s", "control-plane": "frr-k8s"},
    "pod": {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [
                {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64", "ppc64le", "s390x"]},
                {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}},
        "containers": [{"image": "quay.io/metallb/frr-k8s:v0.0.25", "name": "controller"},
                       {"image": "quay.io/frrouting/frr:10.4.3", "name": "frr"},
                       {"image": "quay.io/frrouting/frr:10.4.3", "name": "frr-metrics"},
                       {"image": "quay.io/frrouting/frr:10.4.3", "name": "frr-status"},
                       {"image": "quay.io/frrouting/frr:10.4.3", "name": "reloader"}],
        "hostNetwork": True,
        "tolerations": [MASTER, CONTROL_PLANE],
    },
}


def test_equal_to_upstream_v0_14_8_native() -> None:
    for url in (f"{GH}/config/native?ref=v0.14.8", f"{RAW}/v0.14.8/config/manifests/metallb-native.yaml"):
        objects = _objects(url)
        assert _pod(objects["DaemonSet/speaker"]) == SPEAKER_V0_14_8
        assert _pod(objects["Deployment/controller"]) == CONTROLLER_V0_14_8
        assert plain(objects["DaemonSet/speaker"].spec["template"]["metadata"]) == \
            {"labels": {"app": "metallb", "component": "speaker"}}


def test_equal_to_upstream_v0_12_1() -> None:
    assert _pod(_objects(f"{RAW}/v0.12.1/manifests/metallb.yaml")["DaemonSet/speaker"]) == SPEAKER_V0_12_1


def test_equal_to_upstream_v0_13_12_frr() -> None:
    speaker = _objects(f"https://{GH}/config/frr?ref=v0.13.12")["DaemonSet/speaker"]
    assert _pod(speaker)["containers"] == SPEAKER_FRR_V0_13_12_CONTAINERS


def test_equal_to_upstream_v0_16_1_frr_k8s() -> None:
    objects = _objects(f"https://{GH}//config/frr-k8s?ref=v0.16.1")
    speaker = _container(objects["DaemonSet/speaker"], "speaker")
    assert speaker["env"] == SPEAKER_FRR_K8S_V0_16_1_ENV
    assert speaker["ports"] == SPEAKER_FRR_K8S_V0_16_1_PORTS
    assert speaker["args"] == ["--port=9120", "--log-level=info"]
    daemon = objects["DaemonSet/frr-k8s-daemon"]
    assert plain(daemon.metadata) == FRR_K8S_DAEMON_V0_16_1["metadata"]
    assert plain(daemon.spec["selector"]) == FRR_K8S_DAEMON_V0_16_1["selector"]
    assert plain(daemon.spec["template"]["metadata"]["labels"]) == FRR_K8S_DAEMON_V0_16_1["template_labels"]
    assert _pod(daemon) == FRR_K8S_DAEMON_V0_16_1["pod"]


# --- positions and behaviour as loaded YAML ------------------------------------------

def _walk(value: object) -> list[YMap | YSeq]:
    found: list[YMap | YSeq] = []
    if isinstance(value, YMap):
        found.append(value)
        for item in value.values():
            found.extend(_walk(item))
    elif isinstance(value, YSeq):
        found.append(value)
        for item in value:
            found.extend(_walk(item))
    else:
        assert not isinstance(value, (dict, list)), f"plain container {value!r}"
    return found


@pytest.mark.parametrize("url", [
    f"{GH}/config/frr-k8s?ref=v0.16.1", f"{GH}/config/frr?ref=v0.13.12", f"{RAW}/v0.12.1/manifests/metallb.yaml",
])
def test_every_position_is_the_kustomization_line(url: str) -> None:
    resources = resolve_remote(url, HERE)
    assert resources
    for resource in resources:
        assert resource.file == url
        assert resource.location() == HERE
        assert resource.namespace_location() == HERE
        for container in _walk(resource.data):
            assert container.file == url
            assert container.location() == HERE
            if isinstance(container, YMap):
                assert container.node is None and container.origin == HERE
                for key in container:
                    assert container.key_location(key) == HERE
                    assert container.value_location(key) == HERE
            else:
                assert container.locations == [HERE] * len(container)
                assert all(container.item_location(i) == HERE for i in range(len(container)))


def test_objects_are_fresh_and_mutable() -> None:
    url = f"{GH}/config/native?ref=v0.14.8"
    first, second = resolve_remote(url, HERE), resolve_remote(url, HERE)
    assert first is not None and second is not None
    pod = first[2].spec["template"]["spec"]
    assert isinstance(pod, dict) and isinstance(pod["tolerations"], list)
    pod["tolerations"].append({"operator": "Exists"})  # as a patch would
    pod["nodeSelector"]["node-role.kubernetes.io/worker"] = "true"
    assert len(second[2].spec["template"]["spec"]["tolerations"]) == 2
    assert len(resolve_remote(url, HERE)[2].spec["template"]["spec"]["nodeSelector"]) == 1  # type: ignore[index]


def test_is_modelled() -> None:
    resources = resolve_remote(f"{GH}/config/native?ref=v0.14.8", HERE)
    assert resources and all(is_modelled(r) for r in resources)
    # The renderer may rebuild a Resource around a copied mapping: still a model.
    copy = resources[0].data.shallow_copy()
    assert is_modelled(Resource(copy, resources[0].file))
    assert not is_modelled(Resource(YMap("base/speaker.yaml"), "base/speaker.yaml"))
    assert not is_modelled(Resource(YMap("https://example.com/x.yaml"), "https://example.com/x.yaml"))
