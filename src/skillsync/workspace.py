"""Workspaces: the config, the skill folders in it, and their slugs.

A workspace is the folder holding ``skillsync.toml`` (or ``[tool.skillsync]`` in ``pyproject.toml``),
found by walking up from the current folder; with none, the current folder itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from skillsync.config import (
    CONFIG_FILE,
    PYPROJECT_FILE,
    Config,
    Layout,
    default_config,
    load_config_file,
    pyproject_has_section,
)
from skillsync.errors import ConfigError, LocalError, UsageError

SKILL_FILE = "SKILL.md"
LAYOUT_RULE = "seren.layout"  # the finding of a SKILL.md folder outside every layout
STATE_DIR = ".skillsync"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Seren documents no limit for custom-skill slugs; `validate` warns past this (organization slugs stop here).
SLUG_SOFT_MAX = 64

# Folders never searched for skills and never shipped (selection uses the same list).
PRUNED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".skillsync",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


# Folder entries by absolute folder path, as read by discovery.
Listings = dict[str, list[os.DirEntry[str]]]


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` is not a valid custom-skill slug, or None when it is."""
    if len(slug) < 2:
        return "a slug needs at least 2 characters"
    if not SLUG_RE.match(slug):
        return "a slug is lowercase letters, digits and single hyphens, not starting or ending with one"
    return None


@dataclass(frozen=True)
class Problem:
    """Why discovery cannot give a skill a place in the workspace (it is judged, never pushed)."""

    rule: str  # the validation rule that reports it (seren.layout, seren.slug-invalid, ...)
    message: str
    hint: str


@dataclass(frozen=True)
class Skill:
    """A skill folder of the workspace and the slug it ships under."""

    slug: str
    path: Path  # absolute folder
    rel: str  # POSIX path relative to the workspace root ("." for a single-skill workspace)
    # Set on a skill that `validate` judges but no other command handles: outside every layout,
    # nested in another skill, an invalid or duplicate slug.
    problem: Problem | None = field(default=None, compare=False)

    @property
    def skill_md(self) -> Path:
        return self.path / SKILL_FILE


@dataclass
class Workspace:
    """A workspace: its root, its config, and what discovery found (kept for the whole run)."""

    root: Path
    config: Config
    config_path: Path | None
    _skills: list[Skill] | None = field(default=None, repr=False)
    unmatched: list[str] = field(default_factory=list, repr=False)
    # Skills with a Problem (see Skill.problem), discovered with the others, by relative path.
    broken: list[Skill] = field(default_factory=list, repr=False)
    # Broken skills a command left out (select_skills), for its exit code; on_skip is told each.
    skipped: list[Skill] = field(default_factory=list, repr=False)
    on_skip: Callable[[Skill], None] | None = field(default=None, repr=False)
    # Folder entries read by discovery, keyed by absolute path, for this run's first selection
    # walk of each folder (see listing()). Never used where a stat cache records the walk.
    _listings: Listings = field(default_factory=dict, repr=False)
    # Selection's ignore files above the root, up to the git top level (read once per Workspace,
    # like the skill list; see selection._above).
    ignore_above: Any = field(default=None, repr=False)
    _git_top: Any = field(default=False, repr=False)  # False: not looked up yet

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def git_top(self) -> Path | None:
        """The git top level at or above the root, looked up once per Workspace like the ignore
        files above it: selection, the listing cache's key and the validation cache's key agree."""
        if self._git_top is False:
            from skillsync.gittop import git_toplevel

            self._git_top = git_toplevel(self.root)
        top: Path | None = self._git_top
        return top

    def skills(self) -> list[Skill]:
        """Every skill in the workspace, sorted by relative path. Discovered once and kept."""
        if self._skills is None:
            found, self.unmatched = discover(
                self.root, self.config, self._listings, self.config_path is not None
            )
            self._skills = [s for s in found if s.problem is None]
            self.broken = [s for s in found if s.problem is not None and not self._ignored(s)]
            kept = {s.rel for s in self.broken}
            self.unmatched = [rel for rel in self.unmatched if rel in kept]
        return self._skills

    def _ignored(self, skill: Skill) -> bool:
        """A SKILL.md outside every layout that the ignore rules exclude, as seen from the
        workspace folder (a build output, a vendored copy): not part of the workspace at all."""
        if skill.problem is None or skill.problem.rule != LAYOUT_RULE:
            return False
        from skillsync.selection import explain  # selection imports this module

        root = Skill(slug="workspace", path=self.root, rel=".")
        return not explain(self, root, f"{skill.rel}/{SKILL_FILE}").shipped

    def all_skills(self) -> list[Skill]:
        """Every SKILL.md folder, broken ones included (what `validate` judges), by path."""
        return sorted([*self.skills(), *self.broken], key=lambda s: s.rel)

    def skip_broken(self) -> None:
        """Leave out every broken skill of the workspace (not those outside every layout: they
        are not part of it, and only `validate` and `ls` mention them)."""
        self.skills()  # discovery fills self.broken
        for skill in self.broken:
            if skill.problem is not None and skill.problem.rule != LAYOUT_RULE:
                self.skip(skill)

    def skip(self, skill: Skill) -> None:
        """Record that a command leaves out a broken skill (it decides the exit code)."""
        if skill not in self.skipped:
            self.skipped.append(skill)
            if self.on_skip is not None:
                self.on_skip(skill)

    def listing(self, folder: str) -> list[os.DirEntry[str]] | None:
        """The entries discovery read for ``folder`` (an absolute path string), or None.

        Each listing is handed out once: the same run's first walk of a folder skips one
        ``scandir``; any later walk lists afresh. Like the skill list, it is a snapshot of the
        moment of discovery, so a long-lived process opens a new Workspace to see changes.
        """
        return self._listings.pop(folder, None)

    def forget_listings(self) -> None:
        """Drop discovery's listings (a walk recorded in the stat cache never uses them)."""
        self._listings.clear()

    def relpath(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()

    def resolve(self, arg: str) -> Skill:
        """A skill named by slug, or by the path of its folder or of a file inside it."""
        skills = self.skills()
        for skill in skills:
            if skill.slug == arg:
                return skill
        found = self.owner_of(Path(arg))
        if found is not None:
            return found
        for skill in self.broken:
            if skill.slug == arg or self._holds(skill, Path(arg)):
                assert skill.problem is not None
                raise LocalError(f"{skill.rel}: {skill.problem.message}", hint=skill.problem.hint)
        known = ", ".join(s.slug for s in skills[:10]) or "none found"
        raise UsageError(
            f"no skill '{arg}' in workspace {self.root}",
            hint=f"give a slug or a path inside a skill folder; skills: {known}",
        )

    @staticmethod
    def _holds(skill: Skill, path: Path) -> bool:
        return _holds(skill, Path(os.path.abspath(path)))  # noqa: PTH100 - no symlink resolution

    def owner_of(self, path: Path, *, broken: bool = False) -> Skill | None:
        """The skill whose folder holds ``path`` (a folder or a file), or None; with ``broken``,
        skills with a Problem count too."""
        return owner_among(self.all_skills() if broken else self.skills(), path)

    def locate(self, path: Path) -> tuple[Skill, Path] | None:
        """The skill holding ``path``, and ``path`` spelled under :attr:`root`; or None.

        Like :meth:`owner_of`, plus the workspace reached another way (through a symbolic link, or
        $PWD after ``cd`` through one): only the part up to the root is resolved, so a link below
        the root is still judged as the link it is.
        """
        target = Path(os.path.abspath(path))  # noqa: PTH100 - no symlink resolution
        skill = self.owner_of(target)
        if skill is None:
            real_root = os.path.realpath(self.root)
            for above in target.parents:
                if os.path.realpath(above) == real_root:
                    target = self.root / target.relative_to(above)
                    skill = self.owner_of(target)
                    break
        return None if skill is None else (skill, target)

    def select_skills(self, args: tuple[str, ...] | list[str]) -> list[Skill]:
        """The skills named on a command line, or all of them when none are named (deduplicated)."""
        if not args:
            skills = self.skills()
            self.skip_broken()
            return skills
        out: list[Skill] = []
        for arg in args:
            try:
                skill = self.resolve(arg)
            except LocalError:
                bad = next(s for s in self.broken if s.slug == arg or self._holds(s, Path(arg)))
                self.skip(bad)
                continue
            if skill not in out:
                out.append(skill)
        return out


def find_root(start: Path) -> tuple[Path, Path | None]:
    """Walk up from ``start`` to the folder holding the config; with none, ``start`` itself."""
    start = Path(os.path.abspath(start))  # noqa: PTH100 - keep the user's path, links and all
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return folder, candidate
        pyproject = folder / PYPROJECT_FILE
        if pyproject.is_file() and pyproject_has_section(pyproject):
            return folder, pyproject
    return start, None


def open_workspace(start: Path | None = None) -> Workspace:
    start = start if start is not None else Path.cwd()
    if not start.is_dir():
        raise UsageError(f"{start}: not a folder")
    root, config_path = find_root(start)
    config = load_config_file(config_path) if config_path else default_config()
    return Workspace(root=root, config=config, config_path=config_path)


def match_layout(rel: str, layouts: tuple[Layout, ...]) -> Layout | None:
    parts = [] if rel == "." else rel.split("/")
    for layout in layouts:
        pattern = [] if layout.glob in (".", "") else layout.glob.strip("/").split("/")
        if len(pattern) == len(parts) and all(fnmatchcase(p, g) for p, g in zip(parts, pattern, strict=True)):
            return layout
    return None


def render_slug(layout: Layout, root: Path, rel: str) -> str:
    parts = [root.name] if rel == "." else rel.split("/")
    values = {
        "skill": parts[-1],
        "org": parts[-2] if len(parts) >= 2 else "",
        "path": "-".join(parts),
    }
    try:
        return layout.slug.format(**values)
    except (KeyError, IndexError, ValueError):
        raise ConfigError(
            f"workspace.layouts: slug template '{layout.slug}' is invalid",
            hint="use only {skill}, {org} and {path}",
        ) from None


def list_folder(path: str) -> list[os.DirEntry[str]]:
    """List one folder: the one place discovery and selection read folders (tests inject errors here)."""
    with os.scandir(path) as it:
        return list(it)


def _find_skill_dirs(
    root: Path, listings: Listings | None = None, skip: frozenset[str] = frozenset()
) -> list[str]:
    """Relative folders holding a SKILL.md, sorted; ``listings`` collects every folder read.

    Like ``os.walk(root, followlinks=False)`` with PRUNED_DIRS and the absolute folders in ``skip``
    left out and unreadable folders passed over (selection reports them), but it keeps each
    folder's entries so the same run's selection need not list the folder again.
    """
    found: list[str] = []
    base = str(root)
    todo = [base]
    while todo:
        folder = todo.pop()
        try:
            entries = list_folder(folder)
        except OSError:
            continue
        if listings is not None:
            listings[folder] = entries
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in PRUNED_DIRS and entry.path not in skip:
                        todo.append(entry.path)
                elif entry.name == SKILL_FILE and not entry.is_dir():
                    found.append("." if folder == base else Path(os.path.relpath(folder, base)).as_posix())
            except OSError:
                continue
    return sorted(found)


def discover(
    root: Path, config: Config, listings: Listings | None = None, has_config: bool = False
) -> tuple[list[Skill], list[str]]:
    """Find skill folders and give each a slug; one bad folder never stops discovery.

    Returns every folder holding a SKILL.md as a Skill, sorted by path, and the folders that match
    no layout. A folder outside every layout, nested in another skill, or with an invalid or
    duplicate slug gets a :class:`Problem` (a finding for `validate`; other commands skip it).
    ``listings`` (when given) receives the entries of every folder read.
    """
    # The user-templates folder holds SKILL.md files with placeholders: templates, not skills.
    tpl = config.templates.path
    skip = frozenset({os.path.normpath(root / tpl)} if tpl else ())
    rels = _find_skill_dirs(root, listings, skip)
    layouts: dict[str, Layout | None] = {}
    unmatched: list[str] = []
    for rel in rels:
        layout = match_layout(rel, config.workspace.layouts)
        if layout is None and rel not in config.workspace.slugs:
            unmatched.append(rel)
            layouts[rel] = None
        else:
            layouts[rel] = layout or Layout(glob=rel)
    # A SKILL.md inside a skill folder is nested: it would ship as a file of the outer skill.
    # Each folder's ancestors are looked up (not every pair compared); the nearest one counts.
    problems: dict[str, Problem] = {}
    for inner in rels:
        if inner == ".":
            continue
        parts = inner.split("/")
        for outer in reversed((".", *("/".join(parts[:k]) for k in range(1, len(parts))))):
            if layouts.get(outer) is not None:
                problems[inner] = Problem(
                    "seren.nested-skill",
                    f"nested skill: {inner}/{SKILL_FILE} is inside skill {outer}/ "
                    "and ships as one of its files",
                    "move the inner skill out, or rename its SKILL.md if it is an example",
                )
                break
    slugs: dict[str, str] = {}
    for rel in rels:
        layout = layouts[rel]
        if layout is None:
            slugs[rel] = root.name if rel == "." else rel.rsplit("/", 1)[-1]
            problems.setdefault(
                rel,
                Problem(
                    LAYOUT_RULE,
                    f"folder {rel}/ matches no workspace layout: only validate handles it",
                    unmatched_hint(root, rel, has_config),
                ),
            )
            continue
        slug = config.workspace.slugs.get(rel) or render_slug(layout, root, rel)
        slugs[rel] = slug
        problem = slug_problem(slug)
        if problem:
            problems.setdefault(
                rel,
                Problem(
                    "seren.slug-invalid",
                    f"invalid slug '{slug}': {problem}",
                    f'rename the folder or set workspace.slugs."{rel}" in {CONFIG_FILE}',
                ),
            )
    by_slug: dict[str, list[str]] = {}
    for rel in rels:
        if rel not in problems:
            by_slug.setdefault(slugs[rel], []).append(rel)
    for slug, owners in by_slug.items():
        if len(owners) > 1:
            for rel in owners:
                others = ", ".join(o for o in owners if o != rel)
                problems[rel] = Problem(
                    "seren.slug-duplicate",
                    f"duplicate slug '{slug}': skill folder {others} has it too",
                    f'set workspace.slugs."{rel}" in {CONFIG_FILE} (a different slug for one of them)',
                )
    skills = [
        Skill(slug=slugs[rel], path=(root / rel) if rel != "." else root, rel=rel, problem=problems.get(rel))
        for rel in rels
    ]
    return skills, unmatched


def unmatched_hint(root: Path, rel: str, has_config: bool) -> str:
    """How to make the folder ``rel`` (holding a SKILL.md no layout matches) a skill."""
    parts = rel.split("/")
    for depth in range(len(parts) - 1, 0, -1):  # a workspace of its own between root and the skill
        inner = "/".join(parts[:depth])
        if (root / inner / CONFIG_FILE).is_file():
            return f"it belongs to the workspace in {inner}/: run skillsync -C {inner} (or from there)"
    parent = rel.rpartition("/")[0]
    glob = f"{parent}/*" if parent else "*"
    where = "skillsync.toml" if has_config else "a skillsync.toml (skillsync init)"
    return (
        f'add a layout to {where}: [[workspace.layouts]] glob = "{glob}", '
        f'or a slug: [workspace.slugs] "{rel}" = "NAME" (docs/config.md)'
    )


def _holds(skill: Skill, target: Path) -> bool:
    return target == skill.path or skill.path in target.parents


def owner_among(skills: Iterable[Skill], path: Path | str) -> Skill | None:
    """The skill of ``skills`` whose folder holds ``path`` (the deepest, should folders nest), or None."""
    target = Path(os.path.abspath(path))  # noqa: PTH100 - no symlink resolution
    best: Skill | None = None
    for skill in skills:
        if _holds(skill, target) and (best is None or len(skill.path.parts) > len(best.path.parts)):
            best = skill
    return best
