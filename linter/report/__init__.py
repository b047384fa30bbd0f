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
    from linter.report.github import write_github
    from linter.report.json_report import write_json
    from linter.report.junit import write_junit
    from linter.report.markdown import write_markdown
    from linter.report.rdjson import write_rdjson
    from linter.report.sarif import write_sarif
    from linter.report.text import write_text

    return {"text": write_text, "json": write_json, "sarif": write_sarif, "github": write_github,
            "rdjson": write_rdjson, "junit": write_junit, "markdown": write_markdown}


# The order of DESIGN.md's `--format` list; cli._FORMATS must equal it (a test checks).
FORMAT_NAMES = ("text", "json", "sarif", "github", "rdjson", "junit", "markdown")
