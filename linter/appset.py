"""Argo CD `ApplicationSet`: the Applications its template makes, one per parameter set.

Supported generators: `list` (its elements) and `git` `directories` (the
directories of this repository matching each path glob, minus the
excluded ones), with both template syntaxes: fasttemplate `{{path.basename}}`
and, with `goTemplate: true`, `{{ .path.basename }}`. Other generators
(clusters, matrix, merge, scm, pull requests, git files) need the cluster or
another service: they are reported as not evaluated.

A generated Application is a Resource of the ApplicationSet's file, and
each field keeps the location of the template line it came from, except a
scalar that is exactly one placeholder (`targetRevision: '{{revision}}'`):
its whole value came from the parameter, so it is located where the
parameter's value is written (the list element's `revision: 0.14.7`), and
each cluster's finding lands on that cluster's line. Parameters with no
place in a file (a git directory's path) keep the template line.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator

from linter.finding import Location
from linter.resource import RenderProblem, Resource
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

_FAST = re.compile(r"\{\{([^{}]*)\}\}")
_GO_FIELD = re.compile(r"^\s*\.([A-Za-z0-9_.]+)\s*$")
Params = dict[str, object]


def is_application_set(resource: Resource) -> bool:
    return resource.group == "argoproj.io" and resource.kind == "ApplicationSet"


def _directories(workspace: Workspace, pattern: str) -> Iterator[str]:
    """Directories of the repository matching a glob such as `clusters/*`."""
    pattern = posixpath.normpath(pattern.strip().lstrip("/"))
    depth = pattern.count("/") + 1
    frontier = ["."]
    for _ in range(depth):
        frontier = [posixpath.join(d, n) if d != "." else n
                    for d in frontier for n in workspace.listdir(d)
                    if not n.startswith(".") and workspace.is_dir(posixpath.join(d, n) if d != "." else n)]
    yield from (d for d in frontier if fnmatch.fnmatchcase(d, pattern))


def _path_params(path: str, go_template: bool) -> Params:
    segments = path.split("/")
    basename = segments[-1]
    normalized = re.sub(r"[^a-zA-Z0-9-]", "-", basename).lower()
    if go_template:
        return {"path": {"path": path, "basename": basename, "basenameNormalized": normalized,
                         "filename": "", "segments": segments}}
    params: Params = {"path": path, "path.basename": basename, "path.basenameNormalized": normalized}
    params.update({f"path[{i}]": segment for i, segment in enumerate(segments)})
    return params


def _generator_params(workspace: Workspace, generator: YMap, resource: Resource, go_template: bool,
                      problems: list[RenderProblem]) -> list[Params]:
    if isinstance(generator.get("list"), YMap):
        elements = generator["list"].get("elements")
        # The element mappings themselves: they know where each value is written.
        return [e for e in elements if isinstance(e, dict)] if isinstance(elements, list) else []
    git = generator.get("git")
    if isinstance(git, YMap) and isinstance(git.get("directories"), list):
        included: list[str] = []
        excluded: set[str] = set()
        for entry in git["directories"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                continue
            found = list(_directories(workspace, entry["path"]))
            if entry.get("exclude") is True:
                excluded.update(found)
            else:
                included.extend(d for d in found if d not in included)
        return [_path_params(d, go_template) for d in included if d not in excluded]
    kinds = ", ".join(str(k) for k in generator) or "empty"
    problems.append(RenderProblem(
        f"{resource.describe()}: generator {kinds} needs the cluster or another service: "
        "the Applications it makes are not linted", generator.location(), "skipped"))
    return []


def _lookup(params: Params, name: str, go_template: bool) -> tuple[object | None, Location | None]:
    """The value a placeholder names, and where it is written when a parameter
    came from a mapping of a file (a list element); None when it did not."""
    if go_template:
        match = _GO_FIELD.match(name)
        if not match:
            return None, None
        parts = match.group(1).split(".")
    else:
        name = name.strip()
        # A list element's `values` mapping is flattened to `values.<key>` for fasttemplate.
        parts = [name] if name in params or not name.startswith("values.") else ["values", name[7:]]
    holder: object = None
    value: object = params
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return None, None
        holder, value = value, value[part]
    where = holder.value_location(parts[-1]) if isinstance(holder, YMap) and holder.file else None
    return value, where


def _scalar(value: object) -> bool:
    return value is not None and not isinstance(value, (dict, list))


def _fill_text(text: str, params: Params, go_template: bool) -> tuple[str, Location | None]:
    """`text` with its placeholders filled, and the parameter's location when the
    text is exactly one placeholder (the whole value came from that parameter)."""
    whole = _FAST.fullmatch(text)
    if whole:
        value, where = _lookup(params, whole.group(1), go_template)
        return (str(value), where) if _scalar(value) else (text, None)

    def replace(match: re.Match[str]) -> str:
        value, _ = _lookup(params, match.group(1), go_template)
        return str(value) if _scalar(value) else match.group(0)

    return _FAST.sub(replace, text), None


def _fill(value: object, params: Params, go_template: bool) -> tuple[object, Location | None]:
    """A copy of a template value with the parameters filled in; positions kept,
    or moved to the parameter's (see `_fill_text`). The location is for the
    holder of a scalar to record; containers keep their own."""
    if isinstance(value, str):
        return _fill_text(value, params, go_template) if "{{" in value else (value, None)
    if isinstance(value, YMap):
        copy = value.shallow_copy()
        for key, item in value.items():
            copy[key], where = _fill(item, params, go_template)
            if where is not None:
                copy.set_location(key, where)
        return copy, None
    if isinstance(value, YSeq):
        sequence = YSeq(value.file, value.node, value.origin)
        locations = list(value.locations) if value.locations is not None else None
        for index, item in enumerate(value):
            filled, where = _fill(item, params, go_template)
            sequence.append(filled)
            if where is not None:
                if locations is None:  # the node's positions, so the other items keep theirs
                    locations = [value.item_location(i) for i in range(len(value))]
                locations[index] = where
        sequence.locations = locations
        return sequence, None
    return value, None


def expand(workspace: Workspace, resource: Resource) -> tuple[list[Resource], list[RenderProblem]]:
    """The Applications `resource` (an ApplicationSet) makes."""
    spec = resource.spec
    template = spec.get("template")
    problems: list[RenderProblem] = []
    if not isinstance(template, YMap):
        return [], problems
    go_template = spec.get("goTemplate") is True
    applications: list[Resource] = []
    generators = spec.get("generators")
    for generator in generators if isinstance(generators, list) else []:
        if not isinstance(generator, YMap):
            continue
        for params in _generator_params(workspace, generator, resource, go_template, problems):
            filled, _ = _fill(template, params, go_template)
            if not isinstance(filled, YMap):
                continue
            data = YMap(resource.file, None, template.location())
            data["apiVersion"] = resource.api_version
            data["kind"] = "Application"
            data.update(filled)
            for key, where in (filled.overrides or {}).items():
                data.set_location(key, where)
            metadata = data.get("metadata")
            if isinstance(metadata, YMap) and "namespace" not in metadata and resource.namespace:
                metadata = metadata.shallow_copy()
                metadata["namespace"] = resource.namespace
                metadata.set_location("namespace", resource.namespace_location())
                data["metadata"] = metadata
            applications.append(Resource(data, resource.file))
    return applications, problems
