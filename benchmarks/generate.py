"""Synthetic workspaces for benchmarks, written at run time (never committed).

    python benchmarks/generate.py KIND DEST      # KIND: many | small-files | large-asset | all

Other benchmarks import it: ``from generate import generate; root = generate("many", dest)``.
Each kind is its own workspace (a folder with a ``skillsync.toml``); ``all`` makes one sub-folder
per kind. Content is pseudo-random with a fixed seed, so every run builds the same bytes.

- ``many``: 200 skills x 10 files, sizes like real skills (about 180 KiB per skill, 36 MiB in all):
  SKILL.md, two scripts (one executable), three references, JSON, CSV and PNG-like assets, a licence.
- ``small-files``: one skill with 10,000 small files (SKILL.md + 9,999 files of 64-2,048 bytes
  in 100 folders).
- ``large-asset``: one skill with SKILL.md and a 200 MiB binary asset (written in 1 MiB chunks).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

KINDS = ("many", "small-files", "large-asset")
LARGE_ASSET_BYTES = 200 * 1024 * 1024
_LOREM = (
    b"Use this skill when the user asks for a report. Read the reference first, then run the script "
    b"with the input file and check its output before answering.\n"
)

# (relative path, size in bytes, binary?) for each skill of the "many" workspace.
MANY_FILES: tuple[tuple[str, int, bool], ...] = (
    ("scripts/run.py", 3_000, False),
    ("scripts/helper.sh", 1_200, False),
    ("references/guide.md", 16_000, False),
    ("references/api.md", 32_000, False),
    ("references/examples.md", 8_000, False),
    ("assets/template.json", 4_000, False),
    ("assets/data.csv", 60_000, False),
    ("assets/logo.png", 56_000, True),
    ("LICENSE.txt", 1_100, False),
)


def _text(rnd: random.Random, size: int) -> bytes:
    words = _LOREM.split(b" ")
    out = bytearray()
    while len(out) < size:
        out += b" ".join(rnd.choice(words) for _ in range(12)) + b"\n"
    return bytes(out[:size])


def _skill_md(slug: str, body: bytes = b"") -> bytes:
    head = f"---\nname: {slug}\ndescription: Synthetic benchmark skill {slug}.\n---\n# {slug}\n\n"
    return head.encode() + body


def _workspace(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "skillsync.toml").write_text("# synthetic benchmark workspace\n")
    return dest


def _many(dest: Path) -> None:
    rnd = random.Random(200)
    for i in range(200):
        slug = f"skill-{i:03d}"
        folder = dest / "skills" / slug
        (folder / "scripts").mkdir(parents=True, exist_ok=True)
        (folder / "references").mkdir(exist_ok=True)
        (folder / "assets").mkdir(exist_ok=True)
        (folder / "SKILL.md").write_bytes(_skill_md(slug, _text(rnd, 1_400)))
        for rel, size, binary in MANY_FILES:
            (folder / rel).write_bytes(rnd.randbytes(size) if binary else _text(rnd, size))
        (folder / "scripts/helper.sh").chmod(0o755)


def _small_files(dest: Path) -> None:
    rnd = random.Random(10_000)
    folder = dest / "skills" / "small-files"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_bytes(_skill_md("small-files"))
    for i in range(9_999):
        sub = folder / "data" / f"d{i % 100:02d}"
        if i < 100:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"item-{i:05d}.txt").write_bytes(_text(rnd, rnd.randint(64, 2_048)))


def _large_asset(dest: Path) -> None:
    rnd = random.Random(200 << 20)
    folder = dest / "skills" / "large-asset"
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_bytes(_skill_md("large-asset"))
    chunk = 1 << 20
    with (folder / "assets" / "model.bin").open("wb") as fh:
        for _ in range(LARGE_ASSET_BYTES // chunk):
            fh.write(rnd.randbytes(chunk))


def generate(kind: str, dest: Path) -> Path:
    """Build the workspace ``kind`` in ``dest`` (created if missing) and return its root."""
    dest = Path(dest)
    if kind == "all":
        for one in KINDS:
            generate(one, dest / one)
        return dest
    builders = {"many": _many, "small-files": _small_files, "large-asset": _large_asset}
    if kind not in builders:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)} or all")
    root = _workspace(dest)
    builders[kind](root)
    return root


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in (*KINDS, "all"):
        print(__doc__, file=sys.stderr)
        return 2
    root = generate(argv[0], Path(argv[1]))
    print(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
