"""Expected findings of a fixture repository, read from the fixture itself.

A YAML line that should carry a finding ends with a marker comment:

    - 192.168.1.10   # expect: pool-address-invalid "bare IP"

`;` separates several. The quoted text is optional; when given it must
appear in the message; it runs to the last `"` and may not contain `;`.
Findings no comment can mark (a binary file, an error past the last line)
go in `expected.json` beside the files:

    [{"rule": "yaml-syntax", "file": "blob.yaml", "line": 1, "message": "binary",
      "severity": "error"}]

The harness compares the set of (rule, file, line) found with the set
expected, so a case also fails when another rule fires where it should
not; several markers on one line may check several parts of one message.
It also fails when one finding is reported twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from linter.config import load_config
from linter.engine import Result, lint
from linter.node_scope import NodeOptions
from rules import REGISTRY

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_MARKER = re.compile(r"#\s*expect:\s*(.+?)\s*$")
_ITEM = re.compile(r'^\s*([a-z0-9-]+)\s*(?:"(.*)")?\s*$')


@dataclass(frozen=True)
class Expected:
    rule: str
    file: str
    line: int
    message: str | None = None
    severity: str | None = None


def expected_findings(case: Path) -> list[Expected]:
    found: list[Expected] = []
    for path in sorted(case.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml") and path.name != "Kustomization":
            continue
        relative = path.relative_to(case).as_posix()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, ValueError):
            continue
        for number, text in enumerate(lines, start=1):
            marker = _MARKER.search(text)
            if not marker:
                continue
            for item in marker.group(1).split(";"):
                parsed = _ITEM.match(item)
                if not parsed:
                    raise ValueError(f"{relative}:{number}: bad expect marker {item!r}")
                found.append(Expected(parsed.group(1), relative, number, parsed.group(2)))
    extra = case / "expected.json"
    if extra.exists():
        for entry in json.loads(extra.read_text()):
            found.append(Expected(entry["rule"], entry["file"], entry["line"], entry.get("message"),
                                  entry.get("severity")))
    return found


def lint_case(case: Path) -> Result:
    """Lint a case as the CLI would: with its own `.metallb-lint.yaml`, and with the
    contents of `nodes.stdin` (never discovered: not YAML by name) as `--nodes -`."""
    names = {key: rule.code for rule in REGISTRY for key in (rule.code, rule.name)}
    config = load_config(case, None, names)
    stdin = case / "nodes.stdin"
    options = None
    if stdin.exists():
        from linter.node_sources import nodes_from_text

        options = NodeOptions(tuple(nodes_from_text(stdin.read_text(), "<stdin>")))
    return lint(case, [case], REGISTRY, config, nodes=options)


def all_cases() -> list[Path]:
    """Every case folder: tests/fixtures/<rule-name>/<fires-or-quiet-...>/."""
    return sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())
