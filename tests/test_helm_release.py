"""Helm releases: recognition of each source form, values layering and provenance."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

from linter.discover import discover
from linter.finding import Location
from linter.helm_release import HelmRelease
from linter.helm_values import merge_layers
from linter.loader import load_text
from linter.model import build_cluster
from linter.render import build_targets
from linter.workspace import Workspace
from linter.yamlpos import YMap, plain


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def releases(root: Path, files: dict[str, str]) -> list[HelmRelease]:
    write(root, files)
    workspace = Workspace(root)
    targets, _ = build_targets(workspace, discover(workspace, [workspace.root]))
    return [r for target in targets for r in build_cluster(target).helm_releases]


def line_of(root: Path, file: str, text: str) -> int:
    return next(n for n, line in enumerate((root / file).read_text().splitlines(), 1) if text in line)


def column_of(root: Path, file: str, text: str) -> int:
    return (root / file).read_text().splitlines()[line_of(root, file, text) - 1].index(text) + 1


FLUX_REPO = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: metallb, namespace: metallb-system}
spec: {url: https://metallb.github.io/metallb}
"""


def test_flux_values_from_configmap_target_path_and_optional_missing(tmp_path: Path) -> None:
    found = releases(tmp_path, {
        "repo.yaml": FLUX_REPO,
        "values.yaml": """\
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: metallb-values, namespace: metallb-system}
            data:
              values.yaml: |
                speaker:
                  logLevel: debug
                  tolerateMaster: false
              frr: "true"
            """,
        "release.yaml": """\
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: metallb, namespace: metallb-system}
            spec:
              targetNamespace: lb
              chart:
                spec:
                  chart: metallb
                  version: 0.14.8
                  sourceRef: {kind: HelmRepository, name: metallb}
              valuesFrom:
                - {kind: ConfigMap, name: metallb-values}
                - {kind: ConfigMap, name: metallb-values, valuesKey: frr, targetPath: speaker.frr.enabled}
                - {kind: ConfigMap, name: absent, optional: true}
              values:
                speaker:
                  logLevel: info
            """,
    })
    assert len(found) == 1
    release = found[0]
    assert (release.source, release.name, release.namespace) == ("flux", "metallb", "lb")
    assert (release.chart, release.version) == ("metallb", "0.14.8")
    assert release.repository == "https://metallb.github.io/metallb"
    assert release.repository_location == Location("repo.yaml", 4, 13, 4, 46)
    assert release.is_metallb and release.named_metallb and release.values_known
    assert release.problems == [] and not release.source_missing
    assert plain(release.values) == {"speaker": {"logLevel": "info", "tolerateMaster": False,
                                                 "frr": {"enabled": True}}}
    speaker = release.values["speaker"]
    # spec.values wins; the ConfigMap value keeps its line and column inside the block scalar.
    assert speaker.value_location("logLevel").line == line_of(tmp_path, "release.yaml", "logLevel: info")
    # Inherited from the ConfigMap's string: its real line and column in values.yaml.
    assert line_of(tmp_path, "values.yaml", "tolerateMaster: false") == 8
    assert column_of(tmp_path, "values.yaml", "false") == 23
    assert speaker.value_location("tolerateMaster") == Location("values.yaml", 8, 23, 8, 28)
    assert speaker["frr"].value_location("enabled").file == "values.yaml"
    assert speaker["frr"].value_location("enabled").line == line_of(tmp_path, "values.yaml", 'frr: "true"')


def test_flux_missing_required_configmap_and_missing_source(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"release.yaml": """\
        apiVersion: helm.toolkit.fluxcd.io/v2beta1
        kind: HelmRelease
        metadata: {name: metallb, namespace: metallb-system}
        spec:
          chart:
            spec: {chart: metallb, sourceRef: {kind: HelmRepository, name: nowhere}}
          valuesFrom:
            - {kind: ConfigMap, name: absent}
        """})
    assert release.source_missing and release.source_ref == "HelmRepository metallb-system/nowhere"
    assert release.version is None and release.repository is None
    assert release.is_metallb  # chart name metallb, repository unknown
    assert not release.values_known
    assert [(p.kind, p.location.line) for p in release.problems] == [("skipped", 8)]
    assert "ConfigMap absent is not in this repository" in release.problems[0].message


def test_flux_chart_ref_oci_repository(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"flux.yaml": """\
        apiVersion: source.toolkit.fluxcd.io/v1beta2
        kind: OCIRepository
        metadata: {name: metallb, namespace: flux-system}
        spec:
          url: oci://quay.io/metallb/chart/metallb
          ref:
            semver: ">=0.15.0"
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: lb, namespace: flux-system}
        spec:
          targetNamespace: metallb-system
          chartRef: {kind: OCIRepository, name: metallb}
          values: {controller: {logLevel: warn}}
        """})
    assert (release.chart, release.version) == ("metallb", ">=0.15.0")
    assert release.version_location == Location("flux.yaml", 7, 13, 7, 23)
    assert release.chart_location.line == 5
    assert release.repository == "oci://quay.io/metallb/chart/metallb"
    assert release.namespace == "metallb-system" and release.is_metallb
    assert plain(release.values) == {"controller": {"logLevel": "warn"}}


def test_metallb_named_oci_repository_with_cert_manager_chart(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"flux.yaml": """\
        apiVersion: source.toolkit.fluxcd.io/v1beta2
        kind: OCIRepository
        metadata: {name: metallb, namespace: metallb-system}
        spec:
          url: oci://quay.io/jetstack/charts/cert-manager
          ref: {tag: v1.15.0}
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: metallb, namespace: metallb-system}
        spec:
          chartRef: {kind: OCIRepository, name: metallb}
        """})
    assert release.chart == "cert-manager" and release.version == "v1.15.0"
    assert not release.is_metallb and release.named_metallb


def test_argo_single_source_values_string_keeps_line_and_column(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"app.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: metallb, namespace: argocd}
        spec:
          destination: {server: https://kubernetes.default.svc, namespace: metallb-system}
          source:
            repoURL: https://metallb.github.io/metallb
            chart: metallb
            targetRevision: 0.15.2
            helm:
              releaseName: lb
              values: |
                # comment
                speaker:
                  frr:
                    enabled: false
                  nodeSelector: {role: edge}
        """})
    assert (release.source, release.name, release.namespace) == ("argocd", "lb", "metallb-system")
    assert release.version == "0.15.2" and release.version_location == Location("app.yaml", 9, 21, 9, 27)
    frr = release.values["speaker"]["frr"]
    assert frr["enabled"] is False
    # Line 16 of the file, column 22: where `false` is written inside the block scalar.
    assert frr.value_location("enabled") == Location("app.yaml", 16, 22, 16, 27)
    assert column_of(tmp_path, "app.yaml", "false") == 22
    assert release.values["speaker"].key_location("nodeSelector") == Location("app.yaml", 17, 11)


def test_argo_multi_source_ref_values_files_and_parameters(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {
        "clusters/a/metallb-values.yaml": """\
            speaker:
              logLevel: debug
              tolerateMaster: true
            controller: {logLevel: info}
            """,
        "apps/metallb.yaml": """\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: metallb, namespace: argocd}
            spec:
              destination: {name: in-cluster, namespace: metallb-system}
              sources:
                - repoURL: https://metallb.github.io/metallb
                  chart: metallb
                  targetRevision: 0.14.9
                  helm:
                    valueFiles: [$values/clusters/a/metallb-values.yaml, $values/clusters/a/absent.yaml]
                    ignoreMissingValueFiles: true
                    valuesObject:
                      speaker: {logLevel: warn}
                    parameters:
                      - {name: speaker.logLevel, value: error}
                      - {name: controller.image.tag, value: "0014", forceString: true}
                      - {name: speaker.nodeSelector.kubernetes\\.io/hostname, value: node1}
                      - {name: speaker.tolerateMaster, value: "null"}
                - repoURL: https://git.example/repo.git
                  targetRevision: main
                  ref: values
            """,
    })
    assert release.values_known and release.problems == []
    # A missing value file counts too: creating it changes the release.
    assert release.files == {"clusters/a/metallb-values.yaml", "clusters/a/absent.yaml", "apps/metallb.yaml"}
    assert plain(release.values) == {
        "speaker": {"logLevel": "error", "nodeSelector": {"kubernetes.io/hostname": "node1"}},
        "controller": {"logLevel": "info", "image": {"tag": "0014"}},
    }
    assert release.values["controller"].value_location("logLevel").file == "clusters/a/metallb-values.yaml"
    assert release.values["speaker"].value_location("logLevel").line == 16
    assert release.deleted["speaker.tolerateMaster"].line == 19


def test_argo_missing_value_file_makes_values_unknown(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"app.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: lb, namespace: argocd}
        spec:
          destination: {name: in-cluster, namespace: metallb-system}
          source:
            repoURL: https://metallb.github.io/metallb
            chart: metallb
            targetRevision: 0.14.9
            helm: {valueFiles: [values-prod.yaml]}
        """})
    assert not release.values_known
    assert "inside the chart" in release.problems[0].message


def test_kustomize_helm_charts_inline_and_files(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {
        "lb/kustomization.yaml": """\
            namespace: metallb-system
            helmCharts:
              - name: metallb
                repo: https://metallb.github.io/metallb
                version: 0.13.12
                releaseName: lb
                valuesFile: base-values.yaml
                additionalValuesFiles: [extra.yaml]
                valuesInline:
                  speaker: {logLevel: info, tolerateMaster: false}
            """,
        "lb/base-values.yaml": "speaker: {logLevel: debug, memberlist: {enabled: false}}\n",
        "lb/extra.yaml": "speaker: {tolerateMaster: true}\n",
    })
    assert (release.source, release.resource, release.name) == ("kustomize", None, "lb")
    assert (release.namespace, release.version, release.is_metallb) == ("metallb-system", "0.13.12", True)
    assert plain(release.values) == {"speaker": {"logLevel": "info", "memberlist": {"enabled": False},
                                                 "tolerateMaster": True}}
    speaker = release.values["speaker"]
    assert speaker.value_location("logLevel").file == "lb/kustomization.yaml"
    assert speaker.value_location("tolerateMaster").file == "lb/extra.yaml"
    assert speaker.value_location("memberlist").file == "lb/base-values.yaml"


def test_sops_secret_values_are_unknown(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {
        "secret.yaml": """\
            apiVersion: v1
            kind: Secret
            metadata: {name: lb-values, namespace: metallb-system}
            data:
              values.yaml: ENC[AES256_GCM,data:abc,type:str]
            sops:
              version: 3.8.1
            """,
        "release.yaml": """\
            apiVersion: helm.toolkit.fluxcd.io/v2beta2
            kind: HelmRelease
            metadata: {name: metallb, namespace: metallb-system}
            spec:
              chart: {spec: {chart: metallb, sourceRef: {kind: HelmRepository, name: metallb}}}
              valuesFrom: [{kind: Secret, name: lb-values}]
              values: {speaker: {logLevel: info}}
            """,
        "repo.yaml": FLUX_REPO,
    })
    assert not release.values_known
    assert "encrypted" in release.problems[0].message
    assert plain(release.values) == {"speaker": {"logLevel": "info"}}


def test_plain_secret_values_are_decoded_and_point_at_the_key(tmp_path: Path) -> None:
    encoded = base64.b64encode(b"controller:\n  logLevel: debug\n").decode()
    [release] = releases(tmp_path, {
        "secret.yaml": f"""\
            apiVersion: v1
            kind: Secret
            metadata: {{name: lb-values, namespace: metallb-system}}
            data:
              values.yaml: {encoded}
            """,
        "release.yaml": """\
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: metallb, namespace: metallb-system}
            spec:
              chart: {spec: {chart: metallb, sourceRef: {kind: HelmRepository, name: metallb}}}
              valuesFrom: [{kind: Secret, name: lb-values}]
            """,
        "repo.yaml": FLUX_REPO,
    })
    assert release.values_known and plain(release.values) == {"controller": {"logLevel": "debug"}}
    assert release.values["controller"].value_location("logLevel").line == 5


def test_other_charts_are_not_releases_even_with_metallb_annotations(tmp_path: Path) -> None:
    assert releases(tmp_path, {"app.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: ingress, namespace: argocd}
        spec:
          destination: {name: in-cluster, namespace: ingress}
          source:
            repoURL: https://kubernetes.github.io/ingress-nginx
            chart: ingress-nginx
            targetRevision: 4.0.0
            helm:
              valuesObject:
                controller:
                  service:
                    annotations: {metallb.universe.tf/address-pool: metallb-public}
        """}) == []


def layer(text: str, name: str) -> YMap:
    value = load_text(textwrap.dedent(text), name).documents[0].value
    assert isinstance(value, YMap)
    return value


def test_merge_order_maps_deep_lists_and_scalars_replace() -> None:
    first = layer("""\
        a: {x: 1, y: [1, 2], z: {deep: 1}}
        b: keep
        """, "one.yaml")
    second = layer("""\
        a: {y: [3], z: {other: 2}}
        b: {now: map}
        """, "two.yaml")
    deleted: dict[str, Location] = {}
    merged = merge_layers([first, second, ("a.x", 5, Location("set", 1, 1))], Location("o", 1, 1), deleted)
    assert plain(merged) == {"a": {"x": 5, "y": [3], "z": {"deep": 1, "other": 2}}, "b": {"now": "map"}}
    assert merged["a"].value_location("y") == Location("two.yaml", 1, 8)
    assert merged["a"]["z"].value_location("deep") == Location("one.yaml", 1, 32, 1, 33)
    assert merged["a"].value_location("x") == Location("set", 1, 1)
    assert deleted == {}
    # The inputs are untouched.
    assert plain(first) == {"a": {"x": 1, "y": [1, 2], "z": {"deep": 1}}, "b": "keep"}


def test_null_deletes_a_key_and_a_later_layer_restores_it() -> None:
    deleted: dict[str, Location] = {}
    merged = merge_layers([layer("a: {x: 1, y: 2}\n", "one.yaml"), layer("a: {x: null}\n", "two.yaml")],
                          Location("o", 1, 1), deleted)
    assert plain(merged) == {"a": {"y": 2}}
    assert deleted == {"a.x": Location("two.yaml", 1, 8, 1, 12)}
    restored = merge_layers([layer("a: {x: null}\n", "one.yaml"), layer("a: {x: 3}\n", "two.yaml")],
                            Location("o", 1, 1), deleted := {})
    assert plain(restored) == {"a": {"x": 3}} and deleted == {}


def test_generated_values_configmap_points_into_the_values_file(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {
        "infra/kustomization.yaml": """\
            namespace: metallb-system
            resources: [release.yaml]
            configMapGenerator:
              - name: metallb-values
                files: [values.yaml=metallb-values.yaml]
            generatorOptions: {disableNameSuffixHash: true}
            """,
        "infra/metallb-values.yaml": "speaker:\n  logLevel: debug\n",
        "infra/release.yaml": """\
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: metallb}
            spec:
              chart: {spec: {chart: metallb, sourceRef: {kind: HelmRepository, name: metallb}}}
              valuesFrom: [{kind: ConfigMap, name: metallb-values}]
            """,
    })
    assert release.namespace == "metallb-system" and release.values_known
    assert release.source_missing  # no HelmRepository anywhere
    assert release.values["speaker"].value_location("logLevel") == Location(
        "infra/metallb-values.yaml", 2, 13, 2, 18)


def test_values_string_that_is_not_a_literal_block_points_at_the_string(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"app.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: metallb, namespace: argocd}
        spec:
          destination: {name: in-cluster, namespace: metallb-system}
          source:
            repoURL: https://metallb.github.io/metallb
            chart: metallb
            targetRevision: 0.15.2
            helm:
              values: "speaker: {logLevel: debug}"
              valueFiles: [../../outside.yaml]
        """})
    assert plain(release.values) == {"speaker": {"logLevel": "debug"}}
    assert release.values["speaker"].value_location("logLevel") == Location("app.yaml", 11, 15, 11, 43)
    assert not release.values_known  # the value file is inside the chart package
    assert [p.kind for p in release.problems] == ["skipped"]


def test_argo_value_file_leaving_the_repository_is_an_error(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"app.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: metallb, namespace: argocd}
        spec:
          destination: {name: in-cluster, namespace: metallb-system}
          source:
            repoURL: https://github.com/metallb/metallb
            path: charts/metallb
            targetRevision: v0.15.2
            helm: {valueFiles: [../../../outside.yaml]}
        """})
    assert (release.chart, release.version, release.is_metallb) == ("metallb", "v0.15.2", True)
    assert not release.values_known
    assert [(p.kind, p.location.line) for p in release.problems] == [("error", 10)]


# -- umbrella charts -----------------------------------------------------------------


UMBRELLA = """\
apiVersion: v2
name: platform
version: 1.0.0
dependencies:
  - name: metallb
    alias: lb
    version: 0.14.8
    repository: oci://quay.io/metallb/chart
    condition: lb.enabled
    tags: [network]
"""


def test_umbrella_chart_values_under_the_alias(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {
        "platform/Chart.yaml": UMBRELLA,
        "platform/values.yaml": """\
            lb:
              enabled: true
              speaker: {logLevel: debug}
            metallb:
              speaker: {logLevel: info}
            """,
    })
    assert (release.source, release.resource, release.name, release.namespace) == ("umbrella", None, "lb", None)
    assert (release.chart, release.version, release.is_metallb) == ("metallb", "0.14.8", True)
    assert release.repository == "oci://quay.io/metallb/chart"
    # The condition's switch is the umbrella's: not a MetalLB value.
    assert plain(release.values) == {"speaker": {"logLevel": "debug"}}
    assert release.values["speaker"].value_location("logLevel").line == 3
    assert release.version_location == Location("platform/Chart.yaml", 7, 14, 7, 20)
    assert release.declared is not None and release.declared.line == 5
    assert release.files == {"platform/values.yaml"}


def test_umbrella_chart_condition_and_tags(tmp_path: Path) -> None:
    off = {"platform/Chart.yaml": UMBRELLA, "platform/values.yaml": "lb: {enabled: false}\n"}
    assert releases(tmp_path / "a", off) == []
    tagged_off = {"platform/Chart.yaml": UMBRELLA, "platform/values.yaml": "tags: {network: false}\n"}
    assert releases(tmp_path / "b", tagged_off) == []
    # The condition, when it resolves to a boolean, wins over the tags.
    both = {"platform/Chart.yaml": UMBRELLA, "platform/values.yaml": "tags: {network: false}\nlb: {enabled: true}\n"}
    [release] = releases(tmp_path / "c", both)
    assert plain(release.values) == {}
    # No values.yaml: installed, with the chart's defaults.
    [bare] = releases(tmp_path / "d", {"platform/Chart.yaml": UMBRELLA})
    assert bare.values_known and plain(bare.values) == {}
    # Not a v2 chart, or no metallb dependency: nothing.
    assert releases(tmp_path / "e", {"platform/Chart.yaml": UMBRELLA.replace("v2", "v1")}) == []
    assert releases(tmp_path / "f", {"platform/Chart.yaml": UMBRELLA.replace("name: metallb", "name: other")}) == []


def test_umbrella_chart_unreadable_values_are_unknown(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {"platform/Chart.yaml": UMBRELLA, "platform/values.yaml": "lb: [\n"})
    assert not release.values_known
    assert [p.kind for p in release.problems] == ["skipped"]
    assert "cannot be read" in release.problems[0].message


# -- helmfile ------------------------------------------------------------------------


HELMFILE = """\
repositories:
  - name: metallb
    url: https://metallb.github.io/metallb
releases:
  - name: lb
    namespace: metallb-system
    chart: metallb/metallb
    version: 0.14.8
    values:
      - values/common.yaml
      - speaker: {logLevel: warn}
      - values/missing.yaml
      - values/{{ .Environment.Name }}.yaml
    set:
      - name: speaker.tolerateMaster
        value: false
      - name: controller.image.tag
        value: 0.14.8
    setString:
      - name: loadBalancerClass
        value: 42
"""


def test_helmfile_release_layers(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {
        "deploy/helmfile.yaml": HELMFILE,
        "deploy/values/common.yaml": "speaker: {logLevel: debug, memberlist: {enabled: false}}\n",
    })
    assert (release.source, release.name, release.namespace, release.version) == (
        "helmfile", "lb", "metallb-system", "0.14.8")
    assert (release.repository, release.is_metallb) == ("https://metallb.github.io/metallb", True)
    assert release.repository_location is not None and release.repository_location.line == 3
    assert plain(release.values) == {
        "speaker": {"logLevel": "warn", "memberlist": {"enabled": False}, "tolerateMaster": False},
        "controller": {"image": {"tag": "0.14.8"}}, "loadBalancerClass": "42"}
    speaker = release.values["speaker"]
    assert speaker.value_location("memberlist").file == "deploy/values/common.yaml"
    assert speaker.value_location("logLevel").line == 11
    assert speaker.value_location("tolerateMaster").line == 16
    # A missing file and a templated name: unknown, never guessed.
    assert not release.values_known
    assert [(p.kind, p.location.line) for p in release.problems] == [("skipped", 12), ("skipped", 13)]
    assert "Go template" in release.problems[1].message
    assert release.files == {"deploy/values/common.yaml", "deploy/values/missing.yaml", "deploy/helmfile.yaml"}


def test_helmfile_chart_sources(tmp_path: Path) -> None:
    [oci, local, secret] = releases(tmp_path, {"helmfile.yaml": """\
        repositories:
          - {name: quay, url: quay.io/metallb/chart, oci: true}
        releases:
          - {name: a, chart: quay/metallb, version: 0.15.2}
          - {name: b, chart: ./vendor/metallb}
          - {name: c, chart: oci://quay.io/metallb/chart/metallb, secrets: [secrets.yaml]}
          - {name: d, chart: metallb/metallb, installed: false}
          - {name: e, chart: bitnami/metallb}
        """})
    assert (oci.chart, oci.repository, oci.is_metallb) == ("metallb", "oci://quay.io/metallb/chart", True)
    assert (local.chart, local.repository) == ("metallb", "vendor/metallb")
    assert (secret.repository, secret.values_known) == ("oci://quay.io/metallb/chart", False)
    assert "encrypted" in secret.problems[0].message


# -- kustomize valuesMerge -------------------------------------------------------------


def kustomization(merge: str | None, values_file: bool = True) -> dict[str, str]:
    lines = ["helmCharts:", "  - name: metallb", "    repo: https://metallb.github.io/metallb",
             "    version: 0.14.8"]
    if merge is not None:
        lines.append(f"    valuesMerge: {merge}")
    if values_file:
        lines.append("    valuesFile: values.yaml")
    lines += ["    valuesInline:", "      speaker:", "        logLevel: debug", "        tolerateMaster: null"]
    return {"kustomization.yaml": "\n".join(lines) + "\n",
            "values.yaml": "speaker:\n  logLevel: warn\n  tolerateMaster: false\n  nodeSelector: {pool: a}\n"}


def test_values_merge_override_is_the_default(tmp_path: Path) -> None:
    for case, merge in (("default", None), ("override", "override")):
        [release] = releases(tmp_path / case, kustomization(merge))
        # The inline values win; kustomize's merge drops a null's key, so the chart default applies again.
        assert plain(release.values) == {"speaker": {"logLevel": "debug", "nodeSelector": {"pool": "a"}}}
        assert release.deleted == {}
        assert release.values["speaker"].value_location("logLevel").file == "kustomization.yaml"
        assert release.values["speaker"].value_location("nodeSelector").file == "values.yaml"
        assert release.files == {"kustomization.yaml", "values.yaml"}


def test_values_merge_merge_lets_the_values_file_win(tmp_path: Path) -> None:
    [release] = releases(tmp_path, kustomization("merge"))
    assert plain(release.values) == {"speaker": {"logLevel": "warn", "tolerateMaster": False,
                                                 "nodeSelector": {"pool": "a"}}}
    assert release.values["speaker"].value_location("logLevel").file == "values.yaml"
    # Without a valuesFile, the chart's own values.yaml is the file that wins: unknown, not guessed.
    [bare] = releases(tmp_path / "bare", kustomization("merge", values_file=False))
    assert not bare.values_known
    assert "chart's values.yaml" in bare.problems[0].message


def test_values_merge_replace_ignores_the_values_file(tmp_path: Path) -> None:
    [release] = releases(tmp_path, kustomization("replace"))
    assert plain(release.values) == {"speaker": {"logLevel": "debug"}}
    assert set(release.deleted) == {"speaker.tolerateMaster"}  # passed as written: Helm's null deletes
    assert "values.yaml" not in release.files


def test_values_merge_unknown_mode_is_a_kustomize_error(tmp_path: Path) -> None:
    [release] = releases(tmp_path, kustomization("combine"))
    assert not release.values_known
    assert [(p.kind, p.location.line) for p in release.problems] == [("error", 5)]
    assert "override, merge or replace" in release.problems[0].message


def test_values_inline_empty_passes_the_values_file_as_written(tmp_path: Path) -> None:
    [release] = releases(tmp_path, {
        "kustomization.yaml": "helmCharts:\n- {name: metallb, version: 0.14.8, valuesFile: v.yaml, valuesMerge: replace}\n",
        "v.yaml": "speaker: {tolerateMaster: null}\n"})
    assert plain(release.values) == {"speaker": {}}
    assert set(release.deleted) == {"speaker.tolerateMaster"}


# -- changed-files mode --------------------------------------------------------------


def test_changing_only_a_values_file_selects_the_release_target(tmp_path: Path) -> None:
    from linter.engine import lint
    from rules import REGISTRY

    write(tmp_path, {
        "clusters/prod/kustomization.yaml": "resources: [metallb.yaml]\n",
        "clusters/prod/metallb.yaml": """\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: metallb, namespace: argocd}
            spec:
              sources:
              - repoURL: https://github.com/example/gitops
                targetRevision: main
                ref: values
              - repoURL: https://metallb.github.io/metallb
                chart: metallb
                targetRevision: 0.14.8
                helm:
                  valueFiles: [$values/values/metallb.yaml]
              destination: {server: https://kubernetes.default.svc, namespace: metallb-system}
            """,
        "values/metallb.yaml": "speaker:\n  tolerateMater: false\n",
    })
    result = lint(tmp_path, [tmp_path / "values/metallb.yaml"], REGISTRY)
    assert [(f.code, f.location.file, f.location.line) for f in result.findings if f.code == "ML502"] == [
        ("ML502", "values/metallb.yaml", 2)]


def test_changing_only_a_values_from_configmap_file_selects_the_release_target(tmp_path: Path) -> None:
    from linter.engine import lint
    from linter.render import targets_including
    from rules import REGISTRY

    write(tmp_path, {
        "apps/metallb/kustomization.yaml": "resources: [release.yaml]\n",
        "apps/metallb/release.yaml": """\
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: metallb, namespace: metallb-system}
            spec:
              chart:
                spec:
                  chart: metallb
                  version: 0.14.8
                  sourceRef: {kind: HelmRepository, name: metallb, namespace: flux-system}
              valuesFrom:
              - {kind: ConfigMap, name: metallb-values}
            """,
        # Applied by another unit: in no kustomization the release's target builds.
        "shared/metallb-values.yaml": """\
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: metallb-values, namespace: metallb-system}
            data:
              values.yaml: |
                speaker:
                  tolerateMater: false
            """,
    })
    workspace = Workspace(tmp_path)
    targets, _ = build_targets(workspace, discover(workspace, [workspace.root]))
    assert [t.name for t in targets_including(targets, {"shared/metallb-values.yaml"})] == [
        "apps/metallb", "(loose files)"]
    result = lint(tmp_path, [tmp_path / "shared/metallb-values.yaml"], REGISTRY)
    assert [(f.code, f.location.line) for f in result.findings if f.code == "ML502"] == [("ML502", 7)]


def test_umbrella_charts_and_helmfiles_are_targets_of_their_own(tmp_path: Path) -> None:
    from linter.render import targets_including

    write(tmp_path, {
        "charts/platform/Chart.yaml": UMBRELLA,
        "charts/platform/values.yaml": "lb: {speaker: {logLevel: info}}\n",
        "deploy/helmfile.yaml": HELMFILE,
        "deploy/values/common.yaml": "speaker: {logLevel: info}\n",
        "other/helmfile.yaml": "releases:\n- {name: ingress, chart: ingress/ingress-nginx}\n",
        "pools.yaml": "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a}\n",
    })
    workspace = Workspace(tmp_path)
    targets, _ = build_targets(workspace, discover(workspace, [workspace.root]))
    # A helmfile installing no MetalLB release is no target.
    assert sorted(t.name for t in targets) == ["(loose files)", "charts/platform", "deploy/helmfile.yaml"]
    assert [t.name for t in targets_including(targets, {"charts/platform/values.yaml"})] == [
        "(loose files)", "charts/platform"]
    assert [t.name for t in targets_including(targets, {"deploy/values/common.yaml"})] == [
        "(loose files)", "deploy/helmfile.yaml"]
    loose = next(t for t in targets if t.name == "(loose files)")
    assert loose.helm_charts == []
