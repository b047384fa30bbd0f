"""Revisions read straight from git, for `metallb-lint diff`.

A revision is copied out of the object database (`git ls-tree` plus one
`git cat-file --batch`) into a directory the caller owns. Nothing here
checks out, stashes or touches the index: a reviewer's uncommitted work
must be exactly as it was after the diff ran. `git archive` was not used
because `export-ignore` / `export-subst` attributes would change what the
linter sees.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path

_TIMEOUT = 120


class RevisionError(Exception):
    """A revision that cannot be read, or no repository at all (exit code 2)."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        raise RevisionError(f"cannot run git: {error}") from error


def toplevel(start: Path) -> Path:
    """The top level of the git work tree holding `start`."""
    result = _git(start, "rev-parse", "--show-toplevel")
    text = result.stdout.decode("utf-8", "surrogateescape").strip()
    if result.returncode != 0 or not text:
        raise RevisionError(f"{start}: not inside a git work tree; diff compares git revisions")
    return Path(text).resolve()


def resolve(root: Path, revision: str) -> str:
    """The commit `revision` names, as a full hash."""
    # A leading "-" would be read as an option by the commands below.
    if revision and not revision.startswith("-"):
        result = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
        commit = result.stdout.decode("ascii", "replace").strip()
        if result.returncode == 0 and commit:
            return commit
    raise RevisionError(f'unknown revision "{revision}": not a commit in this repository')


def merge_base(root: Path, one: str, other: str) -> str:
    result = _git(root, "merge-base", one, other)
    commit = result.stdout.decode("ascii", "replace").strip()
    if result.returncode != 0 or not commit:
        raise RevisionError(f"no common ancestor of {one[:12]} and {other[:12]}")
    return commit


def _safe(path: str) -> bool:
    """A relative path with no `..`, no empty part and no `.git` directory.

    Git refuses such trees on checkout, but a crafted object could still
    hold one: `..` would write outside the directory, and a `.git` would
    make the linter run git with a configuration the pull request chose.
    """
    parts = path.split("/")
    return not path.startswith("/") and all(p not in ("", ".", "..") and p.lower() != ".git" for p in parts)


def _entries(root: Path, commit: str) -> list[tuple[str, str, str]]:
    """(mode, object id, path) of every blob of `commit`; submodules are skipped."""
    result = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit)
    if result.returncode != 0:
        raise RevisionError(f"cannot list {commit[:12]}: {result.stderr.decode(errors='replace').strip()}")
    found = []
    for record in result.stdout.split(b"\0"):
        if not record:
            continue
        info, _, raw_path = record.partition(b"\t")
        mode, kind, oid = info.decode("ascii").split()
        if kind == "blob":
            found.append((mode, oid, os.fsdecode(raw_path)))
    return found


def extract(root: Path, commit: str, destination: Path) -> None:
    """Write the files of `commit` under `destination` (an empty directory)."""
    entries = [e for e in _entries(root, commit) if _safe(e[2])]
    links: list[tuple[str, str]] = []
    try:
        process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError as error:
        raise RevisionError(f"cannot run git: {error}") from error
    assert process.stdin is not None and process.stdout is not None
    try:
        # One request at a time: the answer is read before the next is
        # written, so neither pipe can fill up and deadlock.
        for mode, oid, path in entries:
            process.stdin.write(oid.encode("ascii") + b"\n")
            process.stdin.flush()
            header = process.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise RevisionError(f"cannot read {path} at {commit[:12]}")
            data = process.stdout.read(int(header[2]))
            process.stdout.read(1)  # the newline after each object
            if mode == "120000":
                links.append((path, os.fsdecode(data)))
                continue
            target = destination / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    finally:
        process.stdin.close()
        process.wait(timeout=_TIMEOUT)
    # Symlinks last, and only those that stay inside the copy: a link to
    # /etc or ../.. must not let the revision read files of the machine.
    for path, link in links:
        landing = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
        if posixpath.isabs(link) or landing == ".." or landing.startswith("../"):
            continue
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() and not target.is_symlink():
            os.symlink(link, target)
    _drop_escaping_links(destination, [destination / path for path, _ in links])


def _drop_escaping_links(destination: Path, links: list[Path]) -> None:
    """Remove links that leave `destination` once other links are followed.

    The lexical test above misses `a -> b/../..` where `b -> .`; resolving
    with every link in place catches it. Removing one link can change where
    another lands, so repeat until nothing changes.
    """
    home = destination.resolve()
    changed = True
    while changed:
        changed = False
        for link in links:
            if link.is_symlink() and not _lands_inside(link, home):
                link.unlink()
                changed = True


def _lands_inside(link: Path, home: Path) -> bool:
    try:
        return link.resolve().is_relative_to(home)
    except (OSError, RuntimeError):  # a loop of links: useless, and dropped
        return False
