"""The installation model: one per MetalLB installation, from manifests or Helm, with locations."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from linter.discover import discover
from linter.finding import Location
from linter.installation import InstallationModel, installations
from linter.model import build_cluster
from linter.render import build_targets
from linter.workspace import Workspace

MASTER = {"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"}
CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
STORAGE = {"key": "storage", "operator": "Exists", "effect": "NoSchedule"}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def models(root: Path, files: dict[str, str], target: str | None = None) -> list[InstallationModel]:
    write(root, files)
    workspace = Workspace(root)
    targets, _ = build_targets(workspace, discover(workspace, [workspace.root]))
    found = []
    for built in targets:
        if target is None or built.name == target:
            cluster = build_cluster(built)
            found.extend(installations(built.resources, cluster.helm_releases))
    return found


def line_of(root: Path, file: str, text: str) -> int:
    return next(n for n, line in enumerate((root / file).read_text().splitlines(), 1) if text in line)


def at(root: Path, file: str, text: str) -> tuple[str, int]:
    return file, line_of(root, file, text)


def where(location: Location | None) -> tuple[str, int]:
    assert location is not None
    return location.file, location.line


VENDORED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller
  namespace: metallb-system
spec:
  template:
    spec:
      nodeSelector:
        kubernetes.io/os: linux
      containers:
      - name: controller
        image: quay.io/metallb/controller:v0.14.8
        args: [--port=7472, --lb-class=metallb]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
  namespace: metallb-system
spec:
  template:
    spec:
      nodeSelector:
        kubernetes.io/os: linux
        pool: edge
      tolerations:
      - {key: node-role.kubernetes.io/master, operator: Exists, effect: NoSchedule}
      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
      containers:
      - name: speaker
        image: quay.io/metallb/speaker:v0.14.8
        args: [--port=7472, --ignore-exclude-lb, --lb-class=metallb]
        env:
        - {name: METALLB_BGP_TYPE, value: frr}
"""

OVERLAY = {
    "base/metallb.yaml": VENDORED,
    "base/kustomization.yaml": "resources: [metallb.yaml]\n",
    "overlay/kustomization.yaml": """\
        resources:
        - ../base
        patches:
        - path: speaker.yaml
        """,
    "overlay/speaker.yaml": """\
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: speaker
          namespace: metallb-system
        spec:
          template:
            spec:
              tolerations:
              - {key: storage, operator: Exists, effect: NoSchedule}
        """,
}


def test_vendored_manifests_with_a_patched_toleration(tmp_path: Path) -> None:
    [model] = models(tmp_path, OVERLAY, "overlay")
    assert (model.namespace, model.how, model.source.kind) == ("metallb-system", "controller Deployment",
                                                               "Deployment")
    assert model.location == model.namespace_location
    assert where(model.namespace_location) == at(tmp_path, "base/metallb.yaml", "namespace: metallb-system")
    assert (model.version, model.speaker_enabled, model.known) == ("0.14.8", True, True)
    assert where(model.version_location) == at(tmp_path, "base/metallb.yaml", "speaker:v0.14.8")
    # Tolerations have no merge key: the patch replaces them, and the patch line is where they were set.
    assert model.speaker.tolerations.value == [STORAGE]
    assert where(model.speaker.tolerations.location) == at(tmp_path, "overlay/speaker.yaml", "key: storage")
    assert [where(i) for i in model.speaker.tolerations.items] == [at(tmp_path, "overlay/speaker.yaml", "storage")]
    assert model.speaker.node_selector.value == {"kubernetes.io/os": "linux", "pool": "edge"}
    assert where(model.speaker.node_selector.location) == (at(tmp_path, "base/metallb.yaml", "pool: edge")[0], 25)
    assert model.controller.node_selector.value == {"kubernetes.io/os": "linux"}
    assert model.controller.tolerations.value == [] and model.controller.affinity.value == {}
    assert model.ignore_exclude_lb.value is True
    assert where(model.ignore_exclude_lb.location) == at(tmp_path, "base/metallb.yaml", "--ignore-exclude-lb")
    assert model.lb_class.value == "metallb"
    assert model.bgp_backend.value == "frr"
    assert where(model.bgp_backend.location) == at(tmp_path, "base/metallb.yaml", "METALLB_BGP_TYPE")
    assert model.memberlist.value is True
    assert {k: v.value for k, v in model.images.items()} == {
        "speaker": "quay.io/metallb/speaker:v0.14.8", "controller": "quay.io/metallb/controller:v0.14.8"}


def test_cluster_installations_are_the_models(tmp_path: Path) -> None:
    write(tmp_path, OVERLAY)
    workspace = Workspace(tmp_path)
    targets, _ = build_targets(workspace, discover(workspace, [workspace.root]))
    [target] = [t for t in targets if t.name == "overlay"]
    cluster = build_cluster(target)
    [model] = cluster.installations
    assert isinstance(model, InstallationModel)
    assert cluster.metallb_namespaces == {"metallb-system"}
    assert model.speaker.tolerations.value == [STORAGE]


def test_upstream_model(tmp_path: Path) -> None:
    [model] = models(tmp_path, {"kustomization.yaml": """\
        resources:
        - github.com/metallb/metallb/config/native?ref=v0.14.8
        """})
    line = at(tmp_path, "kustomization.yaml", "config/native")
    assert (model.namespace, model.version, model.speaker_enabled) == ("metallb-system", "0.14.8", True)
    assert where(model.version_location) == line
    assert model.speaker.tolerations.value == [MASTER, CONTROL_PLANE]
    assert where(model.speaker.tolerations.location) == line
    assert model.speaker.node_selector.value == {"kubernetes.io/os": "linux"}
    assert where(model.speaker.node_selector.location) == line
    assert model.controller.node_selector.value == {"kubernetes.io/os": "linux"}
    assert model.controller.tolerations.value == []
    assert model.bgp_backend.value == "native"
    assert model.ignore_exclude_lb.value is False
    assert model.images["speaker"].value == "quay.io/metallb/speaker:v0.14.8"


FLUX_REPO = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: metallb, namespace: metallb-system}
spec: {url: https://metallb.github.io/metallb}
"""


def flux(version: str, values: str = "") -> dict[str, str]:
    body = textwrap.indent(textwrap.dedent(values), "    ") if values else ""
    return {"repo.yaml": FLUX_REPO, "release.yaml": f"""\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: metallb, namespace: metallb-system}}
spec:
  chart:
    spec:
      chart: metallb
      version: "{version}"
      sourceRef: {{kind: HelmRepository, name: metallb}}
""" + (f"  values:\n{body}" if body else "")}


def test_flux_release_tolerate_master_false_and_user_tolerations(tmp_path: Path) -> None:
    [model] = models(tmp_path, flux("0.14.8", """\
        speaker:
          tolerateMaster: false
          nodeSelector:
            pool: edge
          tolerations:
          - {key: storage, operator: Exists, effect: NoSchedule}
          - {key: gpu, operator: Exists, effect: NoExecute}
        controller:
          tolerations:
          - {key: storage, operator: Exists, effect: NoSchedule}
        """))
    assert (model.how, model.namespace, model.version, model.known) == (
        "Flux HelmRelease", "metallb-system", "0.14.8", True)
    assert model.release is not None and model.source is model.release.resource
    assert where(model.version_location) == at(tmp_path, "release.yaml", 'version: "0.14.8"')
    assert model.speaker.tolerations.value == [STORAGE, {"key": "gpu", "operator": "Exists", "effect": "NoExecute"}]
    assert [where(i) for i in model.speaker.tolerations.items] == [
        at(tmp_path, "release.yaml", "key: storage"), at(tmp_path, "release.yaml", "key: gpu")]
    assert where(model.speaker.tolerations.location) == at(tmp_path, "release.yaml", "key: storage")
    assert model.speaker.node_selector.value == {"kubernetes.io/os": "linux", "pool": "edge"}
    assert where(model.speaker.node_selector.location) == at(tmp_path, "release.yaml", "pool: edge")
    assert model.controller.tolerations.value == [STORAGE]
    assert model.controller.node_selector.value == {"kubernetes.io/os": "linux"}
    assert model.images["speaker"].value == "quay.io/metallb/speaker:v0.14.8"
    assert model.memberlist.value is True


def test_flux_release_defaults_are_located_at_the_version(tmp_path: Path) -> None:
    [model] = models(tmp_path, flux("0.14.8"))
    version_line = at(tmp_path, "release.yaml", 'version: "0.14.8"')
    assert model.speaker.tolerations.value == [MASTER, CONTROL_PLANE]
    assert [where(i) for i in model.speaker.tolerations.items] == [version_line, version_line]
    assert model.speaker.node_selector.value == {"kubernetes.io/os": "linux"}
    assert where(model.speaker.node_selector.location) == version_line
    # FRR mode is the chart's default from 0.13.10 to 0.15.3 (facts §4.2).
    assert (model.ignore_exclude_lb.value, model.lb_class.value, model.bgp_backend.value) == (False, None, "frr")
    assert where(model.bgp_backend.location) == version_line


def test_chart_0_12_1_tolerate_master_renders_master_only(tmp_path: Path) -> None:
    [model] = models(tmp_path, flux("0.12.1"))
    assert model.version == "0.12.1"
    assert model.speaker.tolerations.value == [MASTER]
    assert model.bgp_backend.value == "native"


def test_ignore_exclude_lb_on_0_14_8(tmp_path: Path) -> None:
    [model] = models(tmp_path, flux("0.14.8", """\
        loadBalancerClass: metallb
        speaker:
          ignoreExcludeLB: true
        """))
    assert model.ignore_exclude_lb.value is True
    assert where(model.ignore_exclude_lb.location) == at(tmp_path, "release.yaml", "ignoreExcludeLB: true")
    assert model.lb_class.value == "metallb"


def test_null_removes_the_chart_default(tmp_path: Path) -> None:
    [model] = models(tmp_path, flux("0.14.8", """\
        speaker:
          tolerateMaster: null
        """))
    assert model.speaker.tolerations.value == []
    assert where(model.speaker.tolerations.location) == at(tmp_path, "release.yaml", "tolerateMaster: null")


def test_backend_defaults_0_15_3_vs_0_16_1(tmp_path: Path) -> None:
    [old] = models(tmp_path / "a", flux("0.15.3"))
    [new] = models(tmp_path / "b", flux("0.16.1"))
    [native] = models(tmp_path / "c", flux("0.16.1", """\
        frrk8s:
          enabled: false
        """))
    assert (old.bgp_backend.value, new.bgp_backend.value, native.bgp_backend.value) == ("frr", "frr-k8s", "native")
    assert where(old.bgp_backend.location) == at(tmp_path / "a", "release.yaml", 'version: "0.15.3"')
    [explicit] = models(tmp_path / "d", flux("0.15.3", """\
        speaker:
          frr:
            enabled: false
        frrk8s:
          enabled: true
        """))
    assert explicit.bgp_backend.value == "frr-k8s"
    assert where(explicit.bgp_backend.location) == at(tmp_path / "d", "release.yaml", "enabled: true")


def test_manifests_and_helm_give_the_same_model(tmp_path: Path) -> None:
    [manifests] = models(tmp_path / "m", {"metallb.yaml": VENDORED.replace(
        "      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}\n",
        "      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}\n"
        "      - {key: storage, operator: Exists, effect: NoSchedule}\n")})
    [helm] = models(tmp_path / "h", flux("0.14.8", """\
        loadBalancerClass: metallb
        speaker:
          ignoreExcludeLB: true
          nodeSelector: {pool: edge}
          tolerations:
          - {key: storage, operator: Exists, effect: NoSchedule}
          frr:
            enabled: true
        """))

    def plain(model: InstallationModel) -> dict[str, object]:
        return {"namespace": model.namespace, "version": model.version, "speaker_enabled": model.speaker_enabled,
                **{f"{name}.{field}": getattr(getattr(model, name), field).value
                   for name in ("speaker", "controller") for field in ("node_selector", "tolerations", "affinity")},
                **{name: getattr(model, name).value
                   for name in ("ignore_exclude_lb", "memberlist", "lb_class", "bgp_backend")},
                "images": {k: v.value for k, v in model.images.items()}}

    assert plain(manifests) == plain(helm)
    assert plain(helm)["speaker.tolerations"] == [MASTER, CONTROL_PLANE, STORAGE]
    assert plain(helm)["speaker.node_selector"] == {"kubernetes.io/os": "linux", "pool": "edge"}


def test_render_model_flag(tmp_path: Path) -> None:
    write(tmp_path, flux("0.14.8", "speaker:\n  tolerateMaster: false\n"))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    root = Path(__file__).resolve().parent.parent
    plain_output = subprocess.run([sys.executable, "-m", "linter", "render", "."], cwd=tmp_path,
                                  capture_output=True, text=True, env={"PYTHONPATH": str(root)})
    assert "installation model" not in plain_output.stdout
    result = subprocess.run([sys.executable, "-m", "linter", "render", ".", "--model"], cwd=tmp_path,
                            capture_output=True, text=True, env={"PYTHONPATH": str(root)})
    assert result.returncode == 0, result.stderr
    assert "# metallb-lint installation model" in result.stdout
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    [model] = [d for d in documents if d.get("kind") == "InstallationModel"]
    assert model["apiVersion"] == "metallb-lint.io/v1alpha1"
    assert model["metadata"]["namespace"] == "metallb-system"
    assert model["spec"]["version"] == "0.14.8"
    assert model["spec"]["speaker"]["tolerations"]["value"] == []
    assert model["spec"]["speaker"]["nodeSelector"]["value"] == {"kubernetes.io/os": "linux"}
    assert model["spec"]["speaker"]["tolerations"]["location"].startswith("release.yaml:")


def plain_model(model: InstallationModel) -> dict[str, object]:
    """Every field's value, locations left out."""
    placements = {"speaker": model.speaker, "controller": model.controller}
    if model.frr_k8s is not None:
        placements["frr_k8s"] = model.frr_k8s
    return {"namespace": model.namespace, "version": model.version, "speaker_enabled": model.speaker_enabled,
            "known": model.known,
            **{f"{name}.{field}": getattr(placement, field).value
               for name, placement in placements.items() for field in ("node_selector", "tolerations", "affinity")},
            **{name: getattr(model, name).value
               for name in ("ignore_exclude_lb", "memberlist", "lb_class", "bgp_backend", "webhook_mode")},
            "images": {k: v.value for k, v in model.images.items()}}


SETTINGS = """\
loadBalancerClass: metallb
controller:
  webhookMode: disabled
speaker:
  tolerateMaster: false
  nodeSelector: {pool: edge}
  tolerations:
  - {key: storage, operator: Exists, effect: NoSchedule}
frr-k8s:
  frrk8s:
    nodeSelector: {pool: edge}
"""


def test_kustomize_helm_charts_give_the_flux_model(tmp_path: Path) -> None:
    [flux_model] = models(tmp_path / "f", flux("0.16.1", SETTINGS))
    write(tmp_path / "k", {"kustomization.yaml": textwrap.dedent("""\
        namespace: metallb-system
        helmCharts:
        - name: metallb
          repo: https://metallb.github.io/metallb
          version: 0.16.1
          releaseName: metallb
          valuesInline:
        """) + textwrap.indent(SETTINGS, "    ")})
    workspace = Workspace(tmp_path / "k")
    [target] = build_targets(workspace, discover(workspace, [workspace.root]))[0]
    # A helmCharts release is an installation of the cluster like any other.
    [model] = build_cluster(target).installations
    assert plain_model(model) == plain_model(flux_model)
    assert (model.how, model.source, model.name) == ("kustomize helmCharts", None, "metallb")
    assert model.identity == ("kustomize helmCharts", "kustomization.yaml", "metallb")
    assert model.ref() is None and flux_model.ref() is not None
    assert where(model.namespace_location) == at(tmp_path / "k", "kustomization.yaml", "namespace: metallb-system")
    assert where(model.version_location) == at(tmp_path / "k", "kustomization.yaml", "version: 0.16.1")
    assert where(model.webhook_mode.location) == at(tmp_path / "k", "kustomization.yaml", "webhookMode: disabled")
    assert model.as_document()["metadata"]["name"] == "metallb"


def test_kustomize_helm_charts_installation_in_diff(tmp_path: Path) -> None:
    from linter.changes import changes
    from linter.model import Cluster

    write(tmp_path, {"kustomization.yaml": """\
        helmCharts:
        - name: metallb
          repo: https://metallb.github.io/metallb
          version: 0.14.8
          namespace: lb
        """})
    workspace = Workspace(tmp_path)
    [target] = build_targets(workspace, discover(workspace, [workspace.root]))[0]
    head = build_cluster(target)
    [added] = changes([Cluster(head.target, [])], [head])
    assert added.kind == "installation-added"
    assert added.message == "MetalLB installation added: kustomize helmCharts metallb in namespace lb"
    assert added.object is None and where(added.location) == at(tmp_path, "kustomization.yaml", "namespace: lb")


def test_webhook_mode_from_values_and_defaults(tmp_path: Path) -> None:
    [old] = models(tmp_path / "a", flux("0.14.8"))
    [new] = models(tmp_path / "b", flux("0.15.3"))
    [off] = models(tmp_path / "c", flux("0.15.3", "controller:\n  webhookMode: disabled\n"))
    [empty] = models(tmp_path / "d", flux("0.15.3", 'controller:\n  webhookMode: ""\n'))
    # Commented out until 0.15.x, `enabled` from 0.15.3: either way the flag is the binary's default.
    assert (old.webhook_mode.value, new.webhook_mode.value, empty.webhook_mode.value) == ("enabled",) * 3
    assert where(old.webhook_mode.location) == at(tmp_path / "a", "release.yaml", 'version: "0.14.8"')
    assert off.webhook_mode.value == "disabled"
    assert where(off.webhook_mode.location) == at(tmp_path / "c", "release.yaml", "webhookMode: disabled")
    assert off.as_document()["spec"]["webhookMode"]["value"] == "disabled"


def test_webhook_mode_from_the_controller_args(tmp_path: Path) -> None:
    [plain_one] = models(tmp_path / "a", {"metallb.yaml": VENDORED})
    [only] = models(tmp_path / "b", {"metallb.yaml": VENDORED.replace("--lb-class=metallb]",
                                                                      "--lb-class=metallb, --webhook-mode=onlywebhook]", 1)})
    assert plain_one.webhook_mode.value == "enabled"
    assert where(plain_one.webhook_mode.location) == at(tmp_path / "a", "metallb.yaml", "- name: controller")
    assert only.webhook_mode.value == "onlywebhook"
    assert where(only.webhook_mode.location) == at(tmp_path / "b", "metallb.yaml", "--webhook-mode=onlywebhook")


def test_frr_k8s_subchart_placement(tmp_path: Path) -> None:
    [bundled] = models(tmp_path / "a", flux("0.16.1", """\
        frr-k8s:
          frrk8s:
            tolerateMaster: false
            nodeSelector: {bgp: "true"}
            tolerations:
            - {key: storage, operator: Exists, effect: NoSchedule}
            affinity: {podAntiAffinity: {}}
        """))
    assert bundled.frr_k8s is not None
    assert bundled.frr_k8s.node_selector.value == {"kubernetes.io/os": "linux", "bgp": "true"}
    assert bundled.frr_k8s.tolerations.value == [STORAGE]
    assert [where(i) for i in bundled.frr_k8s.tolerations.items] == [at(tmp_path / "a", "release.yaml", "key: storage")]
    assert bundled.frr_k8s.affinity.value == {"podAntiAffinity": {}}
    # The speaker's own placement is not the subchart's.
    assert bundled.speaker.tolerations.value == [MASTER, CONTROL_PLANE]
    [default] = models(tmp_path / "b", flux("0.16.1"))
    assert default.frr_k8s is not None and default.frr_k8s.tolerations.value == [MASTER, CONTROL_PLANE]
    assert where(default.frr_k8s.tolerations.location) == at(tmp_path / "b", "release.yaml", 'version: "0.16.1"')
    assert default.as_document()["spec"]["frrK8s"]["nodeSelector"]["value"] == {"kubernetes.io/os": "linux"}
    [external] = models(tmp_path / "c", flux("0.16.1", "frrk8s:\n  enabled: false\n  external: true\n"))
    [frr] = models(tmp_path / "d", flux("0.15.3"))
    [native] = models(tmp_path / "e", flux("0.16.1", "frrk8s:\n  enabled: false\n"))
    assert external.bgp_backend.value == "frr-k8s" and external.frr_k8s is None
    assert frr.frr_k8s is None and native.frr_k8s is None
    assert frr.as_document()["spec"]["frrK8s"] is None


def test_frr_k8s_daemon_placement_from_manifests(tmp_path: Path) -> None:
    [model] = models(tmp_path, {"kustomization.yaml": """\
        resources:
        - github.com/metallb/metallb/config/frr-k8s?ref=v0.14.8
        """})
    assert model.bgp_backend.value == "frr-k8s"
    assert model.frr_k8s is not None
    assert model.frr_k8s.tolerations.value == [MASTER, CONTROL_PLANE]
    assert model.frr_k8s.node_selector.value == {}
    assert model.frr_k8s.affinity.value["nodeAffinity"]  # the arch/os required affinity does the selecting
    [native] = models(tmp_path / "n", {"kustomization.yaml": """\
        resources:
        - github.com/metallb/metallb/config/native?ref=v0.14.8
        """})
    assert native.frr_k8s is None


def test_kustomize_override_null_brings_the_chart_default_back(tmp_path: Path) -> None:
    [model] = models(tmp_path, {
        "kustomization.yaml": """\
            helmCharts:
            - name: metallb
              version: 0.14.8
              valuesFile: values.yaml
              valuesInline:
                speaker: {tolerateMaster: null}
            """,
        "values.yaml": "speaker: {tolerateMaster: false}\n"})
    # kustomize merges the inline values into the file first and drops the key, so
    # Helm applies the chart's default (a Flux null would have deleted it).
    assert model.speaker.tolerations.value == [MASTER, CONTROL_PLANE]


def test_helmfile_and_umbrella_installations(tmp_path: Path) -> None:
    [helmfile] = models(tmp_path / "h", {"helmfile.yaml": """\
        repositories: [{name: metallb, url: https://metallb.github.io/metallb}]
        releases:
        - name: lb
          namespace: metallb-system
          chart: metallb/metallb
          version: 0.14.8
          values:
          - speaker: {tolerateMaster: false}
        """})
    assert (helmfile.how, helmfile.name, helmfile.namespace, helmfile.version) == (
        "helmfile release", "lb", "metallb-system", "0.14.8")
    assert where(helmfile.namespace_location) == at(tmp_path / "h", "helmfile.yaml", "namespace: metallb-system")
    assert helmfile.identity == ("helmfile release", "helmfile.yaml", "lb")
    assert helmfile.speaker.tolerations.value == []
    [umbrella] = models(tmp_path / "u", {"Chart.yaml": """\
        apiVersion: v2
        name: platform
        version: 1.0.0
        dependencies:
        - {name: metallb, version: 0.16.1, repository: https://metallb.github.io/metallb}
        """, "values.yaml": "metallb:\n  controller:\n    webhookMode: disabled\n"})
    assert (umbrella.how, umbrella.name, umbrella.namespace) == ("Helm umbrella chart", "metallb", None)
    assert umbrella.webhook_mode.value == "disabled" and umbrella.frr_k8s is not None
    assert where(umbrella.namespace_location) == at(tmp_path / "u", "Chart.yaml", "name: metallb")
