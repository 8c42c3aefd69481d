"""The validation cache: a skill whose inputs are unchanged gets last run's findings, unread.

In the manner of ruff's and mypy's caches, ``skillsync validate`` stores each skill's findings under
a key that covers everything they depend on, and serves them while the key is the same:

- the program: skillsync's version, a fingerprint (path, size, mtime) of every module of the
  installed package (an editable install never serves results of older code) and of PyYAML and
  pathspec, Python's version;
- the run: the workspace root, the config file's bytes (rules, severities, overrides, policy,
  limits, targets, layouts, selection), the waivers and baseline files' bytes, ``--target``;
- the skill: its folder, slug and discovery's verdict on it (layout, nesting, slug problems,
  computed fresh every run, as they depend on the other skills);
- its shipped files: path, size, sha256 and mode of each (sha256 from the stat cache, so an
  unchanged file is stat'ed, not read; a touched one is hashed again and still hits);
- what else a rule looked at: the ignore files of its selection walk, by content (a link to an
  excluded file names the deciding rule), and the paths a rule probed outside the shipped files (a
  link target that does not ship), re-stat'ed on every hit.

`push` and `watch` use the same entries through ``sync.push_gate.PushGate`` (validate.CachedCheck):
their manifests are built through the same stat cache and carry the listing and fence the key needs
(``Manifest.walk``, ``Manifest.fence``).

Findings are stored after config, waivers and inline allows were applied, so a hit needs none of
the rule modules. A waiver that expires changes findings without any input changing, so an entry is
valid only up to the earliest expiry among the waivers active when it was made.

Where it lives: ``.skillsync/validatecache.json`` beside the stat cache in a workspace (a folder
with skillsync.toml, or one that already has ``.skillsync/``); for any other folder (a plain
clone), ``$XDG_CACHE_HOME/skillsync/validate/<hash of the folder's real path>/``, so validating a
folder never writes into it. A corrupt, foreign or old file is ignored and rebuilt; writes are
atomic (last writer wins); a folder that cannot be written just gets no cache.
"""

# The hit path runs once per skill on str paths: no pathlib objects per file.
# ruff: noqa: PTH112, PTH116, PTH118, PTH120

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillsync import __version__
from skillsync.cachefile import read_doc, write_doc
from skillsync.rules import Finding
from skillsync.workspace import Skill, Workspace

if TYPE_CHECKING:
    from skillsync.manifest import Manifest

CACHE_FILE = "validatecache.json"
CACHE_FORMAT = "skillsync-validatecache"
CACHE_VERSION = 1
NO_CACHE_ENV = "SKILLSYNC_NO_CACHE"
_IGNORE_FILES = (".gitignore", ".skillignore")
# Looked up beside every folder on the way to a probed path (selection.explain reads them).
_BESIDE = ("pyvenv.cfg", ".gitignore", ".skillignore")


def disabled_by_env() -> bool:
    """SKILLSYNC_NO_CACHE set to a true value (1, true, yes, on)."""
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def cache_dir(ws: Workspace) -> Path | None:
    """Where the stat cache and validation cache of ``ws`` live for `validate` (see module doc);
    None when there is no such place (no home folder), or when the user cache folder is on another
    file system than the folder validated: the stat cache's racy-edit fence is the clock of the
    file system it is written on, and another one (a network share) may keep another clock."""
    if ws.config_path is not None or ws.state_dir.is_dir():
        return ws.state_dir
    env = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(env) if env else Path.home() / ".cache"
    except (KeyError, RuntimeError):
        return None
    if _device(base) != _device(ws.root):
        return None
    real = os.path.realpath(ws.root)
    name = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return base / "skillsync" / "validate" / name


def _device(path: Path) -> int | None:
    """The device of ``path``, or of its nearest existing folder above (the cache folder may not
    exist yet)."""
    for folder in (path, *path.parents):
        try:
            return os.stat(folder).st_dev
        except OSError:
            continue
    return None


# Third-party code whose behaviour reaches findings: PyYAML (frontmatter; its C loader when
# present) and pathspec (policies). Their installed files are fingerprinted like ours.
_DEPENDENCIES = ("yaml", "pathspec")


def make_state_dir(ws: Workspace, folder: Path) -> None:
    """Create ``folder`` if missing; when that changes the workspace root (``.skillsync/`` of a new
    workspace), wait (at most 50 ms) for the file system clock to pass it, so the run's listings
    are not all racy and the first run already records its results."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True)
        changed = os.stat(ws.root).st_mtime_ns
    except OSError:
        return
    if ws.root not in folder.parents:
        return
    import time

    from skillsync.statcache import fs_now

    deadline = time.monotonic() + 0.05
    while (fs_now(folder) or changed + 1) <= changed and time.monotonic() < deadline:
        time.sleep(0.002)


@functools.cache
def code_fingerprint() -> str:
    """A hash of (path, size, mtime_ns) of every .py file of the installed skillsync package, and
    of every file of the dependencies that shape findings (found without importing them)."""
    import skillsync

    h = hashlib.sha256()
    _fingerprint(h, os.path.dirname(skillsync.__file__), (".py",))
    for name in _DEPENDENCIES:  # the first folder of that name on sys.path, as import finds it
        found = next((d for d in (os.path.join(p or ".", name) for p in sys.path) if os.path.isdir(d)), None)
        if found is not None:
            _fingerprint(h, found, None)
        h.update(f"{name}:{found}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _fingerprint(h: Any, top: str, suffixes: tuple[str, ...] | None) -> None:
    todo = [top]
    while todo:
        folder = todo.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if e.name != "__pycache__":
                        todo.append(e.path)
                elif suffixes is None or e.name.endswith(suffixes):
                    st = e.stat()
                    h.update(f"{e.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
            except OSError:
                continue


def _file_sha(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:  # unreadable: never equal to a stored key; the policy then reports it
        return "unreadable"


def run_key(ws: Workspace, targets: tuple[str, ...] | None) -> str:
    """The part of every skill's key that is the same for the whole run (program, config, waivers)."""
    cfg = ws.config.validate_
    parts = [
        CACHE_FORMAT,
        CACHE_VERSION,
        __version__,
        code_fingerprint(),
        sys.version,
        str(ws.root),
        str(ws.git_top()),  # which .gitignore files above the workspace apply
        str(ws.config_path) if ws.config_path else None,
        _file_sha(ws.config_path),
        cfg.waivers,
        _file_sha(ws.root / cfg.waivers),
        cfg.baseline,
        _file_sha(ws.root / cfg.baseline),
        list(targets) if targets is not None else None,
    ]
    return _hash(parts)


def _hash(parts: Any) -> str:
    text = json.dumps(parts, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def skill_key(run: str, skill: Skill, manifest: Manifest, ignores: IgnoreHashes) -> str | None:
    """The key of one skill's findings, or None when its selection cannot be vouched for (built
    without the stat cache, or a walk that met a symlink or a racy edit records no listing: such a
    skill is validated afresh). The listing is the one the manifest's own build vouched for."""
    listing = manifest.walk
    if manifest.skill is not skill or manifest.fence is None:
        return None
    if type(listing) is not dict or type(listing.get("deps")) is not dict:
        return None
    # The ignore files the walk read, by content (a touched one still hits); the listing vouches
    # that none changed since the walk that read them.
    read = sorted(rel for rel in listing["deps"] if rel.rsplit("/", 1)[-1] in _IGNORE_FILES)
    p = skill.problem
    parts = [
        run,
        skill.rel,
        skill.slug,
        str(skill.path),
        [p.rule, p.message, p.hint] if p is not None else None,
        [[rel, ignores.sha(rel)] for rel in read],
        [[e.rel, e.size, e.sha256, e.mode] for e in manifest.entries],
    ]
    return _hash(parts)


class IgnoreHashes:
    """sha256 of the ignore files of one workspace (by workspace-relative path), each read once
    per run: the folders above the skills share theirs."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self._known: dict[str, str | None] = {}

    def sha(self, rel: str) -> str | None:
        if rel not in self._known:
            try:
                with open(os.path.join(self.root, rel), "rb") as fh:  # noqa: PTH123
                    self._known[rel] = hashlib.sha256(fh.read()).hexdigest()
            except OSError:
                self._known[rel] = None
        return self._known[rel]


def _fact(path: str) -> str | None:
    """What a look-up of ``path`` depends on: None when absent; an ignore file's sha256; else the
    file type, of the path itself and of what a symlink points to (a touch changes none of it)."""
    try:
        lmode = os.lstat(path).st_mode
    except (OSError, ValueError):
        return None
    if path.rsplit(os.sep, 1)[-1] in _IGNORE_FILES:
        try:
            with open(path, "rb") as fh:  # noqa: PTH123
                return "sha256:" + hashlib.sha256(fh.read()).hexdigest()
        except (OSError, ValueError):
            return "unreadable"
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        mode = 0
    return f"{stat.S_IFMT(lmode):o}:{stat.S_IFMT(mode):o}"


def probe_facts(skill: Skill, probes: list[str]) -> tuple[dict[str, str | None], int]:
    """What each path a rule looked up outside the shipped files (``probes``, skill-relative)
    depended on: each folder on the way, the files selection.explain() reads beside it, and the
    path itself; and the newest mtime or ctime among them (a change after the run started makes
    the findings unsafe to keep: they may have seen the state before it)."""
    base = str(skill.path)
    paths: list[str] = []
    for rel in probes:
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        for depth in range(len(parts)):
            folder = os.path.join(base, *parts[:depth]) if depth else base
            paths.append(folder)
            paths.extend(os.path.join(folder, name) for name in _BESIDE)
        full = os.path.join(base, *parts) if parts else base
        paths += [full, os.path.join(full, _BESIDE[0])]  # a folder target: a virtual environment?
    facts: dict[str, str | None] = {}
    newest = 0
    for path in paths:
        if path in facts:
            continue
        facts[path] = _fact(path)
        try:
            st = os.lstat(path)
        except (OSError, ValueError):  # ValueError: a NUL in a link target
            continue
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
    return facts, newest


def settled(manifest: Manifest) -> bool:
    """Whether every shipped file of ``manifest`` is still older than its build's fence: rules read
    the bytes the hasher did not keep from disk, maybe later (push validates after the remote's
    answer), so a file rewritten since it was hashed must not have its findings stored under the
    old sha256 (a revert to that content would then be served the new content's verdict)."""
    fence = manifest.fence
    if fence is None:
        return False
    for e in manifest.entries:
        try:
            st = os.stat(e.abspath)
        except OSError:
            return False
        if st.st_mtime_ns >= fence or st.st_ctime_ns >= fence:
            return False
    return True


def _finding_row(f: Finding) -> list[Any]:
    return [f.rule, f.path, f.line, f.message, f.hint, f.severity, list(f.targets)]


def _finding(row: Any) -> Finding | None:
    if type(row) is not list or len(row) != 7:
        return None
    rule, path, line, message, hint, severity, targets = row
    if (
        type(rule) is not str
        or type(path) is not str
        or not (line is None or type(line) is int)
        or type(message) is not str
        or not (hint is None or type(hint) is str)
        or severity not in ("error", "warning", "info")
        or type(targets) is not list
        or any(type(t) is not str for t in targets)
    ):
        return None
    return Finding(rule, path, line, message, hint, severity, tuple(targets))


class ValidationCache:
    """The loaded validation cache of one workspace (see the module doc). One per run."""

    def __init__(self, path: Path, entries: dict[str, Any] | None = None, root: str = "") -> None:
        self.path = path
        self.root = root
        self._entries: dict[str, Any] = entries if entries is not None else {}
        self._dirty = False
        self.hits = 0
        self.misses = 0

    @classmethod
    def load(cls, folder: Path, root: Path) -> ValidationCache:
        """The cache in ``folder`` for the workspace at ``root`` (empty when missing or unusable)."""
        path = folder / CACHE_FILE
        found = read_doc(path, CACHE_FORMAT, CACHE_VERSION)
        doc = found[0] if found is not None else {}
        if doc.get("root") != str(root) or not isinstance(doc.get("entries"), dict):
            return cls(path, root=str(root))
        return cls(path, doc["entries"], str(root))

    def lookup(self, rel: str, key: str, today: dt.date) -> list[Finding] | None:
        """The stored findings of the skill at ``rel`` if stored under ``key``, still in date, and
        every probed path is as it was; else None."""
        entry = self._entries.get(rel)
        found = self._check(entry, key, today)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    @staticmethod
    def _check(entry: Any, key: str, today: dt.date) -> list[Finding] | None:
        if type(entry) is not dict or entry.get("key") != key:
            return None
        until = entry.get("until")
        if until is not None:
            try:
                if today > dt.date.fromisoformat(until):
                    return None
            except (TypeError, ValueError):
                return None
        probes, rows = entry.get("probes"), entry.get("findings")
        if type(probes) is not dict or type(rows) is not list:
            return None
        for path, recorded in probes.items():
            if _fact(path) != recorded:
                return None
        out: list[Finding] = []
        for row in rows:
            f = _finding(row)
            if f is None:
                return None
            out.append(f)
        return out

    def store(
        self,
        rel: str,
        key: str,
        findings: list[Finding],
        probes: tuple[dict[str, str | None], int],
        until: dt.date | None,
        fence: int | None,
    ) -> None:
        """Remember the findings of the skill at ``rel`` under ``key``, unless a probed path
        changed after ``fence`` (the file system clock when the run started: racy, not stored)."""
        facts, newest = probes
        if fence is None or newest >= fence:
            if self._entries.pop(rel, None) is not None:
                self._dirty = True
            return
        self._entries[rel] = {
            "key": key,
            "until": until.isoformat() if until is not None else None,
            "probes": facts,
            "findings": [_finding_row(f) for f in findings],
        }
        self._dirty = True

    def forget(self, rel: str) -> None:
        if self._entries.pop(rel, None) is not None:
            self._dirty = True

    def prune(self, keep: set[str]) -> None:
        """Forget the entries of skills not in ``keep`` (folders that hold no skill any more)."""
        for rel in [r for r in self._entries if r not in keep]:
            del self._entries[rel]
            self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; a folder that cannot be written is skipped."""
        if not self._dirty:
            return
        if write_doc(self.path, CACHE_FORMAT, CACHE_VERSION, {"root": self.root, "entries": self._entries}):
            self._dirty = False
