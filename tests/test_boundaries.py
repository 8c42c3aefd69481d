"""The layering docs/architecture.md promises, held by reading every module's imports (lazy ones too).

- nothing outside ``skillsync/cli/`` imports click;
- ``skillsync/cli/`` talks no HTTP: no httpx, no ``skillsync.remote`` (the client lives there);
- ``skillsync/emulator/`` imports nothing of skillsync outside itself (it shares only the contract);
- ``validate``'s import path: tests/test_validate_cli.py runs the real command in a subprocess and
  checks ``sys.modules``; tests/test_startup_imports.py holds pydantic to the remote API and the
  registry (never the config) and ``--version`` to no workspace at all.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping, Set
from pathlib import Path

import pytest

import skillsync

PACKAGE = Path(skillsync.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside functions (absolute names)."""
    package = list(path.relative_to(PACKAGE.parent).parts[:-1])
    return _imports_of(path.read_text("utf-8"), package)


def _imports_of(source: str, package: list[str]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{alias.name}" for alias in node.names)
    return found


@functools.cache
def _all_modules() -> dict[str, frozenset[str]]:
    """Every module of the package (parsed once per test session) -> what it imports."""
    return {p.relative_to(PACKAGE).as_posix(): frozenset(_imports(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _modules(under: str = "") -> dict[str, frozenset[str]]:
    prefix = under + "/" if under else ""
    return {path: names for path, names in _all_modules().items() if path.startswith(prefix)}


def _offending(mods: Mapping[str, Set[str]], banned: tuple[str, ...]) -> dict[str, list[str]]:
    hits = {
        path: sorted(m for m in names if m in banned or m.startswith(tuple(b + "." for b in banned)))
        for path, names in mods.items()
    }
    return {path: names for path, names in hits.items() if names}


def test_the_scan_sees_imports_inside_functions() -> None:
    # A check that could never fire would hold nothing: the lazy imports of cli/ are found.
    assert "skillsync.commands.push" in _imports(PACKAGE / "cli" / "sync_cmd.py")
    assert "click" in _imports(PACKAGE / "cli" / "main.py")


def test_only_the_cli_imports_click() -> None:
    core = {path: names for path, names in _modules().items() if not path.startswith("cli/")}
    assert _offending(core, ("click",)) == {}


def test_the_cli_talks_no_http() -> None:
    assert _offending(_modules("cli"), ("httpx", "skillsync.remote")) == {}


def test_the_emulator_imports_nothing_of_skillsync_outside_itself() -> None:
    mods = _modules("emulator")
    outside = {
        path: sorted(m for m in names if m.startswith("skillsync") and not m.startswith("skillsync.emulator"))
        for path, names in mods.items()
    }
    assert {path: names for path, names in outside.items() if names} == {}


@pytest.mark.parametrize(
    ("source", "banned", "expected"),
    [
        ("import click\n", ("click",), True),
        ("def f():\n    from click import echo\n", ("click",), True),
        ("from skillsync.remote.client import SerenClient\n", ("skillsync.remote",), True),
        ("from ..remote import client\n", ("skillsync.remote",), True),
        ("import clickhouse\n", ("click",), False),
        ("from skillsync.commands.push import push\n", ("skillsync.remote",), False),
    ],
)
def test_the_check_flags_what_it_should(source: str, banned: tuple[str, ...], expected: bool) -> None:
    found = _imports_of(source, ["skillsync", "cli"])
    assert bool(_offending({"cli/probe.py": found}, banned)) == expected
