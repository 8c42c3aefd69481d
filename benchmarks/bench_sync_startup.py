"""Start-up of everyday sync commands (run on demand, not a test): the issue-12 target.

    .venv/bin/python benchmarks/bench_sync_startup.py [--folder DIR] [--baseline-src DIR] [--repeat N]

`skillsync status` and a no-op `skillsync push --yes` on an unchanged workspace, as whole commands
(separate processes), against the embedded remote and against `skillsync serve` on loopback (the
server is one long-lived process; only the client is timed). Target: at most 0.5 s each.

The workspace is a copy of `--folder` (e.g. a real collection: its SKILL.md folders are found by
the default layouts), or else the generated 200-skill workspace (`generate.py many`), pushed once
to the embedded registry first. Skills that first push blocks (validation errors) are judged again
by every push (from the validation cache while unchanged); `--drop-blocked` removes them from the
copy, so the timed push is a true no-op.
With `--baseline-src` (the `src` folder of another checkout, e.g.
`git archive main src | tar -x -C /tmp/base`), every command also runs with that code first on
PYTHONPATH, alternating with this checkout. Prints the medians of wall and CPU (user + sys) time
and the load average, and the median over `--import-repeat` runs of the sum of top-level import
times under `python -X importtime`. Python modules are byte-compiled first (`compileall`), as an
installed wheel is: under PYTHONDONTWRITEBYTECODE an editable checkout would otherwise compile
every module on every run (~0.14 s here).
"""

from __future__ import annotations

import argparse
import compileall
import json
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

SRC = Path(__file__).resolve().parent.parent / "src"


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole command; fails loudly on an unexpected exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # 1: some skills blocked by validation findings
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_ms(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Sum of the top-level modules' cumulative import times (ms) of one run under -X importtime."""
    proc = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    total = 0
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        top = len(parts) == 3 and len(parts[2]) - len(parts[2].lstrip()) == 1  # one space: top level
        if line.startswith("import time:") and top and parts[1].strip().isdigit():
            total += int(parts[1])
    return total / 1000


def start_server(ws: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "serve", "--port", "0"],
        cwd=ws,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    words = proc.stdout.readline().split()  # "serving http://127.0.0.1:PORT token=TOKEN"
    return proc, words[1], words[2].removeprefix("token=")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folder", type=Path, help="workspace to copy (default: generate.py many)")
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--import-repeat", type=int, default=5, help="runs under -X importtime (median)")
    ap.add_argument("--drop-blocked", action="store_true", help="remove skills the first push blocks")
    args = ap.parse_args()

    for src in [SRC, args.baseline_src]:
        if src is not None:
            compileall.compile_dir(str(src), quiet=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEREN_")}
    variants = {"this": env}
    if args.baseline_src is not None:
        variants = {"baseline": {**env, "PYTHONPATH": str(args.baseline_src.resolve())}, **variants}

    with tempfile.TemporaryDirectory(prefix="skillsync-bench-") as tmp:
        if args.folder is not None:
            ws = Path(tmp) / "ws"
            shutil.copytree(args.folder, ws, ignore=shutil.ignore_patterns(".git", ".skillsync"))
            (ws / "skillsync.toml").write_text("")
        else:
            ws = generate("many", Path(tmp) / "ws")
        ours = [sys.executable, "-m", "skillsync"]
        first = subprocess.run(
            [*ours, "push", "--yes", "--json"], cwd=ws, env=env, capture_output=True, check=False
        )
        if args.drop_blocked:
            for item in json.loads(first.stdout)["skills"]:
                if item["result"] == "blocked":
                    shutil.rmtree(ws / item["path"])
        skills = sum(1 for _ in ws.glob("**/SKILL.md"))
        server, url, token = start_server(ws, env)
        try:
            remote_env = {"SEREN_API_HOST": url, "SEREN_API_KEY": token}
            cmds = {
                "status, embedded": (["status", "--remote", "local"], {}),
                "push, embedded": (["push", "--yes", "--remote", "local"], {}),
                "status, serve": (["status", "--remote", "seren"], remote_env),
                "push, serve": (["push", "--yes", "--remote", "seren"], remote_env),
            }
            results: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for name, (argv, extra) in cmds.items():
                for variant, venv in variants.items():
                    timed([*ours, *argv], ws, {**venv, **extra})  # warm-up
                    results[(name, variant)] = []
            imports: dict[tuple[str, str], list[float]] = {key: [] for key in results}
            for i in range(args.repeat):
                for name, (argv, extra) in cmds.items():
                    for variant, venv in variants.items():
                        results[(name, variant)].append(timed([*ours, *argv], ws, {**venv, **extra}))
                        if i < args.import_repeat:
                            imports[(name, variant)].append(import_ms([*ours, *argv], ws, {**venv, **extra}))
        finally:
            server.terminate()
            server.wait()
    dropped = " (blocked skills dropped)" if args.drop_blocked else ""
    print(f"load average {os.getloadavg()[0]:.1f}; repeat {args.repeat}; SKILL.md files {skills}{dropped}")
    print(f"{'command':<18} {'code':<9} {'wall (median)':>14} {'CPU (median)':>13} {'imports':>10}")
    for (name, variant), runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        imp = imports[(name, variant)]
        shown = f"{statistics.median(imp):>7.0f} ms" if imp else f"{'-':>10}"
        print(f"{name:<18} {variant:<9} {wall:>12.3f} s {cpu:>11.3f} s {shown}")


if __name__ == "__main__":
    main()
