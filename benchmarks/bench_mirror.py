"""Mirror benchmark (run on demand, not a test): a full `skillsync mirror pull` over loopback.

    .venv/bin/python benchmarks/bench_mirror.py [--runs 3] [--latency-ms 20] [--concurrency 8,1]
        [--publishers 5] [--payouts 1000] [--skills 200] [--json]

Starts `skillsync serve` (a separate process, 127.0.0.1, a free port) with a generated seed: one
organization with PUBLISHERS publishers sharing PAYOUTS payouts (split evenly) and 90 days of
usage each; creates SKILLS custom skills over HTTP (half published, one revision each); then
injects LATENCY_MS of latency on every GET (PUT /_emulator/faults) and times whole
`skillsync mirror pull` processes, alternating the concurrency settings, each into a fresh mirror
file. Prints the median wall time and the number of requests per setting.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

TOKEN = "seren_bench_mirror_0123456789abcdef"
OWNER = "owner@bench.example"


def make_seed(publishers: int, payouts: int) -> dict[str, Any]:
    per = [payouts // publishers + (1 if i < payouts % publishers else 0) for i in range(publishers)]
    pubs = []
    for i, count in enumerate(per):
        pubs.append(
            {
                "name": f"Bench Publisher {i}",
                "slug": f"bench-pub-{i}",
                "wallet_address": f"0x{i + 1:040x}",
                "wallet_network_id": "base",
                "publisher_category": "database",
                "payouts": [
                    {
                        "amount_atomic": 10_000 + k,
                        "status": "completed",
                        "requested_at": f"2026-{1 + k % 12:02d}-{1 + k % 28:02d}T{k % 24:02d}:00:00Z",
                    }
                    for k in range(count)
                ],
                "usage": [
                    {"days_ago": d, "agent_wallet": f"0x{1000 + d % 7:040x}", "revenue_atomic": 50_000 + d}
                    for d in range(90)
                ],
            }
        )
    return {
        "users": [{"email": OWNER, "name": "Bench", "token": TOKEN}],
        "organizations": [
            {
                "name": "Bench Org",
                "slug": "bench-org",
                "owner": OWNER,
                "members": [{"email": f"m{i}@bench.example", "role": "member"} for i in range(20)],
                "invites": [{"email": f"i{i}@bench.example"} for i in range(5)],
                "publishers": pubs,
            }
        ],
    }


def start_server(tmp: Path, seed: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skillsync",
            "serve",
            "--port",
            "0",
            "--db",
            str(tmp / "registry.sqlite3"),
            "--seed",
            str(seed),
            "--token",
            TOKEN,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("serving "):
        proc.kill()
        raise SystemExit(f"skillsync serve did not start: {line}")
    return proc, line.split()[1]


def add_skills(url: str, count: int) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        org = next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "bench-org")

    def one(i: int) -> None:
        md = f"---\nname: bench-{i}\ndescription: Benchmark skill {i}.\n---\n# Bench {i}\n"
        body = {
            "slug": f"bench-skill-{i:03d}",
            "display_name": f"Bench skill {i}",
            "initial_revision": {
                "files": [
                    {"relative_path": "SKILL.md", "content_base64": base64.b64encode(md.encode()).decode()}
                ],
                "publish": i % 2 == 0,
            },
        }
        r = httpx.post(f"{url}/organizations/{org}/custom-skills", json=body, headers=headers, timeout=60)
        r.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))
    return str(org)


def set_latency(url: str, ms: int) -> None:
    faults = [
        {"route": "GET /" + "/".join(["*"] * n), "mode": "latency", "latency_ms": ms} for n in range(1, 9)
    ]
    r = httpx.put(f"{url}/_emulator/faults", json=faults, headers={"Authorization": f"Bearer {TOKEN}"})
    r.raise_for_status()


def pull(ws: Path, db: Path, concurrency: int) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "SEREN_API_KEY": TOKEN}
    cmd = [
        sys.executable,
        "-m",
        "skillsync",
        "mirror",
        "pull",
        "--db",
        str(db),
        "--json",
        "--concurrency",
        str(concurrency),
    ]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"mirror pull failed ({done.returncode}): {done.stderr}")
    return wall, json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--concurrency", default="8,1", help="comma list, alternated")
    ap.add_argument("--publishers", type=int, default=5)
    ap.add_argument("--payouts", type=int, default=1000)
    ap.add_argument("--skills", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    settings = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-mirror-") as tmpdir:
        tmp = Path(tmpdir)
        seed = tmp / "seed.json"
        seed.write_text(json.dumps(make_seed(args.publishers, args.payouts)))
        server, url = start_server(tmp, seed)
        try:
            add_skills(url, args.skills)
            set_latency(url, args.latency_ms)
            ws = tmp / "ws"
            ws.mkdir()
            (ws / "skillsync.toml").write_text(
                f'[remote]\ndefault = "bench"\n\n[remotes.bench]\nurl = "{url}"\n'
            )
            walls: dict[int, list[float]] = {c: [] for c in settings}
            last: dict[int, dict[str, Any]] = {}
            for run in range(args.runs):
                for c in settings if run % 2 == 0 else list(reversed(settings)):
                    wall, out = pull(ws, tmp / f"mirror-{c}-{run}.sqlite3", c)
                    walls[c].append(wall)
                    last[c] = out
        finally:
            server.terminate()
            server.wait(10)
    result = {
        "latency_ms": args.latency_ms,
        "publishers": args.publishers,
        "payouts": args.payouts,
        "skills": args.skills,
        "runs": args.runs,
        "settings": {
            str(c): {
                "median_wall_s": round(statistics.median(walls[c]), 3),
                "walls_s": [round(w, 3) for w in walls[c]],
                "requests": last[c]["requests"],
                "records": sum(last[c]["counts"].values()),
                "counts": last[c]["counts"],
            }
            for c in settings
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"mirror pull: {args.publishers} publishers, {args.payouts} payouts, {args.skills} skills, "
        f"{args.latency_ms} ms latency per GET, {args.runs} runs (median)"
    )
    for c, fig in result["settings"].items():
        print(
            f"  --concurrency {c:>2}: {fig['median_wall_s']:.2f} s wall, {fig['requests']} requests, "
            f"{fig['records']} records  (runs: {fig['walls_s']})"
        )


if __name__ == "__main__":
    main()
