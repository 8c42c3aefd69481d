"""``skillsync watch``: a thin click wrapper over :mod:`skillsync.watch`."""

from __future__ import annotations

import sys

import click

from skillsync.cli.common import echo_err, json_lines_option, state
from skillsync.cli.remote_opts import remote_options
from skillsync.errors import UsageError
from skillsync.watch.loop import DEFAULT_DEBOUNCE_MS


@click.command("watch")
@click.argument("skills", nargs=-1, metavar="[SKILL]...")
@click.option("--publish", is_flag=True, help="Publish each uploaded revision (default: drafts).")
@click.option(
    "--debounce",
    "debounce_ms",
    type=click.IntRange(0, 60_000),
    default=DEFAULT_DEBOUNCE_MS,
    show_default=True,
    metavar="MS",
    help="Quiet period after the last change before a skill is checked and uploaded "
    "(uploads still happen at least every max(1000, 4 x MS) ms while changes keep coming).",
)
@click.option("--no-push", is_flag=True, help="Only validate on every save; upload nothing.")
@remote_options
@json_lines_option
def watch_command(
    skills: tuple[str, ...],
    publish: bool,
    debounce_ms: int,
    no_push: bool,
    remote: str | None,
    org: str | None,
    as_json: bool,
) -> int:
    """Validate and upload each skill when it is saved (all skills when none are named).

    On every change to a shipped file: wait for a quiet period, validate (errors block the
    upload and are printed with file and line; warnings print), compare the content digest with
    what was last synced (unchanged content uploads nothing), then push that one skill exactly as
    `skillsync push` would. If someone else pushed a revision of a skill, watch stops uploading
    it and says how to resolve it; it never overwrites another revision. Skills created while
    watching are picked up; deleted ones are reported, never archived. Prints one line per event
    (--json: one JSON object per line). Runs until Ctrl-C (exit 130).
    """
    from skillsync.watch.loop import WatchOptions, run_watch

    if publish and no_push:
        raise UsageError("--publish and --no-push cannot be combined")
    ws = state().workspace()
    ws.select_skills(skills)  # an unknown SKILL is a usage error before anything starts
    opts = WatchOptions(
        skills=skills, publish=publish, remote=remote, org=org, debounce_ms=debounce_ms, push=not no_push
    )

    def emit(event: object) -> None:
        from skillsync.watch.events import Event

        assert isinstance(event, Event)
        if as_json:
            click.echo(event.json_line())
        else:
            for line in event.text_lines():
                click.echo(line)
        sys.stdout.flush()

    return run_watch(ws, opts, emit, echo_err)
