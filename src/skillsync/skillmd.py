"""SKILL.md parsing: frontmatter fields with their line numbers, and the body.

Built for hostile input: the frontmatter is capped (:data:`MAX_FRONTMATTER_CHARS`), anchors,
aliases and tags are refused (no alias bombs), duplicate keys are reported, and every problem
becomes a :class:`Problem` with a SKILL.md line number instead of an exception.

Scalars stay strings (PyYAML's base resolver): ``name: 123`` is the text ``"123"``, as the
reference validator (strictyaml) reads it. Flow collections (``[a, b]``, ``{a: b}``) and a tab
after ``key:`` are refused as the reference validator refuses them (see docs/rules.md).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import yaml

# Frontmatter larger than this is not parsed (the spec's fields fit in a few KiB).
MAX_FRONTMATTER_CHARS = 256 * 1024
BOM = "\ufeff"

# Problem kinds (each maps to one spec.* rule in skillsync.rules.spec).
MISSING = "frontmatter-missing"
UNCLOSED = "frontmatter-unclosed"
TOO_LARGE = "frontmatter-too-large"
YAML = "yaml-invalid"
NEEDS_QUOTES = "needs-quotes"
DUPLICATE = "yaml-duplicate-key"
ALIAS = "yaml-alias"
TAG = "yaml-tag"
FLOW = "yaml-flow-style"
VALUE = "yaml-value"
NOT_MAPPING = "frontmatter-not-mapping"

KEY_LINE = re.compile(r"^(?P<key>[A-Za-z0-9_][A-Za-z0-9_.-]*)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_TAB_AFTER_COLON = re.compile(r"^[^'\"#\t]*?:[ ]*\t")
_BLOCK_HEADER = re.compile(r"^[|>][-+0-9]*(?:\s+#.*)?$")
_INDICATORS = frozenset("[]{},&*!|>'\"%@`")


class Problem(NamedTuple):  # NamedTuples, not dataclasses: cheaper to define at start-up
    kind: str
    message: str
    line: int | None  # 1-based line in SKILL.md
    key: str | None = None  # the top-level field concerned, when known


class Field(NamedTuple):
    key: str
    value: Any  # str, list or dict (all scalars are str)
    line: int  # 1-based SKILL.md line of the key
    plain: bool  # the value is an unquoted scalar


@dataclass
class SkillMd:
    text: str  # the whole file, BOM removed
    bom: bool = False
    fields: dict[str, Field] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    closed_line: int | None = None  # line of the closing ``---``
    body: str = ""
    body_line: int = 1  # SKILL.md line where the body starts

    @property
    def data(self) -> dict[str, Any]:
        return {k: f.value for k, f in self.fields.items()}

    @property
    def has_frontmatter(self) -> bool:
        return self.closed_line is not None


def split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` only, each keeping its ending (CRLF stays CRLF)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _content(line: str) -> str:
    return line.rstrip("\n").rstrip("\r")


def parse(text: str) -> SkillMd:
    """Parse SKILL.md text (already decoded). Never raises on bad input."""
    md = SkillMd(text=text)
    if text.startswith(BOM):
        md.bom = True
        md.text = text = text[1:]
    first_nl = text.find("\n")
    first = text if first_nl < 0 else text[:first_nl]
    if first.rstrip() != "---":
        md.problems.append(Problem(MISSING, "SKILL.md does not start with a '---' frontmatter line", 1))
        md.body = text
        return md
    # Find the closing line within the cap.
    pos = first_nl + 1
    lineno = 1
    close_start = close_end = -1
    limit = min(len(text), MAX_FRONTMATTER_CHARS)
    while 0 < pos <= limit:
        lineno += 1
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        if text[pos:end].rstrip() == "---":
            close_start, close_end = pos, (end if nl < 0 else nl + 1)
            break
        if nl < 0:
            break
        pos = nl + 1
    if close_start < 0:
        if len(text) > MAX_FRONTMATTER_CHARS and pos > limit:
            md.problems.append(
                Problem(TOO_LARGE, f"frontmatter is not closed within {MAX_FRONTMATTER_CHARS} characters", 1)
            )
        else:
            md.problems.append(Problem(UNCLOSED, "frontmatter is not closed by a '---' line", 1))
        return md
    md.closed_line = lineno
    md.body = text[close_end:]
    md.body_line = lineno + 1
    _parse_yaml(md, text[first_nl + 1 : close_start])
    return md


# Line breaks for YAML but not for SKILL.md lines (split on \n, as git, GitHub annotations and the
# body rules count them): where the frontmatter has one, YAML's own line numbers run ahead.
_YAML_ONLY_BREAK = re.compile("\x85|\u2028|\u2029|\r(?!\n)")


def _line_of(source: str) -> Callable[[Any], int]:
    """Map a YAML mark in the frontmatter ``source`` to its 1-based SKILL.md line."""
    if _YAML_ONLY_BREAK.search(source) is None:
        return lambda mark: int(mark.line) + 2
    starts = [m.end() for m in re.finditer("\n", source)]
    return lambda mark: bisect.bisect_right(starts, mark.index) + 2


def _parse_yaml(md: SkillMd, source: str) -> None:
    lines = [_content(x) for x in split_lines(source)]
    for i, line in enumerate(lines):
        if _TAB_AFTER_COLON.match(line) or line[:1] == "\t":
            md.problems.append(
                Problem(
                    YAML, "a tab is used for indentation or after ':' (strict YAML parsers reject it)", i + 2
                )
            )
            return
    # (without a final newline a block scalar at the end has none either: PyYAML judges that)
    simple = _simple_fields(lines) if source.endswith("\n") else None
    if simple is not None:
        md.fields = simple
        return
    import yaml  # ~20 ms to import: only for frontmatter beyond one-line keys and values

    line_of = _line_of(source)

    try:  # the C parser is ~10x faster; fall back to the pure-Python one
        loader: Any = yaml.CBaseLoader
    except AttributeError:  # pragma: no cover - depends on how PyYAML was built
        loader = yaml.BaseLoader
    try:
        _build(md, yaml.parse(source, Loader=loader), lines, line_of)
    except yaml.MarkedYAMLError as exc:
        md.fields.clear()
        mark = exc.problem_mark or exc.context_mark
        err_line: int | None = line_of(mark) if mark is not None else None
        what = " ".join(str(exc.problem or exc.context or "syntax error").split())
        quoted = needs_quotes(lines, err_line - 2) if err_line is not None else None
        if quoted is not None:
            key, key_line, why = quoted
            md.problems.append(
                Problem(
                    NEEDS_QUOTES,
                    f"the unquoted value of '{key}' {why}; strict YAML parsers reject it",
                    key_line + 2,
                    key,
                )
            )
        else:
            md.problems.append(Problem(YAML, f"invalid YAML: {what}", err_line))
    except (yaml.YAMLError, UnicodeError, ValueError) as exc:  # reader errors, lone surrogates
        md.fields.clear()
        md.problems.append(Problem(YAML, f"invalid YAML: {' '.join(str(exc).split())[:200]}", None))


# A key starts with a letter (never an integer or a date for ``unrepresentable``) and is short
# (YAML refuses an implicit key over 1024 characters).
_SIMPLE_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_.-]{0,127}):(?: +(.*))?")
_PLAIN_NOT_IN = (": ", " #")
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\["\\])*)"')  # escapes \" and \\ only
_UNESCAPE = re.compile(r"\\([\"\\])")
_BLOCK_JOIN = {"|": "\n", "|-": "\n", ">": " ", ">-": " "}


def _simple_scalar(raw: str) -> tuple[str, bool] | None:
    """(value, plain) of a one-line value YAML reads without doubt, or None."""
    if not raw.isprintable():
        return None
    first = raw[0]
    if first == '"':
        m = _DOUBLE_QUOTED.fullmatch(raw)
        if m is None:
            return None
        inner = m.group(1)
        return (_UNESCAPE.sub(r"\1", inner) if "\\" in inner else inner), False
    if first == "'":
        inner = raw[1:-1]
        return (inner, False) if len(raw) >= 2 and raw[-1] == "'" and "'" not in inner else None
    if first.isalpha() and raw[-1] != ":" and not any(x in raw for x in _PLAIN_NOT_IN):
        return raw, True
    return None


def _indented(lines: list[str], i: int) -> tuple[list[str], int, int] | None:
    """The lines after ``i`` up to the next line at column 0: (their contents without the common
    indentation, blank lines as "", index after them), or None if their indentation differs or
    there are none."""
    out: list[str] = []
    indent = 0
    j = i + 1
    while j < len(lines):
        line = lines[j]
        if line.strip(" "):
            width = len(line) - len(line.lstrip(" "))
            if width == 0:
                break
            if not indent:
                indent = width
            if width != indent:
                return None
            out.append(line[indent:])
        elif line:  # spaces only: content or not depends on YAML's indentation rules
            return None
        else:
            out.append("")
        j += 1
    while out and not out[-1]:
        out.pop()
    return (out, j, indent) if out else None


def _simple_fields(lines: list[str]) -> dict[str, Field] | None:
    """The fields of frontmatter that YAML reads without doubt, or None for anything else (then
    PyYAML parses it): top-level ``key: value`` pairs (blank and column-0 ``#`` lines between),
    where a value is

    - plain, on one line, starting with a letter (so no indicator, and no integer or date for
      ``unrepresentable`` to refuse), without ``': '``, ``' #'`` or a trailing ``':'``;
    - in double quotes with no escape but ``\"`` and ``\\``, or in single quotes without ``'``;
    - a block (``|``, ``|-``, ``>``, ``>-``) of lines at one indentation, none blank between;
    - a mapping of such one-line values at one indentation (``metadata:``).

    Every character printable (no tab, no YAML-only line break), no key twice in a mapping.
    tests/test_skillmd.py checks it against PyYAML on generated frontmatter.
    """
    if not all(line.isprintable() for line in lines):  # comments too: YAML breaks lines at \r, U+2028
        return None
    fields: dict[str, Field] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip(" ") or line[0] == "#":
            i += 1
            continue
        m = _SIMPLE_KEY.fullmatch(line.rstrip(" "))
        if m is None or m.group(1) in fields:
            return None
        key, raw = m.group(1), m.group(2)
        value: str | dict[str, str]
        if raw is None or raw in _BLOCK_JOIN:
            block = _indented(lines, i)
            if block is None:
                return None
            body, after, _ = block
            if raw is None:  # a mapping
                mapping: dict[str, str] = {}
                for sub in body:
                    sm = _SIMPLE_KEY.fullmatch(sub.rstrip(" ")) if sub else None
                    if sm is None or sm.group(2) is None or sm.group(1) in mapping:
                        return None
                    scalar = _simple_scalar(sm.group(2))
                    if scalar is None:
                        return None
                    mapping[sm.group(1)] = scalar[0]
                value = mapping
            else:
                if "" in body or any(b[0] == " " or not b.isprintable() for b in body):
                    return None
                value = _BLOCK_JOIN[raw].join(body) + ("" if raw.endswith("-") else "\n")
            fields[key] = Field(key, value, i + 2, False)
            i = after
            continue
        scalar = _simple_scalar(raw)
        if scalar is None:
            return None
        fields[key] = Field(key, scalar[0], i + 2, scalar[1])
        i += 1
    return fields or None


def _flow_problem(lines: list[str], line: int) -> Problem:
    """A flow collection, or plain text that merely starts with '[' or '{' (then: quote it)."""
    span = value_span(lines, line - 2) if 0 <= line - 2 < len(lines) else None
    if span is not None and span[1] == line - 2:
        text = span[3]
        closer = {"[": "]", "{": "}"}.get(text[:1])
        if closer is not None and not text.endswith(closer):
            return Problem(
                NEEDS_QUOTES,
                f"the unquoted value of '{span[0]}' starts with the YAML indicator '{text[0]}'; "
                "strict YAML parsers reject it",
                line,
                span[0],
            )
    return Problem(FLOW, "flow-style YAML ([...] or {...}) is not accepted in frontmatter", line)


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _build(md: SkillMd, events: Any, lines: list[str], line_of: Callable[[Any], int]) -> None:
    """Build plain Python data from parser events, refusing anchors, aliases, tags and flow style."""
    import yaml

    stack: list[tuple[Any, list[Any]]] = []  # (container, [pending key, key line, key plain])
    root: Any = None
    docs = 0
    try:
        for ev in events:
            line = line_of(ev.start_mark)
            if isinstance(ev, yaml.DocumentStartEvent):
                docs += 1
                if docs > 1:
                    raise _Refused(Problem(YAML, "more than one YAML document in the frontmatter", line))
                continue
            if isinstance(ev, yaml.AliasEvent):
                raise _Refused(Problem(ALIAS, "YAML aliases are not allowed in frontmatter", line))
            if isinstance(ev, yaml.NodeEvent) and ev.anchor is not None:
                raise _Refused(Problem(ALIAS, "YAML anchors are not allowed in frontmatter", line))
            if isinstance(ev, yaml.ScalarEvent | yaml.CollectionStartEvent) and ev.tag is not None:
                raise _Refused(Problem(TAG, "YAML tags are not allowed in frontmatter", line))
            if isinstance(ev, yaml.CollectionStartEvent) and ev.flow_style:
                raise _Refused(_flow_problem(lines, line))
            value: Any
            if isinstance(ev, yaml.ScalarEvent):
                value = ev.value
                plain = not ev.style
                why = unrepresentable(value) if plain else None
                if why is not None:
                    raise _Refused(Problem(VALUE, f"the unquoted value '{value[:40]}' {why}", line))
            elif isinstance(ev, yaml.MappingStartEvent):
                stack.append(({}, [None, 0, False]))
                continue
            elif isinstance(ev, yaml.SequenceStartEvent):
                stack.append(([], [None, 0, False]))
                continue
            elif isinstance(ev, yaml.CollectionEndEvent):
                value, _ = stack.pop()
                plain = False
            else:
                continue
            if not stack:
                root = value
                continue
            container, pending = stack[-1]
            if isinstance(container, list):
                container.append(value)
                continue
            if pending[0] is None:
                if not isinstance(value, str):
                    raise _Refused(Problem(YAML, "a mapping key must be a plain string", line))
                if value in container:
                    raise _Refused(Problem(DUPLICATE, f"duplicate key '{value}'", line, value))
                pending[0], pending[1] = value, line
                continue
            key = pending[0]
            container[key] = value
            if len(stack) == 1:
                md.fields[key] = Field(key, value, pending[1], plain)
            pending[0] = None
    except _Refused as refused:
        md.fields.clear()
        md.problems.append(refused.problem)
        return
    if not isinstance(root, dict):
        kind = "empty" if root is None else type(root).__name__.replace("str", "a scalar")
        md.fields.clear()
        md.problems.append(Problem(NOT_MAPPING, f"frontmatter must be a YAML mapping (found {kind})", 2))


_RESOLVER: list[yaml.resolver.Resolver] = []  # made on first use (PyYAML is imported on demand)
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1


def unrepresentable(plain: str) -> str | None:
    """Why a plain scalar that YAML 1.1 reads as a date or an integer cannot be sent, or None.

    The registry (and PyYAML's SafeLoader, as most servers) resolve ``2001-02-30`` to a date and
    ``123`` to an integer: an impossible date, or an integer beyond 64 bits, fails there although
    this parser keeps both as text. Quoting the value makes it a string everywhere.
    """
    import yaml

    if not _RESOLVER:
        _RESOLVER.append(yaml.resolver.Resolver())
    tag = _RESOLVER[0].resolve(yaml.ScalarNode, plain, (True, False))  # type: ignore[no-untyped-call]
    if tag == "tag:yaml.org,2002:timestamp":
        try:
            yaml.SafeLoader(plain).get_single_data()
        except (ValueError, OverflowError):
            return "is not a valid date"
    elif tag == "tag:yaml.org,2002:int":
        digits = plain.replace("_", "").lstrip("+-")
        if len(digits) > 40:
            return "is an integer beyond the 64-bit range"
        try:
            number = yaml.SafeLoader(plain).get_single_data()
        except (ValueError, OverflowError):
            return "is not a valid integer"
        if not INT64_MIN <= number <= UINT64_MAX:
            return "is an integer beyond the 64-bit range"
    return None


def needs_quotes(lines: list[str], err: int) -> tuple[str, int, str] | None:
    """If YAML failed at ``err`` (0-based frontmatter line) inside an unquoted top-level value that
    YAML cannot read as plain text, return (key, key line index, why)."""
    if not 0 <= err < len(lines):
        err = len(lines) - 1
    span = value_span(lines, err)
    if span is None:
        return None
    key, start, end, text = span
    if err > end:
        return None
    return (key, start, why) if (why := _risky(text)) else None


def value_span(lines: list[str], at: int) -> tuple[str, int, int, str] | None:
    """The top-level ``key: value`` holding line ``at``: (key, first, last line index, folded text)."""
    start = at
    while start >= 0 and (not lines[start].strip() or lines[start][:1] in " \t"):
        start -= 1
    if start < 0:
        return None
    m = KEY_LINE.match(lines[start])
    if m is None or not m.group("value"):
        return None
    end = start
    while end + 1 < len(lines) and (not lines[end + 1].strip() or lines[end + 1][:1] in " \t"):
        end += 1
    while end > start and not lines[end].strip():
        end -= 1
    parts = [m.group("value").strip()] + [ln.strip() for ln in lines[start + 1 : end + 1]]
    return m.group("key"), start, end, " ".join(p for p in parts if p)


def _risky(text: str) -> str | None:
    first = text[:1]
    if _BLOCK_HEADER.match(text):
        return None
    if first in _INDICATORS:
        return f"starts with the YAML indicator '{first}'"
    if text[:2] in ("- ", "? ", ": ") or text in ("-", "?", ":"):
        return f"starts with '{text[:1]}'"
    if ": " in text or text.endswith(":"):
        return "contains ': '"
    return None
