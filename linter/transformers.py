"""Kustomize's builtin transformers, on positioned values.

Each function here mirrors one kustomize (v5, api/internal/builtins and
api/filters) transformer: namespace, name prefix and suffix, images,
replicas; with the same field specs (linter/fieldspec.py), the same matching,
the same surprises (a Namespace object is renamed by `namespace:`). Like
every change to an `Item` (linter/item.py), they copy what they change and
record the kustomization line that set it. Labels and annotations need no
function of their own: `apply` with the `COMMON_LABELS` or
`COMMON_ANNOTATIONS` specs and `set_entries` is the transformer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linter.fieldspec import IMAGES, REPLICAS, FieldSpec, set_scalar
from linter.finding import Location
from linter.item import (Id, Item, NotFound, Setter, TransformError, copy_map, copy_seq, split_api_version,
                         split_path, walk)
from linter.yamlpos import YMap


# --- namespace, prefix and suffix -----------------------------------------

def set_namespace(items: list[Item], namespace: str, location: Location, extra: tuple[FieldSpec, ...] = ()) -> None:
    """NamespaceTransformer (api/filters/namespace); `extra`: the field specs
    `configurations:` add to the builtin ones, which are written out below."""
    setter = set_scalar(namespace)
    for item in items:
        item.store_previous()
        if not item.cluster_scoped():
            item.update(("metadata", "namespace"), setter, location, create=True)
        if item.kind == "Namespace" and item.api_version == "v1":
            item.update(("metadata", "name"), setter, location, create=True)  # yes: renamed
        group = split_api_version(item.api_version)[0]
        if item.kind == "APIService" and group == "apiregistration.k8s.io":
            item.update(("spec", "service", "namespace"), setter, location, create=True)
        if item.kind == "CustomResourceDefinition" and group == "apiextensions.k8s.io":
            item.update(split_path("spec/conversion/webhook/clientConfig/service/namespace"), setter, location)
        if item.kind in ("RoleBinding", "ClusterRoleBinding"):
            # Only subjects named "default" get the namespace here; the others
            # follow their ServiceAccount through the name references.
            item.update(("subjects",), _default_subjects(namespace, location), location)
        for spec in extra:
            # metadata/namespace is set above for every namespaced object, and a binding's
            # subjects only by the rule above: kustomize drops such specs the same way.
            if spec.path == ("metadata", "namespace") or spec.path[:1] == ("subjects",) \
                    and item.kind in ("RoleBinding", "ClusterRoleBinding") or not spec.selects(item):
                continue
            item.update(spec.path, setter, location, spec.create)
    seen: set[Id] = set()
    for item in items:
        if item.cur_id() in seen:
            raise TransformError(f"namespace transformation produces an ID conflict: two {item.kind} "
                                 f'"{item.name}" in namespace "{namespace}"')
        seen.add(item.cur_id())


def _default_subjects(namespace: str, location: Location) -> Setter:
    def setter(subjects: object) -> object:
        if not isinstance(subjects, list):
            return subjects
        items = []
        for subject in subjects:
            if isinstance(subject, dict) and subject.get("name") == "default":
                subject = copy_map(subject)
                subject["namespace"] = namespace
                if isinstance(subject, YMap):
                    subject.set_location("namespace", location)
            items.append(subject)
        return copy_seq(subjects, items)
    return setter


def add_affix(items: list[Item], affix: str, prefix: bool, extra: tuple[FieldSpec, ...] = ()) -> None:
    """PrefixTransformer / SuffixTransformer on metadata/name.

    The name keeps the location where it is written: a finding about the
    object (and the comment that suppresses it) stays with the object rather
    than with the one `namePrefix:` line shared by every object of the overlay.
    `extra`: other fields `configurations:` ask to prefix (or suffix) as well."""
    def affixed(old: object) -> object:
        return f"{affix}{_scalar_text(old)}" if prefix else f"{_scalar_text(old)}{affix}"

    for item in items:
        org = item.org_id()
        if org.kind in ("CustomResourceDefinition", "Namespace") \
                or (org.kind == "APIService" and org.group == "apiregistration.k8s.io"):
            continue
        if prefix:
            item.prefixes = (*item.prefixes, affix)
        else:
            item.suffixes = (*item.suffixes, affix)
        item.store_previous()
        item.update(("metadata", "name"), affixed, None)
        for spec in extra:
            if spec.path != ("metadata", "name") and org.selected_by(spec.group, spec.version, spec.kind):
                item.update(spec.path, affixed, None, spec.create)


def _scalar_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- images and replicas ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class ImageRule:
    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""
    tag_suffix: str = ""


_TAG = r"(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?"


def _split_image(image: str) -> tuple[str, str, str]:
    """api/internal/image.Split: name, tag, digest (a registry port is not a tag)."""
    slash = image.find("/")
    offset = slash if slash > 0 else 0
    search = image[offset:]
    at, colon = search.find("@"), search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[:at + offset], "", image[at + offset + 1:]
    if at >= 0:
        return image[:colon + offset], image[colon + offset + 1:at + offset], image[at + offset + 1:]
    return image[:colon + offset], image[colon + offset + 1:], ""


def new_image(value: str, rule: ImageRule) -> str | None:
    """imageTagUpdater.SetImageValue; None when the image is not `rule.name`
    (which kustomize reads as a regular expression)."""
    try:
        if not re.match(f"^{rule.name}{_TAG}\\Z", value):
            return None
    except re.error:
        return None
    name, tag, digest = _split_image(value)
    name = rule.new_name or name
    if rule.new_tag and rule.digest:
        tag, digest = rule.new_tag, rule.digest
    elif rule.new_tag:
        tag, digest = rule.new_tag, ""
    elif rule.digest:
        tag, digest = "", rule.digest
    elif rule.tag_suffix:
        tag, digest = tag + rule.tag_suffix, ""
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def set_images(items: list[Item], rule: ImageRule, location: Location, specs: tuple[FieldSpec, ...] = IMAGES) -> None:
    """ImageTagTransformer: the legacy pass (every `containers`/`initContainers`
    list anywhere in the object) and then the field specs, as kustomize runs both."""
    def image_setter(old: object) -> object:
        if not isinstance(old, str):
            return old
        updated = new_image(old, rule)
        return old if updated is None else updated

    def legacy(node: object) -> object:
        if isinstance(node, list):
            items_ = [legacy(item) for item in node]
            return copy_seq(node, items_) if any(a is not b for a, b in zip(items_, node)) else node
        if not isinstance(node, dict):
            return node
        result = node
        for key, value in node.items():
            new = legacy(value)
            if key in ("containers", "initContainers") and isinstance(new, list):
                new = walk(new, ("image",), False, image_setter, location)
            if new is not value:
                result = copy_map(node) if result is node else result
                result[key] = new
        return result

    for item in items:
        if item.kind == "CustomResourceDefinition":
            continue
        item.data = legacy(item.data)  # type: ignore[assignment]
        for spec in specs:
            if spec.selects(item):
                item.update(spec.path, image_setter, location)


def set_replicas(items: list[Item], name: str, count: int, location: Location,
                 specs: tuple[FieldSpec, ...] = REPLICAS) -> None:
    found = False
    for spec in specs:
        for item in items:
            if any(i.name == name and i.selected_by(spec.group, spec.version, spec.kind) for i in item.any_ids()):
                found = True
                if spec.selects(item):
                    item.update(spec.path, set_scalar(count), location, create=True)
    if not found:
        raise NotFound(f'replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet named "{name}"')
