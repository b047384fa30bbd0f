"""Load a YAML file into positioned values, never raising.

libyaml composes the node graph (in C); `_Builder` turns nodes into
`YMap`/`YSeq`/scalars in one pass. No constructor ever runs, so no tag can
build a Python object. Problems (syntax errors, duplicate keys, bad
encoding, alias bombs) are collected as `Problem`s that the `yaml-syntax`
rule reports; the documents parsed before a syntax error are kept.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from linter.finding import Location
from linter.nesting import may_use_c
from linter.yamlpos import YMap, YSeq

# A document may expand aliases to at most this many nodes in total; a
# "billion laughs" file needs hundreds of millions.
MAX_EXPANDED_NODES = 200_000
MAX_FILE_BYTES = 16 * 1024 * 1024

try:  # `yaml` itself exports only the C loaders, not the C parser
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]
except ImportError:  # PyYAML built without libyaml
    _CParser = None  # type: ignore[assignment, misc]


class _Resolver(yaml.resolver.BaseResolver):
    """Scalar types as Kubernetes reads them: YAML 1.1 booleans, ints,
    floats and nulls, but no timestamps or base-60 numbers (go-yaml keeps
    `12:30:00` and `2024-01-01` as strings)."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
    list("yYnNtTfFoO"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
        r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _PyComposer(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver
):
    """The pure-Python parser: slower, but its recursion ends in a RecursionError."""

    def __init__(self, stream: str | bytes) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


def _resolve(self: Any, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
    """BaseResolver.resolve without path resolvers or wildcard lists: the C
    composer calls it once per node, so it is on the hot path of every load."""
    if kind is ScalarNode:
        if implicit[0]:
            for tag, regexp in _IMPLICIT.get(value[:1], ()):
                if regexp.match(value):
                    return tag
        return _STR_TAG
    return _SEQ_TAG if kind is SequenceNode else _MAP_TAG


_IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    first: list(resolvers) for first, resolvers in _Resolver.yaml_implicit_resolvers.items()
}
_Resolver.resolve = _resolve  # type: ignore[method-assign, assignment]

if _CParser is not None:

    class _Composer(_CParser, _Resolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str | bytes) -> None:
            _CParser.__init__(self, stream)
            _Resolver.__init__(self)

else:  # libyaml missing: the pure-Python parser, same interface, slower.
    _Composer = _PyComposer  # type: ignore[misc, assignment]

# libyaml's composer recurses in C once per nesting level, without limit: a
# small file nested a hundred thousand levels deep crashes the interpreter.
# A file that might nest deeper than this goes to the pure-Python parser.
MAX_C_NESTING = 1000


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that keeps a file (or part of it) from being read."""

    message: str
    location: Location


@dataclass(slots=True)
class Document:
    value: Any
    index: int  # 0-based position in the file's stream


@dataclass(slots=True)
class SourceFile:
    path: str  # relative to the repository root, with forward slashes
    text: str = ""
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _lines: list[str] | None = None

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, or '' when out of range."""
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""


class _AliasBomb(Exception):
    pass


_BUILDING = object()  # marks a container whose children are being built


_BOOL_TRUE = frozenset(("yes", "true", "on"))


def _scalar(node: ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag == "tag:yaml.org,2002:str":
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in _BOOL_TRUE
    if tag == "tag:yaml.org,2002:int":
        return _parse_int(value)
    if tag == "tag:yaml.org,2002:float":
        return _parse_float(value)
    return value  # explicit tags (!!binary, custom !Tags): the text, never an object


def _parse_int(text: str) -> int | str:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    try:
        if digits.startswith("0b"):
            return sign * int(digits[2:], 2)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits, 8)
        return sign * int(digits)
    except ValueError:
        return text


def _parse_float(text: str) -> float | str:
    lowered = text.replace("_", "").lower()
    if lowered.endswith("inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered.endswith("nan"):
        return float("nan")
    try:
        return float(lowered)
    except ValueError:
        return text


class _Builder:
    """Turns one document's node graph into positioned values."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.built: dict[int, Any] = {}  # id(container node) -> value, so aliases share
        self.sizes: dict[int, int] = {}
        self.expanded = 0

    def _problem(self, message: str, node: Any) -> None:
        mark = node.start_mark
        self.problems.append(Problem(message, Location(self.file, mark.line + 1, mark.column + 1)))

    def _size(self, node: Any) -> int:
        """Node count of `node` with every alias expanded (memoised)."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        self.sizes[id(node)] = 1  # guards against recursive aliases
        if isinstance(node, MappingNode):
            total = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
        elif isinstance(node, SequenceNode):
            total = 1 + sum(self._size(item) for item in node.value)
        else:
            total = 1
        self.sizes[id(node)] = total
        return total

    def build(self, node: Any) -> Any:
        if node.__class__ is ScalarNode:
            return _scalar(node)
        key = id(node)
        known = self.built.get(key)
        if known is not None:
            if known is _BUILDING:
                self._problem("recursive alias: a node refers to itself", node)
                return None
            # Reached again through an alias: charge its expanded size.
            self.expanded += self._size(node)
            if self.expanded > MAX_EXPANDED_NODES:
                raise _AliasBomb
            return known
        self.built[key] = _BUILDING
        if node.__class__ is MappingNode:
            value: Any = self._mapping(node)
        else:
            value = YSeq(self.file, node)
            build = self.build
            value.extend([build(item) for item in node.value])
        self.built[key] = value
        return value

    def _mapping(self, node: MappingNode) -> YMap:
        result = YMap(self.file, node)
        merges: list[tuple[Any, Any]] = []  # (the `<<` key, what it merges)
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append((key_node, value_node))
                continue
            key = self.build(key_node)
            if isinstance(key, (YMap, YSeq)):
                self._problem("a mapping key must be a plain value, not a mapping or a list", key_node)
                continue
            if key in result:
                self._problem(
                    f"duplicate key {key!r} (line {_first_line(node, key_node) }): "
                    "Kubernetes rejects a mapping with a repeated key",
                    key_node,
                )
            result[key] = self.build(value_node)
        if merges:
            self._merge(result, merges)
        return result

    def _merge(self, result: YMap, merges: list[tuple[Any, Any]]) -> None:
        sources: list[tuple[Any, Any]] = []
        for key_node, merge in merges:
            if isinstance(merge, SequenceNode):
                sources.extend((key_node, item) for item in merge.value)
            else:
                sources.append((key_node, merge))
        result.merged = []
        for key_node, source in sources:
            value = self.build(source)
            if not isinstance(value, YMap):
                # At the `<<` that asks for it: the merged node may be an alias
                # to a value written anywhere.
                self._problem("`<<` merges only mappings", key_node)
                continue
            result.merged.append(source)
            for key, item in value.items():
                result.setdefault(key, item)


def _first_line(node: MappingNode, duplicate: Any) -> int:
    for key_node, _ in node.value:
        if key_node is duplicate:
            break
        if key_node.value == duplicate.value:
            return key_node.start_mark.line + 1
    return duplicate.start_mark.line + 1


def _decode(data: bytes, path: str, problems: list[Problem]) -> str | None:
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            break
    else:
        encoding = "utf-8"
    if b"\x00" in data and encoding in ("utf-8", "utf-8-sig"):
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.append(Problem("binary file (NUL byte): not YAML", Location(path, line, 1)))
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(Problem(f"not valid {encoding.upper()}: byte {data[error.start]:#04x} "
                                f"at offset {error.start}", Location(path, line, 1)))
        return None


def load_text(text: str, path: str) -> SourceFile:
    """Parse `text` as the YAML stream of file `path`."""
    source = SourceFile(path, text)
    composer = _Composer if _Composer is _PyComposer or may_use_c(text, MAX_C_NESTING) else _PyComposer
    counts_bytes = composer is not _PyComposer  # libyaml reports byte offsets
    try:
        # The pure-Python reader checks every character up front, here.
        parser = composer(text)
    except yaml.reader.ReaderError as error:
        source.problems.append(_reader_problem(error, text, path, counts_bytes))
        return source
    index = 0
    try:
        while parser.check_node():
            node: Any = parser.get_node()  # never None after check_node()
            builder = _Builder(path, source.problems)
            try:
                value = builder.build(node)
            except _AliasBomb:
                mark = node.start_mark
                source.problems.append(Problem(
                    f"aliases expand this document past {MAX_EXPANDED_NODES} nodes "
                    "(a \"billion laughs\" file?): not read",
                    Location(path, mark.line + 1, mark.column + 1)))
                value = None
            except RecursionError:
                mark = node.start_mark
                source.problems.append(Problem("document nested too deeply to read",
                                               Location(path, mark.line + 1, mark.column + 1)))
                value = None
            source.documents.append(Document(value, index))
            index += 1
    except yaml.MarkedYAMLError as error:
        lines = text.splitlines()
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if mark is not None and _at_document_boundary(lines, mark):
            # Something unclosed (`[`, `{`, a quote) noticed only at the next
            # `---` or at the end: the mistake is before, where it was opened.
            context = error.context_mark
            if context is not None and not _at_document_boundary(lines, context):
                line, column = context.line + 1, context.column + 1
            else:
                line, column = _last_content_line(lines, mark.line), 1
        message = ": ".join(part for part in (error.context, error.problem) if part)
        source.problems.append(Problem(message or "invalid YAML", Location(path, line, column)))
    except yaml.reader.ReaderError as error:  # libyaml checks characters while parsing
        source.problems.append(_reader_problem(error, text, path, counts_bytes))
    except yaml.YAMLError as error:  # other errors without a mark
        source.problems.append(Problem(str(error).splitlines()[0], Location(path, 1, 1)))
    except RecursionError:  # the composer itself recurses once per nesting level
        source.problems.append(Problem("document nested too deeply to read", _current_mark(parser, path)))
    finally:
        parser.dispose()
    return source


def _at_document_boundary(lines: list[str], mark: Any) -> bool:
    """Whether `mark` is at the end of the stream or on a `---` / `...` marker line."""
    if mark.line >= len(lines):
        return True
    return mark.column == 0 and lines[mark.line].startswith(("---", "..."))


def _last_content_line(lines: list[str], before: int) -> int:
    """The 1-based number of the last line before 0-based `before` holding YAML, else 1."""
    for index in range(min(before, len(lines)) - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index + 1
    return 1


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a line break


def _reader_problem(error: yaml.reader.ReaderError, text: str, path: str, counts_bytes: bool) -> Problem:
    """A character YAML does not allow (a control character), at its line."""
    position = max(0, error.position)
    if counts_bytes:  # libyaml counts bytes of UTF-8; the pure reader, characters
        position = len(text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "ignore"))
    breaks = list(_LINE_BREAK.finditer(text, 0, position))
    line, column = len(breaks) + 1, position - (breaks[-1].end() if breaks else 0) + 1
    what = f"character U+{error.character:04X}" if isinstance(error.character, int) else "a character"
    return Problem(f"{what} is not allowed in YAML", Location(path, line, column))


def _current_mark(parser: Any, path: str) -> Location:
    """Where the parser stopped, when it can tell; else the start of the file."""
    try:
        mark = parser.get_mark()
        return Location(path, mark.line + 1, mark.column + 1)
    except Exception:  # noqa: BLE001 - only a better position is at stake
        return Location(path, 1, 1)


def load_file(root: Path, path: str) -> SourceFile:
    """Read and parse `root / path`; every failure becomes a Problem."""
    problems: list[Problem] = []
    try:
        full = root / path
        if full.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: not read",
                                    Location(path, 1, 1)))
            return SourceFile(path, problems=problems)
        data = full.read_bytes()
    except OSError as error:
        problems.append(Problem(f"cannot read file: {error.strerror}", Location(path, 1, 1)))
        return SourceFile(path, problems=problems)
    text = _decode(data, path, problems)
    if text is None:
        return SourceFile(path, problems=problems)
    return load_text(text, path)
