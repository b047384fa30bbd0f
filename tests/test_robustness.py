"""Robustness: a damaged repository gets findings or a one-line error, never a traceback.

The promise (README): bad input gets a finding or a clear one-line error naming
the file, and the rest of the repository is still linted. A rule that raises is
caught by the engine and reported in `Result.errors` ("internal error in rule
..."): a bug. Anything raised before the rules run (rendering, node sources,
the model) is a traceback for the user.

Three sweeps, driven by hypothesis with a fixed number of derandomized examples
so that CI sees the same inputs on every run:

(a) fixture repositories (tests/fixtures/<rule>/<case>/, a case of every rule
    family) with some YAML values replaced anywhere by a value of another type
    or a hostile string, linted with `lint()`;
(b) the CLI (`lint --nodes FILE`, `versions`, `diff`, `render --model`) on a few
    mutated repositories: exit code 0, 1 or 2, never an exception;
(c) the node source parsers (`nodes_from_text`, `nodes_from_file` through a
    Workspace) on damaged talconfigs, Talos machine configs, k3s configs,
    Ansible group_vars and `kubectl get nodes` lists.

The regression examples at the end are the crashes these sweeps found, each
reduced to its smallest input.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from linter.cli import main
from linter.config import Config, ConfigError, load_config
from linter.discover import DiscoveryError
from linter.engine import Result, lint, target_names
from linter.loader import load_text
from linter.node_scope import NodeOptions
from linter.node_sources import DISTRIBUTIONS, distribution_nodes, nodes_from_file, nodes_from_text
from linter.finding import Location
from linter.workspace import Workspace
from rules import REGISTRY

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_NAMES = {key: rule.code for rule in REGISTRY for key in (rule.code, rule.name)}


# METALLB_LINT_ROBUSTNESS=20 runs twenty times the examples (a longer local sweep);
# METALLB_LINT_ROBUSTNESS_SEED=n draws other examples than CI's.
_SCALE = float(os.environ.get("METALLB_LINT_ROBUSTNESS", "1"))
_SEED = os.environ.get("METALLB_LINT_ROBUSTNESS_SEED")


def _settings(examples: int) -> Any:
    chosen = settings(max_examples=max(1, round(examples * _SCALE)), deadline=None, derandomize=_SEED is None,
                      database=None, suppress_health_check=list(HealthCheck))
    return chosen if _SEED is None else (lambda test: seed(int(_SEED))(chosen(test)))


# --- the cases ------------------------------------------------------------------------

# Every rule family the new modules serve (nodes, scheduling, selectors, Services,
# versions, Helm), plus the pool and advertisement rules they meet on the way.
FAMILIES = ("speaker-", "node-", "controller-", "selector-", "pool-", "service-", "version-", "api-",
            "unpinned-", "helm-", "advertisement-", "component-version-", "wrong-namespace")



CASES = sorted(p for p in FIXTURES.glob("*/*") if p.is_dir() and p.parent.name.startswith(FAMILIES))


def test_the_sample_covers_every_family() -> None:
    for family in FAMILIES:
        assert any(case.parent.name.startswith(family) for case in CASES), family


def _mutable(path: Path) -> bool:
    return path.is_file() and path.name != "expected.json" and (
        path.suffix in (".yaml", ".yml", ".json") or path.name == "nodes.stdin")


@functools.lru_cache(maxsize=None)
def _documents(case: Path) -> dict[str, list[Any]]:
    """The case's YAML files (relative path -> documents) that PyYAML can load and dump again."""
    found: dict[str, list[Any]] = {}
    for path in sorted(case.rglob("*")):
        if not _mutable(path):
            continue
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            yaml.safe_dump_all(documents)
        except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError):
            continue  # a yaml-syntax case, a template: left as it is
        if documents:
            found[path.relative_to(case).as_posix()] = documents
    return found


# --- mutations ------------------------------------------------------------------------

# Long strings, longer than a file name (NAME_MAX) or a path (PATH_MAX) may be: a value that
# is also read as a path (a resource, a values file, a talconfig `@patch`) must be a missing
# file, not an OSError.
_LONG = ("a-very-long-value." * 12 + "/") * 12
_SCALARS = st.sampled_from([
    None, 0, 1, -1, -2**31, 2**64, 0.5, -0.0, float("inf"), True, False,
    "", " ", "${VAR}", "${VAR:=default}", "{{ .Values.x }}", "{{ .Release.Namespace }}-x",
    "1.2.3.4/99", "1.2.3.4", "1.2.3.4-1.2.3.3", "::1/200", "fd00::1", "0.0.0.0/0", "-1", "0", "65536",
    "v0.0.0", "v99.99.99", "0.14.8", "v0.14.8", "latest", "sha256:0", "quay.io/metallb/speaker:v0.14.8@sha256:",
    "é✓日本語", "a\u2028b", "null", "~", "yes", "a=b:NoSchedule", ":NoSchedule", "key=", "=value",
    "@missing.yaml", "@../../outside.yaml", "https://", "*", "-", "In", "Exists", "LoadBalancer",
    "metallb.io/v1beta1", "IPAddressPool", "metallb-system", _LONG, "x" * 300, "10.0.0.1," * 600,
])
_STRING_KEYS = ["", "key", "name", "value", "spec", "operator", "values", "${K}", "é"]


def _values(keys: list[Any]) -> Any:
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(keys), inner, max_size=3)),
        max_leaves=5,
    )


_VALUES = _values([*_STRING_KEYS, None, 1, True])
_STRING_KEYED_VALUES = _values(_STRING_KEYS)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key in value:
            yield from _paths(value[key], (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _set(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _get(document, path[:-1])[path[-1]] = new
    return document


@functools.lru_cache(maxsize=None)
def _known_keys() -> list[str]:
    """Every mapping key of the sampled fixtures: a field some parser reads."""
    keys = {key for case in CASES for documents in _documents(case).values() for document in documents
            for path in _paths(document) for key in path if isinstance(key, str)}
    return sorted(keys)


def _perturbed(draw: Any, text: str) -> Any:
    """`text` changed a little (most parsers reject a wholly different value early)."""
    cut = draw(st.integers(0, len(text)))
    return draw(st.sampled_from([
        text[:cut], text + ",", text[:cut] + "${X}" + text[cut:], text + ",::1,x", text.upper(), "v" + text,
        text + "-", text.replace(".", ""), text + ":NoSchedule", text + "/33", text * 3, " " + text,
    ]))


@st.composite
def _mutated_documents(draw: Any, documents: list[Any], depth: int = 0, odd_keys: bool = True) -> list[Any]:
    """`documents` with 1-4 values replaced or fields added; a string holding YAML (an
    Argo CD values string, an inline talconfig patch) is sometimes mutated inside."""
    documents = copy.deepcopy(documents)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(documents) - 1))
        paths = list(_paths(documents[index]))
        # Half the time a mapping or a list: a scalar where a structure is expected is what
        # most often escapes a parser's checks, and leaves would otherwise be nearly all draws.
        structures = [p for p in paths if isinstance(_get(documents[index], p), (dict, list))]
        path = draw(st.sampled_from(structures if structures and draw(st.booleans()) else paths))
        old = _get(documents[index], path)
        new = draw(_VALUES if odd_keys else _STRING_KEYED_VALUES)
        if isinstance(old, str) and draw(st.booleans()):
            inner = _embedded_yaml(old) if depth == 0 else None
            if inner is not None and draw(st.booleans()):
                new = yaml.safe_dump_all(draw(_mutated_documents(inner, depth + 1, odd_keys)), sort_keys=False)
            else:
                new = _perturbed(draw, old)
        how = draw(st.integers(0, 7)) if isinstance(old, dict) else 7
        if how <= 1:
            # A field the fixture leaves out, of any type: the parser's default must not be its only guard.
            old[draw(st.sampled_from(_known_keys()))] = new
            continue
        if how == 2 and old and odd_keys:
            # A key that is no string (`1: x`, `null: x`, `true: x`): labels, values and
            # annotations are sorted, joined and compared by key.
            key = draw(st.sampled_from(sorted(old, key=repr)))
            old[draw(st.sampled_from([None, 1, -1, True, 1.5, "", "${K}"]))] = old.pop(key)
            continue
        documents[index] = _set(documents[index], path, new)
    return documents


def _embedded_yaml(text: str) -> list[Any] | None:
    if "\n" not in text or ":" not in text:
        return None
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return None
    return documents if any(isinstance(d, (dict, list)) for d in documents) else None


def _dump(documents: list[Any]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_case(draw: Any, cases: list[Path] = CASES) -> tuple[Path, dict[str, str]]:
    """A fixture case and new text for 1-3 of its YAML files."""
    case = draw(st.sampled_from(cases))
    files = _documents(case)
    if not files:
        return case, {}
    chosen = draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=3, unique=True))
    return case, {name: _dump(draw(_mutated_documents(files[name]))) for name in chosen}


def _materialise(case: Path, changes: dict[str, str], directory: Path) -> Path:
    root = directory / "repo"
    shutil.copytree(case, root)
    for name, text in changes.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _lint_like_the_cli(root: Path) -> Result | None:
    """Lint as the fixture harness does, accepting the one-line errors the CLI reports
    (exit 2) for a broken configuration or node file; None when one stops the run."""
    try:
        config = load_config(root, None, _NAMES)
    except ConfigError as error:
        assert "\n" not in str(error), error
        config = Config()
    nodes = None
    stdin = root / "nodes.stdin"
    if stdin.exists():
        try:
            nodes = NodeOptions(tuple(nodes_from_text(stdin.read_text(encoding="utf-8"), "<stdin>")))
        except ValueError as error:
            assert str(error).startswith("<stdin>: ") and "\n" not in str(error), error
    try:
        return lint(root, [root], REGISTRY, config, nodes=nodes)
    except (ConfigError, DiscoveryError) as error:  # a configured node file that does not exist
        assert "\n" not in str(error), error
        return None


# --- (a) lint() on mutated fixture repositories -----------------------------------------


@_settings(1500)
@given(mutated=mutated_case())
def test_mutated_fixture_repositories_never_crash(mutated: tuple[Path, dict[str, str]]) -> None:
    case, changes = mutated
    with tempfile.TemporaryDirectory(prefix="metallb-lint-robustness-") as name:
        result = _lint_like_the_cli(_materialise(case, changes, Path(name)))
    assert result is None or result.errors == (), (case.relative_to(FIXTURES), result.errors)


# --- (b) the CLI on mutated repositories --------------------------------------------------

_GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1"}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, timeout=60,
                   env={**os.environ, **_GIT_ENV, "GIT_CEILING_DIRECTORIES": str(root.parent)})


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def _invoke(root: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, args, env={"GIT_CEILING_DIRECTORIES": str(root.parent), "NO_COLOR": "1"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"metallb-lint {' '.join(args)} raised") from result.exception
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)


_KUBECTL_NODES = {
    "apiVersion": "v1", "kind": "List",
    "items": [
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "cp1", "labels": {"kubernetes.io/hostname": "cp1",
                                                "node-role.kubernetes.io/control-plane": "",
                                                "node.kubernetes.io/exclude-from-external-load-balancers": ""}},
         "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
         "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.10"}],
                    "conditions": [{"type": "NetworkUnavailable", "status": "False"}]}},
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "w1", "labels": {"kubernetes.io/hostname": "w1", "tier": "edge"}},
         "spec": {"unschedulable": True},
         "status": {"addresses": [{"type": "ExternalIP", "address": "203.0.113.7"}]}},
    ],
}

# The CLI sweep: the cases with the most for `versions`, `render --model` and `diff` to read.
_CLI_CASES = [case for case in CASES if case.parent.name.startswith(
    ("version-", "component-version-", "api-", "unpinned-", "helm-", "service-", "speaker-", "controller-"))]


@_settings(30)
@given(mutated=mutated_case(_CLI_CASES), nodes=_mutated_documents([_KUBECTL_NODES]), data=st.data())
def test_cli_commands_on_mutated_repositories_exit_cleanly(mutated: tuple[Path, dict[str, str]],
                                                           nodes: list[Any], data: Any) -> None:
    case, changes = mutated
    with tempfile.TemporaryDirectory(prefix="metallb-lint-robustness-") as name:
        root = _materialise(case, {}, Path(name))
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "fixture")
        for relative, text in changes.items():  # the change `diff` compares with HEAD
            (root / relative).write_text(text, encoding="utf-8")
        nodes_file = Path(name) / "nodes.yaml"
        nodes_file.write_text(_dump(nodes), encoding="utf-8")
        with _inside(root):
            _invoke(root, ["lint", "--nodes", str(nodes_file), "--format", "json"])
            _invoke(root, ["lint", "--distribution", "talos", "--format", "sarif"])
            _invoke(root, ["versions"])
            _invoke(root, ["versions", "--format", "json"])
            _invoke(root, ["diff", "--format", "json"])
            try:
                names = target_names(root)
            except (ConfigError, DiscoveryError):
                names = []
            if names:
                _invoke(root, ["render", data.draw(st.sampled_from(names)), "--model"])


def test_cli_subprocess_reports_no_traceback(tmp_path: Path) -> None:
    """The real entry point on a broken repository: one-line errors, no Python traceback."""
    case = FIXTURES / "speaker-missing-toleration" / "fires-argocd-values-object-with-nodes-from-stdin"
    root = _materialise(case, {}, tmp_path)
    for path in root.rglob("*.yaml"):  # every value of every file a null
        documents = _documents(case).get(path.relative_to(root).as_posix())
        if documents is not None:
            path.write_text(_dump([{k: None for k in d} if isinstance(d, dict) else None for d in documents]))
    (tmp_path / "nodes.yaml").write_text("apiVersion: v1\nkind: Node\nmetadata: {name: [x]}\nspec: 5\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FORCE_COLOR", "GITHUB_ACTIONS")}
    env.update(PYTHONPATH=str(FIXTURES.parent.parent), PYTHONWARNINGS="ignore", NO_COLOR="1",
               GIT_CEILING_DIRECTORIES=str(tmp_path))
    for args in (["lint", "--nodes", str(tmp_path / "nodes.yaml")], ["lint", "--format", "json"], ["versions"],
                 ["render", ".", "--model"], ["lint", "--nodes", str(tmp_path / "missing.yaml")]):
        done = subprocess.run([sys.executable, "-m", "linter", *args], cwd=root, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode in (0, 1, 2), (args, done.returncode, done.stderr)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        # Whatever stderr holds is the tool's own one-line messages (not "No module named linter").
        assert all(line.startswith("metallb-lint: ") for line in done.stderr.splitlines()), (args, done.stderr)
    assert json.loads(subprocess.run([sys.executable, "-m", "linter", "lint", "--format", "json"], cwd=root,
                                     env=env, capture_output=True, text=True, timeout=120).stdout) is not None


# --- (c) node source parsers ---------------------------------------------------------------

_TALCONFIG = {
    "clusterName": "homelab", "talosVersion": "v1.8.3", "endpoint": "https://192.168.1.10:6443",
    "allowSchedulingOnControlPlanes": False,
    "nodes": [
        {"hostname": "cp1", "ipAddress": "192.168.1.10, 192.168.1.11", "controlPlane": True,
         "nodeLabels": {"tier": "edge"}, "nodeTaints": {"dedicated": "lb:NoSchedule"},
         "patches": ["@patches/cp1.yaml", "machine:\n  nodeLabels:\n    zone: a\n"], "overridePatches": True},
        {"hostname": "w1", "ipAddress": "192.168.1.20", "controlPlane": False},
    ],
    "controlPlane": {"nodeLabels": {"role": "cp"},
                     "patches": ["- op: remove\n  path: /machine/nodeLabels/node.kubernetes.io~1"
                                 "exclude-from-external-load-balancers\n",
                                 "cluster:\n  allowSchedulingOnControlPlanes: true\n"]},
    "worker": {"nodeTaints": {"gpu": "true:NoExecute"}},
    "patches": [{"machine": {"nodeLabels": {"global": "x"}}},
                [{"op": "add", "path": "/machine/nodeTaints/a", "value": "b:NoSchedule"}]],
}
_PATCH = {"machine": {"nodeLabels": {"from-file": "yes", "node.kubernetes.io/exclude-from-external-load-balancers":
                                     {"$patch": "delete"}}}}
_MACHINE_CONFIG = [
    {"version": "v1alpha1", "machine": {"type": "controlplane", "nodeLabels": {"a": "b"},
                                        "nodeTaints": {"k": "v:NoSchedule"},
                                        "network": {"hostname": "cp2",
                                                    "interfaces": [{"addresses": ["192.168.1.30/24"]}]}},
     "cluster": {"allowSchedulingOnControlPlanes": True}},
    {"apiVersion": "v1alpha1", "kind": "HostnameConfig", "hostname": "cp2-alt"},
]
_K3S_CONFIG = {"node-name": "server-1", "cluster-init": True, "tls-san": ["k3s.lan"],
               "node-label": ["tier=edge", "node.kubernetes.io/exclude-from-external-load-balancers=true"],
               "node-taint": ["CriticalAddonsOnly=true:NoExecute", "dedicated:NoSchedule"],
               "node-ip": "192.168.1.40,fd00::40", "node-external-ip": ["203.0.113.9"]}
_GROUP_VARS = {"k3s_version": "v1.30.4+k3s1",
               "k3s_server": {"disable": ["servicelb"], "node-label": ["a=b"], "node-taint": "x=y:NoSchedule"},
               "rke2_agent": {"node-label": "c=d", "node-ip": "10.0.0.9"}}
_NODE_FILES: dict[str, list[Any]] = {
    "talos/talconfig.yaml": [_TALCONFIG],
    "talos/patches/cp1.yaml": [_PATCH],
    "talos/clusterconfig/cp2.yaml": _MACHINE_CONFIG,
    "k3s/server/config.yaml": [_K3S_CONFIG],
    "ansible/group_vars/all.yml": [_GROUP_VARS],
}


@_settings(600)
@given(data=st.data())
def test_node_files_never_crash(data: Any) -> None:
    files = {name: _dump(data.draw(_mutated_documents(documents), label=name)) if data.draw(st.booleans())
             else _dump(documents) for name, documents in _NODE_FILES.items()}
    with tempfile.TemporaryDirectory(prefix="metallb-lint-robustness-") as name:
        root = Path(name)
        for relative, text in files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        workspace = Workspace(root)
        for relative in files:
            for node in nodes_from_file(workspace.load(relative), workspace) or []:
                assert node.name and node.location.file in files, node


@_settings(300)
@given(documents=_mutated_documents([_KUBECTL_NODES]), as_json=st.booleans())
def test_nodes_from_text_raises_only_its_one_line_error(documents: list[Any], as_json: bool) -> None:
    text = json.dumps(documents[0], default=str) if as_json and len(documents) == 1 else _dump(documents)
    try:
        nodes = nodes_from_text(text, "nodes.yaml")
    except ValueError as error:
        assert str(error).startswith("nodes.yaml: ") and "\n" not in str(error), error
        return
    assert nodes and all(node.name for node in nodes)


@pytest.mark.parametrize("text", ["", "---\n", "- 1\n- 2\n", "kind: Node\n", "{", "\x00", "apiVersion: v1\n"
                                  "kind: NodeList\nitems: 5\n", "[apiVersion, v1]\n", "!!binary AAAA\n"])
def test_nodes_from_text_garbage_is_a_one_line_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"^nodes\.yaml: [^\n]*$"):
        nodes_from_text(text, "nodes.yaml")


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_distribution_nodes(name: str) -> None:
    for node in distribution_nodes(name, Location(".metallb-lint.yaml", 1, 1)):
        assert node.assumed and node.control_plane


# --- regression examples: the crashes found -------------------------------------------------


def _lint_files(tmp_path: Path, files: dict[str, str]) -> Result:
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    result = lint(tmp_path, [tmp_path], REGISTRY)
    assert result.errors == ()
    return result


def test_node_taint_with_a_list_for_its_effect(tmp_path: Path) -> None:
    """linter/node_sources.py `_object_taints`: `effect in EFFECTS` with an unhashable effect
    (a committed Node: a traceback from engine.lint -> node_scope.assign_nodes; --nodes: the same)."""
    node = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n" \
           "spec:\n  taints:\n  - {key: a, effect: [NoSchedule]}\n  - {key: b, effect: {x: 1}}\n"
    assert nodes_from_text(node, "nodes.yaml")[0].taints == ()
    _lint_files(tmp_path, {"nodes/n1.yaml": node})


def test_machine_config_with_a_list_for_its_type() -> None:
    """linter/talos.py `is_machine_config`: `machine.type in _MACHINE_TYPES` with an unhashable type."""
    for value in ("[controlplane]", "{a: 1}"):
        source = load_text(f"version: v1alpha1\nmachine:\n  type: {value}\n", "controlplane.yaml")
        assert nodes_from_file(source) is None


def test_daemonset_with_containers_not_a_list(tmp_path: Path) -> None:
    """linter/features.py `_installation_uses`: `pod.get("containers") or []` iterated an int
    (api-not-supported and api-deprecated: internal error)."""
    daemonset = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: speaker, namespace: metallb-system}
spec:
  template:
    spec:
      containers: -1
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: metallb-system}
spec:
  template:
    spec:
      containers:
      - {name: controller, image: "quay.io/metallb/controller:v0.14.8"}
"""
    _lint_files(tmp_path, {"metallb.yaml": daemonset})


def test_selector_expression_with_a_mapping_for_its_operator(tmp_path: Path) -> None:
    """linter/selectors.py `_parse_requirement`: `operator not in _OPERATORS` with an unhashable
    operator (node-selector-matches-nothing, advertisement-has-no-announcer: internal error;
    model.build_cluster for an advertisement's ipAddressPoolSelectors: a traceback)."""
    config = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec: {addresses: [192.168.1.200-192.168.1.250]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  ipAddressPoolSelectors:
  - matchExpressions: [{key: tier, operator: {In: 1}, values: [a]}]
  nodeSelectors:
  - matchExpressions: [{key: tier, operator: [In], values: [a]}]
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {tier: a}}
"""
    _lint_files(tmp_path, {"config.yaml": config})


def test_names_too_long_for_the_file_system_are_missing_files(tmp_path: Path) -> None:
    """linter/workspace.py `is_file`/`is_dir`: Path.is_dir raised ENAMETOOLONG for a Kustomize
    resource, a helmfile values file or a talconfig `@patch` longer than NAME_MAX."""
    long = "x" * 300
    result = _lint_files(tmp_path, {
        "kustomization.yaml": f"resources:\n- {long}\n- {long}/{long}\n",
        "helmfile.yaml": f"releases:\n- name: metallb\n  chart: metallb/metallb\n  values: [{long}.yaml]\n",
        "talos/talconfig.yaml": f"clusterName: c\nnodes:\n- hostname: cp1\n  controlPlane: true\n"
                                f"  patches: ['@{long}.yaml']\n",
    })
    assert result.files >= 3


def test_argocd_application_with_sources_not_a_list(tmp_path: Path) -> None:
    """linter/installation.py `_installation`: `list(spec.get("sources") or [])` on an int
    (model.build_cluster: a traceback)."""
    _lint_files(tmp_path, {"app.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: metallb, namespace: argocd}
spec:
  sources: 5
  source: {repoURL: https://metallb.github.io/metallb, chart: metallb, targetRevision: 0.14.8}
  destination: {namespace: metallb-system, server: https://kubernetes.default.svc}
"""})


# --- values of the wrong type in the older modules (config, ApplicationSet, Flux, HelmRelease) ---


def test_config_with_a_non_string_key_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".metallb-lint.yaml").write_text("true: kubeadm\n")
    with pytest.raises(ConfigError):
        load_config(tmp_path, None, _NAMES)


def test_applicationset_with_generators_not_a_list(tmp_path: Path) -> None:
    _lint_files(tmp_path, {"appset.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
                                          "metadata: {name: a, namespace: argocd}\n"
                                          "spec:\n  generators: 5\n  template: {spec: {}}\n"})


def test_flux_kustomization_with_substitute_from_not_a_list(tmp_path: Path) -> None:
    _lint_files(tmp_path, {
        "flux.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                     "metadata: {name: a, namespace: flux-system}\n"
                     "spec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
                     "  postBuild: {substituteFrom: true}\n",
        "apps/pool.yaml": "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
                          "metadata: {name: lan, namespace: metallb-system}\nspec: {addresses: [10.0.0.0/24]}\n"})


def test_helmrelease_with_values_from_not_a_list(tmp_path: Path) -> None:
    _lint_files(tmp_path, {
        "release.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
                        "metadata: {name: metallb, namespace: metallb-system}\n"
                        "spec:\n  chart: {spec: {chart: metallb, version: 0.14.8,"
                        " sourceRef: {kind: HelmRepository, name: metallb}}}\n  valuesFrom: 1.5\n"})


def test_flux_substitute_from_a_config_map_whose_data_is_not_a_mapping(tmp_path: Path) -> None:
    """linter/gitops.py `_variables_from` unpacked `data` whatever its type."""
    for index, data in enumerate(("1", "' '", "[a, b]")):
        result = _lint_files(tmp_path / str(index), {
            "flux.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                         "metadata: {name: a, namespace: flux-system}\n"
                         "spec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
                         "  postBuild: {substituteFrom: [{kind: ConfigMap, name: settings}]}\n",
            "settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: flux-system}\n"
                             f"data: {data}\n",
            "apps/pool.yaml": "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
                              "metadata: {name: lan, namespace: metallb-system}\nspec: {addresses: [\"${RANGE}\"]}\n"})
        assert any(f.rule == "variable-unresolved" and "not a mapping" in f.message for f in result.findings)
