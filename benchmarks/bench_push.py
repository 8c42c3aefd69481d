"""Push benchmarks (run on demand, not a test): figures against the issue-7 targets.

    .venv/bin/python benchmarks/bench_push.py [--workdir DIR] [--only noop,jobs,rss] [--skills N]

- noop: a no-op push of the 200-skill workspace costs exactly 1 HTTP request (counted by the client).
- jobs: first push of the 200 skills over loopback with 50 ms injected latency per request,
  --jobs 8 vs --jobs 1 (target >= 4x), measured in the same run, each against a fresh registry.
- rss: peak RSS of the `skillsync push` process uploading a skill with a 200 MiB asset
  (target < 150 MB); the registry runs in another process with raised limits.

Every registry is a separate process (uvicorn on 127.0.0.1, a free port), so client figures never
include the server's work or memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

TOKEN = "seren_bench_0123456789abcdef0123"
MIB = 1024 * 1024
_SERVER = """
import json, sys, uvicorn
from skillsync.emulator import Fault, create_app
db, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
limits, faults = json.loads(sys.argv[4]), json.loads(sys.argv[5])
app = create_app(db, tokens=[token], limits=limits or None)
app.state.faults[:] = [Fault(**f) for f in faults]
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def registry(
    db: Path, *, limits: dict[str, int] | None = None, faults: list[dict[str, Any]] | None = None
) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SERVER,
            str(db),
            str(port),
            TOKEN,
            json.dumps(limits or {}),
            json.dumps(faults or []),
        ]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(500):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("registry failed to start") from None
                time.sleep(0.02)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _configure(ws: Path, url: str, extra: str = "") -> None:
    cfg = ws / "skillsync.toml"
    text = cfg.read_text() if cfg.exists() else ""
    text += f'\n[remote]\ndefault = "bench"\n\n[remotes.bench]\nurl = "{url}"\ntimeout = 300\n{extra}'
    cfg.write_text(text)


def _env() -> dict[str, str]:
    return {**os.environ, "SEREN_API_KEY": TOKEN}


def _push(ws: Path, *args: str) -> tuple[float, int, Any]:
    """Run `skillsync push --yes ARGS` in ws; return (seconds, exit code, rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillsync", "push", "--yes", *args],
        cwd=ws,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        print(proc.stderr.read().decode()[-2000:], file=sys.stderr)
    return elapsed, code, usage


def _fresh_copy(src: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".skillsync"))
    return dest


LATENCY_ROUTES = (
    "* /organizations",
    "* /organizations/*/custom-skills",
    "* /organizations/*/custom-skills/*",
    "* /organizations/*/custom-skills/*/revisions",
    "* /organizations/*/custom-skills/*/revisions/*",
)


def bench_noop(work: Path, many: Path) -> None:
    ws = _fresh_copy(many, work / "noop")
    with registry(work / "noop.sqlite3") as url:
        _configure(ws, url)
        _, code, _ = _push(ws, "--jobs", "8")
        assert code == 0, "first push failed"
        os.environ["SEREN_API_KEY"] = TOKEN
        from skillsync.remote import open_remote
        from skillsync.sync.push import apply_push, plan_push
        from skillsync.sync.state import SyncState
        from skillsync.workspace import open_workspace

        w = open_workspace(ws)

        async def go() -> tuple[int, int]:
            async with open_remote(w) as session:
                before = session.client.request_count
                st = SyncState.load(w)
                plan = await plan_push(session, w, w.skills(), st, publish=False, force=False)
                await apply_push(session, plan, st)
                return len(plan.actionable), session.client.request_count - before

        t0 = time.perf_counter()
        actionable, requests = asyncio.run(go())
        elapsed = time.perf_counter() - t0
    print(
        f"noop push, {len(w.skills())} skills: {requests} HTTP request(s), {actionable} actions, "
        f"{elapsed:.2f} s  (target: exactly 1)"
    )


def bench_jobs(work: Path, many: Path, latency_ms: int) -> None:
    faults = [{"route": r, "mode": "latency", "latency_ms": latency_ms} for r in LATENCY_ROUTES]
    times: dict[int, float] = {}
    for jobs in (1, 8):
        ws = _fresh_copy(many, work / f"jobs{jobs}")
        db = work / f"jobs{jobs}.sqlite3"
        with registry(db, faults=faults) as url:
            _configure(ws, url)
            elapsed, code, _ = _push(ws, "--jobs", str(jobs))
            assert code == 0, f"push --jobs {jobs} failed"
            times[jobs] = elapsed
        print(f"first push, {latency_ms} ms latency, --jobs {jobs}: {elapsed:.2f} s")
    print(f"speed-up --jobs 8 vs --jobs 1: {times[1] / times[8]:.2f}x  (target >= 4x)")


def bench_rss(work: Path, large: Path) -> None:
    ws = _fresh_copy(large, work / "rss")
    limits = {"max_file_bytes": 300 * MIB, "max_total_bytes": 300 * MIB}
    extra = f"\n[validate.limits]\nmax_file_bytes = {300 * MIB}\nmax_total_bytes = {300 * MIB}\n"
    with registry(work / "rss.sqlite3", limits=limits) as url:
        _configure(ws, url, extra)
        elapsed, code, usage = _push(ws)
        assert code == 0, "push of the large skill failed"
    rss_mb = usage.ru_maxrss * 1024 / 1e6  # Linux: KiB
    print(f"push of a 200 MiB asset: {elapsed:.2f} s, client peak RSS {rss_mb:.1f} MB  (target < 150 MB)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--only", default="noop,jobs,rss")
    ap.add_argument("--latency-ms", type=int, default=50)
    args = ap.parse_args()
    only = set(args.only.split(","))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="skillsync-bench-push-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if only & {"noop", "jobs"}:
            many = generate("many", work / "src-many")
            if "noop" in only:
                bench_noop(work, many)
            if "jobs" in only:
                bench_jobs(work, many, args.latency_ms)
        if "rss" in only:
            large = generate("large-asset", work / "src-large")
            bench_rss(work, large)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
