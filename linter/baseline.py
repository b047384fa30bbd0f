"""The baseline file: findings a team accepts for now, by fingerprint.

`metallb-lint baseline` writes it; `lint --baseline FILE` hides the findings
it lists, so an old repository adopts the tool and fails only on new
problems. Fingerprints ignore line numbers (Finding.fingerprint_base), so
editing around a baselined finding does not bring it back. The file holds no
line numbers and no date either: regenerating it after unrelated edits
changes nothing, and its diff in review shows only accepted or fixed findings.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from linter.finding import Finding

DEFAULT_NAME = ".metallb-lint-baseline.json"
VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the file."""


def render(findings: Iterable[Finding]) -> str:
    """The baseline document: stable JSON, sorted for humans (file, rule, message)."""
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "code": f.code, "file": f.location.file,
          "message": f.message} for f in findings),
        key=lambda e: (e["file"], e["code"], e["message"], e["fingerprint"]),
    )
    document = {"tool": "metallb-lint", "version": VERSION, "findings": entries}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, findings: Iterable[Finding]) -> None:
    """Write atomically: a crash or a full disk never leaves half a baseline. Raises OSError."""
    text = render(findings)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path) -> frozenset[str]:
    """The fingerprints a baseline file lists. Raises BaselineError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (write one with `metallb-lint baseline`)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}: not a baseline: invalid JSON at line {error.lineno}") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise BaselineError(f'{path}: not a baseline: no "findings" list')
    if document.get("version") != VERSION:
        raise BaselineError(f"{path}: baseline version {document.get('version')!r} is not {VERSION}; "
                            "regenerate it with `metallb-lint baseline`")
    fingerprints: set[str] = set()
    for index, entry in enumerate(entries):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint:
            raise BaselineError(f"{path}: findings[{index}]: no fingerprint")
        fingerprints.add(fingerprint)
    return frozenset(fingerprints)
