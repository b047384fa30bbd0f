"""Kustomize, built offline: what one kustomization directory renders.

The order is kustomize v5's (api/internal/target/kusttarget.go): a
kustomization accumulates its `resources` (and `bases`), runs its
generators, lets each component transform the lot, then applies its own
transformers (kusttarget_configplugin.go): patchesStrategicMerge, patches,
namespace, namePrefix, nameSuffix, labels, commonLabels, commonAnnotations,
patchesJson6902, replicas, images. Only the top of the build adds the
generators' hash suffixes, fixes the references to renamed objects, drops
`config.kubernetes.io/local-config` objects.

Remote resources are never fetched (a resolver may stand in for them).
What cannot be built (a missing path, a path out of the repository, a
cycle, a failing patch) becomes a `RenderProblem` at the line that asks for
it, and what is not evaluated (replacements, vars, plugins) one of kind
"unsupported": never a silently different result.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from linter.discover import KUSTOMIZATION_NAMES
from linter.finding import Location
from linter.generators import GeneratorError, absorb, add_hash, fix_name_references, generate
from linter.loader import load_text
from linter.resource import RenderProblem, Resource, resources_in
from linter.upstream import resolve_remote
from linter.transformers import (COMMON_ANNOTATIONS, COMMON_LABELS, TEMPLATE_LABELS,
                                 ImageRule, Item, NotFound, TransformError, add_affix, apply, field_spec_from, fs,
                                 merge_specs, set_entries, set_images, set_namespace, set_replicas)
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

# Kinds that take no namespace, by kind alone (ClusterIssuer included), for
# callers that place objects in a namespace themselves (Argo CD's destination).
# kustomize's own `namespace:` goes by its apiVersion table in linter/transformers.py.
CLUSTER_SCOPED_KINDS = frozenset((
    "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "IngressClass",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
    "PriorityClass", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
))
_INCLUDE_FIELDS = ("resources", "bases", "components")
_SUPPORTED = frozenset((
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix",
    "commonLabels", "labels", "commonAnnotations", "patches", "patchesStrategicMerge", "patchesJson6902",
    "images", "imageTags", "replicas", "configMapGenerator", "secretGenerator", "generatorOptions",
    "helmCharts", "helmGlobals", "sortOptions",
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
    "configurations": "custom transformer configurations are not applied",
    "helmChartInflationGenerator": "the deprecated Helm generator is not recorded; use helmCharts",
    "buildMetadata": "the labels and annotations it adds are missing",
}


@dataclass(frozen=True, slots=True)
class Include:
    """One entry of `resources`, `bases` or `components`."""

    entry: str
    location: Location
    remote: bool


@dataclass(frozen=True, slots=True)
class HelmChart:
    """A `helmCharts` entry, recorded rather than templated. `values_file` and
    `additional_values_files` are repository-relative when local."""

    name: str
    version: str | None
    repo: str | None
    release_name: str | None
    namespace: str | None  # the entry's, else the kustomization's or a parent's `namespace`, as kustomize passes it
    values_inline: YMap | None
    values_file: str | None
    additional_values_files: tuple[str, ...]
    include_crds: bool
    location: Location
    kustomization: str


def kustomization_file(workspace: Workspace, directory: str) -> str | None:
    for name in KUSTOMIZATION_NAMES:
        path = posixpath.join(directory, name) if directory != "." else name
        if workspace.is_file(path):
            return path
    return None


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "gitlab.com/", "bitbucket.org/", "git@")) \
        or "?ref=" in entry or "//" in entry


def _seq(spec: YMap, key: str) -> YSeq:
    """`spec[key]` as a positioned sequence, also when a caller built it as a list."""
    value = spec.get(key)
    if isinstance(value, YSeq) or not isinstance(value, list):
        return value if isinstance(value, YSeq) else YSeq(spec.file)
    seq = YSeq(spec.file, None, spec.value_location(key))
    seq.extend(value)
    seq.locations = [v.location() if isinstance(v, (YMap, YSeq)) else seq.location() for v in value]
    return seq


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class KustomizeRenderer:
    """Builds kustomization directories, each at most once."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._built: dict[str, tuple[list[Resource], set[str]]] = {}
        self._accumulated: dict[tuple[str, str], tuple[list[Item], set[str]]] = {}
        self.problems: dict[tuple[Location, str], RenderProblem] = {}
        self.helm_charts: list[HelmChart] = []
        self._detached = False  # building a Component as if it were a kustomization
        # Stands in for a remote entry: its objects, or None to report it as skipped.
        # By default MetalLB's own upstream manifests are modelled (linter/upstream.py).
        self.remote_resolver: Callable[[str, Location], list[Resource] | None] | None = resolve_remote

    # --- public API ---------------------------------------------------------

    def included_dirs(self, kustomization: str) -> list[str]:
        """Local directories a kustomization file includes."""
        directory = posixpath.dirname(kustomization) or "."
        spec = self._spec(kustomization)
        found = []
        for include in self._includes(spec, _INCLUDE_FIELDS) if spec is not None else []:
            path = None if include.remote else self.workspace.join(directory, include.entry)
            if path is not None and self.workspace.is_dir(path):
                found.append(path)
        return found

    def build(self, directory: str) -> tuple[list[Resource], set[str]]:
        """The objects a kustomization directory renders, and the files read."""
        if directory in self._built:
            return self._built[directory]
        kustomization = kustomization_file(self.workspace, directory)
        spec = self._spec(kustomization) if kustomization else None
        if kustomization is None or spec is None:
            return [], set() if kustomization is None else {kustomization}
        self._detached = spec.get("kind") == "Component"
        try:
            items, files = self._accumulated_dir(directory, spec, kustomization, (directory,), "")
            result = self._built[directory] = (self._finish(items, spec, kustomization), files)
        finally:
            self._detached = False
        return result

    def build_with(self, directory: str, kustomization: YMap, path: str) -> tuple[list[Resource], set[str]]:
        """Build `directory` as if its kustomization were `kustomization` (read from `path`)."""
        files = {path}
        items = self._accumulate(directory, kustomization, path, (directory,), files, None, "")
        return self._finish(items, kustomization, path), files

    def transform(self, resources: list[Resource], kustomization: YMap, directory: str,
                  path: str) -> list[Resource]:
        """The patches and transformers of `kustomization` (file `path`) applied to `resources`."""
        self._check_fields(kustomization, path, transform_only=True)
        items, files = [Item(r.data, r.file) for r in resources], {path}
        namespace = _text(kustomization.get("namespace")) or ""
        for include in self._includes(kustomization, ("components",)):
            items = self._include(include, directory, (directory,), files, items, True, namespace)
        return self._finish(self._transform(items, kustomization, directory, path, files), kustomization, path)

    # --- accumulation ---------------------------------------------------------

    def _spec(self, path: str) -> YMap | None:
        documents = self.workspace.load(path).documents
        spec = documents[0].value if documents else None
        return spec if isinstance(spec, YMap) else None

    def _includes(self, spec: YMap, fields: tuple[str, ...]) -> list[Include]:
        includes: list[Include] = []
        for name in fields:
            listed = _seq(spec, name)
            includes.extend(Include(entry, listed.item_location(index), is_remote(entry))
                            for index, entry in enumerate(listed) if isinstance(entry, str))
        return includes

    def _problem(self, message: str, location: Location, kind: str = "error", not_found: bool = False) -> None:
        if not_found and self._detached:
            return  # a Component built on its own: the objects it changes are its includer's
        self.problems.setdefault((location, message), RenderProblem(message, location, kind))

    def _failed(self, error: TransformError, location: Location) -> None:
        self._problem(error.message, location, not_found=isinstance(error, NotFound))

    def _check_fields(self, spec: YMap, path: str, transform_only: bool = False) -> None:
        kind, version = spec.get("kind", "Kustomization"), spec.get("apiVersion")
        wanted = _VERSIONS.get(kind) if isinstance(kind, str) else None
        if wanted is None and not transform_only:
            self._problem(f'kind "{kind}" in {path}: kustomize accepts Kustomization or Component',
                          spec.value_location("kind"))
        elif version is not None and version != wanted and not transform_only:
            self._problem(f'apiVersion "{version}" in {path}: kustomize wants {wanted} for a {kind}',
                          spec.value_location("apiVersion"))
        for key in spec:
            if key in _UNSUPPORTED and spec[key]:
                self._problem(f"`{key}` is not evaluated: {_UNSUPPORTED[key]}", spec.key_location(key),
                              "unsupported")
            elif key not in _SUPPORTED and key not in _UNSUPPORTED and not transform_only:
                self._problem(f'unknown field "{key}" in {path}: kustomize refuses to build it',
                              spec.key_location(key))

    def _accumulate(self, directory: str, spec: YMap, path: str, stack: tuple[str, ...], files: set[str],
                    items: list[Item] | None, parent_namespace: str) -> list[Item]:
        """accumulateTarget: `items` is the parent's list when this is a component."""
        self._check_fields(spec, path)
        items = [] if items is None else items
        namespace = _text(spec.get("namespace")) or parent_namespace
        for include in self._includes(spec, ("resources", "bases")):
            items = self._include(include, directory, stack, files, items, False, namespace)
        for kind, field in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
            entries = _seq(spec, field)
            for index, entry in enumerate(entries):
                location = entries.item_location(index)
                if not isinstance(entry, YMap):
                    self._problem(f"a {field} entry must be a mapping", location)
                    continue
                try:
                    absorb(items, generate(kind, entry, location, spec.get("generatorOptions"), self.workspace,
                                           directory, path, files))
                except GeneratorError as error:
                    self._problem(error.message, error.location)
                except TransformError as error:
                    self._failed(error, location)
        self._record_charts(spec, directory, path, namespace)
        for include in self._includes(spec, ("components",)):
            items = self._include(include, directory, stack, files, items, True, namespace)
        return self._transform(items, spec, directory, path, files)

    def _accumulated_dir(self, directory: str, spec: YMap, path: str, stack: tuple[str, ...],
                         namespace: str) -> tuple[list[Item], set[str]]:
        """A kustomization directory accumulated once, handed out as copies."""
        key = (directory, namespace)
        if key not in self._accumulated:
            files = {path}
            self._accumulated[key] = (self._accumulate(directory, spec, path, stack, files, None, namespace), files)
        items, files = self._accumulated[key]
        return [item.copy() for item in items], files

    def _include(self, include: Include, directory: str, stack: tuple[str, ...], files: set[str],
                 items: list[Item], component: bool, namespace: str) -> list[Item]:
        if include.remote:
            resolved = self.remote_resolver(include.entry, include.location) if self.remote_resolver else None
            if resolved is None:
                self._problem(f'remote resource "{include.entry}" is not fetched: its objects are not linted',
                              include.location, "remote")
                return items
            return self._append(items, [Item(r.data, r.file) for r in resolved], include.location)
        path = self.workspace.join(directory, include.entry)
        if path is None:
            self._problem(f'"{include.entry}" leaves the repository root: it is never read', include.location)
        elif path in stack:
            self._problem(f'"{include.entry}" includes a kustomization that includes this one '
                          "(a cycle): kustomize refuses to build it", include.location)
        elif self.workspace.is_dir(path):
            kustomization = kustomization_file(self.workspace, path)
            spec = self._spec(kustomization) if kustomization else None
            if kustomization is None or spec is None:
                self._problem(f'"{include.entry}" is a directory without a kustomization.yaml: '
                              "kustomize refuses to build it", include.location)
            elif (spec.get("kind") == "Component") != component:
                self._problem(f'"{include.entry}" is {"not " if component else ""}a Component: kustomize '
                              f'accepts {"only components" if component else "no component"} in '
                              f'`{"components" if component else "resources"}`', include.location)
            elif component:
                files.add(kustomization)
                return self._accumulate(path, spec, kustomization, (*stack, path), files, items, namespace)
            else:
                child, child_files = self._accumulated_dir(path, spec, kustomization, (*stack, path), namespace)
                files |= child_files
                return self._append(items, child, include.location)
        elif self.workspace.is_file(path) and component:
            self._problem(f'component "{include.entry}" is a file: kustomize accepts only a directory',
                          include.location)
        elif self.workspace.is_file(path):
            files.add(path)
            loaded = [r for document in self.workspace.load(path).documents
                      for r in resources_in(document.value, path)]
            return self._append(items, [Item(r.data, r.file) for r in loaded], include.location)
        else:
            self._problem(f'"{include.entry}" does not exist: kustomize refuses to build it', include.location)
        return items

    def _append(self, items: list[Item], new: list[Item], location: Location) -> list[Item]:
        known = {item.cur_id() for item in items}
        for item in new:
            if item.cur_id() in known:
                self._problem(f'{item.kind} "{item.name}" is included twice: kustomize refuses to build it',
                              location)
                continue
            known.add(item.cur_id())
            items.append(item)
        return items

    def _record_charts(self, spec: YMap, directory: str, path: str, namespace: str) -> None:
        charts = _seq(spec, "helmCharts")
        for index, chart in enumerate(charts):
            if not isinstance(chart, YMap) or not _text(chart.get("name")):
                self._problem("a helmCharts entry needs a name", charts.item_location(index))
                continue
            extra = chart.get("additionalValuesFiles")
            extra_files = [self._local(directory, v, extra.item_location(i) if isinstance(extra, YSeq)
                                       else chart.location()) for i, v in enumerate(extra)] \
                if isinstance(extra, list) else []
            record = HelmChart(
                chart["name"], _text(chart.get("version")), _text(chart.get("repo")),
                _text(chart.get("releaseName")), _text(chart.get("namespace")) or namespace or None,
                chart.get("valuesInline") if isinstance(chart.get("valuesInline"), YMap) else None,
                self._local(directory, chart.get("valuesFile"), chart.value_location("valuesFile")),
                tuple(p for p in extra_files if p), chart.get("includeCRDs") is True,
                charts.item_location(index), path)
            if record not in self.helm_charts:
                self.helm_charts.append(record)

    def _local(self, directory: str, value: object, location: Location) -> str | None:
        """A values file: repository-relative, a URL as written, None when it leaves the repository."""
        if not isinstance(value, str) or not value:
            return None
        if is_remote(value):
            return value
        path = self.workspace.join(directory, value)
        if path is None:
            self._problem(f'"{value}" leaves the repository root: it is never read', location)
        return path

    # --- transformers, in kustomize's order ---------------------------------------

    def _transform(self, items: list[Item], spec: YMap, directory: str, path: str,
                   files: set[str]) -> list[Item]:
        runner = _Patches(self, directory, path, files)
        items = runner.patches(runner.strategic_merge_list(items, spec), spec, "patches")
        for key, step in (("namespace", self._namespace), ("namePrefix", self._affix), ("nameSuffix", self._affix),
                          ("labels", self._labels), ("commonLabels", self._labels),
                          ("commonAnnotations", self._annotations), ("patchesJson6902", None),
                          ("replicas", self._replicas), ("images", self._images), ("imageTags", self._images)):
            if key == "patchesJson6902":
                items = runner.patches(items, spec, key)
            elif key in spec and step is not None:
                try:
                    step(items, spec, key)
                except TransformError as error:
                    self._failed(error, spec.key_location(key))
        return items

    def _namespace(self, items: list[Item], spec: YMap, key: str) -> None:
        namespace = _text(spec.get(key))
        if namespace:
            set_namespace(items, namespace, spec.value_location(key))

    def _affix(self, items: list[Item], spec: YMap, key: str) -> None:
        affix = _text(spec.get(key))
        if affix:
            add_affix(items, affix, key == "namePrefix")

    def _pairs(self, value: object, key: str, fallback: Location) -> tuple[dict[str, str], dict[str, Location]]:
        if not isinstance(value, dict):
            if value is not None:
                raise TransformError(f"`{key}` must be a mapping of strings")
            return {}, {}
        pairs, locations = {}, {}
        for name, text in value.items():
            if not isinstance(text, str):  # kustomize decodes these into map[string]string
                raise TransformError(f'`{key}`: the value of "{name}" must be a string (quote it)')
            pairs[str(name)] = text
            locations[str(name)] = value.value_location(name) if isinstance(value, YMap) else fallback
        return pairs, locations

    def _labels(self, items: list[Item], spec: YMap, key: str) -> None:
        location = spec.key_location(key)
        if key == "commonLabels":
            pairs, locations = self._pairs(spec.get(key), key, location)
            if pairs:
                apply(items, COMMON_LABELS, set_entries(pairs, locations, location), location)
            return
        entries = _seq(spec, key)
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise TransformError("a `labels` entry must be a mapping")
            where = entries.item_location(index)
            pairs, locations = self._pairs(entry.get("pairs"), "labels.pairs", where)
            custom = [s for s in map(field_spec_from, entry.get("fields") or []) if s is not None]
            if entry.get("includeSelectors") is True:
                specs = merge_specs(custom, COMMON_LABELS)
            else:
                specs = merge_specs(custom, TEMPLATE_LABELS if entry.get("includeTemplates") is True else (),
                                    [fs("metadata/labels", create=True)])
            if pairs:
                apply(items, specs, set_entries(pairs, locations, where), where)

    def _annotations(self, items: list[Item], spec: YMap, key: str) -> None:
        location = spec.key_location(key)
        pairs, locations = self._pairs(spec.get(key), key, location)
        if pairs:
            apply(items, COMMON_ANNOTATIONS, set_entries(pairs, locations, location), location)

    def _replicas(self, items: list[Item], spec: YMap, key: str) -> None:
        entries = _seq(spec, key)
        for index, entry in enumerate(entries):
            name, count = (entry.get("name"), entry.get("count")) if isinstance(entry, dict) else (None, None)
            if not isinstance(name, str) or not isinstance(count, int) or isinstance(count, bool):
                raise TransformError("a `replicas` entry needs a name and an integer count")
            where = entry.value_location("count") if isinstance(entry, YMap) else entries.item_location(index)
            set_replicas(items, name, count, where)

    def _images(self, items: list[Item], spec: YMap, key: str) -> None:
        entries = _seq(spec, key)
        for index, entry in enumerate(entries):
            if not isinstance(entry, YMap) or not _text(entry.get("name")):
                raise TransformError(f"an `{key}` entry needs a name")
            rule = ImageRule(entry["name"], *(_text(entry.get(f)) or "" for f in
                                              ("newName", "newTag", "digest", "tagSuffix")))
            if rule.tag_suffix and (rule.new_tag or rule.digest):
                raise TransformError("an image's tagSuffix cannot go with newTag or digest")
            changed = next((f for f in ("newTag", "digest", "newName", "tagSuffix") if _text(entry.get(f))), None)
            where = entry.value_location(changed) if changed else entries.item_location(index)
            set_images(items, rule, where)

    # --- the end of a build ---------------------------------------------------

    def _finish(self, items: list[Item], spec: YMap, path: str) -> list[Resource]:
        for item in items:
            if item.needs_hash:
                add_hash(item)
        try:
            fix_name_references(items)
        except TransformError as error:
            self._problem(error.message, Location(path, 1, 1))
        # In the order kustomize accumulates them (its `sortOptions: {order: fifo}`):
        # `kubectl kustomize` sorts by kind by default, but the objects are the
        # same and the rules read "defined first" in the order of the files.
        kept = [item for item in items if _annotation(item, "config.kubernetes.io/local-config") in (None, "false")]
        return [Resource(item.data, item.file) for item in kept]


def _annotation(item: Item, key: str) -> object:
    annotations = item.metadata.get("annotations")
    return annotations.get(key) if isinstance(annotations, dict) else None


def parse_inline(workspace: Workspace, text: str, node: object, file: str, location: Location) -> list[object]:
    """The YAML documents of an inline patch. Written as a literal block
    (`patch: |`), it is parsed where it stands in the kustomization, so what
    it sets reports its own line; otherwise everything reports `location`."""
    lines = text.split("\n")
    if getattr(node, "style", None) == "|" and file and not any(l.startswith(("---", "...")) for l in lines):
        first = node.start_mark.line + 1  # type: ignore[attr-defined]
        source, indent = workspace.load(file), None
        for offset, line in enumerate(lines):
            written = source.line(first + offset + 1)
            if line.strip():
                indent = len(written) - len(written.lstrip(" ")) if indent is None else indent
                if written[indent:] != line:
                    break
        else:
            if indent is not None:
                parsed = load_text("\n" * first + "\n".join(" " * indent + l if l else "" for l in lines), file)
                if not parsed.problems:
                    return [d.value for d in parsed.documents if d.value is not None]
    parsed = load_text(text, location.file)
    if parsed.problems:
        raise TransformError(f"the inline patch is not valid YAML: {parsed.problems[0].message}")
    return [_anchored(d.value, location) for d in parsed.documents if d.value is not None]


def _anchored(value: object, location: Location) -> object:
    """`value` with every mapping and sequence reporting `location`."""
    if isinstance(value, dict):
        result = YMap(location.file, None, location)
        result.update((k, _anchored(v, location)) for k, v in value.items())
        return result
    if isinstance(value, list):
        seq = YSeq(location.file, None, location)
        seq.extend(_anchored(v, location) for v in value)
        return seq
    return value


def _value_node(mapping: YMap, key: str) -> object:
    """The YAML node of `mapping[key]`, for the position of an inline patch."""
    found = None
    for key_node, value_node in getattr(mapping.node, "value", None) or ():
        if getattr(key_node, "value", None) == key:
            found = value_node
    return found


class _Patches:
    """patchesStrategicMerge, patches and patchesJson6902 of one kustomization,
    through linter/patch.py. A failing patch is reported at its entry and
    leaves the objects as they were."""

    def __init__(self, renderer: KustomizeRenderer, directory: str, path: str, files: set[str]) -> None:
        self.renderer, self.directory, self.path, self.files = renderer, directory, path, files

    def strategic_merge_list(self, items: list[Item], spec: YMap) -> list[Item]:
        entries = _seq(spec, "patchesStrategicMerge")
        if not entries:
            return items
        from linter.patch import PatchError  # noqa: PLC0415

        for index, entry in enumerate(entries):
            location = entries.item_location(index)
            try:
                if not isinstance(entry, str):
                    raise TransformError("a patchesStrategicMerge entry is a file name or a patch")
                node = entries.node.value[index] if entries.node is not None else None
                # kustomize first reads the entry as a patch, then as a file name.
                inline = "\n" in entry.strip() or ": " in entry
                documents = self._inline(entry, node, entries.file, location) if inline \
                    else self._file(entry, location)
                items = self._run(items, documents, None, None, location, "strategic")
            except TransformError as error:
                self.renderer._failed(error, location)
            except PatchError as error:
                self.renderer._problem(error.message, error.location or location)
        return items

    def patches(self, items: list[Item], spec: YMap, key: str) -> list[Item]:
        entries = _seq(spec, key)
        if not entries:
            return items
        from linter.patch import PatchError, parse_target  # noqa: PLC0415 - patch.py is written alongside

        for index, entry in enumerate(entries):
            location = entries.item_location(index)
            try:
                if not isinstance(entry, dict):
                    raise TransformError(f"a {key} entry must be a mapping")
                path, inline = _text(entry.get("path")), entry.get("patch")
                if not isinstance(inline, str) or not inline.strip():
                    inline = None
                if (path is None) == (inline is None):
                    raise TransformError(f"a {key} entry needs either `path` or `patch`")
                documents = self._file(path, location) if path is not None else self._inline(
                    str(inline), _value_node(entry, "patch") if isinstance(entry, YMap) else None,
                    entry.file if isinstance(entry, YMap) else "", location)
                target = None
                if entry.get("target") is not None:
                    target = parse_target(entry["target"])
                    if target is None:
                        raise TransformError(f"the {key} target is not a valid selector")
                if key == "patchesJson6902" and target is None:
                    raise TransformError("a patchesJson6902 entry needs a target")
                mode = "json" if key == "patchesJson6902" else "any"
                items = self._run(items, documents, target, entry.get("options"), location, mode)
            except TransformError as error:
                self.renderer._failed(error, location)
            except PatchError as error:
                self.renderer._problem(error.message, error.location or location)
        return items

    def _file(self, entry: str, location: Location) -> list[object]:
        path = self.renderer.workspace.join(self.directory, entry)
        if path is None:
            raise TransformError(f'"{entry}" leaves the repository root: it is never read')
        if not self.renderer.workspace.is_file(path):
            raise TransformError(f'patch "{entry}" does not exist: kustomize refuses to build it')
        self.files.add(path)
        return [d.value for d in self.renderer.workspace.load(path).documents if d.value is not None]

    def _inline(self, text: str, node: object, file: str, location: Location) -> list[object]:
        return parse_inline(self.renderer.workspace, text, node, file, location)

    def _run(self, items: list[Item], documents: list[object], target: object, options: object,
             location: Location, mode: str) -> list[Item]:
        from linter.patch import is_json6902, json6902  # noqa: PLC0415

        if not documents:
            raise TransformError("the patch is empty")
        if mode == "json" or (mode == "any" and is_json6902(documents[0])):
            if target is None:
                raise TransformError("a JSON 6902 patch needs a target")
            for item in self._select(items, target, location):
                if mode == "any":
                    item.store_previous()  # PatchTransformer tracks renames; patchesJson6902 does not
                item.data = json6902(item.data, documents[0], location)
            return items
        patches = [d for d in documents if isinstance(d, YMap)]
        if len(patches) != len(documents):
            raise TransformError("a strategic merge patch must be a mapping (or a list of JSON 6902 operations)")
        if target is not None:
            if len(patches) > 1:
                raise TransformError("several strategic merge patches in one entry cannot share a `target`")
            return self._merge(items, self._select(items, target, location), patches[0], options, True)
        for patch in patches:
            wanted = Item(patch, "").cur_id()
            matches = [item for item in items if any(wanted == i for i in item.any_ids())]
            if len(matches) != 1:
                what = f'{wanted.kind} "{wanted.name}"' + (f' in namespace "{wanted.namespace}"'
                                                             if wanted.namespace != "default" else "")
                raise (NotFound if not matches else TransformError)(
                    f"{'no object matches' if not matches else 'several objects match'} the "
                                     f"strategic merge patch for {what}: kustomize refuses to build it")
            # Through patchesStrategicMerge kustomize applies it as a selected patch (ResMap.ApplySmPatch).
            items = self._merge(items, matches, patch, options, mode == "strategic")
        return items

    def _select(self, items: list[Item], target: object, location: Location) -> list[Item]:
        """kustomize's Select: the original or the current name and namespace."""
        from linter.patch import target_matches  # noqa: PLC0415

        selected = []
        for item in items:
            org = item.org_id()
            if target_matches(target, Resource(item.data, item.file),  # type: ignore[arg-type]
                              original_name=org.name, original_namespace=org.namespace):
                selected.append(item)
        if not selected:
            self.renderer._problem("the patch target matches no object: the patch changes nothing", location,
                                   not_found=True)
        return selected

    def _merge(self, items: list[Item], selected: list[Item], patch: YMap, options: object,
               through_selector: bool) -> list[Item]:
        from linter.patch import strategic_merge  # noqa: PLC0415

        allow_name = isinstance(options, dict) and options.get("allowNameChange") is True
        allow_kind = isinstance(options, dict) and options.get("allowKindChange") is True
        chosen = {id(item) for item in selected}
        kept = []
        for item in items:
            if id(item) in chosen:
                if allow_name or allow_kind:
                    item.store_previous()
                merged = strategic_merge(item.data, patch, selected=through_selector,
                                         allow_name_change=allow_name, allow_kind_change=allow_kind)
                if merged is None:
                    continue  # `$patch: delete`
                item.data = merged
            kept.append(item)
        return kept
