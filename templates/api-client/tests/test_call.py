"""Checks of the client that need no network. Run: python3 -m pytest tests"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "call.py"


def test_refuses_to_run_without_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SEREN_API_KEY"}
    done = subprocess.run([sys.executable, str(SCRIPT), "GET", "/"], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert "SEREN_API_KEY is not set" in done.stderr
