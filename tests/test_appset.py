"""ApplicationSet expansion (linter/appset.py): where a generated Application's
values are located, so each cluster's finding lands on that cluster's line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixture_harness import FIXTURES
from linter.appset import expand
from linter.cli import main
from linter.engine import lint
from linter.finding import Location
from linter.loader import load_text
from linter.resource import Resource, resources_in
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq
from rules import REGISTRY

_HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: metallb, namespace: argocd}\n"


def _expand(tmp_path: Path, text: str) -> list[Resource]:
    source = load_text(_HEAD + text, "appset.yaml")
    (appset,) = [r for d in source.documents for r in resources_in(d.value, "appset.yaml")]
    applications, _ = expand(Workspace(tmp_path), appset)
    return applications


def _source(application: Resource) -> YMap:
    source = application.spec["source"]
    assert isinstance(source, YMap)
    return source


def _at(location: Location) -> tuple[int, int]:
    return location.line, location.column


LIST = """\
spec:
  generators:
    - list:
        elements:
          - {cluster: dev, revision: 0.14.8}
          - {cluster: prod, revision: 0.14.7}
  template:
    metadata: {name: '{{cluster}}-metallb'}
    spec:
      source:
        chart: metallb
        targetRevision: '{{revision}}'
      destination: {name: '{{cluster}}', namespace: metallb-system}
"""


def test_a_whole_placeholder_is_located_at_the_list_element_value(tmp_path: Path) -> None:
    dev, prod = _expand(tmp_path, LIST)
    assert _source(prod)["targetRevision"] == "0.14.7"
    # line 8 of the file: `- {cluster: prod, revision: 0.14.7}`, the value `0.14.7` at column 39.
    where = _source(prod).value_location("targetRevision")
    assert (where.file, where.line, where.column, where.end_column) == ("appset.yaml", 9, 39, 45)
    assert _at(_source(dev).value_location("targetRevision")) == (8, 38)
    assert _at(prod.spec["destination"].value_location("name")) == (9, 23)


def test_text_around_a_placeholder_keeps_the_template_line(tmp_path: Path) -> None:
    _, prod = _expand(tmp_path, LIST)
    assert prod.name == "prod-metallb"
    assert prod.metadata.value_location("name").line == 11
    assert _source(prod).value_location("chart").line == 14  # no placeholder at all


def test_go_template_and_nested_values(tmp_path: Path) -> None:
    (app,) = _expand(tmp_path, """\
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - cluster: prod
            values:
              revision: 0.14.7
  template:
    metadata: {name: '{{ .cluster }}-metallb'}
    spec:
      source: {chart: metallb, targetRevision: '{{ .values.revision }}'}
""")
    assert _source(app)["targetRevision"] == "0.14.7"
    assert _at(_source(app).value_location("targetRevision")) == (11, 25)


def test_fasttemplate_reads_the_values_mapping_flattened(tmp_path: Path) -> None:
    (app,) = _expand(tmp_path, """\
spec:
  generators:
    - list:
        elements:
          - cluster: prod
            values: {revision: 0.14.7}
  template:
    metadata: {name: '{{cluster}}'}
    spec:
      source: {chart: metallb, targetRevision: '{{values.revision}}'}
""")
    assert _source(app)["targetRevision"] == "0.14.7"
    assert _source(app).value_location("targetRevision").line == 9


def test_helm_values_and_sequence_items_filled_from_parameters(tmp_path: Path) -> None:
    (app,) = _expand(tmp_path, """\
spec:
  generators:
    - list:
        elements:
          - cluster: prod
            speaker: "false"
            file: prod.yaml
  template:
    metadata: {name: '{{cluster}}'}
    spec:
      source:
        chart: metallb
        helm:
          valueFiles: [common.yaml, '{{file}}', '{{cluster}}-extra.yaml']
          valuesObject:
            speaker: {enabled: '{{speaker}}'}
""")
    helm = _source(app)["helm"]
    speaker = helm["valuesObject"]["speaker"]
    assert speaker["enabled"] == "false" and speaker.value_location("enabled").line == 9
    files = helm["valueFiles"]
    assert isinstance(files, YSeq) and list(files) == ["common.yaml", "prod.yaml", "prod-extra.yaml"]
    assert [files.item_location(i).line for i in range(3)] == [17, 10, 17]
    assert files.item_location(0).column == 24  # the untouched item keeps its own column


def test_git_directories_keep_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "clusters" / "edge").mkdir(parents=True)
    (app,) = _expand(tmp_path, """\
spec:
  goTemplate: true
  generators:
    - git: {repoURL: https://example.com/r.git, revision: main, directories: [{path: clusters/*}]}
  template:
    metadata: {name: '{{ .path.basename }}'}
    spec:
      source: {repoURL: https://example.com/r.git, path: '{{ .path.path }}'}
""")
    assert app.name == "edge" and _source(app)["path"] == "clusters/edge"
    assert _source(app).value_location("path").line == 11


@pytest.mark.parametrize("elements", [
    "5", "{a: b}", "[5, null, [1], {cluster: {x: 1}}, {cluster: null}]", "[{revision: [1, 2]}]",
    "[{values: 3}]", "[{values: {revision: {deep: 1}}}]",
])
def test_odd_elements_do_not_crash(tmp_path: Path, elements: str) -> None:
    applications = _expand(tmp_path, f"""\
spec:
  generators:
    - list: {{elements: {elements}}}
  template:
    metadata: {{name: '{{{{cluster}}}}'}}
    spec:
      source: {{chart: metallb, targetRevision: '{{{{revision}}}}', helm: {{valueFiles: ['{{{{values.revision}}}}']}}}}
""")
    for app in applications:  # an unknown or non-scalar parameter leaves the placeholder, at the template line
        assert _source(app)["targetRevision"] == "{{revision}}"
        assert _source(app).value_location("targetRevision").line == 10
        assert _source(app)["helm"]["valueFiles"].item_location(0).line == 10


def test_versions_lists_each_cluster_pin_at_its_element(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = FIXTURES / "version-skew" / "fires-when-an-applicationset-gives-one-cluster-another-chart"
    shutil.copytree(case, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    result = CliRunner().invoke(main, ["versions"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for cluster, line, version in (("dev", 11, "0.14.8"), ("staging", 13, "0.14.8"), ("prod", 15, "0.13.12")):
        section = result.output[result.output.index(f"argocd:{cluster}\n"):]
        assert f"argocd/metallb.yaml:{line}  chart version (Argo CD targetRevision): {version}" in section


def test_unpinned_and_helm_value_findings_land_on_each_cluster_element(tmp_path: Path) -> None:
    (tmp_path / "argocd").mkdir()
    (tmp_path / "argocd" / "appset.yaml").write_text(_HEAD + """\
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - {cluster: dev, revision: "0.14.*", frr: "yes"}
          - {cluster: prod, revision: 0.14.8, frr: "no"}
  template:
    metadata: {name: '{{.cluster}}-metallb'}
    spec:
      source:
        repoURL: https://metallb.github.io/metallb
        chart: metallb
        targetRevision: '{{.revision}}'
        helm: {valuesObject: {speaker: {frr: {enabled: '{{ .frr }}'}}}}
      destination: {name: '{{.cluster}}', namespace: metallb-system}
""")
    rules = [r for r in REGISTRY if r.name in ("unpinned-version", "helm-values-invalid")]
    result = lint(tmp_path, [tmp_path], rules)
    found = sorted((f.rule, f.location.line, f.location.column) for f in result.findings)
    assert found == [("helm-values-invalid", 9, 53), ("helm-values-invalid", 10, 52),
                     ("unpinned-version", 9, 38)], found
