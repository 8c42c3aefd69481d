"""Entry point: the command group, lazy command loading and the one error boundary.

Exit codes (docs/cli.md): 0 ok, 1 findings/differences, 2 usage, 3 remote, 4 local,
70 internal (with a crash report), 130 interrupted.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from skillsync import __version__
from skillsync.cli.common import AppState, current_state, json_requested, reset_json_flag, reset_state
from skillsync.errors import ExitCode, SkillsyncError
from skillsync.output import FORMAT_VERSION

# Start-up is paid by every command (`validate` runs in pre-commit hooks): what only the error
# paths need (json, platform, redact, text) is imported there.

# name -> (module, attribute). Modules load only when their command runs (or for --help), so
# `validate` in a pre-commit hook never pays for httpx, the API models or the local registry.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("skillsync.cli.init_cmd", "init_command"),
    "new": ("skillsync.cli.new_cmd", "new_command"),
    "templates": ("skillsync.cli.templates_cmd", "templates_command"),
    "ls": ("skillsync.cli.ls_cmd", "ls_command"),
    "why": ("skillsync.cli.why_cmd", "why_command"),
    "digest": ("skillsync.cli.digest_cmd", "digest_command"),
    "pack": ("skillsync.cli.pack_cmd", "pack_command"),
    "unpack": ("skillsync.cli.pack_cmd", "unpack_command"),
    "validate": ("skillsync.cli.validate_cmd", "validate_command"),
    "fix": ("skillsync.cli.validate_cmd", "fix_command"),
    "rules": ("skillsync.cli.validate_cmd", "rules_command"),
    "status": ("skillsync.cli.sync_cmd", "status_command"),
    "diff": ("skillsync.cli.sync_cmd", "diff_command"),
    "push": ("skillsync.cli.sync_cmd", "push_command"),
    "publish": ("skillsync.cli.sync_cmd", "publish_command"),
    "log": ("skillsync.cli.sync_cmd", "log_command"),
    "pull": ("skillsync.cli.sync_cmd", "pull_command"),
    "archive": ("skillsync.cli.sync_cmd", "archive_command"),
    "unarchive": ("skillsync.cli.sync_cmd", "unarchive_command"),
    "login": ("skillsync.cli.auth_cmd", "login_command"),
    "logout": ("skillsync.cli.auth_cmd", "logout_command"),
    "whoami": ("skillsync.cli.auth_cmd", "whoami_command"),
    "serve": ("skillsync.cli.serve_cmd", "serve_command"),
    "watch": ("skillsync.cli.watch_cmd", "watch_command"),
    "mirror": ("skillsync.cli.mirror_cmd", "mirror_command"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._load(name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module_name, attr = entry
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # command not built yet
                return None
            raise
        cmd = getattr(module, attr, None)
        return cmd if isinstance(cmd, click.Command) else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="skillsync")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run as if started in this folder.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None, debug: bool) -> None:
    """skillsync: scaffold, validate, digest, diff, push and publish Seren custom skills.

    Works offline against the embedded local registry by default. Exit codes: 0 ok,
    1 findings or differences, 2 usage, 3 remote, 4 local, 70 internal, 130 interrupted.
    """
    ctx.obj = AppState(directory, debug)


def _crash_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "skillsync"


def write_crash_report(exc: BaseException, argv: list[str]) -> Path | None:
    """Write versions, the command and the traceback (redacted; no environment) for a bug report."""
    import platform  # only on a crash: keeps start-up lean
    import traceback

    from skillsync.redact import redact, redact_argv

    text = "\n".join(
        [
            "skillsync crash report",
            f"skillsync: {__version__}",
            f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
            f"platform: {platform.platform()}",
            f"command: {' '.join(['skillsync', *redact_argv(argv)])}",
            f"time: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
            "",
            "".join(traceback.format_exception(exc)),
        ]
    )
    try:
        folder = _crash_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        path.write_text(redact(text), encoding="utf-8")
        return path
    except OSError:
        return None


def _print_json_error(code: int, message: str) -> None:
    import json

    doc: dict[str, Any] = {"format_version": FORMAT_VERSION, "error": {"code": code, "message": message}}
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _fail(code: int, message: str) -> int:
    from skillsync.redact import redact
    from skillsync.text import escape_controls

    # Messages quote names and text from the remote and from files: escape control characters,
    # so the error stays one line and cannot drive the terminal.
    message = escape_controls(redact(message))
    if json_requested():
        _print_json_error(code, message)
    click.echo(f"skillsync: error: {message}", err=True)
    return code


def _worst(code: int) -> int:
    """A command that left out broken skills (named on stderr) ends with at least a local error."""
    app = current_state()
    if app is not None and app.skipped() and code in (ExitCode.OK, ExitCode.FINDINGS):
        return int(ExitCode.LOCAL)
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code, never raising (except for --debug tracebacks)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    reset_json_flag()
    reset_state()
    try:
        rv = cli.main(args=argv, prog_name="skillsync", standalone_mode=False)
        return _worst(int(rv) if isinstance(rv, int) else 0)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        if json_requested() or "--json" in argv:
            _print_json_error(ExitCode.INTERRUPTED, "interrupted")
        click.echo("skillsync: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        code = ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code
        if json_requested() or "--json" in argv:
            _print_json_error(code, exc.format_message())
        exc.show()
        return code
    except SkillsyncError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        return _fail(int(exc.exit_code), str(exc))
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        report = write_crash_report(exc, argv)
        where = f"; report: {report}" if report else ""
        return _fail(
            ExitCode.INTERNAL,
            f"internal error: {type(exc).__name__}: {exc}{where} "
            "(please file a bug with the report attached)",
        )


def main() -> None:
    # pydantic looks for plugins in every installed distribution's entry points before it builds its
    # first validator (~50 ms, a tenth of a `status`); skillsync's models need none. Set the variable
    # (even to "") to decide otherwise. Only this process sees it: skillsync starts no subprocess.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(run())
