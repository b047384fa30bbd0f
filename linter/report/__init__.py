"""Reporters: each turns a `Result` into text on a stream. Registered by format name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from linter.engine import Result


@dataclass(frozen=True, slots=True)
class ReportOptions:
    color: bool = False
    quiet: bool = False


Reporter = Callable[[Result, TextIO, ReportOptions], None]


def reporters() -> dict[str, Reporter]:
    # Imported here so `metallb-lint --version` loads no reporter.
    from linter.report.json_report import write_json
    from linter.report.text import write_text

    return {"text": write_text, "json": write_json}


FORMAT_NAMES = ("text", "json")
