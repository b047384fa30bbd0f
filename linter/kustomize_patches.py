"""A kustomization's patches: its entries read, their targets selected, applied.

`patchesStrategicMerge`, `patches` and `patchesJson6902` entries as
kustomize reads them (a file, or a patch written inline, which then reports
its own lines), the objects each one applies to (by target, or by the
patch's own identity), and the patch applied through linter/strategic_merge.py
or linter/json6902.py. linter/kustomize.py runs them in kustomize's order
among the other transformers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linter.finding import Location
from linter.item import Item, NotFound, TransformError
from linter.json6902 import is_json6902, json6902
from linter.kustomization import seq_field, text_or_none
from linter.loader import load_text
from linter.patch_target import PatchTarget, parse_target, target_matches
from linter.patch_tree import PatchError
from linter.resource import Resource
from linter.strategic_merge import strategic_merge
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

if TYPE_CHECKING:
    from linter.kustomize import KustomizeRenderer


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


class Patches:
    """patchesStrategicMerge, patches and patchesJson6902 of one kustomization.
    A failing patch is reported at its entry and leaves the objects as they were."""

    def __init__(self, renderer: KustomizeRenderer, directory: str, files: set[str]) -> None:
        self.renderer, self.directory, self.files = renderer, directory, files

    def strategic_merge_list(self, items: list[Item], spec: YMap) -> list[Item]:
        entries = seq_field(spec, "patchesStrategicMerge")
        if not entries:
            return items
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
                self.renderer.add_transform_error(error, location)
            except PatchError as error:
                self.renderer.add_problem(error.message, error.location or location)
        return items

    def patches(self, items: list[Item], spec: YMap, key: str) -> list[Item]:
        entries = seq_field(spec, key)
        if not entries:
            return items
        for index, entry in enumerate(entries):
            location = entries.item_location(index)
            try:
                if not isinstance(entry, dict):
                    raise TransformError(f"a {key} entry must be a mapping")
                path, inline = text_or_none(entry.get("path")), entry.get("patch")
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
                self.renderer.add_transform_error(error, location)
            except PatchError as error:
                self.renderer.add_problem(error.message, error.location or location)
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

    def _run(self, items: list[Item], documents: list[object], target: PatchTarget | None, options: object,
             location: Location, mode: str) -> list[Item]:
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

    def _select(self, items: list[Item], target: PatchTarget, location: Location) -> list[Item]:
        """kustomize's Select: the original or the current name and namespace."""
        selected = []
        for item in items:
            org = item.org_id()
            if target_matches(target, Resource(item.data, item.file),
                              original_name=org.name, original_namespace=org.namespace):
                selected.append(item)
        if not selected:
            self.renderer.add_problem("the patch target matches no object: the patch changes nothing", location,
                                      not_found=True)
        return selected

    def _merge(self, items: list[Item], selected: list[Item], patch: YMap, options: object,
               through_selector: bool) -> list[Item]:
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
