"""files.*: the shipped files themselves (encoding, emptiness, links from SKILL.md, modes, budget)."""

from __future__ import annotations

import posixpath
import re
import stat
from collections.abc import Iterator
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
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_INLINE_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)\n]*)?\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
_CODE_REF = re.compile(r"`((?:scripts|references|assets)/[^`\s]+)`")
_BARE_REF = re.compile(r"(?<![\w/.`-])((?:scripts|references|assets)/[\w.\-/]*\w)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


# Each link pattern with a substring every match contains: a line without it skips the regex
# (most lines of a body hold no link; the regexes, the bare-path one above all, are slow).
_LINK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("](", _INLINE_LINK),
    ("]:", _REF_DEF),
    ("`", _CODE_REF),
    ("s/", _BARE_REF),
)


def _links(body: str, first_line: int) -> Iterator[tuple[int, str]]:
    """(SKILL.md line, target) for every relative link or file reference outside code fences."""
    kinds = [(needle, rx) for needle, rx in _LINK_PATTERNS if needle in body]
    if not kinds:
        return
    fences = "```" in body or "~~~" in body
    fenced = False
    for n, line in enumerate(body.split("\n"), first_line):
        if fences and _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        seen: set[str] = set()
        spans: list[tuple[int, int]] = []
        for needle, rx in kinds:
            if needle not in line:
                continue
            for m in rx.finditer(line):
                if any(a <= m.start() < b for a, b in spans):
                    continue  # a path inside a link already taken
                spans.append(m.span())
                target = m.group(1)
                if target not in seen:
                    seen.add(target)
                    yield n, target


def _target(raw: str) -> str | None:
    """The skill-relative path a link points to, or None for URLs, anchors and absolute paths."""
    if raw.startswith(("#", "/", "~")) or _SCHEME.match(raw):
        return None
    path = unquote(raw.split("#", 1)[0].split("?", 1)[0])
    if not path:
        return None
    return posixpath.normpath(path)


def check(ctx: SkillContext) -> Iterator[Finding]:
    if ctx.collision:
        yield Finding(
            "files.name-collision",
            ".",
            None,
            ctx.collision,
            "rename one; they collide on macOS, Windows and in the registry",
        )
    for f in ctx.files:
        if f.size == 0:
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
    for line, raw in _links(body, md.body_line):
        rel = _target(raw)
        if rel is None or rel == "." or rel in shipped or rel in dirs:
            continue
        shown = printable(raw)
        if rel == ".." or rel.startswith("../"):
            yield Finding(
                "files.broken-link",
                SKILL_FILE,
                line,
                f"link '{shown}' points outside the skill folder",
                "copy the file into the skill and link it by a relative path",
            )
            continue
        target = ctx.skill.path / rel
        if target.exists():
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
