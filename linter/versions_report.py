"""`metallb-lint versions [PATH]`: which target runs which MetalLB, and where it is pinned.

Per target: each MetalLB installation (how it is installed, namespace,
environment), its version, its BGP backend, and every pin with its
file:line, as text or JSON. The targets are the ones `lint` evaluates; no
rule runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from linter import __version__
from linter.config import Config
from linter.engine import lint
from linter.model import Cluster
from linter.versions import InstallationVersions, installation_versions, show


def _state(pin_state: str, why: str) -> str:
    return f"unpinned: {why}" if pin_state == "unpinned" else pin_state


def text_report(clusters: list[tuple[str, list[InstallationVersions]]]) -> str:
    lines: list[str] = []
    for target, found in clusters:
        lines.append(f"{target}")
        if not found:
            lines.append("  no MetalLB installation")
        for installation in found:
            where = f" -> {installation.environment}" if installation.environment != target else ""
            lines.append(f"  {installation.how} in {installation.namespace or '(no namespace)'}{where}: "
                         f"MetalLB {show(installation.version)}, backend {installation.backend}")
            for pin in installation.pins:
                value = pin.raw if pin.raw is not None else "(none)"
                version = f" = {show(pin.version)}" if pin.version and pin.raw != show(pin.version) else ""
                lines.append(f"    {pin.location.file}:{pin.location.line}  {pin.what}: {value}{version}"
                             f" [{_state(pin.state, pin.why)}]")
        lines.append("")
    return "\n".join(lines) if lines else "no targets\n"


def json_report(clusters: list[tuple[str, list[InstallationVersions]]]) -> str:
    document = {"tool": "metallb-lint", "version": __version__,
                "targets": [{"target": target, "installations": [i.as_dict() for i in found]}
                            for target, found in clusters]}
    return json.dumps(document, indent=2) + "\n"


def collect(clusters: list[Cluster]) -> list[tuple[str, list[InstallationVersions]]]:
    return sorted(((c.target, installation_versions(c)) for c in clusters), key=lambda item: item[0])


def run_versions(root: Path, path: Path, config: Config | None, output_format: str) -> str:
    """The report for the targets under `path`; raises DiscoveryError like `lint`."""
    result = lint(root, [path], (), config)
    found = collect(list(result.clusters))
    return json_report(found) if output_format == "json" else text_report(found)
