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

The kustomization file itself is read by linter/kustomization.py, its
patches applied by linter/kustomize_patches.py, its generators run by
linter/generators.py, its other transformers by linter/transformers.py and
linter/fieldspec.py; linter/namerefs.py fixes the references at the end.
Its `configurations:` (linter/kustomize_config.py) add field specs to those
transformers and name references; like kustomize, an accumulation merges the
configurations of everything it includes into its own.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from linter.fieldspec import (COMMON_ANNOTATIONS, COMMON_LABELS, IMAGES, REPLICAS, TEMPLATE_LABELS, FieldSpec, apply,
                              field_spec_from, fs, merge_specs, set_entries)
from linter.finding import Location
from linter.generators import GeneratorError, absorb, add_hash, generate
from linter.item import Item, NotFound, TransformError
from linter.kustomization import (Include, field_problems, includes, is_remote, kustomization_file, seq_field,
                                  text_or_none)
from linter.kustomize_config import ConfigError, TransformerConfig, load_configurations, merge_one_by_one
from linter.kustomize_patches import Patches
from linter.namerefs import fix_name_references
from linter.resource import RenderProblem, Resource, resources_in
from linter.transformers import ImageRule, add_affix, set_images, set_namespace, set_replicas
from linter.upstream import resolve_remote
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

_INCLUDE_FIELDS = ("resources", "bases", "components")


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


class KustomizeRenderer:
    """Builds kustomization directories, each at most once."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._built: dict[str, tuple[list[Resource], set[str]]] = {}
        # An accumulated directory: its objects, the files read, the `configurations:` of its tree.
        self._accumulated: dict[tuple[str, str], tuple[list[Item], set[str], TransformerConfig]] = {}
        self.problems: dict[tuple[Location, str], RenderProblem] = {}
        self.helm_charts: list[HelmChart] = []
        self._detached = False  # building a Component as if it were a kustomization
        self._config = TransformerConfig()  # the configurations the transformers running now use
        # Stands in for a remote entry: its objects, or None to report it as skipped.
        # By default MetalLB's own upstream manifests are modelled (linter/upstream.py).
        self.remote_resolver: Callable[[str, Location], list[Resource] | None] | None = resolve_remote

    # --- public API ---------------------------------------------------------

    def included_dirs(self, kustomization: str) -> list[str]:
        """Local directories a kustomization file includes."""
        directory = posixpath.dirname(kustomization) or "."
        spec = self._spec(kustomization)
        found = []
        for include in includes(spec, _INCLUDE_FIELDS) if spec is not None else []:
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
            items, files, config = self._accumulated_dir(directory, spec, kustomization, (directory,), "")
            result = self._built[directory] = (self._finish(items, kustomization, config), files)
        finally:
            self._detached = False
        return result

    def build_with(self, directory: str, kustomization: YMap, path: str) -> tuple[list[Resource], set[str]]:
        """Build `directory` as if its kustomization were `kustomization` (read from `path`)."""
        files, config = {path}, TransformerConfig()
        items = self._accumulate(directory, kustomization, path, (directory,), files, None, "", config)
        return self._finish(items, path, config), files

    def transform(self, resources: list[Resource], kustomization: YMap, directory: str,
                  path: str) -> list[Resource]:
        """The patches and transformers of `kustomization` (file `path`) applied to `resources`."""
        self._check_fields(kustomization, path, transform_only=True)
        items, files, config = [Item(r.data, r.file) for r in resources], {path}, TransformerConfig()
        namespace = text_or_none(kustomization.get("namespace")) or ""
        self._configure(config, kustomization, directory, files)
        for include in includes(kustomization, ("components",)):
            items = self._include(include, directory, (directory,), files, items, True, namespace, config)
        return self._finish(self._transform(items, kustomization, directory, files, config), path, config)

    def add_problem(self, message: str, location: Location, kind: str = "error", not_found: bool = False) -> None:
        """Record a problem at `location`, once; `not_found` when the objects to
        change are missing, which a Component built on its own cannot see."""
        if not_found and self._detached:
            return  # a Component built on its own: the objects it changes are its includer's
        self.problems.setdefault((location, message), RenderProblem(message, location, kind))

    def add_transform_error(self, error: TransformError, location: Location) -> None:
        self.add_problem(error.message, location, not_found=isinstance(error, NotFound))

    # --- accumulation ---------------------------------------------------------

    def _spec(self, path: str) -> YMap | None:
        documents = self.workspace.load(path).documents
        spec = documents[0].value if documents else None
        return spec if isinstance(spec, YMap) else None

    def _check_fields(self, spec: YMap, path: str, transform_only: bool = False) -> None:
        for problem in field_problems(spec, path, transform_only):
            self.add_problem(problem.message, problem.location, problem.kind)

    def _accumulate(self, directory: str, spec: YMap, path: str, stack: tuple[str, ...], files: set[str],
                    items: list[Item] | None, parent_namespace: str, config: TransformerConfig) -> list[Item]:
        """accumulateTarget: `items` (and `config`) are the parent's when this is a component;
        `config` gathers the configurations of this tree, as kustomize's accumulator does."""
        self._check_fields(spec, path)
        items = [] if items is None else items
        namespace = text_or_none(spec.get("namespace")) or parent_namespace
        for include in includes(spec, ("resources", "bases")):
            items = self._include(include, directory, stack, files, items, False, namespace, config)
        self._configure(config, spec, directory, files)
        for kind, field in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
            entries = seq_field(spec, field)
            for index, entry in enumerate(entries):
                location = entries.item_location(index)
                if not isinstance(entry, YMap):
                    self.add_problem(f"a {field} entry must be a mapping", location)
                    continue
                try:
                    absorb(items, generate(kind, entry, location, spec.get("generatorOptions"), self.workspace,
                                           directory, path, files))
                except GeneratorError as error:
                    self.add_problem(error.message, error.location)
                except TransformError as error:
                    self.add_transform_error(error, location)
        self._record_charts(spec, directory, path, namespace)
        for include in includes(spec, ("components",)):
            items = self._include(include, directory, stack, files, items, True, namespace, config)
        return self._transform(items, spec, directory, files, config)

    def _configure(self, config: TransformerConfig, spec: YMap, directory: str, files: set[str]) -> None:
        """Merge the `configurations:` files of `spec` into `config`; kustomize stops at a bad one."""
        if not spec.get("configurations"):
            return
        try:
            config.merge(load_configurations(self.workspace, directory, spec, files))
        except ConfigError as error:
            self.add_problem(error.message, error.location, error.kind)
        except TransformError as error:  # conflicts with what the included kustomizations configure
            self.add_problem(error.message, spec.key_location("configurations"))

    def _accumulated_dir(self, directory: str, spec: YMap, path: str, stack: tuple[str, ...],
                         namespace: str) -> tuple[list[Item], set[str], TransformerConfig]:
        """A kustomization directory accumulated once, handed out as copies."""
        key = (directory, namespace)
        if key not in self._accumulated:
            files, config = {path}, TransformerConfig()
            items = self._accumulate(directory, spec, path, stack, files, None, namespace, config)
            self._accumulated[key] = (items, files, config)
        items, files, config = self._accumulated[key]
        return [item.copy() for item in items], files, config

    def _include(self, include: Include, directory: str, stack: tuple[str, ...], files: set[str],
                 items: list[Item], component: bool, namespace: str, config: TransformerConfig) -> list[Item]:
        if include.remote:
            resolved = self.remote_resolver(include.entry, include.location) if self.remote_resolver else None
            if resolved is None:
                self.add_problem(f'remote resource "{include.entry}" is not fetched: its objects are not linted',
                                 include.location, "remote")
                return items
            return self._append(items, [Item(r.data, r.file) for r in resolved], include.location)
        path = self.workspace.join(directory, include.entry)
        if path is None:
            self.add_problem(f'"{include.entry}" leaves the repository root: it is never read', include.location)
        elif path in stack:
            self.add_problem(f'"{include.entry}" includes a kustomization that includes this one '
                             "(a cycle): kustomize refuses to build it", include.location)
        elif self.workspace.is_dir(path):
            kustomization = kustomization_file(self.workspace, path)
            spec = self._spec(kustomization) if kustomization else None
            if kustomization is None or spec is None:
                self.add_problem(f'"{include.entry}" is a directory without a kustomization.yaml: '
                                 "kustomize refuses to build it", include.location)
            elif (spec.get("kind") == "Component") != component:
                self.add_problem(f'"{include.entry}" is {"not " if component else ""}a Component: kustomize '
                                 f'accepts {"only components" if component else "no component"} in '
                                 f'`{"components" if component else "resources"}`', include.location)
            elif component:
                files.add(kustomization)
                return self._accumulate(path, spec, kustomization, (*stack, path), files, items, namespace, config)
            else:
                child, child_files, child_config = self._accumulated_dir(path, spec, kustomization,
                                                                         (*stack, path), namespace)
                files |= child_files
                try:
                    config.merge(child_config)
                except TransformError as error:
                    self.add_problem(error.message, include.location)
                return self._append(items, child, include.location)
        elif self.workspace.is_file(path) and component:
            self.add_problem(f'component "{include.entry}" is a file: kustomize accepts only a directory',
                             include.location)
        elif self.workspace.is_file(path):
            files.add(path)
            loaded = [r for document in self.workspace.load(path).documents
                      for r in resources_in(document.value, path)]
            return self._append(items, [Item(r.data, r.file) for r in loaded], include.location)
        else:
            self.add_problem(f'"{include.entry}" does not exist: kustomize refuses to build it', include.location)
        return items

    def _append(self, items: list[Item], new: list[Item], location: Location) -> list[Item]:
        known = {item.cur_id() for item in items}
        for item in new:
            if item.cur_id() in known:
                self.add_problem(f'{item.kind} "{item.name}" is included twice: kustomize refuses to build it',
                                 location)
                continue
            known.add(item.cur_id())
            items.append(item)
        return items

    def _record_charts(self, spec: YMap, directory: str, path: str, namespace: str) -> None:
        charts = seq_field(spec, "helmCharts")
        for index, chart in enumerate(charts):
            if not isinstance(chart, YMap) or not text_or_none(chart.get("name")):
                self.add_problem("a helmCharts entry needs a name", charts.item_location(index))
                continue
            extra = chart.get("additionalValuesFiles")
            extra_files = [self._local(directory, v, extra.item_location(i) if isinstance(extra, YSeq)
                                       else chart.location()) for i, v in enumerate(extra)] \
                if isinstance(extra, list) else []
            record = HelmChart(
                chart["name"], text_or_none(chart.get("version")), text_or_none(chart.get("repo")),
                text_or_none(chart.get("releaseName")), text_or_none(chart.get("namespace")) or namespace or None,
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
            self.add_problem(f'"{value}" leaves the repository root: it is never read', location)
        return path

    # --- transformers, in kustomize's order ---------------------------------------

    def _transform(self, items: list[Item], spec: YMap, directory: str, files: set[str],
                   config: TransformerConfig) -> list[Item]:
        self._config = config  # what the steps below read, as kustomize hands its config to each transformer
        runner = Patches(self, directory, files)
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
                    self.add_transform_error(error, spec.key_location(key))
        return items

    def _namespace(self, items: list[Item], spec: YMap, key: str) -> None:
        namespace = text_or_none(spec.get(key))
        if namespace:
            set_namespace(items, namespace, spec.value_location(key), self._config.extra("namespace"))

    def _affix(self, items: list[Item], spec: YMap, key: str) -> None:
        affix = text_or_none(spec.get(key))
        if affix:
            add_affix(items, affix, key == "namePrefix", self._config.extra(key))

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
                apply(items, self._specs(COMMON_LABELS, "commonLabels"), set_entries(pairs, locations, location),
                      location)
            return
        entries = seq_field(spec, key)
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise TransformError("a `labels` entry must be a mapping")
            where = entries.item_location(index)
            pairs, locations = self._pairs(entry.get("pairs"), "labels.pairs", where)
            custom = merge_specs([s for s in map(field_spec_from, entry.get("fields") or []) if s is not None],
                                 self._config.extra("labels"))
            if entry.get("includeSelectors") is True:
                specs = merge_specs(custom, self._specs(COMMON_LABELS, "commonLabels"))
            else:
                specs = merge_specs(custom, self._specs(TEMPLATE_LABELS, "templateLabels")
                                    if entry.get("includeTemplates") is True else (),
                                    [fs("metadata/labels", create=True)])
            if pairs:
                apply(items, specs, set_entries(pairs, locations, where), where)

    def _annotations(self, items: list[Item], spec: YMap, key: str) -> None:
        location = spec.key_location(key)
        pairs, locations = self._pairs(spec.get(key), key, location)
        if pairs:
            apply(items, self._specs(COMMON_ANNOTATIONS, "commonAnnotations"), set_entries(pairs, locations, location),
                  location)

    def _replicas(self, items: list[Item], spec: YMap, key: str) -> None:
        entries = seq_field(spec, key)
        for index, entry in enumerate(entries):
            name, count = (entry.get("name"), entry.get("count")) if isinstance(entry, dict) else (None, None)
            if not isinstance(name, str) or not isinstance(count, int) or isinstance(count, bool):
                raise TransformError("a `replicas` entry needs a name and an integer count")
            where = entry.value_location("count") if isinstance(entry, YMap) else entries.item_location(index)
            set_replicas(items, name, count, where, self._specs(REPLICAS, "replicas"))

    def _images(self, items: list[Item], spec: YMap, key: str) -> None:
        entries = seq_field(spec, key)
        for index, entry in enumerate(entries):
            if not isinstance(entry, YMap) or not text_or_none(entry.get("name")):
                raise TransformError(f"an `{key}` entry needs a name")
            rule = ImageRule(entry["name"], *(text_or_none(entry.get(f)) or "" for f in
                                              ("newName", "newTag", "digest", "tagSuffix")))
            if rule.tag_suffix and (rule.new_tag or rule.digest):
                raise TransformError("an image's tagSuffix cannot go with newTag or digest")
            changed = next((f for f in ("newTag", "digest", "newName", "tagSuffix")
                            if text_or_none(entry.get(f))), None)
            where = entry.value_location(changed) if changed else entries.item_location(index)
            set_images(items, rule, where, self._specs(IMAGES, "images"))

    def _specs(self, builtin: tuple[FieldSpec, ...], key: str) -> tuple[FieldSpec, ...]:
        """A transformer's builtin field specs and those `configurations:` add (already checked to merge)."""
        extra = self._config.extra(key)
        return tuple(merge_one_by_one(builtin, extra)) if extra else builtin

    # --- the end of a build ---------------------------------------------------

    def _finish(self, items: list[Item], path: str, config: TransformerConfig) -> list[Resource]:
        for item in items:
            if item.needs_hash:
                add_hash(item)
        try:
            fix_name_references(items, config.name_reference_table())
        except TransformError as error:
            self.add_problem(error.message, Location(path, 1, 1))
        # In the order kustomize accumulates them (its `sortOptions: {order: fifo}`):
        # `kubectl kustomize` sorts by kind by default, but the objects are the
        # same and the rules read "defined first" in the order of the files.
        kept = [item for item in items if _annotation(item, "config.kubernetes.io/local-config") in (None, "false")]
        return [Resource(item.data, item.file) for item in kept]


def _annotation(item: Item, key: str) -> object:
    annotations = item.metadata.get("annotations")
    return annotations.get(key) if isinstance(annotations, dict) else None
