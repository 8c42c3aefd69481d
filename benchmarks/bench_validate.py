"""Validation benchmark (run on demand, not a test): skillsync vs skillcheck on the same tree.

    .venv/bin/python benchmarks/bench_validate.py [--workdir DIR] [--keep] [--repeat N]

Generates the 200-skill x 10-file workspace (benchmarks/generate.py, kind "many"), then in the
same run times, best of N:
- `skillsync validate --json` as a subprocess (reads every shipped file: encoding, secrets, links);
- `skillcheck --format json` as a subprocess on the same tree (reads only SKILL.md files);
- the skillsync engine in this process (no interpreter start-up).
Target: skillsync's wall time <= half of skillcheck's. skillcheck is a PyPI tool installed into
the venv for this comparison only (`.venv/bin/pip install skillcheck`), not a project dependency.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from skillsync.validate import check_skills
from skillsync.workspace import open_workspace


def best_of(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, int]:
    times, rc = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False).returncode
        times.append(time.perf_counter() - start)
    return min(times), rc


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
        ours, rc = best_of([str(bindir / "skillsync"), "validate", "--json"], root, args.repeat)
        print(f"skillsync validate (subprocess): {ours * 1000:8.1f} ms  exit {rc}")
        times = []
        for _ in range(args.repeat):
            ws = open_workspace(root)
            start = time.perf_counter()
            report = check_skills(ws, ws.skills())
            times.append(time.perf_counter() - start)
        s = report.summary()
        print(f"skillsync engine (in process):   {min(times) * 1000:8.1f} ms  {s}")
        if skillcheck is None:
            print("skillcheck not installed: .venv/bin/pip install skillcheck")
            return 0
        theirs, rc = best_of([skillcheck, "--format", "json", "--no-color", "skills"], root, args.repeat)
        print(f"skillcheck (subprocess):         {theirs * 1000:8.1f} ms  exit {rc}")
        ratio = ours / theirs
        verdict = "met" if ratio <= 0.5 else "MISSED"
        print(f"ratio skillsync/skillcheck: {ratio:.2f} (target <= 0.50: {verdict})")
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
