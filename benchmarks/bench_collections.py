"""Benchmarks on real public skill collections (run on demand, not a test).

    .venv/bin/python benchmarks/bench_collections.py [--collections DIR] [--repeat N]
        [--baseline CMD] [--skillcheck CMD] [--only NAME,...] [--json]

Collections used (public GitHub repositories; exported trees, no .git needed):

    anthropics/skills                     18 skills,   ~400 files
    obra/superpowers                      14 skills,   ~180 files
    UiPath/skills                         34 skills, ~8,000 files (deep vendor layout)
    K-Dense-AI/claude-scientific-skills  134 skills, ~1,260 files, ~16 MB of scripts and references

The script never downloads anything. It looks for each one as a folder named ``<owner>+<name>``
under ``--collections`` (default: ``$SKILLSYNC_BENCH_COLLECTIONS``, else
``~/.cache/skillsync-bench/collections``), outside the repository. To get them:

    mkdir -p ~/.cache/skillsync-bench/collections && cd ~/.cache/skillsync-bench/collections
    git clone --depth 1 https://github.com/anthropics/skills anthropics+skills
    git clone --depth 1 https://github.com/obra/superpowers obra+superpowers
    git clone --depth 1 https://github.com/UiPath/skills UiPath+skills
    git clone --depth 1 https://github.com/K-Dense-AI/claude-scientific-skills \\
        K-Dense-AI+claude-scientific-skills

A missing collection is reported and skipped. Collections are only read: the status/push figures
run on a temporary copy.

What it measures, each as whole commands in separate processes, alternated, N runs each after one
untimed warm-up, medians compared (wall time, and CPU time user+sys of the child):

- ``skillsync validate --format json .`` in a temporary copy of each collection, against
  ``skillcheck --format json --no-color .`` (target: at most 0.5x skillcheck), and against
  ``--baseline`` (another skillsync, e.g. ``/work/main/.venv/bin/skillsync`` or a second venv
  holding an older version: target never slower). Three kinds of skillsync run (``--modes``):
  ``cold`` (``--no-cache``: every file read, every rule run), ``first`` (the validation cache
  deleted before each run: a cold run that also writes the cache) and ``warm`` (the cache primed
  by one untimed run: nothing changed since, the pre-commit / editor / CI-with-cache case). The
  copies are plain folders (no skillsync.toml), so the cache lives under ``$XDG_CACHE_HOME``,
  pointed at a temporary folder for the run;
- the secret scan in this process, in MB/s (CPU time, best of 3) over the collections' text files
  (target >= 100 MB/s);
- ``skillsync status`` and a no-op ``skillsync push --yes`` on a copy of the largest collection,
  pushed once to the embedded registry (target <= 0.5 s each).

skillcheck is a PyPI tool (``pip install skillcheck``), not a project dependency.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

COLLECTIONS = (
    ("anthropics/skills", "https://github.com/anthropics/skills"),
    ("obra/superpowers", "https://github.com/obra/superpowers"),
    ("UiPath/skills", "https://github.com/UiPath/skills"),
    ("K-Dense-AI/claude-scientific-skills", "https://github.com/K-Dense-AI/claude-scientific-skills"),
)
TEXT_SUFFIXES = (".py", ".js", ".ts", ".mjs", ".sh", ".md", ".json", ".yaml", ".yml", ".txt")


def default_dir() -> Path:
    env = os.environ.get("SKILLSYNC_BENCH_COLLECTIONS")
    return Path(env) if env else Path.home() / ".cache" / "skillsync-bench" / "collections"


def locate(base: Path, only: set[str]) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for repo, url in COLLECTIONS:
        name = repo.split("/")[1]
        if only and name not in only and repo not in only:
            continue
        folder = base / repo.replace("/", "+")
        if folder.is_dir():
            found.append((repo, folder))
        else:
            print(f"missing {repo}: git clone --depth 1 {url} {folder}", file=sys.stderr)
    return found


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds user+sys, exit code) of one run of ``cmd`` as a process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    rc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, rc


def alternate(
    cmds: dict[str, list[str]],
    cwd: Path,
    env: dict[str, str],
    repeat: int,
    setup: dict[str, Callable[[], None]] | None = None,
) -> dict[str, float]:
    """Median wall time (and ``<name>_cpu``, user+sys) of each command, run alternately, one
    warm-up each first; ``setup[name]`` runs untimed before each run of that command."""
    setup = setup or {}
    for k, cmd in cmds.items():
        setup.get(k, lambda: None)()
        timed(cmd, cwd, env)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for k, cmd in cmds.items():
            setup.get(k, lambda: None)()
            wall, cpu, _rc = timed(cmd, cwd, env)
            times[k].append(wall)
            cpus[k].append(cpu)
    out = {k: statistics.median(v) for k, v in times.items()}
    out.update({f"{k}_cpu": statistics.median(v) for k, v in cpus.items()})
    return out


def import_ms(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Total import time in ms of one run (the cumulative column of ``-X importtime``'s top level)."""
    err = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False).stderr
    total = 0
    for line in err.splitlines():
        fields = line.split("|")
        if line.startswith("import time:") and len(fields) == 3 and not fields[2].startswith("  "):
            with contextlib.suppress(ValueError):
                total += int(fields[1])
    return total / 1000


def scan_rate(folders: list[Path]) -> tuple[float, float]:
    """(MB, MB/s) of the secret scan over the text files of ``folders`` (CPU time, best of 3)."""
    from skillsync.rules.security import scan

    blobs: list[bytes] = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d not in (".git", "node_modules")]
            for fn in filenames:
                if fn.endswith(TEXT_SUFFIXES):
                    with open(os.path.join(dirpath, fn), "rb") as fh:
                        blobs.append(fh.read())
    size = sum(map(len, blobs)) / 1e6
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for b in blobs:
            for _hit in scan(b):
                pass
        best = min(best, time.process_time() - start)
    return size, size / best if best else float("inf")


def sync_figures(ours: list[str], folder: Path, env: dict[str, str], repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="skillsync-bench-") as tmp:
        ws = Path(tmp) / folder.name
        shutil.copytree(folder, ws, ignore=shutil.ignore_patterns(".git"))
        (ws / "skillsync.toml").write_text("")
        subprocess.run([*ours, "push", "--yes"], cwd=ws, env=env, capture_output=True, check=False)
        return alternate(
            {"status": [*ours, "status"], "noop_push": [*ours, "push", "--yes"]}, ws, env, repeat
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collections", type=Path, default=default_dir())
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", help="another skillsync command to compare with (e.g. an older venv's)")
    ap.add_argument(
        "--skillcheck", default=shutil.which("skillcheck") or str(Path(sys.executable).parent / "skillcheck")
    )
    ap.add_argument("--only", default="", help="comma list of collection names")
    ap.add_argument("--modes", default="cold,first,warm", help="skillsync runs to time: cold,first,warm")
    ap.add_argument("--no-sync", action="store_true", help="skip the status/push figures")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    found = locate(args.collections, {x for x in args.only.split(",") if x})
    if not found:
        print(f"no collections under {args.collections} (see this script's docstring)", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "SKILLSYNC_NO_CACHE")}
    env["SEREN_API_KEY"] = ""
    ours = [sys.executable, "-m", "skillsync"]
    have_skillcheck = Path(args.skillcheck).exists() or shutil.which(args.skillcheck) is not None
    modes = [m for m in args.modes.split(",") if m]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="skillsync-bench-") as tmp:
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # where a plain folder's cache goes
        cache_root = Path(tmp) / "cache" / "skillsync"
        for repo, folder in found:
            copy = Path(tmp) / folder.name
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".git"), symlinks=True)
            validate = [*ours, "validate", "--format", "json", "."]
            cmds: dict[str, list[str]] = {}
            setup: dict[str, Callable[[], None]] = {}
            if "cold" in modes:
                cmds["cold"] = [*validate, "--no-cache"]
            if "first" in modes:
                cmds["first"] = validate
                setup["first"] = lambda: shutil.rmtree(cache_root, ignore_errors=True)
            if "warm" in modes:
                cmds["warm"] = list(validate)  # primed by its untimed warm-up; "first" runs before it
            if have_skillcheck:
                cmds["skillcheck"] = [args.skillcheck, "--format", "json", "--no-color", "."]
            if args.baseline:
                cmds["baseline"] = [*args.baseline.split(), "validate", "--format", "json", "."]
            row = alternate(cmds, copy, env, args.repeat, setup)
            if "warm" in cmds:  # after the run: what a warm run imports, in ms (python -X importtime)
                traced = [validate[0], "-X", "importtime", *validate[1:]]
                row["warm_import_ms"] = import_ms(traced, copy, env)
            for mode in ("cold", "first", "warm"):
                if mode in row and "skillcheck" in row:
                    row[f"{mode}_vs_skillcheck"] = row[mode] / row["skillcheck"]
                if mode in row and "baseline" in row:
                    row[f"{mode}_vs_baseline"] = row[mode] / row["baseline"]
            results[repo] = row
            shutil.rmtree(copy)
    size, rate = scan_rate([f for _, f in found])
    results["secret_scan"] = {"mb": size, "mb_per_s": rate}
    if not args.no_sync:
        largest = max((f for _, f in found), key=lambda f: sum(1 for _ in f.rglob("SKILL.md")))
        results[f"sync ({largest.name})"] = sync_figures(ours, largest, env, args.repeat)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for name, row in results.items():
        print(name + ": " + ", ".join(f"{k}={v:.3f}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
