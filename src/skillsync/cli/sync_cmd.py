"""status, diff, push, publish, log, pull, archive, unarchive: parse, call skillsync.commands, render."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.cli.remote_opts import remote_options
from skillsync.commands.events import Events, PushEvents, RemoteOptions
from skillsync.errors import ExitCode, UsageError
from skillsync.textfit import plural

if TYPE_CHECKING:
    from skillsync.sync.push import PushItem, PushPlan
    from skillsync.sync.remote_view import Session


class _Announce(Events):
    """Names the remote on stderr, and says when the command waits for the state lock."""

    def connected(self, session: Session) -> None:
        echo_err(f"remote: {session.display}")

    def waiting(self, message: str) -> None:
        echo_err(message)


def _short(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest.rsplit(":", 1)[-1][:12]


def _tty() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


# ------------------------------------------------------------------------------------------ status


@click.command("status")
@click.argument("skills", nargs=-1, metavar="[SKILL]...")
@click.option("--exit-code", is_flag=True, help="Exit 1 when any skill is not 'unchanged'.")
@remote_options
@json_option
def status_command(
    skills: tuple[str, ...], exit_code: bool, remote: str | None, org: str | None, as_json: bool
) -> int:
    """Show how each local skill stands against the remote (all skills when none are named).

    States: new (not on the remote), unchanged, modified (local differs from the latest
    revision), remote-ahead (someone pushed a newer revision and local did not change), conflict
    (both changed), archived. Also shows whether the latest revision is published or a draft.
    A workspace with no changes costs one HTTP request.
    """
    from skillsync.commands.status import status

    ws = state().workspace()
    res = status(ws, ws.select_skills(skills), RemoteOptions(remote, org), _Announce())
    statuses = res.skills
    if as_json:
        emit_json(res.to_json())
    else:
        from skillsync.sync.sync_text import status_lines
        from skillsync.textfit import terminal_columns

        for line in status_lines(statuses, terminal_columns()):
            click.echo(line)
        if not statuses:
            echo_err("no skills in this workspace")
    if exit_code and res.changed:
        return ExitCode.FINDINGS
    return 0


# -------------------------------------------------------------------------------------------- diff


@click.command("diff")
@click.argument("skills", nargs=-1, metavar="[SKILL]...")
@click.option(
    "--revision",
    "revision",
    default="latest",
    show_default=True,
    metavar="N|latest|published",
    help="Remote revision to compare the local skill with.",
)
@click.option(
    "--from-revision", "from_rev", default=None, metavar="A", help="Compare two remote revisions: from A ..."
)
@click.option(
    "--to-revision",
    "to_rev",
    default=None,
    metavar="B",
    help="... to B (needs --from-revision and one SKILL).",
)
@click.option(
    "--stat", is_flag=True, help="Only list changed files with their sizes (fetches no file contents)."
)
@click.option("--name-only", is_flag=True, help="Only print the paths of changed files.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences.")
@remote_options
@json_option
def diff_command(
    skills: tuple[str, ...],
    revision: str,
    from_rev: str | None,
    to_rev: str | None,
    stat: bool,
    name_only: bool,
    exit_code: bool,
    remote: str | None,
    org: str | None,
    as_json: bool,
) -> int:
    """Show added, removed and modified files between a remote revision and the local skill.

    Text files get unified diffs (only the changed remote files are fetched); binary files are
    shown by size and sha256. With --from-revision A --to-revision B, compares two remote
    revisions of one SKILL (which may exist only on the remote). Revisions are numbers, 'latest'
    or 'published'. What diff showed is remembered: push refuses a skill whose remote moved since.
    """
    from skillsync.commands.diff import DiffOptions, diff
    from skillsync.sync.tree_diff import render_name_only, render_patch, render_stat

    if stat and name_only:
        raise UsageError("--stat and --name-only cannot be combined")
    options = DiffOptions(
        skills=skills,
        revision=revision,
        from_revision=from_rev,
        to_revision=to_rev,
        patches=not (stat or name_only),
        remote=RemoteOptions(remote, org),
    )
    options.check()
    res = diff(state().workspace(), options, _Announce())
    diffs = res.skills
    differs = res.differs
    if as_json:
        emit_json(res.to_json())
    else:
        for d in diffs:
            if not d.files:
                continue
            if name_only:
                lines = render_name_only(d)
            else:
                click.echo(f"=== {d.slug}: {d.old.label} -> {d.new.label}")
                lines = render_stat(d) if stat else render_patch(d)
            for line in lines:
                click.echo(line)
        if not differs:
            echo_err("no differences")
    return ExitCode.FINDINGS if exit_code and differs else 0


# -------------------------------------------------------------------------------------------- push


def _plan_line(item: Any) -> str:
    d = item.decision
    extra = []
    if d.publish and d.action in ("create", "revision"):
        extra.append("and publish")
    if item.meta_changes and d.action in ("revision", "publish", "update"):
        extra.append("update " + ", ".join(sorted(item.meta_changes)))
    suffix = f" ({'; '.join(extra)})" if extra else ""
    return f"  {d.action:<9} {item.slug}: {d.reason}{suffix}"


@click.command("push")
@click.argument("skills", nargs=-1, metavar="[SKILL]...")
@click.option(
    "--publish", is_flag=True, help="Publish the new revision (or the latest one, if unchanged but a draft)."
)
@click.option("--dry-run", is_flag=True, help="Show the plan and send nothing (beyond the one list request).")
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=8, show_default=True, help="Skills pushed at once."
)
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (it is only asked on a terminal)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Push even over a conflict, a remote that is ahead, or a remote that moved since diff.",
)
@remote_options
@json_option
def push_command(
    skills: tuple[str, ...],
    publish: bool,
    dry_run: bool,
    jobs: int,
    yes: bool,
    force: bool,
    remote: str | None,
    org: str | None,
    as_json: bool,
) -> int:
    """Upload every changed skill as a new revision (all skills when none are named).

    Validates first (errors block that skill), creates new skills, adds a revision only when the
    content digest differs from the latest one, and updates the display name (first '# ' heading)
    and description (frontmatter) when they changed. Prints the plan, asks for confirmation on a
    terminal (not when piped: then it proceeds), and pushes skills concurrently. Exit 1 when a
    skill was blocked or refused, 3 on a remote error.
    """
    from skillsync.commands.push import PushOptions, push

    ws = state().workspace()
    options = PushOptions(
        publish=publish, dry_run=dry_run, jobs=jobs, force=force, remote=RemoteOptions(remote, org)
    )
    res = push(ws, ws.select_skills(skills), options, _PushText(as_json=as_json, yes=yes))
    if not res.proceeded:
        return res.exit_code
    if as_json:
        emit_json(res.to_json())
    elif not dry_run:
        for item in res.items:
            if not item.actionable and item.result == "skipped":
                continue
            if item.actionable or item.result in ("refused", "blocked"):
                rev = f" revision {item.revision_number}" if item.revision_number is not None else ""
                pub = " (published)" if item.published else ""
                msg = f": {item.message}" if item.message else ""
                click.echo(f"{item.result or 'not done':<9} {item.slug}{rev}{pub}{msg}")
        from skillsync.sync.sync_text import push_summary

        click.echo(push_summary(res.items))
    return res.exit_code


class _PushText(_Announce, PushEvents):
    """The plan on stdout, a confirmation on a terminal, a progress bar on stderr (text mode only)."""

    def __init__(self, *, as_json: bool, yes: bool) -> None:
        self.as_json = as_json
        self.yes = yes
        self.bar: Any = None

    def planned(self, plan: PushPlan) -> None:
        if self.as_json:
            return
        click.echo("plan:")
        for item in plan.items:
            click.echo(_plan_line(item))
            for finding in item.findings:
                click.echo(f"      error: {finding}")

    def confirm(self, plan: PushPlan, remote: str) -> bool:
        if self.yes or self.as_json or not _tty():
            return True
        if click.confirm(f"push {len(plan.actionable)} skill(s) to {remote}?", default=True):
            return True
        echo_err("nothing pushed")
        return False

    def applying(self, count: int) -> None:
        if not self.as_json and sys.stderr.isatty():
            self.bar = click.progressbar(length=count, label="pushing", file=sys.stderr)
            self.bar.__enter__()

    def done(self, item: PushItem) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def applied(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


# ------------------------------------------------------------------------------ publish, log, ...


def _emit(doc: dict[str, Any], text: str, as_json: bool) -> int:
    if as_json:
        emit_json(doc)
    elif text:
        click.echo(text)
    return 0


@click.command("publish")
@click.argument("skill")
@click.option(
    "--revision", default=None, metavar="N", help="Revision number to publish (default: the latest)."
)
@remote_options
@json_option
def publish_command(
    skill: str, revision: str | None, remote: str | None, org: str | None, as_json: bool
) -> int:
    """Publish a revision of SKILL (the latest by default); the previously published one is superseded."""
    from skillsync.commands.lifecycle import publish

    res = publish(state().workspace(), skill, revision, RemoteOptions(remote, org), _Announce())
    verb = "published" if res.changed else "already published"
    return _emit(res.to_json(), f"{verb} {res.slug} revision {res.revision}", as_json)


@click.command("log")
@click.argument("skill")
@remote_options
@json_option
def log_command(skill: str, remote: str | None, org: str | None, as_json: bool) -> int:
    """List the revisions of SKILL, newest first: number, status, digest, files, size and dates."""
    from skillsync.commands.lifecycle import log

    res = log(state().workspace(), skill, RemoteOptions(remote, org), _Announce())
    lines = [
        f"r{r['number']:<4} {r['status']:<10} {_short(r['digest'])}  "
        f"{r['files']:>5} {'file ' if r['files'] == 1 else 'files'} "
        f"{r['bytes']:>10} bytes  created {r['created_at']}"
        + (f"  published {r['published_at']}" if r["published_at"] else "")
        for r in res.revisions
    ]
    return _emit(res.to_json(), "\n".join(lines), as_json)


def _status_command(name: str, status: Literal["active", "archived"], doc: str) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("skill")
    @remote_options
    @json_option
    def command(skill: str, remote: str | None, org: str | None, as_json: bool) -> int:
        from skillsync.commands.lifecycle import set_status

        res = set_status(state().workspace(), skill, status, RemoteOptions(remote, org), _Announce())
        verb = f"{name}d" if res.changed else f"already {status}"
        return _emit(res.to_json(), f"{verb}: {res.slug}", as_json)

    return command


archive_command = _status_command(
    "archive",
    "archived",
    "Archive SKILL on the remote: it leaves listings and cannot be pushed until unarchived.",
)
unarchive_command = _status_command(
    "unarchive", "active", "Make an archived SKILL active again on the remote."
)


# -------------------------------------------------------------------------------------------- pull


@click.command("pull")
@click.argument("slug")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--revision", default=None, metavar="N|latest|published", help="Revision to fetch (default: latest)."
)
@click.option("--force", is_flag=True, help="Overwrite local changes in the skill folder.")
@remote_options
@json_option
def pull_command(
    slug: str,
    directory: Path | None,
    revision: str | None,
    force: bool,
    remote: str | None,
    org: str | None,
    as_json: bool,
) -> int:
    """Fetch a remote revision of SLUG into DIR (default: the skill's folder, or a new one).

    A new folder is named as the revision's SKILL.md name, where the workspace layouts map it
    back to SLUG (e.g. acme/report-kit/ for acme-report-kit), so it pushes back as the same skill.

    Every file's sha256 is checked against the revision's metadata before anything is written,
    and local changes are never overwritten without --force. Works for skills that exist only
    on the remote.
    """
    from skillsync.commands.pull import PullOptions, pull

    ws = state().workspace()
    options = PullOptions(
        directory=directory, revision=revision, force=force, remote=RemoteOptions(remote, org)
    )
    out = pull(ws, slug, options, _Announce())
    res, where, slug = out.pulled, out.path, out.pulled.slug
    if as_json:
        emit_json(out.to_json())
    elif res.unchanged:
        click.echo(f"{slug}: {where} already matches revision {res.number}")
    else:
        click.echo(
            f"pulled {slug} revision {res.number} into {where} "
            f"({plural(len(res.written), 'file')} written, {len(res.removed)} removed)"
        )
    return 0
