"""The repository being linted: its root, and each file read at most once.

Every read goes through `Workspace.load`, which refuses paths that leave the
root (after resolving symlinks): a pull request must never make the linter
read files outside the checkout.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path

from linter.loader import SourceFile, load_file


def repository_root(start: Path) -> Path:
    """The git top level containing `start`, else `start` itself."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start, capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return start.resolve()
    if result.returncode == 0 and result.stdout.strip():
        return Path(result.stdout.strip()).resolve()
    return start.resolve()


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._files: dict[str, SourceFile] = {}
        self._inside: dict[str, bool] = {}

    @property
    def files(self) -> dict[str, SourceFile]:
        """Every file read so far, by relative path."""
        return self._files

    def relative(self, path: Path) -> str | None:
        """`path` relative to the root with forward slashes, or None if outside."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError, RuntimeError):
            return None

    def join(self, directory: str, entry: str) -> str | None:
        """Resolve `entry` relative to the directory `directory` (both relative).

        None when the result leaves the root, also through a symlink.
        """
        joined = posixpath.normpath(posixpath.join(directory, entry))
        if joined == ".." or joined.startswith("../") or posixpath.isabs(joined):
            return None
        return joined if self.stays_inside(joined) else None

    def stays_inside(self, path: str) -> bool:
        """Whether `path` (relative) is inside the root once symlinks are resolved."""
        known = self._inside.get(path)
        if known is None:
            known = self._inside[path] = self.relative(self.root / path) is not None
        return known

    def is_symlink(self, path: str) -> bool:
        return os.path.islink(self.root / path)

    # os.path, not Path: a name too long for the file system (ENAMETOOLONG) is no file rather than an error.
    def is_file(self, path: str) -> bool:
        return os.path.isfile(self.root / path)

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(self.root / path)

    def load(self, path: str) -> SourceFile:
        source = self._files.get(path)
        if source is None:
            source = load_file(self.root, path)
            self._files[path] = source
        return source

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self.root / path))
        except OSError:
            return []
