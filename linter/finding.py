"""The values every stage agrees on: severities, locations, findings."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that `severity >= threshold` reads naturally."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based position in a file, relative to the repository root."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Related:
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Which Kubernetes object a finding is about, as rendered."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None

    def __str__(self) -> str:
        name = f"{self.namespace}/{self.name}" if self.namespace else str(self.name)
        return f"{self.kind} {name}"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    rule: str
    severity: Severity
    message: str
    location: Location
    target: str | None = None
    object: ObjectRef | None = None
    related: tuple[Related, ...] = field(default=())
    fingerprint: str = ""  # set by the engine, which can see the file's text

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)

    def identity(self) -> tuple[object, ...]:
        """Two findings with the same identity are one problem seen from two targets."""
        loc = self.location
        return (self.code, loc.file, loc.line, loc.column, self.message)

    def fingerprint_base(self, line_text: str) -> str:
        """A hash that ignores line numbers, so moving a block keeps it stable.

        It hashes the rule, the file, the object and the message together with
        the text of the offending line, which tells apart two identical
        messages on one object (two bad entries of the same pool).
        """
        obj = self.object
        parts = [
            self.code,
            self.location.file,
            f"{obj.kind}/{obj.namespace}/{obj.name}" if obj else "",
            self.message,
            line_text.strip(),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]
