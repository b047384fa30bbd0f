"""Which files to lint: the YAML files under the given paths.

Inside a git repository the list comes from `git ls-files` (tracked plus
untracked-but-not-ignored), so ignored files are skipped; elsewhere a plain
walk. Templates of Helm charts are Go templates, not YAML, and are skipped.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path

from linter.workspace import Workspace

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class DiscoveryError(Exception):
    """A path the user named cannot be linted (exit code 2)."""


def _git_files(root: Path, relative_paths: list[str]) -> list[str] | None:
    if not (root / ".git").exists():
        return None
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *relative_paths],
            cwd=root, capture_output=True, timeout=120, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})


def _walk(root: Path, relative: str) -> list[str]:
    start = root / relative
    if start.is_file():
        return [relative]
    found: list[str] = []
    for directory, subdirs, files in os.walk(start):
        subdirs[:] = sorted(d for d in subdirs if d != ".git")
        base = Path(directory).relative_to(root).as_posix()
        found.extend(posixpath.normpath(posixpath.join(base, name)) for name in files)
    return sorted(found)


def _chart_templates(files: list[str]) -> tuple[str, ...]:
    """Prefixes of the `templates/` folders of Helm charts among `files`."""
    prefixes = []
    for name in files:
        if posixpath.basename(name) == "Chart.yaml":
            chart = posixpath.dirname(name)
            prefixes.append(f"{chart}/templates/" if chart else "templates/")
    return tuple(prefixes)


def discover(workspace: Workspace, paths: list[Path]) -> list[str]:
    """Relative paths of the files to lint under `paths` (files or directories)."""
    relative_paths: list[str] = []
    explicit: set[str] = set()
    for path in paths:
        if not path.exists():
            raise DiscoveryError(f"{path}: no such file or directory")
        relative = workspace.relative(path)
        if relative is None:
            raise DiscoveryError(f"{path}: outside the repository root {workspace.root}")
        relative_paths.append(relative)
        if path.is_file():
            explicit.add(relative)
    listed = _git_files(workspace.root, relative_paths)
    if listed is None:
        listed = sorted({name for rel in relative_paths for name in _walk(workspace.root, rel)})
    templates = _chart_templates(listed)
    selected = []
    for name in listed:
        if name not in explicit:
            if not name.endswith(YAML_SUFFIXES) and posixpath.basename(name) != "Kustomization":
                continue
            if templates and name.startswith(templates):
                continue
        # git lists no file under a symlinked directory and the walk follows
        # none, so only the file itself can be a link that leaves the root.
        if workspace.is_symlink(name) and not workspace.stays_inside(name) or not workspace.is_file(name):
            continue  # a symlink out of the root, or a file deleted but still in the index
        selected.append(name)
    return selected
