"""A Kubernetes object as a target deploys it: its data plus where it came from."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from linter.finding import Location, ObjectRef
from linter.yamlpos import YMap


@dataclass(frozen=True, slots=True)
class RenderProblem:
    """Something a target includes that could not be rendered as written."""

    message: str
    location: Location
    # "error" (kustomize-error), "remote" (kustomize-remote-skipped),
    # "unsupported" or "skipped" (render-skipped), "unresolved" (variable-unresolved)
    kind: str = "error"


@dataclass(frozen=True, slots=True)
class Resource:
    data: YMap
    file: str

    @property
    def api_version(self) -> str:
        value = self.data.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        version = self.api_version
        return version.rsplit("/", 1)[0] if "/" in version else ""

    @property
    def kind(self) -> str:
        value = self.data.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def metadata(self) -> YMap:
        value = self.data.get("metadata")
        return value if isinstance(value, YMap) else YMap(self.file)

    @property
    def name(self) -> str | None:
        value = self.metadata.get("name")
        return value if isinstance(value, str) else None

    @property
    def namespace(self) -> str | None:
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) and value else None

    @property
    def labels(self) -> dict[str, str]:
        value = self.metadata.get("labels")
        if not isinstance(value, dict):
            return {}
        return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}

    @property
    def spec(self) -> YMap:
        value = self.data.get("spec")
        return value if isinstance(value, YMap) else YMap(self.file)

    def ref(self) -> ObjectRef:
        return ObjectRef(self.api_version, self.kind, self.namespace, self.name)

    def location(self) -> Location:
        return self.data.location()

    def namespace_location(self) -> Location:
        metadata = self.metadata
        if "namespace" in metadata or metadata.overrides:
            return metadata.value_location("namespace")
        return metadata.location() if metadata.node is not None else self.location()

    def describe(self) -> str:
        return f'{self.kind} "{self.name}"'


def resources_in(value: object, file: str) -> list[Resource]:
    """The Kubernetes objects in one YAML document (`kind: List` expanded)."""
    if not isinstance(value, YMap):
        return []
    kind, api_version = value.get("kind"), value.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        return []
    if kind.endswith("List") and isinstance(value.get("items"), list):
        return [item for entry in value["items"] for item in resources_in(entry, file)]
    return [Resource(value, file)]


def find_object(objects: Iterable[Resource], kind: object, name: object, namespace: str | None,
                group: str | None = "") -> Resource | None:
    """The first object of that kind and name in `namespace`, or naming no namespace
    (a kustomize or Flux namespace puts it there); `group` None matches any group."""
    for candidate in objects:
        if candidate.kind == kind and candidate.name == name and candidate.namespace in (namespace, None) \
                and (group is None or candidate.group == group):
            return candidate
    return None


def data_text(resource: Resource, key: str) -> str | None:
    """The text of `key` in a ConfigMap's data, or a Secret's stringData or (base64) data."""
    if resource.kind == "Secret":
        plain = resource.data.get("stringData")
        if isinstance(plain, Mapping) and isinstance(plain.get(key), str):
            return plain[key]
    data = resource.data.get("data")
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, str):
        return None
    if resource.kind != "Secret":
        return value
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
