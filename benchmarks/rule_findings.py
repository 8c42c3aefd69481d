"""Findings per rule on real skill collections (for judging false positives by reading the files).

    .venv/bin/python benchmarks/rule_findings.py /work/collections/anthropics+skills ... \\
        [--prefix supply.] [--target agentskills,seren,claude-code,claude-api,claude-ai] \\
        [--sample 50 --seed 16] [--json out.json]

Each collection is copied to a temp folder (the originals stay untouched) with a skillsync.toml that
names every folder holding a SKILL.md as a skill (workspace.slugs), then `skillsync validate --json`
runs over it as a separate process. Prints findings per rule, and with --sample a seeded random
sample of findings with the line they point at, to judge each one by reading the file.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _workspace(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    for p in list(dest.rglob("*")):
        if p.is_symlink() and (p.name == "SKILL.md" or not p.exists()):
            p.unlink()  # a mirror of a skill elsewhere in the repository, or a dangling link
    skills = sorted({p.parent.relative_to(dest).as_posix() for p in dest.rglob("SKILL.md")})
    # drop skills nested in another (the workspace refuses them)
    kept = [s for s in skills if not any(s != o and (o == "." or s.startswith(o + "/")) for o in skills)]
    for rel in set(skills) - set(kept):  # an example skill inside a skill: the workspace refuses it
        (dest / rel / "SKILL.md").rename(dest / rel / "SKILL.example.md")
    lines = ["[workspace]", "layouts = []", "[workspace.slugs]"]
    used: set[str] = set()
    for rel in kept:
        slug = re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", rel.lower())).strip("-") or "root"
        while slug in used or len(slug) < 2:
            slug += "-x"
        used.add(slug)
        lines.append(f"{json.dumps(rel)} = {json.dumps(slug)}")
    (dest / "skillsync.toml").write_text("\n".join(lines) + "\n")
    return dest


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("collections", nargs="+", type=Path)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--target", default="agentskills,seren,claude-code,claude-api,claude-ai")
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("skillsync"))
    found: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in args.collections:
            ws = _workspace(src, Path(tmp) / src.name)
            proc = subprocess.run(
                [exe, "-C", str(ws), "validate", "--json", "--target", args.target],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode not in (0, 1):
                print(f"{src.name}: exit {proc.returncode}: {proc.stderr.strip()[:300]}", file=sys.stderr)
                continue
            doc = json.loads(proc.stdout)
            for s in doc["skills"]:
                for f in s["findings"]:
                    if f["rule"].startswith(args.prefix):
                        text = ""
                        if f["line"]:
                            try:
                                text = (ws / f["path"]).read_text("utf-8").split("\n")[f["line"] - 1]
                            except (OSError, UnicodeDecodeError, IndexError):
                                text = ""
                        found.append({"collection": src.name, **f, "text": text.strip()[:200]})
            print(f"{src.name}: {doc['summary']}", file=sys.stderr)
    counts = collections.Counter(str(f["rule"]) for f in found)
    for rule, n in sorted(counts.items()):
        print(f"{n:6d}  {rule}")
    print(f"{sum(counts.values()):6d}  total")
    if args.sample:
        rng = random.Random(args.seed)
        for f in rng.sample(found, min(args.sample, len(found))):
            print(f"\n[{f['rule']}] {f['collection']}/{f['path']}:{f['line']}")
            print(f"  {f['message']}\n  > {f['text']}")
    if args.json:
        args.json.write_text(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
