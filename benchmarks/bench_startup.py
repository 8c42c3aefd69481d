"""Start-up cost every command pays (run on demand, not a test): issue 12.

    .venv/bin/python benchmarks/bench_startup.py [--folder DIR] [--baseline-src DIR]
        [--skillcheck PATH] [--repeat N]

Whole commands as separate processes, alternated between variants, medians of wall and CPU
(user + sys) time, with the load average:

- ``skillsync --version`` (interpreter, click and the command group: nothing else);
- ``skillsync validate --format json .`` in a copy of ``--folder`` (with ``--skillcheck``, also
  ``skillcheck --format json .`` on the same copy: the issue's target is at most 0.5x of it);
- the import time of ``skillsync.cli.main`` and the total import time of the validate command,
  from ``python -X importtime`` (sum of the top-level cumulative figures, interpreter start-up
  modules included).

Commands run through the virtual environment's ``skillsync`` script, as a user runs them. With
``--baseline-src`` (the ``src`` folder of another tree, e.g. ``git archive main src | tar -x -C
/tmp/base``), each command also runs with that code first on PYTHONPATH, and the validate output
of both is compared (findings must be the same). Modules are byte-compiled first (``compileall``),
as an installed wheel is.
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
from collections.abc import Callable
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
SCRIPT = str(Path(sys.executable).parent / "skillsync")


def timed(
    cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0, 1)
) -> tuple[float, float, str]:
    """(wall, CPU, stdout) of one whole command; fails loudly on an unexpected exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.stdout


def import_times(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(``skillsync.cli.main`` cumulative, total of top-level imports) in seconds, from -X importtime."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    main = total = 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _self, cumulative, name = line[len("import time:") :].split("|")
        if name.startswith(" ") and not name.startswith("  "):  # one space: a top-level import
            total += int(cumulative)
            if name.strip() == "skillsync.cli.main":
                main = int(cumulative)
    return main / 1e6, total / 1e6


def findings(stdout: str) -> list[str]:
    """The findings of a ``validate --format json`` document, sorted, as comparable strings."""
    doc = json.loads(stdout)
    out = []
    for skill in doc.get("skills", []):
        for f in skill.get("findings", []):
            out.append(json.dumps([skill.get("path"), f], sort_keys=True))
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folder", type=Path, help="a skill collection to validate (copied to a temp folder)")
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--skillcheck", help="path of the skillcheck executable, to time beside validate")
    ap.add_argument("--repeat", type=int, default=11)
    args = ap.parse_args()

    for src in [SRC, args.baseline_src]:
        if src is not None:
            compileall.compile_dir(str(src), quiet=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEREN_") and k != "PYTHONPATH"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["SKILLSYNC_NO_CACHE"] = "1"  # validation cache off: every run checks every file
    variants = {"this": env}
    if args.baseline_src is not None:
        variants = {"baseline": {**env, "PYTHONPATH": str(args.baseline_src.resolve())}, **variants}

    with tempfile.TemporaryDirectory(prefix="skillsync-startup-") as tmp:
        work = Path(tmp) / "ws"
        if args.folder is not None:
            shutil.copytree(args.folder, work, symlinks=True)
        else:
            work.mkdir()
        runs: dict[str, Callable[[dict[str, str]], tuple[float, float, str]]] = {
            "--version": lambda e: timed([SCRIPT, "--version"], work, e, ok=(0,)),
        }
        if args.folder is not None:
            runs["validate --format json ."] = lambda e: timed(
                [SCRIPT, "validate", "--format", "json", "."], work, e
            )
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        outputs: dict[str, str] = {}
        imports: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for label, run in runs.items():
                for name, e in variants.items():
                    wall, cpu, out = run(e)
                    results.setdefault((label, name), []).append((wall, cpu))
                    outputs.setdefault(f"{label} {name}", out)
                if args.skillcheck and label.startswith("validate"):
                    wall, cpu, _out = timed([args.skillcheck, "--format", "json", "."], work, env)
                    results.setdefault((label, "skillcheck"), []).append((wall, cpu))
            for name, e in variants.items():
                cmd = ["-c", "import skillsync.cli.main"]
                if args.folder is not None:
                    cmd = [
                        "-c",
                        "import sys; from skillsync.cli.main import run; sys.exit(run(sys.argv[1:]))",
                    ]
                    cmd += ["validate", "--format", "json", "."]
                imports[name].append(import_times(cmd, work, e))

    load = os.getloadavg()
    print(f"{args.repeat} runs each, alternated; medians; load average {' '.join(f'{x:.2f}' for x in load)}")
    for (label, name), rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        print(f"  {label:28s} {name:10s} wall {wall:.3f} s  cpu {cpu:.3f} s")
    what = "validate's imports" if args.folder is not None else "import skillsync.cli.main"
    for name, rows in imports.items():
        main_s = statistics.median(r[0] for r in rows)
        total = statistics.median(r[1] for r in rows)
        print(
            f"  -X importtime ({what}) {name:10s} skillsync.cli.main {main_s * 1000:.0f} ms"
            f"  all imports {total * 1000:.0f} ms"
        )
    if args.baseline_src is not None and args.folder is not None:
        same = findings(outputs["validate --format json . baseline"]) == findings(
            outputs["validate --format json . this"]
        )
        print(f"  findings of validate: {'the same' if same else 'DIFFERENT'} in both variants")


if __name__ == "__main__":
    main()
