"""Gitignore patterns compiled the way git itself reads them (dir.c, wildmatch.c).

Why not pathspec's ``GitIgnoreSpec``: in pathspec 1.1.1 a pattern also matches every path *below*
what it names, a file-level ``!`` re-includes files under an excluded folder (pathspec issue #129),
``X/**`` marks the folder ``X`` itself (issue #137), and there is no notion of stacked ignore files.
Git instead matches each path on its own, stops descending into an excluded folder, and lets the
deepest ignore file with any matching line decide. This module does exactly one thing: for one
ignore file, the last line that matches one path. The walk in ``selection`` does the rest.
"""

# The walk runs on str paths with os.* calls: pathlib objects per file cost measurably here.

from __future__ import annotations

import errno
import itertools
import os
import re
import stat
from dataclasses import dataclass, field

_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}


@dataclass(frozen=True)
class Pattern:
    """One pattern line. ``text`` is the line as written (trailing spaces trimmed)."""

    text: str
    line: int | None
    negated: bool
    dir_only: bool
    basename: bool  # no slash inside: matches the name at any depth
    regex: str | None  # None: a pattern git can never match (unterminated class, trailing '\')


def trim_trailing_spaces(line: str) -> str:
    """Drop trailing unescaped spaces, exactly like git's trim_trailing_spaces()."""
    last_space: int | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == " ":
            if last_space is None:
                last_space = i
        elif ch == "\\":
            i += 1
            if i >= len(line):
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


def _bracket(pat: str, i: int) -> tuple[str, int] | None:
    """Translate the class starting at ``pat[i] == '['``; None when unterminated or invalid."""
    n = len(pat)
    j = i + 1
    negated = j < n and pat[j] in "!^"
    if negated:
        j += 1
    parts: list[str] = []
    first = True
    while j < n:
        ch = pat[j]
        if ch == "]" and not first:
            body = "".join(parts)
            if negated:
                return f"[^/{body}]", j + 1
            return (f"(?!/)[{body}]" if body else "(?!)"), j + 1
        first = False
        if ch == "[" and j + 1 < n and pat[j + 1] == ":":
            end = pat.find(":]", j + 2)
            if end == -1:
                parts.append(re.escape("["))
                j += 1
                continue
            name = pat[j + 2 : end]
            if name not in _CLASSES:
                return None
            parts.append(_CLASSES[name])
            j = end + 2
            continue
        if ch == "\\":
            j += 1
            if j >= n:
                return None
            ch = pat[j]
        lo = ch
        if j + 2 < n and pat[j + 1] == "-" and pat[j + 2] != "]":
            hi_i = j + 2
            hi = pat[hi_i]
            if hi == "\\":
                hi_i += 1
                if hi_i >= n:
                    return None
                hi = pat[hi_i]
            if lo <= hi:
                parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
            j = hi_i + 1
            continue
        parts.append(re.escape(lo))
        j += 1
    return None


def translate(pat: str) -> str | None:
    """A regex (for ``fullmatch``) equivalent to git's wildmatch with WM_PATHNAME."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        ch = pat[i]
        if ch == "*":
            j = i
            while j < n and pat[j] == "*":
                j += 1
            double = j - i >= 2 and (i == 0 or pat[i - 1] == "/")
            if double and j == n:
                out.append(".*")
                i = j
            elif double and pat[j] == "/":
                out.append("(?:.*/)?")
                i = j + 1
                # `**/**/` matches what one `**/` does; repeated, it backtracks exponentially.
                while True:
                    k = i
                    while k < n and pat[k] == "*":
                        k += 1
                    if k - i < 2 or k >= n or pat[k] != "/":
                        break
                    i = k + 1
            else:
                out.append("[^/]*")
                i = j
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            got = _bracket(pat, i)
            if got is None:
                return None
            out.append(got[0])
            i = got[1]
        elif ch == "\\":
            if i + 1 >= n:
                return None
            out.append(re.escape(pat[i + 1]))
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(_atomic_dirs(_atomic_stars(out)))


_STAR = "[^/]*"
_MULTI = (_STAR, ".*", "(?:.*/)?", "/")


def _atomic_stars(out: list[str]) -> list[str]:
    """Match the slash-free chunk between two single stars at its first place, atomically.

    ``*a*a*a*b`` as plain ``[^/]*a[^/]*a...`` backtracks exponentially on a long name. Between two
    stars, a chunk of one-character tokens without ``/`` may take its earliest occurrence with no
    loss (the next star absorbs the rest), as CPython's fnmatch does; the set matched is the same.
    """
    stars = [idx for idx, tok in enumerate(out) if tok == _STAR]
    res = list(out)
    for s1, s2 in itertools.pairwise(stars):
        chunk = out[s1 + 1 : s2]
        if not chunk or any(tok in _MULTI for tok in chunk):
            continue
        res[s1] = f"(?>[^/]*?{''.join(chunk)})"
        for idx in range(s1 + 1, s2):
            res[idx] = ""
    return res


_DIRS = "(?:.*/)?"


def _atomic_dirs(out: list[str]) -> list[str]:
    """The same for ``**/a/**/a/**/b``: between two ``**/``, a chunk of one-character tokens
    (``/`` included; it always ends in ``/``) takes its first place at a folder boundary."""
    dirs = [idx for idx, tok in enumerate(out) if tok == _DIRS]
    res = list(out)
    for d1, d2 in itertools.pairwise(dirs):
        chunk = [tok for tok in out[d1 + 1 : d2] if tok]
        if not chunk or any(tok in _MULTI or tok.startswith("(?>") for tok in chunk if tok != "/"):
            continue
        res[d1] = f"(?>(?:.*?/)??{''.join(chunk)})"
        for idx in range(d1 + 1, d2):
            res[idx] = ""
    return res


def parse_line(raw: str, line: int | None) -> Pattern | None:
    """One line of an ignore file as git's add_patterns_from_buffer() reads it, or None."""
    if raw.endswith("\r"):
        raw = raw[:-1]
    if not raw or raw.startswith("#"):
        return None
    text = trim_trailing_spaces(raw)
    if not text:
        return None
    body = text
    negated = body.startswith("!")
    if negated:
        body = body[1:]
    dir_only = body.endswith("/")
    if dir_only:
        body = body[:-1]
    if not body:
        return None
    basename = "/" not in body
    if body.startswith("/"):
        body = body[1:]
    return Pattern(text, line, negated, dir_only, basename, translate(body))


@dataclass
class IgnoreFile:
    """The patterns of one ignore file (or config list), matched relative to ``base``.

    ``base`` is the workspace-relative folder the patterns are relative to ("" for the root).
    ``lead`` is for an ignore file *above* the workspace root (in the git repository holding it):
    the path from its folder down to the workspace root ("sub/ws/"), put in front of every path.
    The combined regexes list patterns last-first, so the first alternative that matches is the
    last matching line, which is the one that decides.
    """

    source: str
    base: str
    patterns: tuple[Pattern, ...]
    _compiled: dict[tuple[bool, bool], re.Pattern[str] | None] = field(default_factory=dict, repr=False)
    lead: str = ""

    @property
    def prefix_len(self) -> int:
        return len(self.base) + 1 if self.base else 0

    def _regex(self, basename: bool, is_dir: bool) -> re.Pattern[str] | None:
        key = (basename, is_dir)
        if key not in self._compiled:  # four combinations at most, compiled on first use
            alts = [
                f"(?P<p{idx}>{p.regex})"
                for idx, p in reversed(list(enumerate(self.patterns)))
                if p.regex is not None and p.basename == basename and (is_dir or not p.dir_only)
            ]
            self._compiled[key] = re.compile("|".join(alts), re.DOTALL) if alts else None
        return self._compiled[key]

    def match(self, sub: str, name: str, is_dir: bool) -> Pattern | None:
        """The last pattern matching ``sub`` (path relative to ``base``) with basename ``name``."""
        if self.lead:
            sub = self.lead + sub
        best = -1
        rx = self._regex(True, is_dir)
        if rx is not None:
            m = rx.fullmatch(name)
            if m is not None and m.lastgroup:
                best = int(m.lastgroup[1:])
        rx = self._regex(False, is_dir)
        if rx is not None:
            m = rx.fullmatch(sub)
            if m is not None and m.lastgroup:
                best = max(best, int(m.lastgroup[1:]))
        return self.patterns[best] if best >= 0 else None


def parse_text(text: str, source: str, base: str, lead: str = "") -> IgnoreFile:
    """Compile the text of an ignore file (gitignore syntax, UTF-8 BOM allowed)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    pats = [p for n, raw in enumerate(text.split("\n"), 1) if (p := parse_line(raw, n)) is not None]
    return IgnoreFile(source, base, tuple(pats), lead=lead)


def from_list(items: tuple[str, ...] | list[str], source: str, base: str, *, numbered: bool) -> IgnoreFile:
    """Compile a list of patterns (config keys, built-ins); ``numbered`` keeps 1-based positions."""
    pats = [
        p for n, raw in enumerate(items, 1) if (p := parse_line(raw, n if numbered else None)) is not None
    ]
    return IgnoreFile(source, base, tuple(pats))


_CACHE: dict[tuple[str, str, str, str], tuple[bytes, IgnoreFile]] = {}


def load(path: str, source: str, base: str, lead: str = "") -> IgnoreFile:
    """Read and compile one ignore file; the compiled form is reused while its bytes are the same.

    Keyed by content, not by a stat stamp: two edits within one timestamp tick keep size and mtime,
    and a long-running process (``watch``) must still see the second one. Reading a small file costs
    far less than compiling it. Raises OSError (the caller names the file); bytes that are not UTF-8
    are kept as surrogates so they match file names read the same way.
    """
    # O_NONBLOCK: a FIFO named .skillignore must not hang the walk; it is refused below.
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (FIFO, socket or device)", path)
        data = fh.read()
    key = (path, source, base, lead)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == data:
        return hit[1]
    compiled = parse_text(data.decode("utf-8", "surrogateescape"), source, base, lead)
    _CACHE[key] = (data, compiled)
    return compiled
