"""Validate speed with this branch's rules vs another checkout's, on real collections (whole commands).

    .venv/bin/python benchmarks/bench_validate_rules.py --base /work/main/.venv/bin/skillsync \\
        --repeat 7 /work/collections/UiPath+skills /work/collections/anthropics+skills

Each collection is copied once into a temp folder with a skillsync.toml naming every SKILL.md folder
(as benchmarks/rule_findings.py does). Then `skillsync validate --format json` runs as a separate
process, alternating base and this checkout (and this checkout with every target), --repeat times
each; medians are printed. The page cache is warm after the first run of either. Bytecode caches
go to a temp folder (PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE is dropped), so neither side pays
for compiling its sources on every run, as an installed package would not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from rule_findings import _workspace

ALL = "agentskills,seren,claude-code,claude-api,claude-ai"


_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV["SKILLSYNC_NO_CACHE"] = "1"  # validation cache off: every run checks every file


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False, env=_ENV)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.decode()[:300]}")
    return took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("collections", nargs="+", type=Path)
    ap.add_argument("--base", required=True, help="the skillsync executable to compare with")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    mine = str(Path(sys.executable).with_name("skillsync"))
    with tempfile.TemporaryDirectory() as tmp:
        _ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        for src in args.collections:
            ws = str(_workspace(src, Path(tmp) / src.name))
            runs: dict[str, list[float]] = {"base": [], "this": [], "this --target all": []}
            cmds = {
                "base": [args.base, "-C", ws, "validate", "--format", "json"],
                "this": [mine, "-C", ws, "validate", "--format", "json"],
                "this --target all": [mine, "-C", ws, "validate", "--format", "json", "--target", ALL],
            }
            for name in cmds:  # warm-up, not counted
                _time(cmds[name])
            for _ in range(args.repeat):
                for name, cmd in cmds.items():
                    runs[name].append(_time(cmd))
            base = statistics.median(runs["base"])
            for name, times in runs.items():
                med = statistics.median(times)
                delta = (med / base - 1) * 100
                print(f"{src.name:40s} {name:18s} median {med:6.3f} s  ({delta:+.1f}% vs base)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
