"""``skillsync fix``: quote the unquoted frontmatter values that strict YAML parsers reject.

Only the scalar reported by ``spec.needs-quotes`` changes: it becomes a single-quoted scalar
(``'`` doubled inside), over the same lines, with the same line endings; every other byte of
SKILL.md stays as it was. A rewrite is kept only when the value then parses to the same text.
"""

from __future__ import annotations

import difflib
import stat
from dataclasses import dataclass, field
from pathlib import Path

from skillsync import skillmd
from skillsync.atomic import atomic_write_bytes
from skillsync.errors import LocalError
from skillsync.text import printable
from skillsync.workspace import Skill

MAX_FIXES = 100


@dataclass(frozen=True)
class Fixed:
    key: str
    line: int


@dataclass
class FixResult:
    skill: Skill
    path: Path
    old: str
    new: str
    fixed: list[Fixed] = field(default_factory=list)
    skipped: list[tuple[Fixed, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self, label: str) -> str:
        return "".join(
            difflib.unified_diff(
                skillmd.split_lines(self.old), skillmd.split_lines(self.new), f"a/{label}", f"b/{label}"
            )
        )


def _quote_span(lines: list[str], problem: skillmd.Problem) -> tuple[list[str], str] | str:
    """The lines with one value quoted and the text it must parse to, or why it cannot be done."""
    assert problem.line is not None
    contents = [ln.rstrip("\n").rstrip("\r") for ln in lines]
    fm = contents[1:]
    span = skillmd.value_span(fm, problem.line - 2)
    if span is None:
        return "value not found"
    _key, first, last, folded = span
    a, b = first + 1, last + 1  # indices in `lines`
    for c in contents[a : b + 1]:
        if " #" in c or "\t" in c:
            return "the value holds ' #' or a tab; quote it by hand"
    m = skillmd.KEY_LINE.match(contents[a])
    if m is None or m.group("value") is None:
        return "value not found"
    out = list(lines)
    for i in range(a, b + 1):
        c = contents[i]
        ending = lines[i][len(c) :]
        if i == a:
            head, value, tail = c[: m.start("value")], m.group("value"), c[m.end("value") :]
        else:
            stripped = c.lstrip(" ").rstrip()
            start = len(c) - len(c.lstrip(" "))
            head, value, tail = c[:start], stripped, c[start + len(stripped) :]
        value = value.replace("'", "''")
        if i == a:
            value = "'" + value
        if i == b:
            value = value + "'"
        out[i] = head + value + tail + ending
    return out, folded


def fix_text(text: str) -> tuple[str, list[Fixed], list[tuple[Fixed, str]]]:
    """Quote each value ``spec.needs-quotes`` reports, one at a time, re-parsing after each."""
    bom = skillmd.BOM if text.startswith(skillmd.BOM) else ""
    body = text[len(bom) :]
    fixed: list[Fixed] = []
    skipped: list[tuple[Fixed, str]] = []
    for _ in range(MAX_FIXES):
        md = skillmd.parse(body)
        problem = next((p for p in md.problems if p.kind == skillmd.NEEDS_QUOTES), None)
        if problem is None or problem.line is None:
            break
        where = Fixed(problem.key or "?", problem.line)
        lines = skillmd.split_lines(body)
        result = _quote_span(lines, problem)
        if isinstance(result, str):
            skipped.append((where, result))
            break
        new_lines, intended = result
        candidate = "".join(new_lines)
        after = skillmd.parse(candidate)
        same_spot = any(p.kind == skillmd.NEEDS_QUOTES and p.line == problem.line for p in after.problems)
        got = after.fields.get(where.key)
        if same_spot or (not after.problems and (got is None or got.value != intended)):
            skipped.append((where, "quoting would change the value; fix it by hand"))
            break
        body = candidate
        fixed.append(where)
    return bom + body, fixed, skipped


def plan(skill: Skill) -> FixResult | None:
    """What ``fix`` would do to ``skill``'s SKILL.md (None when it is not UTF-8 text)."""
    path = skill.skill_md
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LocalError(f"{printable(str(path))}: cannot read: {exc.strerror}") from None
    try:
        old = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    new, fixed, skipped = fix_text(old)
    return FixResult(skill, path, old, new, fixed, skipped)


def apply(result: FixResult) -> None:
    """Write the fixed SKILL.md atomically, keeping its permission bits.

    A symlinked SKILL.md is fixed in its target: replacing the link itself would turn it into a copy.
    """
    if not result.changed:
        return
    try:
        target = result.path.resolve(strict=True)
        mode = stat.S_IMODE(target.stat().st_mode)
        atomic_write_bytes(target, result.new.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise LocalError(
            f"{printable(str(result.path))}: cannot write: {exc.strerror or exc}",
            hint="make the file and its folder writable, then run `skillsync fix` again",
        ) from None
