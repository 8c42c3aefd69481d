"""files.*: the shipped files themselves (encoding, emptiness, links from SKILL.md, modes, budget)."""

from __future__ import annotations

import posixpath
import re
import stat
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from urllib.parse import unquote

from skillsync.rules import Finding
from skillsync.rules.context import SkillContext
from skillsync.selection import explain
from skillsync.text import printable
from skillsync.workspace import SKILL_FILE

TEXT_EXTENSIONS = frozenset(
    (
        ".md",
        ".markdown",
        ".txt",
        ".rst",
        ".py",
        ".sh",
        ".bash",
        ".zsh",
        ".fish",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".json",
        ".jsonl",
        ".yaml",
        ".yml",
        ".toml",
        ".ini",
        ".cfg",
        ".csv",
        ".tsv",
        ".html",
        ".htm",
        ".css",
        ".xml",
        ".svg",
        ".sql",
        ".rb",
        ".pl",
        ".ps1",
        ".r",
        ".go",
        ".rs",
        ".java",
        ".kt",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".php",
        ".lua",
        ".swift",
        ".tex",
        ".env",
        ".example",
        ".template",
        ".j2",
        ".jinja",
    )
)
# Files that are empty by convention: a package marker, a placeholder that keeps a folder in git.
EMPTY_BY_DESIGN = frozenset(("__init__.py", ".gitkeep", ".keep", "py.typed"))
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# Each pattern reads a bounded stretch from each start it tries (link text stops at the next
# '[', a target at the next '(' or '['), so a line of any content is scanned in linear time.
# The inline link starts at its '[' (an image's '!' before it changes no target, and the literal
# first character lets the engine skip to each '[' instead of trying every position).
_INLINE_LINK = re.compile(r"\[[^\[\]\n]*\]\(\s*([^()\[\]\s]+)(?=[\s)])")
_REF_DEF = re.compile(r"^\s{0,3}\[(?!\^)[^\]\n]+\]:\s*<?(\S+?)>?(?:\s.*)?$")  # [^1]: is a footnote
_CODE_REF = re.compile(r"`((?:scripts|references|assets)/[^`\s]+)`")
_REF_FOLDERS = ("scripts", "references", "assets")


class _BareRef:
    """``(?<![\\w/.`-])((?:scripts|references|assets)/[\\w.\\-/]*\\w)`` as three patterns that each
    start with their folder name (found by the engine's prefix search; the alternation behind a
    lookbehind is tried at every position). Their matches never overlap: a match starting inside
    another has a path character before it."""

    parts = tuple((d, re.compile(rf"({d}/(?<![\w/.`-]{d}/)[\w.\-/]*\w)")) for d in _REF_FOLDERS)

    def finditer(self, line: str) -> list[re.Match[str]]:
        found = [m for d, rx in self.parts if d in line for m in rx.finditer(line)]
        if len(found) > 1:
            found.sort(key=lambda m: m.start())
        return found


_BARE_REF = _BareRef()
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_GLOB_CHARS = frozenset("*?[")
_BRACES = re.compile(r"\{([^{}]*)\}")
# File names that documentation uses as stand-ins (`scripts/script_name.py`, `your_config.json`).
_PLACEHOLDER_STEMS = frozenset(
    ("script_name", "file_name", "filename", "skill_name", "module_name", "name", "foo", "bar",
     "baz", "xxx", "example_name", "placeholder", "tbd", "todo", "...")
)  # fmt: skip
_PLACEHOLDER_PREFIXES = ("your_", "your-", "some_", "some-")


# Each link pattern with a substring every match contains, and whether it is an explicit link
# (markdown syntax) or a path mentioned in text, which counts only when it names a file.
_LINK_PATTERNS: tuple[tuple[str, re.Pattern[str] | _BareRef, bool], ...] = (
    ("](", _INLINE_LINK, True),
    ("]:", _REF_DEF, True),
    ("`", _CODE_REF, False),
    ("s/", _BARE_REF, False),
)


def _links(body: str, first_line: int) -> Iterator[tuple[int, str, bool]]:
    """(SKILL.md line, target, explicit) for every relative link or file reference outside code
    fences; ``explicit`` is False for a path in backticks or prose."""
    kinds = [(needle, rx, explicit) for needle, rx, explicit in _LINK_PATTERNS if needle in body]
    if not kinds:
        return
    fences = "```" in body or "~~~" in body
    fenced = False
    for n, line in enumerate(body.split("\n"), first_line):
        if fences and ("`" in line or "~" in line) and _FENCE.match(line):  # a C-speed test first
            fenced = not fenced
            continue
        if fenced:
            continue
        seen: set[str] = set()
        starts: list[int] = []  # spans taken by earlier kinds, sorted by start (they never overlap)
        ends: list[int] = []
        for needle, rx, explicit in kinds:
            if needle not in line:
                continue
            taken: list[tuple[int, int]] = []
            for m in rx.finditer(line):
                i = bisect_right(starts, m.start()) - 1
                if i >= 0 and m.start() < ends[i]:
                    continue  # a path inside a link already taken
                taken.append(m.span())
                target = m.group(1)
                if explicit and target.startswith("<") and target.endswith(">"):
                    target = target[1:-1]  # [a](<path>)
                if target not in seen:
                    seen.add(target)
                    yield n, target, explicit
            if taken:
                merged = sorted([*zip(starts, ends, strict=True), *taken])
                starts, ends = [a for a, _ in merged], [b for _, b in merged]


def _target(raw: str) -> str | None:
    """The skill-relative path a link points to, or None for URLs, anchors and absolute paths."""
    if raw.startswith(("#", "/", "~")) or _SCHEME.match(raw):
        return None
    path = unquote(raw.split("#", 1)[0].split("?", 1)[0])
    if not path or path.startswith(("/", "~")):  # %2F... is as absolute as /...
        return None
    return posixpath.normpath(path)


def _placeholder(rel: str) -> bool:
    """A documentation stand-in, not a path: ``<operation>``, ``{PackageId}``, ``script_name.py``."""
    if "<" in rel or ">" in rel:
        return True
    if "{" in rel or "}" in rel:
        groups = _BRACES.findall(rel)
        if not groups or any("," not in g for g in groups) or rel.count("{") != len(groups):
            return True  # {Name} fills in a value; only {a,b} lists are checked
    for seg in rel.split("/"):
        stem = seg.split(".", 1)[0].lower() if not seg.startswith(".") else seg
        if stem in _PLACEHOLDER_STEMS or stem.startswith(_PLACEHOLDER_PREFIXES):
            return True
    return False


def _expand(pattern: str) -> list[str]:
    """``a.{sh,ps1}`` -> ``a.sh``, ``a.ps1`` (every brace list, left to right)."""
    m = _BRACES.search(pattern)
    if m is None:
        return [pattern]
    head, tail = pattern[: m.start()], pattern[m.end() :]
    return [x for alt in m.group(1).split(",") for x in _expand(head + alt + tail)]


def _pattern_matches(rel: str, shipped: Iterable[str], dirs: set[str]) -> bool:
    """A glob or brace list matches at least one shipped file (or folder, for a trailing '/')."""
    for pat in _expand(rel):
        pat = posixpath.normpath(pat)
        if pat in dirs or any(fnmatchcase(p, pat) for p in shipped) or any(fnmatchcase(d, pat) for d in dirs):
            return True
    return False


def check(ctx: SkillContext) -> Iterator[Finding]:
    if ctx.collision:
        yield Finding(
            "files.name-collision",
            ".",
            None,
            ctx.collision,
            "rename one; they collide on macOS, Windows and in the registry",
        )
    for rel, why in ctx.unreadable:
        yield Finding(
            "files.unreadable",
            printable(rel),
            None,
            f"cannot read: {why}",
            "fix its permissions, or exclude it in .skillignore",
        )
    for f in ctx.files:
        if f.size == 0 and posixpath.basename(f.rel) not in EMPTY_BY_DESIGN:
            yield Finding("files.empty", f.rel, None, "file is empty", "add content or remove the file")
            continue
        if f.rel == SKILL_FILE:
            if f.binary or f.utf8 is None:
                yield Finding(
                    "files.skill-md-encoding",
                    f.rel,
                    None,
                    "SKILL.md is " + ("binary" if f.binary else "not valid UTF-8 text"),
                    "save it as UTF-8 text",
                )
        elif not f.binary and not f.is_utf8 and posixpath.splitext(f.rel)[1].lower() in TEXT_EXTENSIONS:
            yield Finding(
                "files.not-utf8",
                f.rel,
                None,
                "text file is not valid UTF-8",
                "re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
            )
        if f.size == 0:
            continue
        shebang = f.data.startswith(b"#!")
        executable = bool(f.mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
        if shebang and not executable:
            yield Finding(
                "files.exec-bit",
                f.rel,
                1,
                "script has a shebang but is not executable",
                f"chmod +x {f.rel} (Seren keeps no file modes; this is for local runs)",
            )
        elif executable and not shebang and not f.binary:
            yield Finding(
                "files.exec-bit",
                f.rel,
                None,
                "file is executable but has no shebang line",
                f"add a '#!' line, or chmod -x {f.rel}",
            )
    yield from _body(ctx)


def _body(ctx: SkillContext) -> Iterator[Finding]:
    md = ctx.skill_md
    if md is None:
        return
    cfg = ctx.ws.config.validate_
    body = md.body
    lines = body.count("\n") + (0 if body.endswith("\n") or not body else 1)
    tokens = len(body) // 4  # about four characters per token for English prose
    if lines > cfg.body_max_lines or tokens > cfg.body_max_tokens:
        yield Finding(
            "files.body-too-long",
            SKILL_FILE,
            md.body_line,
            f"the body has {lines} lines and about {tokens} tokens "
            f"(budget {cfg.body_max_lines} lines, {cfg.body_max_tokens} tokens)",
            "move detail into references/ files and link them from SKILL.md",
        )
    shipped = ctx.by_rel
    dirs = {posixpath.dirname(r) for r in shipped}
    for d in list(dirs):
        while d:
            d = posixpath.dirname(d)
            dirs.add(d)
    for line, raw, explicit in _links(body, md.body_line):
        rel = _target(raw)
        if rel is None or rel == "." or rel in shipped or rel in dirs or _placeholder(rel):
            continue
        if not explicit and "." not in posixpath.basename(rel) and not raw.endswith("/"):
            continue  # `assets/vault` in a sentence names a thing, not a file
        shown = printable(raw)
        if "{" in rel or _GLOB_CHARS.intersection(rel):
            if not _pattern_matches(rel, shipped, dirs):
                yield Finding(
                    "files.broken-link",
                    SKILL_FILE,
                    line,
                    f"pattern '{shown}' matches no shipped file",
                    "fix the pattern, or add a file it matches",
                )
            continue
        if rel == ".." or rel.startswith("../"):
            yield Finding(
                "files.broken-link",
                SKILL_FILE,
                line,
                f"link '{shown}' points outside the skill folder",
                "copy the file into the skill and link it by a relative path",
            )
            continue
        if ctx.exists(rel):
            decision = explain(ctx.ws, ctx.skill, rel)
            rule = decision.rule
            why = f" ({rule.source}{f':{rule.line}' if rule.line else ''}: {rule.pattern})" if rule else ""
            yield Finding(
                "files.broken-link",
                SKILL_FILE,
                line,
                f"link '{shown}' points to a file that does not ship{why}",
                "stop ignoring it, or remove the link; `skillsync why` explains",
            )
        else:
            yield Finding(
                "files.broken-link",
                SKILL_FILE,
                line,
                f"link '{shown}' points to a missing file",
                "fix the path, or add the file",
            )
