"""What a command imports at start-up, run for real in a subprocess (docs/architecture.md, Boundaries).

pydantic (~60-100 ms to import) is loaded only for the API (``skillsync.remote``: its models and
the client's adapters) or the registry (``skillsync.emulator``), never for the config: ``validate``
never imports it, and when ``status`` does, the remote package asked. ``--version`` loads no workspace at all.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import write_skill

# Records the skillsync module whose import statement first asked for pydantic.
SPY = """
import sys

first = []


class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "pydantic" and not first:
            frame = sys._getframe(1)
            while frame is not None and not frame.f_globals.get("__name__", "").startswith("skillsync"):
                frame = frame.f_back
            first.append(frame.f_globals["__name__"] if frame is not None else "?")
        return None


sys.meta_path.insert(0, Spy())
from skillsync.cli.main import run

rc = run(ARGS)
loaded = sorted(m for m in sys.modules if m in ("skillsync.workspace", "skillsync.config", "json"))
print("RC", rc, "PYDANTIC", first[0] if first else None, "LOADED", loaded)
"""


def _run(args: list[str]) -> str:
    code = SPY.replace("ARGS", repr(args))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[-1]


def _workspace(tmp_path: Path) -> Path:
    # A config with values: the validator runs (an empty file would give the defaults at once).
    (tmp_path / "skillsync.toml").write_text(
        '[validate]\nbody_max_lines = 400\n\n'
        '[[validate.policy]]\nid = "p"\nfiles = ["*"]\nforbid = ["x{9}"]\nmessage = "m"\n\n'
        '[remotes.other]\nurl = "http://127.0.0.1:9"\n'
    )
    write_skill(tmp_path, "skills/alpha")
    return tmp_path


def test_validate_never_imports_pydantic(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    line = _run(["-C", str(ws), "validate", "--format", "json"])
    assert line.startswith("RC 0 PYDANTIC None"), line


def test_status_imports_pydantic_only_for_the_api_models(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    line = _run(["-C", str(ws), "status", "--json"])
    assert line.startswith("RC 0 "), line
    importer = line.split("PYDANTIC ", 1)[1].split(" ", 1)[0]
    assert importer == "None" or importer.startswith(("skillsync.remote.", "skillsync.emulator.")), line


def test_version_loads_no_workspace_config_or_json() -> None:
    assert _run(["--version"]) == "RC 0 PYDANTIC None LOADED []"
