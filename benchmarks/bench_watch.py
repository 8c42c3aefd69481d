"""Watch benchmark (run on demand, not a test): save-to-revision latency of `skillsync watch`.

    .venv/bin/python benchmarks/bench_watch.py [--edits 100] [--debounce MS] [--workdir DIR] [--json]

A registry runs as `skillsync serve` (its own process, 127.0.0.1, a free port) and `skillsync watch
--json` as another process on a generated one-skill workspace. Each of the N edits rewrites one file
the way editors save (write a temp file, rename it over the original), then waits for watch's
`revision` event. Latency = the time the benchmark reads that event minus the time just before the
rename; the revision then exists on the registry (watch reports it after the POST answered). The
revision count on the registry is checked at the end (one per edit, none lost or duplicated).
Target: p95 <= 300 ms with the default debounce (100 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

TOKEN = "seren_bench_watch_0123456789abcdef"


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    q: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            q.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return q


def _wait_event(q: queue.Queue[str], kind: str, timeout: float = 30) -> tuple[float, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit(f"no '{kind}' event within {timeout} s")
        line = q.get(timeout=left)
        at = time.time()
        doc = json.loads(line)
        if doc.get("event") == kind:
            return at, doc
        if doc.get("event") in ("blocked", "failed", "remote-down", "remote-moved"):
            raise SystemExit(f"unexpected event: {line.strip()}")


def _save(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def run(work: Path, edits: int, debounce: int | None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SEREN_API_KEY": TOKEN}
    exe = [sys.executable, "-m", "skillsync"]
    server = subprocess.Popen(
        [*exe, "serve", "--port", "0", "--json", "--token", TOKEN, "--db", str(work / "registry.db")],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    watch: subprocess.Popen[str] | None = None
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        ws = work / "ws"
        skill = ws / "skills" / "bench-skill"
        (skill / "references").mkdir(parents=True)
        (ws / "skillsync.toml").write_text(f'[remote]\ndefault = "bench"\n\n[remotes.bench]\nurl = "{url}"\n')
        (skill / "SKILL.md").write_text(
            "---\nname: bench-skill\ndescription: Benchmarks watch.\n---\n# Bench\n\nSee references/notes.md.\n"
        )
        for i in range(5):
            (skill / "references" / f"ref{i}.md").write_text(f"# Reference {i}\n\n" + "text line\n" * 200)
        target = skill / "references" / "notes.md"
        target.write_text("# Notes\n\nstart\n")
        subprocess.run([*exe, "-C", str(ws), "push", "--yes"], check=True, env=env, capture_output=True)
        args = [*exe, "-C", str(ws), "watch", "--json"]
        if debounce is not None:
            args += ["--debounce", str(debounce)]
        watch = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        q = _lines(watch)
        _wait_event(q, "watching")
        latencies: list[float] = []
        reported: list[float] = []
        cpu0 = (_cpu(watch.pid), _cpu(server.pid))
        for i in range(edits):
            text = f"# Notes\n\nedit {i}\n"
            saved = time.time()
            _save(target, text)
            at, doc = _wait_event(q, "revision")
            latencies.append((at - saved) * 1000)
            if doc.get("ms") is not None:
                reported.append(float(doc["ms"]))
            time.sleep(0.05)
        cpu1 = (_cpu(watch.pid), _cpu(server.pid))
        log = subprocess.run(
            [*exe, "-C", str(ws), "log", "bench-skill", "--json"], check=True, env=env, capture_output=True,
            text=True,
        )
        revisions = len(json.loads(log.stdout)["revisions"])
    finally:
        if watch is not None:
            watch.terminate()
            watch.wait(30)
        server.terminate()
        server.wait(30)
    return {
        "edits": edits,
        "debounce_ms": debounce if debounce is not None else "default",
        "revisions_on_registry": revisions,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_pct(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
        "watch_reported_p50_ms": round(statistics.median(reported), 1) if reported else None,
        "watch_cpu_ms_per_edit": round((cpu1[0] - cpu0[0]) * 1000 / edits, 1),
        "server_cpu_ms_per_edit": round((cpu1[1] - cpu0[1]) * 1000 / edits, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=100)
    ap.add_argument("--debounce", type=int, default=None, help="--debounce MS for watch (default: its own)")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-watch-", dir=a.workdir))
    try:
        res = run(work, a.edits, a.debounce)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        for k, v in res.items():
            print(f"{k:24} {v}")


if __name__ == "__main__":
    main()
