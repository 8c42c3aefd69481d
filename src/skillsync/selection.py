"""The one file-selection engine: which files of a skill ship, and why.

Every command that lists files calls :func:`select`; ``skillsync why`` calls :func:`explain`, which
walks the same rules for one path. Sources, strongest first (see docs/selection.md):

1. built-in excludes (VCS folders, caches, virtual environments, editor litter): never ship;
2. ``selection.exclude`` in the config, then ``.skillignore`` files, then ``.gitignore`` files
   (when ``selection.gitignore``): the strongest source with a matching line decides, and inside
   one source the deepest ignore file with a matching line decides, last matching line wins;
   a folder excluded this way is not entered, so nothing below it can be re-included (git's rule);
3. default-deny of likely secrets, lifted only by ``selection.allow``.
"""

# The walk runs on str paths with os.* calls: pathlib objects per file cost measurably here.
# ruff: noqa: PTH112, PTH113, PTH114, PTH115, PTH116, PTH118, PTH208

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import skillsync.workspace as workspace_mod
from skillsync import ignore
from skillsync.errors import LocalError
from skillsync.ignore import IgnoreFile, Pattern
from skillsync.text import CONTROL as _CONTROL
from skillsync.text import printable
from skillsync.workspace import PRUNED_DIRS, Skill, Workspace

if TYPE_CHECKING:
    from skillsync.listing_cache import Trace
    from skillsync.statcache import StatCache

GITIGNORE = ".gitignore"
SKILLIGNORE = ".skillignore"
BUILTIN = "built-in"
DEFAULT_DENY = "default-deny"
CONFIG_EXCLUDE = "config:selection.exclude"
CONFIG_ALLOW = "config:selection.allow"

# Built-in excludes: folders (trailing '/') and files that never belong in a skill. A folder that
# holds `pyvenv.cfg` is a virtual environment whatever its name, and is excluded too.
BUILTIN_PATTERNS: tuple[str, ...] = (
    ".git",  # a folder, or the file a worktree/submodule uses
    *sorted(f"{d}/" for d in PRUNED_DIRS | {"CVS", ".bzr", "_darcs", ".nox", ".eggs"} if d != ".git"),
    SKILLIGNORE,
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    "Thumbs.db",
    "*.swp",
    "*.swo",
    "*~",
    ".#*",
    "\\#*#",  # emacs auto-save (escaped: a leading # starts a comment)
)
VENV_MARKER = "pyvenv.cfg"

# Likely secrets: never shipped unless `selection.allow` lists them.
DEFAULT_DENY_PATTERNS: tuple[str, ...] = (
    "*.env",
    ".env",
    ".env.*",
    "!.env*.example",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "credentials",  # AWS (~/.aws/credentials), gcloud legacy, and the like
    "credentials*.json",
    "application_default_credentials.json",  # gcloud
    ".git-credentials",
    ".netrc",
    ".npmrc",
    ".pypirc",
)


@dataclass(frozen=True)
class SelectedFile:
    """One file that ships: its skill-relative name and where to read it."""

    rel: str  # POSIX path relative to the skill folder (what the API calls relative_path)
    path: Path  # absolute path to read (for a symlink inside the skill: the link itself)


@dataclass(frozen=True)
class Rule:
    """The rule that decided a file's fate (for `skillsync why`)."""

    source: str  # "built-in", a workspace-relative ignore file path, or a config key
    line: int | None
    pattern: str


@dataclass(frozen=True)
class Verdict:
    """Whether one path ships, and the rule that decided (:func:`explain`, ``skillsync why``)."""

    rel: str
    shipped: bool
    rule: Rule | None  # the deciding rule; None when no rule matched (shipped by default)


_BUILTIN = ignore.from_list(BUILTIN_PATTERNS, BUILTIN, "", numbered=False)
_DENY = ignore.from_list(DEFAULT_DENY_PATTERNS, DEFAULT_DENY, "", numbered=False)

# One ignore source at one folder: the ignore file and the folder's workspace-relative path.
_Stack = tuple[IgnoreFile, ...]  # deepest first


def _rule(p: Pattern, source: str) -> Rule:
    return Rule(source=source, line=p.line, pattern=p.text)


class NameCollisionError(LocalError):
    """Two shipped names differ only in case or Unicode normalisation (validate reports it as a finding)."""


def _scandir(path: str) -> list[os.DirEntry[str]]:
    """List one folder for the walk (through :func:`skillsync.workspace.list_folder`)."""
    return workspace_mod.list_folder(path)


class _Engine:
    """Selection rules for one skill: compiled config lists and the ignore files above it."""

    def __init__(self, ws: Workspace, skill: Skill, trace: Trace | None = None) -> None:
        self.ws = ws
        self.skill = skill
        self.trace = trace
        sel = ws.config.selection
        self.use_gitignore = sel.gitignore
        self.prefix = "" if skill.rel == "." else skill.rel + "/"
        base = "" if skill.rel == "." else skill.rel
        self.exclude = (
            ignore.from_list(sel.exclude, CONFIG_EXCLUDE, base, numbered=False) if sel.exclude else None
        )
        self.allow = ignore.from_list(sel.allow, CONFIG_ALLOW, base, numbered=False) if sel.allow else None
        self.deny = ignore.IgnoreFile(DEFAULT_DENY, base, _DENY.patterns)
        self.skill_real = os.path.realpath(skill.path)
        # Ignore files in the workspace folders above the skill (the skill folder's own come
        # from its listing during the walk).
        git: list[IgnoreFile] = []
        skl: list[IgnoreFile] = []
        # Above the workspace root, up to the git top level: git reads those too, and what ships
        # must not depend on the folder a command runs from (with no skillsync.toml, the
        # workspace root is the current folder).
        above_git, above_skl, deps = self._above()
        git.extend(above_git)
        skl.extend(above_skl)
        if self.trace is not None:
            for dep in deps:
                self.trace.add(dep)
        parts = [] if skill.rel == "." else skill.rel.split("/")
        for depth in range(len(parts)):
            rel_dir = "/".join(parts[:depth])
            g, s = self.ignore_files(os.path.join(ws.root, *parts[:depth]), rel_dir, None)
            if g:
                git.insert(0, g)
            if s:
                skl.insert(0, s)
        self.git_above: _Stack = tuple(git)
        self.skl_above: _Stack = tuple(skl)

    def _above(self) -> tuple[list[IgnoreFile], list[IgnoreFile], list[str]]:
        """The .gitignore and .skillignore stacks (innermost first) of the folders from the git top
        level down to the workspace root (exclusive), and the paths they depend on; read once per
        workspace, since they are the same for every skill."""
        ws = self.ws
        if ws.ignore_above is not None:
            cached: tuple[list[IgnoreFile], list[IgnoreFile], list[str]] = ws.ignore_above
            return cached
        trace, self.trace = self.trace, None  # the dependencies are recorded for every skill
        git: list[IgnoreFile] = []
        skl: list[IgnoreFile] = []
        deps: list[str] = []
        try:
            ups = _folders_above(ws.root, ws.git_top())
            for depth in range(len(ups)):
                rel_dir = "/".join([".."] * (len(ups) - depth))  # relative to the workspace root
                lead = "/".join(ups[depth:]) + "/"
                top = ws.root.parents[len(ups) - 1]
                g, s = self.ignore_files(os.path.join(top, *ups[:depth]), rel_dir, None, lead)
                deps.append(rel_dir)
                for found, stack in ((g, git), (s, skl)):
                    if found is not None:
                        stack.insert(0, found)
                        deps.append(found.source)
        finally:
            self.trace = trace
        ws.ignore_above = (git, skl, deps)
        return git, skl, deps

    def ignore_files(
        self, abs_dir: str, rel_dir: str, names: set[str] | None, lead: str = ""
    ) -> tuple[IgnoreFile | None, IgnoreFile | None]:
        """The .gitignore and .skillignore of one folder (``names``: its listing, when known;
        ``lead``: for a folder above the workspace root, see :class:`ignore.IgnoreFile`)."""
        out: list[IgnoreFile | None] = []
        for fname, wanted in ((GITIGNORE, self.use_gitignore), (SKILLIGNORE, True)):
            if not wanted or (names is not None and fname not in names):
                out.append(None)
                continue
            path = os.path.join(abs_dir, fname)
            source = f"{rel_dir}/{fname}" if rel_dir else fname
            if self.trace is not None:
                self.trace.add(rel_dir)  # its listing says whether the ignore file exists
            try:
                if names is None and not os.path.isfile(path):
                    out.append(None)
                    continue
                if self.trace is not None:
                    self.trace.add(source)  # stamped before it is read
                out.append(ignore.load(path, source, "" if lead else rel_dir, lead))
            except FileNotFoundError:
                out.append(None)
            except OSError as exc:
                raise LocalError(
                    f"{printable(source)}: cannot read ignore file: {exc.strerror}",
                    hint="fix its permissions or remove it",
                ) from None
        return out[0], out[1]

    def decide(self, rel: str, name: str, is_dir: bool, git: _Stack, skl: _Stack) -> tuple[bool, Rule | None]:
        """(excluded, deciding rule) for ``rel`` (skill-relative) from the exclude sources."""
        p = _BUILTIN.match(name, name, is_dir)
        if p is not None and not p.negated:
            return True, _rule(p, BUILTIN)
        ws_rel = self.prefix + rel
        if self.exclude is not None:
            p = self.exclude.match(rel, name, is_dir)
            if p is not None:
                return not p.negated, _rule(p, CONFIG_EXCLUDE)
        for stack in (skl, git):
            for f in stack:
                p = f.match(ws_rel[f.prefix_len :], name, is_dir)
                if p is not None:
                    return not p.negated, _rule(p, f.source)
        return False, None

    def decide_file(self, rel: str, name: str, git: _Stack, skl: _Stack) -> tuple[bool, Rule | None]:
        """(shipped, deciding rule) for a file: exclude sources, then the default-deny."""
        excluded, rule = self.decide(rel, name, False, git, skl)
        if excluded:
            return False, rule
        p = self.deny.match(rel, name, False)
        if p is not None and not p.negated:
            lift = self.allow.match(rel, name, False) if self.allow is not None else None
            if lift is not None and not lift.negated:
                return True, _rule(lift, CONFIG_ALLOW)
            return False, _rule(p, DEFAULT_DENY)
        return True, rule

    def push(
        self, abs_dir: str, rel_dir_ws: str, names: set[str], git: _Stack, skl: _Stack
    ) -> tuple[_Stack, _Stack]:
        g, s = self.ignore_files(abs_dir, rel_dir_ws, names)
        return ((g, *git) if g else git), ((s, *skl) if s else skl)

    def shown(self, rel: str) -> str:
        return printable(self.prefix + rel)

    def link_target(self, link: str, rel: str) -> tuple[str, os.stat_result]:
        """The real path and stat of a symlink inside the skill, or a LocalError naming both."""
        try:
            target = os.readlink(link)
        except OSError as exc:
            raise LocalError(f"{self.shown(rel)}: cannot read symlink: {exc.strerror}") from None
        real = os.path.realpath(link)
        try:
            st = os.stat(real)
        except OSError:
            raise LocalError(
                f"{self.shown(rel)}: symlink target {printable(target)} does not exist",
                hint="fix or remove the link, or exclude it in .skillignore",
            ) from None
        if real != self.skill_real and not real.startswith(self.skill_real.rstrip(os.sep) + os.sep):
            raise LocalError(
                f"{self.shown(rel)}: symlink points outside the skill folder (to {printable(target)})",
                hint="copy the file into the skill, or exclude the link in .skillignore",
            )
        return real, st


def _folders_above(root: Path, top: Path | None) -> tuple[str, ...]:
    """The folder names from the git top level ``top`` down to ``root`` (empty: no repository, or
    the repository starts at ``root``)."""
    if top is None or top == root:
        return ()
    return Path(os.path.relpath(root, top)).parts


def _kind(entry: os.DirEntry[str]) -> int:
    """The entry's file type from the folder listing (no stat call unless the OS withheld it)."""
    try:
        if entry.is_symlink():
            return stat.S_IFLNK
        if entry.is_dir(follow_symlinks=False):
            return stat.S_IFDIR
        if entry.is_file(follow_symlinks=False):
            return stat.S_IFREG
        return entry.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        raise LocalError(f"{printable(entry.path)}: cannot stat: {exc.strerror}") from None


def _walk(eng: _Engine) -> Iterator[tuple[str, str]]:
    """Yield (rel, absolute path) of every shipped file; raise LocalError on bad input."""
    # (absolute folder, skill-relative folder, gitignore stack, skillignore stack,
    #  real paths of the folder and those above it: a symlinked folder among them is a loop)
    todo: list[tuple[str, str, _Stack, _Stack, tuple[str, ...]]] = [
        (str(eng.skill.path), "", eng.git_above, eng.skl_above, (eng.skill_real,))
    ]
    while todo:
        abs_dir, rel_dir, git, skl, reals = todo.pop()
        if eng.trace is not None:
            eng.trace.add((eng.prefix + rel_dir).rstrip("/"))  # stamped before it is listed
        try:
            # Discovery's listing of this folder when no stat cache records the walk (a cached
            # walk must stamp a folder before listing it, so it always lists afresh).
            known = eng.ws.listing(abs_dir) if eng.trace is None else None
            entries = known if known is not None else _scandir(abs_dir)
        except OSError as exc:
            raise LocalError(
                f"{eng.shown(rel_dir or '.')}: cannot list folder: {exc.strerror}",
                hint="fix its permissions, or exclude it in .skillignore",
            ) from None
        names = {e.name for e in entries}
        if rel_dir and VENV_MARKER in names:
            continue  # a virtual environment, whatever its name: built-in exclude
        git, skl = eng.push(abs_dir, (eng.prefix + rel_dir).rstrip("/"), names, git, skl)
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            mode = _kind(entry)
            link = stat.S_ISLNK(mode)
            if link:
                if eng.trace is not None:
                    eng.trace.links = True
                try:
                    mode = os.stat(entry.path).st_mode
                except OSError:
                    mode = 0  # dangling: judged as a file, an error only if it would ship
            if stat.S_ISDIR(mode):
                excluded, _ = eng.decide(rel, name, True, git, skl)
                if excluded:
                    continue
                if link:
                    real, _st = eng.link_target(entry.path, rel)
                    if real in reals:
                        raise LocalError(
                            f"{eng.shown(rel)}: symlink loop: it points to "
                            f"{printable(os.readlink(entry.path))}, a folder that holds it",
                            hint="remove the link or exclude it in .skillignore",
                        )
                else:
                    real = os.path.join(reals[-1], name)
                todo.append((entry.path, rel, git, skl, (*reals, real)))
                continue
            shipped, _ = eng.decide_file(rel, name, git, skl)
            if not shipped:
                continue
            if link:
                _real, st = eng.link_target(entry.path, rel)
                mode = st.st_mode
            if not stat.S_ISREG(mode):
                raise LocalError(
                    f"{eng.shown(rel)}: not a regular file (socket, FIFO or device)",
                    hint="remove it or exclude it in .skillignore",
                )
            yield rel, entry.path


def _check_names(eng: _Engine, rels: list[str]) -> None:
    """Refuse names that cannot round-trip: not UTF-8, control characters, case/NFC twins."""
    seen: dict[str, str] = {}
    dirs_done: set[str] = set()
    for rel in rels:
        ascii_name = rel.isascii()  # the common case: no encoding or normalisation question
        try:
            if not ascii_name:
                rel.encode("utf-8")
        except UnicodeEncodeError:
            raise LocalError(
                f"{eng.shown(rel)}: file name is not valid UTF-8",
                hint="rename it, or exclude it in .skillignore",
            ) from None
        if _CONTROL.search(rel):
            raise LocalError(
                f"{eng.shown(rel)}: file name contains a control character",
                hint="rename it, or exclude it in .skillignore",
            )
        parts = rel.split("/")
        todo = [rel]
        parent = rel.rpartition("/")[0]
        if parent and parent not in dirs_done:
            todo += ["/".join(parts[:depth]) for depth in range(1, len(parts))]
            dirs_done.update(todo[1:])
        for prefix in todo:
            key = prefix.lower() if ascii_name else unicodedata.normalize("NFC", prefix).casefold()
            other = seen.setdefault(key, prefix)
            if other != prefix:
                raise NameCollisionError(
                    f"{eng.shown(other)} and {eng.shown(prefix)}: "
                    "names differ only in case or Unicode normalisation",
                    hint="rename one; they collide on macOS, Windows and in the registry",
                )


def select(ws: Workspace, skill: Skill, cache: StatCache | None = None) -> list[SelectedFile]:
    """Every shipped file of ``skill``, sorted by the UTF-8 bytes of ``rel``.

    Raises LocalError (exit 4) for unreadable folders, escaping or dangling symlinks, special
    files and bad names among the files that would ship; nothing is returned partially.
    With a started ``cache`` (see :mod:`skillsync.statcache`), the previous walk's result is reused
    while every folder and ignore file it depended on and the selection config are unchanged.
    """
    base = str(skill.path)
    return [SelectedFile(rel=rel, path=Path(path)) for rel, path in select_paths(ws, skill, cache, base)]


def select_paths(ws: Workspace, skill: Skill, cache: StatCache | None, base: str) -> list[tuple[str, str]]:
    """:func:`select` as ``(rel, absolute path)`` strings (``base`` is ``str(skill.path)``)."""
    if cache is None:
        return _select_walk(_Engine(ws, skill))
    from skillsync.listing_cache import select_cached

    return select_cached(ws, skill, cache, base, lambda trace: _select_walk(_Engine(ws, skill, trace)))


def _select_walk(eng: _Engine) -> list[tuple[str, str]]:
    found = list(_walk(eng))
    _check_names(eng, [rel for rel, _ in found])
    found.sort(key=lambda f: f[0].encode("utf-8"))
    return found


def explain(ws: Workspace, skill: Skill, rel: str) -> Verdict:
    """Whether ``rel`` (relative to the skill folder) ships, and the rule that decided it.

    Follows the walk of :func:`select`: the first excluded folder on the way decides. A path that
    does not exist is judged as a file would be. A folder "ships" when the walk enters it.
    """
    eng = _Engine(ws, skill)
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts:
        return Verdict(rel=".", shipped=True, rule=None)
    git, skl = eng.git_above, eng.skl_above
    abs_dir = str(skill.path)
    for depth, name in enumerate(parts):
        sub = "/".join(parts[: depth + 1])
        ws_dir = (eng.prefix + "/".join(parts[:depth])).rstrip("/")
        try:
            names = set(os.listdir(abs_dir))
        except OSError:
            names = set()
        git, skl = eng.push(abs_dir, ws_dir, names, git, skl)
        path = os.path.join(abs_dir, name)
        last = depth == len(parts) - 1
        is_dir = os.path.isdir(path)
        if is_dir and os.path.isfile(os.path.join(path, VENV_MARKER)):
            return Verdict(
                rel=sub if last else rel,
                shipped=False,
                rule=Rule(BUILTIN, None, f"{VENV_MARKER} (virtual environment)"),
            )
        if not last:
            excluded, rule = eng.decide(sub, name, True, git, skl)
            if excluded:
                return Verdict(rel=rel, shipped=False, rule=rule)
            abs_dir = path
            continue
        if is_dir:
            excluded, rule = eng.decide(sub, name, True, git, skl)
            if not excluded and os.path.islink(path):
                eng.link_target(path, sub)
            return Verdict(rel=sub, shipped=not excluded, rule=rule)
        shipped, rule = eng.decide_file(sub, name, git, skl)
        if shipped and os.path.lexists(path):
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                _, st = eng.link_target(path, sub)
                mode = st.st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise LocalError(f"{eng.shown(sub)}: not a regular file (socket, FIFO or device)")
            _check_names(eng, [sub])
        return Verdict(rel=sub, shipped=shipped, rule=rule)
    raise AssertionError("unreachable")
