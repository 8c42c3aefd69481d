"""The watch loop: file changes -> selection -> debounce -> validation -> digest -> push of one skill.

Every step is the engine ``skillsync push`` uses (``PushGate``, ``build_manifest``,
``plan_push``/``apply_push`` under the workspace lock); watch only decides *when* to run it:

- a per-skill quiet period (``debounce``), restarted by every change, with a ceiling so constant
  autosaves still upload;
- one push per skill in flight and at most one queued behind it: changes arriving during a push
  make exactly one more run afterwards, which reads the newest content;
- fail closed: validation errors upload nothing; a remote that moved (someone else pushed) is
  never overwritten; a remote that is down is retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skillsync.config import CONFIG_FILE, default_config, load_config_file
from skillsync.errors import LocalError, SkillsyncError
from skillsync.rules import Finding
from skillsync.watch import triage
from skillsync.watch.events import Event
from skillsync.workspace import Skill, Workspace

if TYPE_CHECKING:
    from skillsync.manifest import Manifest
    from skillsync.sync.push import PushItem
    from skillsync.sync.remote_view import Session
    from skillsync.sync.state import SyncState
    from skillsync.validate import SkillReport

DEFAULT_DEBOUNCE_MS = 100
MIN_CEILING_MS = 1000  # constant autosaves still upload at least this often
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
GRACE_SECONDS = 10.0  # how long Ctrl-C waits for an upload in flight before abandoning it
LOCK_POLL_SECONDS = 0.05

Emit = Callable[[Event], None]
Note = Callable[[str], None]


@dataclass(frozen=True)
class WatchOptions:
    skills: tuple[str, ...] = ()
    publish: bool = False
    remote: str | None = None
    org: str | None = None
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    push: bool = True  # False: --no-push, a live validator
    force_polling: bool | None = None  # None: watchfiles decides (WATCHFILES_FORCE_POLLING, WSL)

    @property
    def quiet(self) -> float:
        return self.debounce_ms / 1000

    @property
    def ceiling(self) -> float:
        return max(MIN_CEILING_MS, 4 * self.debounce_ms) / 1000

    @property
    def step_ms(self) -> int:
        """watchfiles' own grouping step: a fraction of the quiet period, so it adds little latency."""
        return max(5, min(50, self.debounce_ms // 4))


@dataclass
class _Slot:
    """One watched skill: its debounce timers, the task in flight, and what was last synced."""

    skill: Skill
    dirty: bool = False
    first_at: float = 0.0  # monotonic time of the first change not yet processed
    last_at: float = 0.0  # monotonic time of the newest change
    saved_at: float = 0.0  # wall-clock time of the newest save (for "ms from save to revision")
    task: asyncio.Task[None] | None = None
    retry_at: float | None = None  # monotonic: the remote was down; not before this
    attempts: int = 0
    synced: str | None = None  # digest this workspace last synced (uploading it again is a no-op)
    files: dict[str, str] | None = None  # rel -> sha256 of ``synced``, for "files changed"

    def mark(self, now: float, saved_at: float) -> None:
        if not self.dirty:
            self.first_at = now
            self.dirty = True
        self.last_at = now
        self.saved_at = max(self.saved_at, saved_at)

    def due(self, quiet: float, ceiling: float) -> float:
        """When to run: ``quiet`` after the newest change, at most ``ceiling`` after the first."""
        at = min(self.last_at + quiet, self.first_at + ceiling)
        return at if self.retry_at is None else max(at, self.retry_at)


def _preload(*, push: bool) -> None:
    """Import the pipeline now, so the first save does not pay for it in its latency."""
    import skillsync.manifest
    import skillsync.validate

    if push:
        import skillsync.sync.push  # noqa: F401


def _line(f: Finding) -> str:
    where = f"{f.path}:{f.line}" if f.line else f.path
    return f"{where}: {f.rule}: {f.message}"


def _file_map(manifest: Manifest) -> dict[str, str]:
    return {e.rel: e.sha256 for e in manifest.entries}


def _files_changed(old: dict[str, str] | None, new: dict[str, str]) -> int | None:
    if old is None:
        return None
    return sum(1 for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def _transient(exc: BaseException | None) -> bool:
    """A failure that says the remote is down or overloaded (retry later), not that we are wrong."""
    from skillsync.remote.errors import NetworkError, RateLimitedError, RequestTimeout, ServerError

    return isinstance(exc, NetworkError | RequestTimeout | ServerError | RateLimitedError)


async def _acquire_lock(ws: Workspace, note: Note) -> contextlib.ExitStack:
    """The workspace lock ``push`` uses, polled (so Ctrl-C is never stuck behind another process)."""
    from skillsync.sync.state import StateUnwritable, state_lock

    said = False
    while True:
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(state_lock(ws, wait=False))
            return stack
        except StateUnwritable:
            raise
        except LocalError:
            if not said:
                note("waiting for another skillsync process to release .skillsync/lock ...")
                said = True
            await asyncio.sleep(LOCK_POLL_SECONDS)


class _SharedLock:
    """The workspace lock held while any push of this process is in flight, and the one
    :class:`SyncState` those pushes share (read from disk when the lock is taken)."""

    def __init__(self, note: Note) -> None:
        self._note = note
        self._mutex = asyncio.Lock()
        self._count = 0
        self._stack: contextlib.ExitStack | None = None
        self._state: SyncState | None = None

    @contextlib.asynccontextmanager
    async def hold(self, ws: Workspace) -> AsyncIterator[SyncState]:
        from skillsync.sync.state import SyncState

        async with self._mutex:
            if self._count == 0:
                self._stack = await _acquire_lock(ws, self._note)
                self._state = SyncState.load(ws)
            self._count += 1
        assert self._state is not None
        try:
            yield self._state
        finally:
            self._count -= 1
            if self._count == 0 and self._stack is not None:
                self._stack.close()
                self._stack = None
                self._state = None


class Watcher:
    def __init__(self, ws: Workspace, opts: WatchOptions, emit: Emit, note: Note) -> None:
        self.ws = ws
        self.opts = opts
        self.emit = emit
        self.note = note
        self.slots: dict[str, _Slot] = {}
        self.named: set[str] | None = None  # slugs named on the command line (None: all skills)
        self._wake = asyncio.Event()
        self._lock = _SharedLock(note)
        self._session: Session | None = None
        self._session_mutex = asyncio.Lock()
        self._session_stack: contextlib.AsyncExitStack | None = None
        self._down = False
        self._abandon = asyncio.Event()
        self._crashed: Exception | None = None  # a bug in a skill's task: ends watch (exit 70)

    # ------------------------------------------------------------------------------- setup

    def _start_slots(self) -> None:
        selected = self.ws.select_skills(self.opts.skills)
        if self.opts.skills:
            self.named = {s.slug for s in selected}
        for skill in selected:
            self.slots[skill.slug] = _Slot(skill)

    def _seed_synced(self, session: Session) -> None:
        """What each skill last synced, from the state file: a save restoring it uploads nothing."""
        from skillsync.manifest import build_manifests
        from skillsync.sync.state import SyncState

        state = SyncState.load(self.ws)
        skills = [s.skill for s in self.slots.values()]
        manifests = {m.skill.slug: m for m in build_manifests(self.ws, skills)}
        for slug, slot in self.slots.items():
            entry = state.peek(session.name, session.org_id, slug)
            if entry is None or entry.base is None:
                continue
            slot.synced = entry.base.digest
            m = manifests.get(slug)
            if m is not None and m.digest == entry.base.digest:
                slot.files = _file_map(m)

    async def _open_session(self) -> Session:
        async with self._session_mutex:
            return await self._open_session_locked()

    async def _open_session_locked(self) -> Session:
        if self._session is None:
            from skillsync.remote import open_remote

            stack = contextlib.AsyncExitStack()
            try:
                session = await stack.enter_async_context(
                    open_remote(self.ws, remote=self.opts.remote, org=self.opts.org)
                )
            except BaseException:
                await stack.aclose()
                raise
            self._session, self._session_stack = session, stack
            if self.opts.push:
                self._seed_synced(session)
        return self._session

    # ------------------------------------------------------------------------------- run

    async def run(self, stop: asyncio.Event) -> list[str]:
        """Watch until ``stop`` is set; returns the slugs whose upload was abandoned."""
        self._start_slots()
        _preload(push=self.opts.push)
        remote_display: str | None = None
        if self.opts.push:
            try:
                remote_display = (await self._open_session()).display
            except SkillsyncError as exc:
                if not _transient(exc):
                    raise
                self._remote_down(exc)
        fs_stop = asyncio.Event()
        fs_task = asyncio.create_task(self._watch_files(fs_stop))
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # awatch registers its watches before its first await
        self.emit(
            Event(
                "watching",
                message=f"{len(self.slots)} skill(s) in {self.ws.root}",
                data={
                    "skills": sorted(self.slots),
                    "remote": remote_display,
                    "push": self.opts.push,
                    "publish": self.opts.publish,
                    "debounce_ms": self.opts.debounce_ms,
                },
            )
        )
        stop_task = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                if fs_task.done():
                    fs_task.result()  # the file watcher died: raise its error
                    break
                if self._crashed is not None:
                    raise self._crashed
                self._wake.clear()
                timeout = self._dispatch()
                waker = asyncio.create_task(self._wake.wait())
                await asyncio.wait(
                    {waker, stop_task, fs_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                waker.cancel()
        finally:
            fs_stop.set()
            abandoned = await self._finish()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(fs_task, 2)
            stop_task.cancel()
            if self._session_stack is not None:
                await self._session_stack.aclose()
        pending = sorted(s.skill.slug for s in self.slots.values() if s.dirty)
        self.emit(
            Event(
                "stopped",
                message="interrupted",
                data={"abandoned": abandoned, "not_uploaded": sorted(set(pending) | set(abandoned))},
            )
        )
        return abandoned

    def abandon(self) -> None:
        """A second Ctrl-C: stop waiting for uploads in flight."""
        self._abandon.set()

    async def _finish(self) -> list[str]:
        """Let uploads in flight finish (up to :data:`GRACE_SECONDS`), then abandon the rest.

        Abandoning is safe: push wrote the digest it was creating as ``pending`` before the POST, so
        the next push adopts a revision the server committed instead of creating a second one."""
        running = {s.task: slug for slug, s in self.slots.items() if s.task is not None and not s.task.done()}
        if not running:
            return []
        self.note(f"finishing {len(running)} upload(s) in flight (Ctrl-C again to abandon)")
        abandon = asyncio.create_task(self._abandon.wait())
        tasks: set[asyncio.Task[Any]] = {*running, abandon}
        deadline = time.monotonic() + GRACE_SECONDS
        while running.keys() & tasks and not abandon.done():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _, tasks = await asyncio.wait(tasks, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        abandon.cancel()
        abandoned = []
        for task, slug in running.items():
            if not task.done():
                task.cancel()
                abandoned.append(slug)
        await asyncio.gather(*running, return_exceptions=True)
        return sorted(abandoned)

    async def _watch_files(self, fs_stop: asyncio.Event) -> None:
        from watchfiles import awatch

        root = str(self.ws.root)
        opts = self.opts
        try:
            async for batch in awatch(
                root,
                watch_filter=lambda _change, path: not triage.never_ships(root, path),
                debounce=int(opts.ceiling * 1000),
                step=opts.step_ms,
                stop_event=fs_stop,
                force_polling=opts.force_polling,
                # an unreadable folder holds nothing that can ship; validation names it if it matters
                ignore_permission_denied=True,
            ):
                self._on_changes({(int(c), p) for c, p in batch})
                self._wake.set()
        except (OSError, RuntimeError) as exc:
            raise LocalError(
                f"{root}: cannot watch for changes: {exc}",
                hint="raise fs.inotify.max_user_watches, or set WATCHFILES_FORCE_POLLING=1",
            ) from None

    # ------------------------------------------------------------------------------- changes

    def _on_changes(self, batch: set[tuple[int, str]]) -> None:
        if triage.config_touched(self.ws, batch):
            self._reload_config()
        elif triage.needs_rediscovery(self.ws, self.ws.skills(), batch):
            self._rediscover()
        now = time.monotonic()
        skills = [s.skill for s in self.slots.values()]
        for slug, saved_at in triage.affected(self.ws, skills, batch).items():
            self.slots[slug].mark(now, saved_at)

    def _reload_config(self) -> None:
        root = self.ws.root
        path = self.ws.config_path or root / CONFIG_FILE
        try:
            config = load_config_file(path) if path.is_file() else default_config()
        except SkillsyncError as exc:
            self.emit(Event("config-error", message=str(exc)))
            return
        old = self.ws
        self.ws = Workspace(root=root, config=config, config_path=path if path.is_file() else None)
        if not self._rediscover():
            self.ws = old
            return
        self.emit(Event("config-reloaded", message=str(path)))
        now, wall = time.monotonic(), time.time()
        for slot in self.slots.values():  # selection or validation rules may have changed
            slot.mark(now, wall)

    def _rediscover(self) -> bool:
        """Find skill folders again: report new and deleted ones. False when discovery failed."""
        fresh = Workspace(root=self.ws.root, config=self.ws.config, config_path=self.ws.config_path)
        try:
            found = {s.slug: s for s in fresh.skills()}
        except SkillsyncError as exc:
            self.emit(Event("config-error", message=f"{exc}; keeping the last good list of skills"))
            return False
        self.ws = fresh
        now, wall = time.monotonic(), time.time()
        for slug in sorted(self.slots.keys() - found.keys()):
            slot = self.slots.pop(slug)
            self.emit(
                Event(
                    "skill-deleted",
                    skill=slug,
                    message=f"{slot.skill.rel}: nothing archived; to archive it run skillsync archive {slug}",
                )
            )
        for slug, skill in found.items():
            known = self.slots.get(slug)
            if known is not None:
                known.skill = skill
            elif self.named is None or slug in self.named:
                self.slots[slug] = _Slot(skill)
                self.slots[slug].mark(now, wall)  # created on its first valid save
                self.emit(Event("skill-added", skill=slug, message=skill.rel))
        return True

    def _dispatch(self) -> float | None:
        """Start every skill whose quiet period is over; seconds until the next one is due."""
        now = time.monotonic()
        nearest: float | None = None
        for slot in self.slots.values():
            if not slot.dirty or slot.task is not None:
                continue
            # watchfiles hands over a batch only after one quiet step, so that much has passed already
            due = slot.due(max(0.0, self.opts.quiet - self.opts.step_ms / 1000), self.opts.ceiling)
            if due <= now:
                slot.task = asyncio.create_task(self._run_slot(slot))
            else:
                nearest = due if nearest is None else min(nearest, due)
        return None if nearest is None else max(0.0, nearest - now)

    async def _run_slot(self, slot: _Slot) -> None:
        slot.dirty = False
        saved_at, slot.saved_at = slot.saved_at, 0.0
        try:
            await self._process(slot, saved_at)
        except SkillsyncError as exc:
            self.emit(Event("failed", skill=slot.skill.slug, message=str(exc)))
        except Exception as exc:
            self._crashed = exc
        finally:
            slot.task = None
            self._wake.set()

    # ------------------------------------------------------------------------------- pipeline

    async def _process(self, slot: _Slot, saved_at: float) -> None:
        from skillsync.manifest import build_manifests
        from skillsync.sync.push_gate import PushGate

        skill = slot.skill
        if not skill.skill_md.is_file():  # still gone after the quiet period: deleted
            self._rediscover()
            return
        try:
            # one walk: the manifest (digest) is built first, validation and the push run over it
            manifest = build_manifests(self.ws, [skill], keep_contents=True)[0]
            # through the validation cache: the push's own gate then finds this verdict stored
            gate = PushGate(self.ws)
            report = gate.check(manifest)
            gate.save()
        except SkillsyncError as exc:
            self.emit(Event("blocked", skill=skill.slug, findings=[str(exc)]))
            return
        try:
            await self._decide(slot, manifest, report, saved_at)
        finally:
            manifest.contents.clear()  # the small files' bytes, kept from hashing

    async def _decide(self, slot: _Slot, manifest: Manifest, report: SkillReport, saved_at: float) -> None:
        skill = slot.skill
        errors = [_line(f) for f in report.findings if f.severity == "error"]
        warnings = [_line(f) for f in report.findings if f.severity == "warning"]
        if errors:
            self.emit(Event("blocked", skill=skill.slug, findings=errors, warnings=warnings))
            return
        if not self.opts.push:
            changed = _files_changed(slot.files, _file_map(manifest))
            slot.files = _file_map(manifest)
            self.emit(Event("valid", skill=skill.slug, warnings=warnings, files_changed=changed))
            return
        if manifest.digest == slot.synced:
            self.emit(Event("unchanged", skill=skill.slug, warnings=warnings))
            return
        await self._push(slot, manifest, saved_at, warnings)

    async def _push(self, slot: _Slot, manifest: Manifest, saved_at: float, warnings: list[str]) -> None:
        from skillsync.sync.push import apply_push, plan_push

        try:
            async with self._lock.hold(self.ws) as state:
                session = await self._open_session()
                plan = await plan_push(
                    session,
                    self.ws,
                    [slot.skill],
                    state,
                    publish=self.opts.publish,
                    force=False,
                    jobs=1,
                    manifests=[manifest],
                )
                item = plan.items[0]
                if item.actionable:
                    await apply_push(session, plan, state, jobs=1)
                else:
                    state.save()  # what the plan learned (revision digests)
        except SkillsyncError as exc:
            if not _transient(exc):
                raise  # reported as "failed" by _run_slot
            self._retry(slot, exc)
            return
        if item.result == "failed" and _transient(item.error):
            assert item.error is not None
            self._retry(slot, item.error)
            return
        self._remote_up(slot)
        self._report(slot, item, manifest, saved_at, warnings)

    def _report(
        self, slot: _Slot, item: PushItem, manifest: Manifest, saved_at: float, warnings: list[str]
    ) -> None:
        slug = slot.skill.slug
        st = item.status
        entry = st.entry
        if item.result in ("created", "revised", "adopted"):
            files = _file_map(manifest)
            changed = _files_changed(slot.files, files)
            same = entry.base is not None and entry.base.digest == manifest.digest
            slot.synced = entry.base.digest if entry.base is not None else None
            slot.files = files if same else None
            ms = round((time.time() - saved_at) * 1000) if saved_at else None
            self.emit(
                Event(
                    "revision",
                    skill=slug,
                    revision=item.revision_number,
                    published=item.published,
                    files_changed=changed,
                    ms=ms,
                    message=item.message or None,
                    warnings=warnings,
                    data={"digest": entry.base.digest if entry.base else None, "result": item.result},
                )
            )
        elif item.result in ("published", "updated"):
            slot.synced = st.local_digest
            self.emit(Event("published" if item.result == "published" else "unchanged", skill=slug,
                            revision=item.revision_number, message=item.message or None, warnings=warnings))
        elif item.result == "blocked":
            self.emit(Event("blocked", skill=slug, findings=item.findings, warnings=warnings))
        elif item.result == "skipped" and st.state == "unchanged":
            slot.synced = st.local_digest
            slot.files = _file_map(manifest) if manifest.digest == st.local_digest else None
            self.emit(Event("unchanged", skill=slug, revision=item.revision_number, warnings=warnings))
        elif item.result in ("refused", "skipped"):
            self.emit(
                Event("remote-moved", skill=slug, message=self._moved_message(item), data={"state": st.state})
            )
        else:
            self.emit(Event("failed", skill=slug, message=item.message or str(item.error)))

    @staticmethod
    def _moved_message(item: PushItem) -> str:
        st = item.status
        slug = st.slug
        latest = st.remote.latest_number if st.remote is not None else None
        rev = f"revision {latest}" if latest is not None else "a revision"
        if st.state == "archived":
            return f"archived on the remote; run skillsync unarchive {slug}"
        if st.state == "remote-ahead":
            return f"{rev} was pushed from elsewhere; run skillsync pull {slug} (watch picks it up)"
        if st.state == "conflict":
            return (
                f"{rev} was pushed from elsewhere and this skill has local edits; run skillsync diff "
                f"{slug}, then skillsync pull {slug} --force (take theirs) or skillsync push {slug} "
                "--force (keep yours)"
            )
        return f"{item.message}; run skillsync diff {slug}"

    # ------------------------------------------------------------------------------- outages

    def _remote_down(self, exc: BaseException) -> None:
        if not self._down:
            self._down = True
            self.emit(Event("remote-down", message=f"{exc}; retrying with backoff"))

    def _retry(self, slot: _Slot, exc: BaseException) -> None:
        self._remote_down(exc)
        delay = BACKOFF_SECONDS[min(slot.attempts, len(BACKOFF_SECONDS) - 1)]
        slot.attempts += 1
        slot.retry_at = time.monotonic() + delay
        slot.mark(time.monotonic(), slot.saved_at or time.time())

    def _remote_up(self, slot: _Slot) -> None:
        slot.attempts = 0
        slot.retry_at = None
        if self._down:
            self._down = False
            self.emit(Event("remote-back"))


async def watch(ws: Workspace, opts: WatchOptions, emit: Emit, note: Note, stop: asyncio.Event) -> list[str]:
    """Run watch until ``stop`` is set (see :class:`Watcher`); returns abandoned uploads."""
    return await Watcher(ws, opts, emit, note).run(stop)


@dataclass
class _Signals:
    stop: asyncio.Event
    watcher: Watcher | None = None
    count: int = field(default=0)

    def __call__(self) -> None:
        self.count += 1
        self.stop.set()
        if self.count > 1 and self.watcher is not None:
            self.watcher.abandon()


def run_watch(ws: Workspace, opts: WatchOptions, emit: Emit, note: Note) -> int:
    """Run watch in this process until SIGINT or SIGTERM, then return 130 (interrupted).

    The first Ctrl-C stops watching and lets an upload in flight finish; a second abandons it."""
    import signal

    async def main() -> None:
        loop = asyncio.get_running_loop()
        handler = _Signals(asyncio.Event())
        watcher = Watcher(ws, opts, emit, note)
        handler.watcher = watcher
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, handler)
        try:
            await watcher.run(handler.stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    asyncio.run(main())
    return 130
