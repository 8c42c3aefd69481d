"""Validation benchmark (run on demand, not a test): skillsync vs skillcheck on the same tree.

    .venv/bin/python benchmarks/bench_validate.py [--workdir DIR] [--keep] [--repeat N]

Generates the 200-skill x 10-file workspace (benchmarks/generate.py, kind "many"), then in the
same run:
- `skillsync validate --json` as a subprocess (reads every shipped file: encoding, secrets, links);
- `skillcheck --format json --no-color skills` as a subprocess on the same tree (reads only
  SKILL.md files; one process given the folder, as its docs show for a whole tree);
- the skillsync engine in this process (no interpreter start-up), and the import time of the
  validate command (`python -X importtime`, sum of top-level imports);
- both tools side by side in this one process (`check_skills` + JSON rendering vs skillcheck's
  `cli.main()` with the same arguments, stdout captured), alternating, after a warm-up each: the
  comparison without interpreter and import start-up.
The two subprocesses run alternately (one untimed warm-up each first, so both see a warm page
cache and run from bytecode: a PYTHONPYCACHEPREFIX in the work folder, PYTHONDONTWRITEBYTECODE
dropped, since skillcheck's installed .pyc files exist while an editable checkout's may not),
N times each, and the ratio is of their medians: on a shared, noisy machine this compares like
with like. Target: skillsync's wall time <= half of skillcheck's. skillcheck is a PyPI tool
installed into the venv for this comparison only (`.venv/bin/pip install skillcheck`), not a
project dependency.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from skillsync.reporters import render
from skillsync.validate import check_skills
from skillsync.workspace import open_workspace


def ours_in_process(root: Path) -> float:
    ws = open_workspace(root)
    start = time.perf_counter()
    render(check_skills(ws, ws.skills()), "json")
    return time.perf_counter() - start


def skillcheck_in_process(root: Path) -> float | None:
    try:
        from skillcheck import cli as skillcheck_cli
    except ImportError:
        return None
    saved = sys.argv
    sys.argv = ["skillcheck", "--format", "json", "--no-color", str(root / "skills")]
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            skillcheck_cli.main()
    except SystemExit:
        pass
    finally:
        sys.argv = saved
    return time.perf_counter() - start


def run_once(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    rc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False).returncode
    return time.perf_counter() - start, rc


def import_ms(cwd: Path, env: dict[str, str]) -> float:
    """Sum of the top-level entries of `-X importtime` for `skillsync validate --json`."""
    cmd = [sys.executable, "-X", "importtime", "-m", "skillsync", "validate", "--json"]
    err = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False).stderr
    total = 0
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit() and not name.startswith("  "):
                total += int(cumulative)
    return total / 1000


def fmt(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:7.1f} ms  min {min(times) * 1000:7.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    base = args.workdir or Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        root = generate("many", base / "many")
        bindir = Path(sys.executable).parent
        skillcheck = shutil.which("skillcheck", path=str(bindir)) or shutil.which("skillcheck")
        ours_cmd = [str(bindir / "skillsync"), "validate", "--json"]
        theirs_cmd = [skillcheck, "--format", "json", "--no-color", "skills"] if skillcheck else None
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
        env["SKILLSYNC_NO_CACHE"] = "1"  # validation cache off: every run checks every file
        run_once(ours_cmd, root, env)  # warm-up: page cache and bytecode, for both
        if theirs_cmd:
            run_once(theirs_cmd, root, env)
        engine = []
        for _ in range(args.repeat):
            ws = open_workspace(root)
            start = time.perf_counter()
            report = check_skills(ws, ws.skills())
            engine.append(time.perf_counter() - start)
        print(f"skillsync engine (in process):   {fmt(engine)}  {report.summary()}")
        imports = [import_ms(root, env) for _ in range(args.repeat)]
        print(f"skillsync validate imports:      median {statistics.median(imports):7.1f} ms")
        ours: list[float] = []
        theirs: list[float] = []
        rc_ours = rc_theirs = 0
        for _ in range(args.repeat):
            t, rc_ours = run_once(ours_cmd, root, env)
            ours.append(t)
            if theirs_cmd:
                t, rc_theirs = run_once(theirs_cmd, root, env)
                theirs.append(t)
        print(f"skillsync validate (subprocess): {fmt(ours)}  exit {rc_ours}")
        if skillcheck_in_process(root) is not None:  # warm-up of both, then alternate
            ours_in_process(root)
            side_ours: list[float] = []
            side_theirs: list[float] = []
            for _ in range(args.repeat):
                side_ours.append(ours_in_process(root))
                side_theirs.append(skillcheck_in_process(root) or 0.0)
            print(f"in one process: skillsync        {fmt(side_ours)}")
            print(f"in one process: skillcheck       {fmt(side_theirs)}")
            side = statistics.median(side_ours) / statistics.median(side_theirs)
            verdict = "met" if side <= 0.5 else "MISSED"
            print(f"ratio in one process (medians): {side:.2f} (target <= 0.50: {verdict})")
        if not theirs_cmd:
            print("skillcheck not installed: .venv/bin/pip install skillcheck")
            return 0
        print(f"skillcheck (subprocess):         {fmt(theirs)}  exit {rc_theirs}")
        ratio = statistics.median(ours) / statistics.median(theirs)
        verdict = "met" if ratio <= 0.5 else "MISSED"
        print(f"ratio as subprocesses (medians): {ratio:.2f} (target <= 0.50: {verdict})")
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
