"""Cost of reading ignore files from the git top level (run on demand, not a test).

    .venv/bin/python benchmarks/bench_ignore_above.py [--baseline-src DIR] [--repeat N] [--workdir DIR]

Generates the 200-skill workspace (benchmarks/generate.py, kind "many") three folders below the
top of a git repository that has a `.gitignore` at the top and one in between, then times whole
commands as separate processes: `skillsync validate --json` and `skillsync ls --json`, run in the
workspace. With `--baseline-src` (the `src` folder of another checkout, e.g. `git archive main`),
each command also runs with that code first on PYTHONPATH, alternating with this checkout, one
untimed warm-up each; the figures are medians of wall and CPU (user + system) time. Every skill
now walks up to the git top level and
reads the two extra ignore files; this shows what that costs on a warm page cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

COMMANDS = (("validate", "--json"), ("ls", "--json"))


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU (user + system of the child) is what a loaded, shared
    machine disturbs least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-ignore-above-"))
    try:
        repo = work / "repo"
        (repo / "a").mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        (repo / ".gitignore").write_text("*.log\nbuild/\n")
        (repo / "a" / ".gitignore").write_text("drafts/\n")
        ws = generate("many", repo / "a" / "b" / "ws")
        variants = {"this checkout": {**os.environ, "SKILLSYNC_NO_CACHE": "1"}}  # (the validation cache off)
        if args.baseline_src is not None:
            base_env = {**os.environ, "SKILLSYNC_NO_CACHE": "1"}
            base_env["PYTHONPATH"] = str(args.baseline_src.resolve())
            variants["baseline"] = base_env
        print(f"workspace: {ws} (200 skills x 10 files), repeat {args.repeat}")
        for command in COMMANDS:
            cmd = [sys.executable, "-m", "skillsync", *command]
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
            for env in variants.values():
                _time(cmd, ws, env)  # warm-up
            for _ in range(args.repeat):
                for name, env in variants.items():
                    times[name].append(_time(cmd, ws, env))
            line = ", ".join(
                f"{name} wall {statistics.median(w for w, _ in t) * 1000:.0f} ms"
                f" cpu {statistics.median(c for _, c in t) * 1000:.0f} ms"
                for name, t in times.items()
            )
            print(f"skillsync {' '.join(command)}: median {line}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
