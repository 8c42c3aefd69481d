#!/usr/bin/env python3
"""Entry script of the skill: reads a JSON config and prints a JSON result on standard output."""

# {{ display_name }}, {{ year }}. Replace run() with the skill's real work.
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

SKILL_DIR = Path(__file__).resolve().parent.parent


def load_config(path: Path) -> dict[str, object]:
    """Read the JSON settings file; a clear error beats a traceback for the agent reading it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"error: cannot read config {path}: {exc}") from None
    if not isinstance(data, dict):
        raise SystemExit(f"error: {path} must hold a JSON object")
    return data


def run(config: dict[str, object], dry_run: bool) -> dict[str, object]:
    """Do the work of the skill. This example only echoes a setting."""
    return {"skill": "{{ name }}", "greeting": config.get("greeting", "hello"), "dry_run": dry_run}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the {{ name }} skill and print a JSON result.")
    default_config = SKILL_DIR / "config.example.json"
    parser.add_argument("--config", type=Path, default=default_config, help="settings file")
    parser.add_argument("--dry-run", action="store_true", help="check the inputs without doing the work")
    args = parser.parse_args(argv)
    dry_run = args.dry_run or os.environ.get("DRY_RUN") == "1"
    result = run(load_config(args.config), dry_run)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
