"""Streamed upload body: memory and throughput of producing the JSON for a 200 MiB asset.

    .venv/bin/python benchmarks/bench_upload_body.py [--mib 200] [--json]

Generates a pseudo-random file in a temp folder, then drains ``revision_body`` (what
``create_revision`` sends) and reports the bytes produced, whether they equal ``Content-Length``,
throughput, and the peak Python heap allocated while streaming (tracemalloc). Target: peak heap
bounded by the chunk size (3 MiB read + 4 MiB base64), independent of the file size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from skillsync.remote.body import CHUNK_BYTES, UploadFile, revision_body


def make_file(path: Path, mib: int) -> None:
    block = os.urandom(1024 * 1024)
    with path.open("wb") as fh:
        for i in range(mib):
            fh.write(block[i % 7 :] + block[: i % 7])


async def drain(files: list[UploadFile]) -> tuple[int, int]:
    body = revision_body(files, publish=False)
    total = 0
    async for piece in body:
        total += len(piece)
    return total, body.length


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asset = Path(tmp) / "asset.bin"
        make_file(asset, args.mib)
        (Path(tmp) / "SKILL.md").write_text("---\nname: big\ndescription: Big.\n---\n")
        files = [UploadFile("SKILL.md", Path(tmp) / "SKILL.md"), UploadFile("assets/asset.bin", asset)]
        tracemalloc.start()
        start = time.perf_counter()
        produced, announced = asyncio.run(drain(files))
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    result = {
        "file_mib": args.mib,
        "chunk_mib": CHUNK_BYTES / 2**20,
        "body_bytes": produced,
        "content_length_matches": produced == announced,
        "seconds": round(elapsed, 3),
        "mib_per_s_of_file": round(args.mib / elapsed, 1),
        "peak_heap_mib": round(peak / 2**20, 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
