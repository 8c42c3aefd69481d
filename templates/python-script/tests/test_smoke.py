"""Smoke test: the entry script runs with the example config. Run: python3 -m pytest tests"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SKILL_DIR = Path(__file__).resolve().parent.parent


def test_main_runs_with_example_config() -> None:
    script = SKILL_DIR / "scripts" / "main.py"
    config = SKILL_DIR / "config.example.json"
    done = subprocess.run(
        [sys.executable, str(script), "--config", str(config)], check=True, capture_output=True, text=True
    )
    assert json.loads(done.stdout)["skill"] == "{{ name }}"
