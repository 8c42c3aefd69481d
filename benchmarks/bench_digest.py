"""Digest benchmarks (run on demand, not a test): prints figures against the issue-3 targets.

    .venv/bin/python benchmarks/bench_digest.py [--workdir DIR] [--keep] [--only large,many,small]

Targets, each measured in the same run:
- cold digest of the 200 MiB skill >= 60 % of raw hashlib.sha256 throughput;
- warm (stat-cached) digest of the 200-skill workspace <= 25 % of its cold time (both include computing
  the tree digests, as `skillsync digest` does);
- peak RSS of a `skillsync digest` subprocess on the 200 MiB skill < 100 MB.
"Cold" means no stat cache; the OS page cache is warm in every measurement (files were just written
and are read once before timing), so the figures compare hashing work, not disk speed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from skillsync.manifest import build_manifests
from skillsync.selection import select, select_paths
from skillsync.statcache import CACHE_FILE, StatCache, fs_now
from skillsync.workspace import Workspace, open_workspace

MiB = 1024 * 1024


def best_of(fn: Callable[[], object], repeat: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def settle(root: Path) -> None:
    """Wait until the filesystem clock passes the generation time, so no file counts as racy."""
    mark = fs_now(root) or 0
    while (fs_now(root) or 0) <= mark:
        time.sleep(0.005)
    time.sleep(0.02)


def drop_cache(ws: Workspace) -> None:
    (ws.state_dir / CACHE_FILE).unlink(missing_ok=True)


def cli_seconds(root: Path, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "skillsync", "-C", str(root), "digest", *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


# Linux keeps a process's peak RSS across exec, so a child forked from this (large) benchmark process
# would report our size. A small wrapper forks the command instead: `/usr/bin/time`, or else a
# bare `python -S` that forks, execs and reports wait4's ru_maxrss (KiB on Linux).
_WRAPPER = (
    "import os,sys\n"
    "pid=os.fork()\n"
    "if pid==0:\n"
    "    os.execv(sys.argv[1],sys.argv[1:])\n"
    "_,st,ru=os.wait4(pid,0)\n"
    "sys.stderr.write('maxrss_kib=%d\\n'%ru.ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(st))\n"
)


def peak_rss_mb(argv: list[str]) -> float:
    """Peak RSS in MB (10^6 bytes) of ``argv`` run as a fresh process."""
    if Path("/usr/bin/time").exists():
        cmd = ["/usr/bin/time", "-f", "maxrss_kib=%M", *argv]
    else:
        cmd = [sys.executable, "-S", "-c", _WRAPPER, *argv]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed with {proc.returncode}: {proc.stderr}")
    line = [x for x in proc.stderr.splitlines() if x.startswith("maxrss_kib=")][-1]
    return int(line.split("=")[1]) * 1024 / 1e6


def bench_large(work: Path, out: dict[str, object]) -> None:
    root = generate("large-asset", work / "large-asset")
    ws = open_workspace(root)
    asset = root / "skills/large-asset/assets/model.bin"
    size = asset.stat().st_size
    with asset.open("rb") as fh:  # warm the page cache
        while fh.read(8 * MiB):
            pass
    buf = os.urandom(64 * MiB)
    raw_mem = 64 * MiB / best_of(lambda: hashlib.sha256(buf).digest(), 3) / MiB

    def raw_file() -> None:
        with asset.open("rb") as fh:
            hashlib.file_digest(fh, "sha256")

    raw_file_rate = size / best_of(raw_file, 3) / MiB
    cold = best_of(lambda: build_manifests(ws, ws.skills(), use_cache=False), 3)
    cold_rate = size / cold / MiB
    argv = [sys.executable, "-m", "skillsync", "-C", str(root), "digest", "--no-cache"]
    rss = peak_rss_mb(argv)
    rss_base = peak_rss_mb([sys.executable, "-m", "skillsync", "--version"])
    out["large"] = {
        "asset_mib": size / MiB,
        "raw_sha256_memory_mib_s": round(raw_mem, 1),
        "raw_file_digest_mib_s": round(raw_file_rate, 1),
        "cold_digest_s": round(cold, 3),
        "cold_digest_mib_s": round(cold_rate, 1),
        "cold_vs_raw_memory_pct": round(100 * cold_rate / raw_mem, 1),
        "cold_vs_raw_file_pct": round(100 * cold_rate / raw_file_rate, 1),
        "peak_rss_mb_digest": round(rss, 1),
        "peak_rss_mb_version_baseline": round(rss_base, 1),
    }


def bench_workspace(kind: str, work: Path, out: dict[str, object]) -> None:
    root = generate(kind, work / kind)
    settle(root)
    ws = open_workspace(root)
    skills = ws.skills()

    def run(use_cache: bool = True) -> list[str]:  # what `skillsync digest` does: manifests, then digests
        return [m.digest for m in build_manifests(ws, skills, use_cache=use_cache)]

    nocache = best_of(lambda: run(use_cache=False), 3)
    select_only = best_of(lambda: [select(ws, s) for s in skills], 3)
    cold = best_of(run, 3, before=lambda: drop_cache(ws))
    run()
    warm = best_of(run, 5)

    def warm_select() -> None:  # selection alone, reusing the listings the warm runs recorded
        cache = StatCache.load(ws.state_dir)
        cache.start()
        for s in skills:
            select_paths(ws, s, cache, str(s.path))

    select_warm = best_of(warm_select, 5)
    cache_path = ws.state_dir / CACHE_FILE
    load = best_of(lambda: StatCache.load(ws.state_dir), 5)
    files = sum(m.files for m in build_manifests(ws, skills))
    drop_cache(ws)
    cli_cold = cli_seconds(root)
    cli_warm = min(cli_seconds(root) for _ in range(3))
    out[kind] = {
        "skills": len(skills),
        "files": files,
        "cached_entries": len(StatCache.load(ws.state_dir)),
        "select_only_s": round(select_only, 4),
        "select_warm_s": round(select_warm, 4),
        "no_cache_s": round(nocache, 4),
        "cold_s": round(cold, 4),
        "warm_s": round(warm, 4),
        "warm_vs_cold_pct": round(100 * warm / cold, 1),
        "cache_file_kib": round(cache_path.stat().st_size / 1024, 1),
        "cache_load_s": round(load, 4),
        "cli_cold_s": round(cli_cold, 3),
        "cli_warm_s": round(cli_warm, 3),
        "cli_warm_vs_cold_pct": round(100 * cli_warm / cli_cold, 1),
    }


def verdict(target: str, value: str, ok: bool) -> None:
    print(f"target {target}: {value} {'OK' if ok else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, help="where to generate data (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--only", default="large,many,small", help="comma list of: large, many, small")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="skillsync-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    only = set(args.only.split(","))
    try:
        if "large" in only:
            bench_large(work, out)
        if "many" in only:
            bench_workspace("many", work, out)
        if "small" in only:
            bench_workspace("small-files", work, out)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for section, figures in out.items():
        if isinstance(figures, dict):
            print(f"[{section}]")
            for key, value in figures.items():
                print(f"  {key:32} {value}")
        else:
            print(f"{section}: {figures}")
    large = out.get("large")
    many = out.get("many")
    small = out.get("small-files")
    if isinstance(large, dict):
        verdict(
            "cold >= 60% of raw sha256",
            f"{large['cold_vs_raw_memory_pct']}%",
            large["cold_vs_raw_memory_pct"] >= 60,
        )
        verdict("peak RSS < 100 MB", f"{large['peak_rss_mb_digest']} MB", large["peak_rss_mb_digest"] < 100)
    if isinstance(many, dict):
        verdict(
            "warm <= 25% of cold (200 skills)", f"{many['warm_vs_cold_pct']}%", many["warm_vs_cold_pct"] <= 25
        )
    if isinstance(small, dict):
        print(f"info: warm vs cold (10,000 small files): {small['warm_vs_cold_pct']}% (no target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
