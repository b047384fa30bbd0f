"""A kustomization file as kustomize reads it, before anything is built.

Where it is in a directory, the fields kustomize accepts (and those this
renderer accepts without evaluating them), its `resources`, `bases` and
`components` entries, and its other entries read with their positions.
linter/kustomize.py builds what it describes.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from linter.discover import KUSTOMIZATION_NAMES
from linter.finding import Location
from linter.resource import RenderProblem
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

_SUPPORTED = frozenset((
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix",
    "commonLabels", "labels", "commonAnnotations", "patches", "patchesStrategicMerge", "patchesJson6902",
    "images", "imageTags", "replicas", "configMapGenerator", "secretGenerator", "generatorOptions",
    "helmCharts", "helmGlobals", "sortOptions", "configurations",
))
_VERSIONS = {"Kustomization": "kustomize.config.k8s.io/v1beta1", "Component": "kustomize.config.k8s.io/v1alpha1"}
_UNSUPPORTED = {
    "replacements": "the values it copies between objects are left as written",
    "vars": "its $(VAR) references are left as written",
    "transformers": "transformer plugins are not run",
    "generators": "generator plugins are not run: their objects are missing",
    "validators": "validator plugins are not run",
    "openapi": "the custom schema (merge keys of custom resources) is not used",
    "crds": "name references declared by these CRDs are not fixed",
    "helmChartInflationGenerator": "the deprecated Helm generator is not recorded; use helmCharts",
    "buildMetadata": "the labels and annotations it adds are missing",
}


@dataclass(frozen=True, slots=True)
class Include:
    """One entry of `resources`, `bases` or `components`."""

    entry: str
    location: Location
    remote: bool


def kustomization_file(workspace: Workspace, directory: str) -> str | None:
    """The kustomization file of `directory` under the names kustomize tries; None without one."""
    for name in KUSTOMIZATION_NAMES:
        path = posixpath.join(directory, name) if directory != "." else name
        if workspace.is_file(path):
            return path
    return None


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "gitlab.com/", "bitbucket.org/", "git@")) \
        or "?ref=" in entry or "//" in entry


def seq_field(spec: YMap, key: str) -> YSeq:
    """`spec[key]` as a positioned sequence, also when a caller built it as a list."""
    value = spec.get(key)
    if isinstance(value, YSeq) or not isinstance(value, list):
        return value if isinstance(value, YSeq) else YSeq(spec.file)
    seq = YSeq(spec.file, None, spec.value_location(key))
    seq.extend(value)
    seq.locations = [v.location() if isinstance(v, (YMap, YSeq)) else seq.location() for v in value]
    return seq


def text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def includes(spec: YMap, fields: tuple[str, ...]) -> list[Include]:
    """The entries of `fields` (of resources, bases, components) written as strings."""
    found: list[Include] = []
    for name in fields:
        listed = seq_field(spec, name)
        found.extend(Include(entry, listed.item_location(index), is_remote(entry))
                     for index, entry in enumerate(listed) if isinstance(entry, str))
    return found


def field_problems(spec: YMap, path: str, transform_only: bool = False) -> Iterator[RenderProblem]:
    """What kustomize refuses in the kustomization `spec` (file `path`), and
    what it asks for that is not evaluated here; `transform_only` when only
    its patches and transformers are applied (to objects rendered elsewhere)."""
    kind, version = spec.get("kind", "Kustomization"), spec.get("apiVersion")
    wanted = _VERSIONS.get(kind) if isinstance(kind, str) else None
    if wanted is None and not transform_only:
        yield RenderProblem(f'kind "{kind}" in {path}: kustomize accepts Kustomization or Component',
                            spec.value_location("kind"))
    elif version is not None and version != wanted and not transform_only:
        yield RenderProblem(f'apiVersion "{version}" in {path}: kustomize wants {wanted} for a {kind}',
                            spec.value_location("apiVersion"))
    for key in spec:
        if key in _UNSUPPORTED and spec[key]:
            yield RenderProblem(f"`{key}` is not evaluated: {_UNSUPPORTED[key]}", spec.key_location(key),
                                "unsupported")
        elif key not in _SUPPORTED and key not in _UNSUPPORTED and not transform_only:
            yield RenderProblem(f'unknown field "{key}" in {path}: kustomize refuses to build it',
                                spec.key_location(key))
