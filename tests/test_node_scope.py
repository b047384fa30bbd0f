"""Which nodes each target sees (linter/node_scope.py), and the --nodes / --distribution options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from linter.config import ConfigError, load_config
from linter.engine import lint
from linter.node_scope import NodeOptions
from linter.node_sources import nodes_from_text
from linter.render import LOOSE_TARGET
from rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
NAMES = {key: rule.code for rule in REGISTRY for key in (rule.code, rule.name)}

RELEASE = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: metallb, namespace: flux-system}
spec: {url: https://metallb.github.io/metallb}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: metallb, namespace: metallb-system}
spec:
  chart:
    spec:
      chart: metallb
      version: 0.14.8
      sourceRef: {kind: HelmRepository, name: metallb, namespace: flux-system}
  values:
    speaker:
      tolerateMaster: false
"""
KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [release.yaml]\n"


def talconfig(hostname: str, address: str) -> str:
    return f"""\
clusterName: {hostname}-cluster
nodes:
  - hostname: {hostname}
    ipAddress: {address}
    controlPlane: true
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def nodes_by_target(root: Path, **kwargs: object) -> dict[str, list[str]]:
    config = load_config(root, None, NAMES)
    result = lint(root, [root], REGISTRY, config, **kwargs)  # type: ignore[arg-type]
    return {cluster.target: sorted(n.name for n in cluster.nodes) for cluster in result.clusters
            if cluster.target != LOOSE_TARGET}  # the node files themselves, no object in them


def two_clusters(root: Path, extra: dict[str, str]) -> Path:
    return write(root, {
        "clusters/home/metallb/kustomization.yaml": KUSTOMIZATION, "clusters/home/metallb/release.yaml": RELEASE,
        "clusters/lab/metallb/kustomization.yaml": KUSTOMIZATION, "clusters/lab/metallb/release.yaml": RELEASE,
        **extra})


def test_each_cluster_gets_the_nearest_talconfig(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {"clusters/home/talos/talconfig.yaml": talconfig("home-cp", "10.0.0.2"),
                                   "clusters/lab/talos/talconfig.yaml": talconfig("lab-cp", "10.1.0.2")})
    assert nodes_by_target(root) == {"clusters/home/metallb": ["home-cp"], "clusters/lab/metallb": ["lab-cp"]}


def test_node_files_of_several_clusters_none_nearer_are_not_guessed(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {"talos/home/talconfig.yaml": talconfig("home-cp", "10.0.0.2"),
                                   "talos/lab/talconfig.yaml": talconfig("lab-cp", "10.1.0.2")})
    assert nodes_by_target(root) == {"clusters/home/metallb": [], "clusters/lab/metallb": []}


def test_one_node_file_serves_every_target(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {"talos/talconfig.yaml": talconfig("cp", "10.0.0.2")})
    assert nodes_by_target(root) == {"clusters/home/metallb": ["cp"], "clusters/lab/metallb": ["cp"]}


def test_configured_node_files_win_over_discovered_ones(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {
        "talos/talconfig.yaml": talconfig("discovered", "10.0.0.2"),
        "inventory/lab.yaml": talconfig("configured", "10.1.0.2"),
        ".metallb-lint.yaml": "nodes: [inventory/lab.yaml]\n"})
    assert nodes_by_target(root) == {"clusters/home/metallb": ["configured"], "clusters/lab/metallb": ["configured"]}


def test_a_configured_node_file_that_does_not_exist_is_a_configuration_error(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {".metallb-lint.yaml": "nodes: [inventory/missing.yaml]\n"})
    with pytest.raises(ConfigError, match="inventory/missing.yaml"):
        nodes_by_target(root)


def test_nodes_option_wins_over_everything(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {"talos/talconfig.yaml": talconfig("discovered", "10.0.0.2")})
    given = nodes_from_text('{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Node", '
                            '"metadata": {"name": "live"}}]}', "<stdin>")
    assert nodes_by_target(root, nodes=NodeOptions(tuple(given))) == {
        "clusters/home/metallb": ["live"], "clusters/lab/metallb": ["live"]}


def test_distribution_assumes_its_control_plane_only_when_nothing_declares_nodes(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {".metallb-lint.yaml": "# the cluster\ndistribution: kubeadm\n"})
    config = load_config(root, None, NAMES)
    result = lint(root, [root], REGISTRY, config)
    nodes = result.clusters[0].nodes
    assert len(nodes) == 1 and nodes[0].assumed and nodes[0].control_plane
    assert (nodes[0].location.file, nodes[0].location.line) == (".metallb-lint.yaml", 2)
    findings = [f for f in result.findings if f.rule == "speaker-missing-toleration"]
    assert findings and all(f.severity.name == "WARNING" and "assumed" in f.message for f in findings)
    write(root, {"talos/talconfig.yaml": talconfig("declared", "10.0.0.2")})
    assert nodes_by_target(root) == {"clusters/home/metallb": ["declared"], "clusters/lab/metallb": ["declared"]}


def test_changing_only_the_talconfig_lints_the_targets_it_serves(tmp_path: Path) -> None:
    root = two_clusters(tmp_path, {"clusters/home/talos/talconfig.yaml": talconfig("home-cp", "10.0.0.2"),
                                   "clusters/lab/talos/talconfig.yaml": talconfig("lab-cp", "10.1.0.2")})
    result = lint(root, [root / "clusters/lab/talos/talconfig.yaml"], REGISTRY)
    assert [c.target for c in result.clusters] == ["clusters/lab/metallb"]
    assert {f.rule for f in result.findings} >= {"speaker-missing-toleration"}


def _cli(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, input=stdin, text=True,
                          capture_output=True, timeout=120, check=False,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})


KUBECTL_NODES = {"apiVersion": "v1", "kind": "List", "items": [{
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "solo", "labels": {"kubernetes.io/hostname": "solo", "kubernetes.io/os": "linux",
                                            "node-role.kubernetes.io/control-plane": ""}},
    "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
    "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.2"}]}}]}


def test_cli_reads_kubectl_json_from_stdin(tmp_path: Path) -> None:
    root = write(tmp_path, {"release.yaml": RELEASE})
    completed = _cli("lint", "--nodes", "-", "--format", "json", cwd=root, stdin=json.dumps(KUBECTL_NODES))
    assert completed.returncode == 1, completed.stderr
    found = json.loads(completed.stdout)["findings"]
    toleration = [f for f in found if f["rule"] == "speaker-missing-toleration"]
    assert toleration and toleration[0]["severity"] == "error" and "solo" in toleration[0]["message"]
    assert (toleration[0]["file"], toleration[0]["line"]) == ("release.yaml", 17)
    quiet = _cli("lint", "--format", "json", cwd=root)  # without the nodes nothing is known
    assert not [f for f in json.loads(quiet.stdout)["findings"] if f["rule"] == "speaker-missing-toleration"]


@pytest.mark.parametrize("text", ["", "not: [valid", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"])
def test_cli_refuses_a_nodes_file_without_nodes_in_one_line(tmp_path: Path, text: str) -> None:
    root = write(tmp_path, {"release.yaml": RELEASE, "nodes.txt": text})
    completed = _cli("lint", "--nodes", "nodes.txt", cwd=root)
    assert completed.returncode == 2
    assert len(completed.stderr.strip().splitlines()) == 1 and "nodes.txt" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_cli_distribution_option(tmp_path: Path) -> None:
    root = write(tmp_path, {"release.yaml": RELEASE})
    completed = _cli("lint", "--distribution", "kubeadm", cwd=root)
    assert completed.returncode == 0, completed.stdout  # assumed nodes never give errors
    assert "speaker-missing-toleration" in completed.stdout and "assumed" in completed.stdout
    assert "speaker-missing-toleration" not in _cli("lint", "--distribution", "k3s", cwd=root).stdout


def test_render_model_shows_each_node_and_why_its_speaker_is_silent(tmp_path: Path) -> None:
    root = write(tmp_path, {"release.yaml": RELEASE.replace("tolerateMaster: false", "tolerateMaster: true"),
                            "talos/talconfig.yaml": talconfig("cp", "10.0.0.2")})
    completed = _cli("render", ".", "--model", cwd=root)
    assert completed.returncode == 0, completed.stderr
    documents = [d for d in yaml.safe_load_all(completed.stdout.split("# metallb-lint installation model\n")[1])]
    [node] = [d for d in documents if d["kind"] == "NodeModel"]
    assert node["metadata"] == {"name": "cp", "source": "talconfig.yaml", "location": "talos/talconfig.yaml:3:15"}
    assert node["spec"]["speakers"] == [{"installation": "Flux HelmRelease metallb", "runs": True,
                                         "announces": False,
                                         "reason": "labelled node.kubernetes.io/exclude-from-external-load-balancers"}]
    given = _cli("render", ".", "--model", "--nodes", "-", cwd=root, stdin=json.dumps(KUBECTL_NODES))
    assert "name: solo" in given.stdout and "name: cp\n" not in given.stdout
