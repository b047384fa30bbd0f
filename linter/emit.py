"""Rendered objects as a YAML stream, optionally with where each field was set."""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from linter.finding import Location
from linter.resource import Resource
from linter.yamlpos import YMap, YSeq, plain


def _scalar(value: object) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _where(location: Location) -> str:
    return f"  # {location}"


def _container_location(value: object, owner_file: str, fallback: Location) -> Location:
    """Where a mapping or list value was set: its own place when it came from
    another file (a patch, a generator), else where its key is written."""
    if isinstance(value, (YMap, YSeq)):
        if value.origin is not None:
            return value.origin
        if value.node is not None and value.file != owner_file:
            return value.location()
    return fallback


class _Emitter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def mapping(self, mapping: YMap, indent: int, first_prefix: str | None = None) -> None:
        pad = " " * indent
        for index, (key, value) in enumerate(mapping.items()):
            prefix = first_prefix if index == 0 and first_prefix is not None else pad
            name = _scalar(key)
            if isinstance(value, (dict, list)) and value:
                where = _container_location(value, mapping.file, mapping.key_location(key))
                self.lines.append(f"{prefix}{name}:{_where(where)}")
                self.value(value, indent + 2)
            else:
                text = _scalar(plain(value))
                self.lines.append(f"{prefix}{name}: {text}{_where(mapping.value_location(key))}")

    def sequence(self, sequence: YSeq, indent: int) -> None:
        pad = " " * indent
        for index, item in enumerate(sequence):
            if isinstance(item, YMap) and item:
                self.mapping(item, indent + 2, first_prefix=f"{pad}- ")
            elif isinstance(item, YSeq) and item:
                where = _container_location(item, sequence.file, sequence.item_location(index))
                self.lines.append(f"{pad}-{_where(where)}")
                self.sequence(item, indent + 2)
            else:
                self.lines.append(f"{pad}- {_scalar(plain(item))}{_where(sequence.item_location(index))}")

    def value(self, value: object, indent: int) -> None:
        if isinstance(value, YMap):
            self.mapping(value, indent)
        elif isinstance(value, YSeq):
            self.sequence(value, indent)
        else:  # a plain dict or list made outside the loader: no positions to show
            for line in yaml.safe_dump(plain(value), sort_keys=False).splitlines():
                self.lines.append(" " * indent + line)


def dump(resources: Iterable[Resource], provenance: bool = False) -> str:
    """A YAML stream of `resources`; with `provenance`, a `# file:line:col` comment per field."""
    documents = []
    for resource in resources:
        if provenance:
            emitter = _Emitter()
            emitter.mapping(resource.data, 0)
            documents.append(f"# from {resource.location()}\n" + "\n".join(emitter.lines) + "\n")
        else:
            documents.append(yaml.safe_dump(plain(resource.data), sort_keys=False, allow_unicode=True))
    return "---\n".join(documents)


def dump_models(models: Iterable[object], nodes: Iterable[dict[str, object]] = ()) -> str:
    """The installation models (linter/installation.py) and the target's nodes
    (linter/announcers.py node_documents) as YAML documents after a marker comment."""
    documents = [yaml.safe_dump(m.as_document(), sort_keys=False, allow_unicode=True)  # type: ignore[attr-defined]
                 for m in models]
    documents += [yaml.safe_dump(node, sort_keys=False, allow_unicode=True) for node in nodes]
    return "# metallb-lint installation model\n" + "".join(f"---\n{d}" for d in documents)
