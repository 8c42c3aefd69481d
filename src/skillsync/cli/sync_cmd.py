"""status, diff, push, publish, log, pull, archive, unarchive: thin click wrappers over skillsync.sync."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from skillsync.cli.common import echo_err, emit_json, json_option, state
from skillsync.cli.remote_opts import remote_options
from skillsync.errors import ExitCode, SkillsyncError, UsageError
from skillsync.workspace import Workspace

T = TypeVar("T")


def _run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def _session(ws: Workspace, remote: str | None, org: str | None) -> Any:
    from skillsync.remote import open_remote

    return open_remote(ws, remote=remote, org=org)


def _announce(session: Any) -> None:
    echo_err(f"remote: {session.display}")


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
    from skillsync.sync.state import SyncState
    from skillsync.sync.status import collect_status, remember

    ws = state().workspace()
    selected = ws.select_skills(skills)

    async def go() -> tuple[Any, list[Any]]:
        async with _session(ws, remote, org) as session:
            _announce(session)
            sync_state = SyncState.load(ws)
            statuses = await collect_status(session, ws, selected, sync_state)
            remember(ws, session, statuses, seen=True)
            return session, statuses

    session, statuses = _run(go())
    if as_json:
        emit_json(
            {
                "remote": session.name,
                "organization": session.org_id,
                "skills": [s.to_json() for s in statuses],
            }
        )
    else:
        width = max((len(s.slug) for s in statuses), default=0)
        for s in statuses:
            r = s.remote
            where = ""
            if r is not None and r.latest_number is not None:
                where = f"latest r{r.latest_number} ({r.publication})"
                if r.published_number is not None and r.published_number != r.latest_number:
                    where += f", published r{r.published_number}"
            click.echo(f"{s.state:<12} {s.slug:<{width}}  {s.skill.rel:<24} {where}".rstrip())
        if not statuses:
            echo_err("no skills in this workspace")
    if exit_code and any(s.state != "unchanged" for s in statuses):
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
    from skillsync.sync.diff import render_name_only, render_patch, render_stat
    from skillsync.sync.diffrun import diff_local, diff_revisions
    from skillsync.sync.ops import slug_of
    from skillsync.sync.state import SyncState

    if stat and name_only:
        raise UsageError("--stat and --name-only cannot be combined")
    if (from_rev is None) != (to_rev is None):
        raise UsageError("--from-revision and --to-revision go together")
    if from_rev is not None and len(skills) != 1:
        raise UsageError("--from-revision/--to-revision need exactly one SKILL")
    ws = state().workspace()
    patches = not (stat or name_only)

    async def go() -> tuple[Any, list[Any]]:
        async with _session(ws, remote, org) as session:
            _announce(session)
            sync_state = SyncState.load(ws)
            if from_rev is not None and to_rev is not None:
                d = await diff_revisions(
                    session, slug_of(ws, skills[0]), sync_state, from_rev, to_rev, patches=patches
                )
                return session, [d]
            run = await diff_local(
                session, ws, ws.select_skills(skills), sync_state, revision=revision, patches=patches
            )
            return session, run.diffs

    session, diffs = _run(go())
    differs = any(d.files for d in diffs)
    if as_json:
        emit_json(
            {"remote": session.name, "organization": session.org_id, "skills": [d.to_json() for d in diffs]}
        )
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
    from skillsync.sync.push import apply_push, plan_push
    from skillsync.sync.state import SyncState, wait_for_lock

    ws = state().workspace()
    selected = ws.select_skills(skills)

    async def go() -> tuple[Any, Any, bool]:
        async with _session(ws, remote, org) as session:
            _announce(session)
            with wait_for_lock(ws, echo_err):
                sync_state = SyncState.load(ws)
                plan = await plan_push(
                    session, ws, selected, sync_state, publish=publish, force=force, jobs=jobs
                )
                if not as_json:
                    click.echo("plan:")
                    for item in plan.items:
                        click.echo(_plan_line(item))
                        for finding in item.findings:
                            click.echo(f"      error: {finding}")
                if dry_run or not plan.actionable:
                    sync_state.save()
                    return session, plan, True
                if (
                    not yes
                    and not as_json
                    and _tty()
                    and not click.confirm(
                        f"push {len(plan.actionable)} skill(s) to {session.name}?", default=True
                    )
                ):
                    echo_err("nothing pushed")
                    return session, plan, False
                bar: Any = None
                if not as_json and sys.stderr.isatty():
                    bar = click.progressbar(length=len(plan.actionable), label="pushing", file=sys.stderr)
                    bar.__enter__()
                try:
                    await apply_push(
                        session,
                        plan,
                        sync_state,
                        jobs=jobs,
                        force=force,
                        on_done=(lambda _item: bar.update(1)) if bar is not None else None,
                    )
                finally:
                    if bar is not None:
                        bar.__exit__(None, None, None)
                return session, plan, True

    session, plan, proceeded = _run(go())
    if not proceeded:
        return ExitCode.FINDINGS
    if as_json:
        emit_json(
            {
                "remote": session.name,
                "organization": session.org_id,
                "dry_run": dry_run,
                "skills": [i.to_json() for i in plan.items],
            }
        )
    elif not dry_run:
        for item in plan.items:
            if not item.actionable and item.result == "skipped":
                continue
            if item.actionable or item.result in ("refused", "blocked"):
                rev = f" revision {item.revision_number}" if item.revision_number is not None else ""
                pub = " (published)" if item.published else ""
                msg = f": {item.message}" if item.message else ""
                click.echo(f"{item.result or 'not done':<9} {item.slug}{rev}{pub}{msg}")
    return _push_exit(plan.items)


def _push_exit(items: list[Any]) -> int:
    codes = [
        int(i.error.exit_code) for i in items if i.result == "failed" and isinstance(i.error, SkillsyncError)
    ]
    if codes:
        return max(codes)
    if any(i.result in ("refused", "blocked", "raced") for i in items):
        return ExitCode.FINDINGS
    return 0


# ------------------------------------------------------------------------------ publish, log, ...


def _one_skill_command(
    name: str, run: Callable[[Any, Workspace, str], Awaitable[dict[str, Any]]], *, lock: bool = False
) -> Callable[[str, str | None, str | None, bool], int]:
    def body(skill: str, remote: str | None, org: str | None, as_json: bool) -> int:
        from skillsync.sync.ops import slug_of
        from skillsync.sync.state import wait_for_lock

        ws = state().workspace()
        slug = slug_of(ws, skill)

        async def go() -> dict[str, Any]:
            async with _session(ws, remote, org) as session:
                _announce(session)
                if lock:
                    with wait_for_lock(ws, echo_err):
                        return await run(session, ws, slug)
                return await run(session, ws, slug)

        doc = _run(go())
        text = doc.pop("_text", "")
        if as_json:
            emit_json(doc)
        elif text:
            click.echo(text)
        return 0

    body.__name__ = name
    return body


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
    from skillsync.sync.ops import publish

    async def run(session: Any, ws: Workspace, slug: str) -> dict[str, Any]:
        res = await publish(session, slug, revision)
        verb = "already published" if res.already else "published"
        return {
            "remote": session.name,
            "organization": session.org_id,
            "slug": slug,
            "revision": res.number,
            "revision_id": res.revision_id,
            "changed": not res.already,
            "_text": f"{verb} {slug} revision {res.number}",
        }

    return _one_skill_command("publish", run, lock=True)(skill, remote, org, as_json)


@click.command("log")
@click.argument("skill")
@remote_options
@json_option
def log_command(skill: str, remote: str | None, org: str | None, as_json: bool) -> int:
    """List the revisions of SKILL, newest first: number, status, digest, files, size and dates."""
    from skillsync.sync.ops import log
    from skillsync.sync.state import SyncState, merge_learned, update_state

    async def run(session: Any, ws: Workspace, slug: str) -> dict[str, Any]:
        sync_state = SyncState.load(ws)
        rows = await log(session, slug, sync_state)
        mem = sync_state.skill(session.name, session.org_id, slug)
        update_state(ws, lambda disk: merge_learned(disk.skill(session.name, session.org_id, slug), mem))
        lines = [
            f"r{r['number']:<4} {r['status']:<10} {_short(r['digest'])}  {r['files']:>5} files "
            f"{r['bytes']:>10} bytes  created {r['created_at']}"
            + (f"  published {r['published_at']}" if r["published_at"] else "")
            for r in rows
        ]
        return {"slug": slug, "revisions": rows, "_text": "\n".join(lines)}

    return _one_skill_command("log", run)(skill, remote, org, as_json)


def _status_command(name: str, status: str, doc: str) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("skill")
    @remote_options
    @json_option
    def command(skill: str, remote: str | None, org: str | None, as_json: bool) -> int:
        from skillsync.sync.ops import set_status

        async def run(session: Any, ws: Workspace, slug: str) -> dict[str, Any]:
            view, changed = await set_status(session, slug, status)  # type: ignore[arg-type]
            verb = f"{name}d" if changed else f"already {status}"
            return {
                "remote": session.name,
                "organization": session.org_id,
                "slug": slug,
                "status": view.status,
                "changed": changed,
                "_text": f"{verb}: {slug}",
            }

        return _one_skill_command(name, run)(skill, remote, org, as_json)

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
    from skillsync.sync.ops import slug_of
    from skillsync.sync.pull import pull
    from skillsync.sync.state import SyncState, wait_for_lock

    ws = state().workspace()
    slug = slug_of(ws, slug)

    async def go() -> tuple[Any, Any]:
        async with _session(ws, remote, org) as session:
            _announce(session)
            with wait_for_lock(ws, echo_err):
                sync_state = SyncState.load(ws)
                sync_state.save()  # fails (exit 4) now, not after the files were written
                res = await pull(
                    session, ws, slug, sync_state, dest=directory, revision=revision, force=force
                )
                sync_state.save()
                return session, res

    session, res = _run(go())
    where = ws.relpath(res.dest)
    if as_json:
        emit_json(
            {
                "remote": session.name,
                "organization": session.org_id,
                "slug": res.slug,
                "path": where,
                "revision": res.number,
                "revision_id": res.revision_id,
                "digest": res.digest,
                "written": res.written,
                "removed": res.removed,
                "unchanged": res.unchanged,
            }
        )
    elif res.unchanged:
        click.echo(f"{slug}: {where} already matches revision {res.number}")
    else:
        click.echo(
            f"pulled {slug} revision {res.number} into {where} "
            f"({len(res.written)} files written, {len(res.removed)} removed)"
        )
    return 0
