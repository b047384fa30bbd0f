"""Suppressions written in the repository: comments and an object annotation.

    # metallb-lint: disable=pool-host-bits,ML104 -- reason   (this line, or the next line)
    # metallb-lint: disable-file=pool-overlap                 (every finding in this file)
    metadata:
      annotations:
        metallb-lint.io/ignore: "pool-not-advertised -- reason"   (findings about this object)

A rule is named by its name or its code, in any case. There is no `all`:
a blanket suppression would also hide every rule added later, so each rule
is named on purpose. `collect()` reads them once; the engine asks
`Suppressions.hides()` per finding, and the `unknown-suppression` rule
reports the names no rule answers to (`Suppressions.names`, `.problems`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from linter.finding import Finding, Location, ObjectRef
from linter.loader import SourceFile
from linter.model import Repository
from linter.yamlpos import YMap

MARKER = "metallb-lint:"  # a file without it has no comment to parse (the cheap test)
ANNOTATION = "metallb-lint.io/ignore"
DIRECTIVES = ("disable", "disable-file")

# `#` at the start of a line or after a blank (so not inside `a#b`), then the
# directive, `=`, and a comma-separated list; the rest (` -- reason`, or a
# later comment such as a test's `# expect:`) is free text.
_COMMENT = re.compile(r"(?:^|(?<=\s))#\s*metallb-lint:\s*(?P<body>.*)$")
_DIRECTIVE = re.compile(r"(?P<kind>[A-Za-z][\w-]*)\s*=\s*(?P<names>[^\s,#]+(?:\s*,\s*[^\s,#]+)*)")
_NAME = re.compile(r"[^\s,#]+")
_REASON = re.compile(r"^\s*--\s*(?P<reason>[^#]*)")


@dataclass(frozen=True, slots=True)
class WrittenName:
    """A rule name as written in a suppression, where it was written."""

    text: str
    location: Location
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Malformed:
    """A suppression that suppresses nothing because it cannot be read."""

    message: str
    location: Location


@dataclass(frozen=True, slots=True)
class _Copy:
    """One target's rendering of an object, and the rule names of its annotation (None: none)."""

    target: str
    origin: tuple[str, int]  # file and line of the source document
    names: set[str] | None


@dataclass(slots=True)
class Suppressions:
    lines: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # (file, line) -> names
    files: dict[str, set[str]] = field(default_factory=dict)  # file -> names
    # Each rendered copy of an annotated object: an overlay may annotate what its
    # base or a sibling overlay does not, so copies are told apart (see `_by_annotation`).
    objects: dict[ObjectRef, list[_Copy]] = field(default_factory=dict)
    names: list[WrittenName] = field(default_factory=list)  # every name written, for unknown-suppression
    problems: list[Malformed] = field(default_factory=list)

    def hides(self, finding: Finding) -> bool:
        keys = (finding.code.lower(), finding.rule.lower())
        loc = finding.location
        if _names_any(self.lines.get((loc.file, loc.line)), keys) or _names_any(self.files.get(loc.file), keys):
            return True
        return self._by_annotation(finding, keys)

    def _by_annotation(self, finding: Finding, keys: tuple[str, str]) -> bool:
        """Whether every copy of the finding's object carries an annotation naming its rule.

        The engine reports a problem of a base rendered into several overlays
        once, under one of them; when only some overlays annotate the object,
        the problem is still real in the others and stays visible. Copies are
        the same object when they come from the same source document; an
        unrelated object of the same name in another target is not one.
        """
        copies = self.objects.get(finding.object) if finding.object else None
        if not copies:
            return False
        if finding.target is not None:
            origins = {c.origin for c in copies if c.target == finding.target}
            copies = [c for c in copies if c.origin in origins]
        return bool(copies) and all(_names_any(c.names, keys) for c in copies)


def _names_any(names: set[str] | None, keys: tuple[str, str]) -> bool:
    return names is not None and not names.isdisjoint(keys)


def collect(repository: Repository) -> Suppressions:
    result = Suppressions()
    for source in repository.files.values():
        if MARKER in source.text:
            _scan_comments(source, result)
    _scan_annotations(repository, result)
    return result


def apply(findings: Iterable[Finding], repository: Repository) -> list[Finding]:
    """The findings no suppression of the repository hides."""
    suppressions = collect(repository)
    if not (suppressions.lines or suppressions.files or suppressions.objects):
        return list(findings)
    return [f for f in findings if not suppressions.hides(f)]


def _scan_comments(source: SourceFile, into: Suppressions) -> None:
    lines = source.text.splitlines()  # numbered as SourceFile.line numbers them
    for index, text in enumerate(lines):
        if MARKER not in text:
            continue
        comment = _COMMENT.search(text)
        if comment is None:
            continue
        number = index + 1
        body_start = comment.start("body")
        directive = _DIRECTIVE.match(comment.group("body"))
        if directive is None:
            into.problems.append(Malformed(
                'cannot read this suppression; write "# metallb-lint: disable=RULE[,RULE]" '
                'or "# metallb-lint: disable-file=RULE[,RULE]"',
                Location(source.path, number, comment.start() + 1)))
            continue
        kind = directive.group("kind")
        if kind not in DIRECTIVES:
            into.problems.append(Malformed(
                f'unknown suppression "{kind}"; use "disable" (this line or the next) or "disable-file"',
                Location(source.path, number, body_start + directive.start("kind") + 1)))
            continue
        reason = _REASON.match(comment.group("body")[directive.end():])
        names = _names(directive.group("names"), source.path, number, body_start + directive.start("names"),
                       reason.group("reason").strip() if reason else "", into)
        if kind == "disable-file":
            into.files.setdefault(source.path, set()).update(names)
            continue
        for covered in _covered_lines(lines, index, own_line=not text[:comment.start()].strip()):
            into.lines.setdefault((source.path, covered), set()).update(names)


def _covered_lines(lines: list[str], index: int, *, own_line: bool) -> list[int]:
    """1-based lines a `disable` comment at 0-based `index` covers.

    A trailing comment covers its own line only (never the next entry of a
    list). A comment on a line of its own covers the next line that is not
    itself a comment, so several suppression comments may be stacked above
    one line.
    """
    covered = [index + 1]
    if own_line:
        following = index + 1
        while following < len(lines) and lines[following].lstrip().startswith("#"):
            covered.append(following + 1)
            following += 1
        if following < len(lines):
            covered.append(following + 1)
    return covered


def _names(text: str, file: str, line: int, column: int, reason: str, into: Suppressions) -> set[str]:
    """The names in a comma-separated list, each recorded with its own column."""
    found: set[str] = set()
    for match in _NAME.finditer(text):
        into.names.append(WrittenName(match.group(), Location(file, line, column + match.start() + 1), reason))
        found.add(match.group().lower())
    return found


def _scan_annotations(repository: Repository, into: Suppressions) -> None:
    # First the annotated objects (most repositories have none, and pay for
    # nothing more), then every copy of those, annotated or not.
    annotated: dict[int, set[str]] = {}  # id(resource.data) -> names
    refs: set[ObjectRef] = set()
    for cluster in repository.clusters:
        for resource in cluster.resources:
            names = _annotation(resource.data, into)
            if names is not None:
                annotated[id(resource.data)] = names
                refs.add(resource.ref())
    if not refs:
        return
    for cluster in repository.clusters:
        for resource in cluster.resources:
            ref = resource.ref()
            if ref in refs:
                origin = resource.location()
                into.objects.setdefault(ref, []).append(
                    _Copy(cluster.target, (origin.file, origin.line), annotated.get(id(resource.data))))


def _annotation(data: YMap, into: Suppressions) -> set[str] | None:
    """The rule names of an object's metallb-lint.io/ignore annotation, recorded for ML006."""
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, YMap) else None
    if not isinstance(annotations, YMap) or ANNOTATION not in annotations:
        return None
    value, location = annotations[ANNOTATION], annotations.value_location(ANNOTATION)
    if not isinstance(value, str):
        into.problems.append(Malformed(
            f'the annotation {ANNOTATION} must be a string such as "pool-overlap,pool-host-bits"', location))
        return None
    listed, _, reason = value.partition(" --")
    written = _NAME.findall(listed)
    # Every name points at the value: a column inside a quoted or folded
    # scalar is not worth computing. Copies in several targets share the
    # location, so ML006 reports each once.
    into.names.extend(WrittenName(name, location, reason.strip()) for name in written)
    return {name.lower() for name in written}
