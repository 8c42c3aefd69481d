"""security.*: secrets in shipped files. Messages name the kind and the place, never the secret.

Patterns run on bytes (no decoding), compiled once. A finding is allow-listed by config
(``validate.allow``) or by a ``skillsync: allow <rule>`` comment on the same line (the engine).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from skillsync.rules import Finding
from skillsync.rules.context import SkillContext

# (rule id, what it is, bytes every match contains, pattern). Each pattern starts with a literal,
# so the regex engine's own prefix search finds candidates (about twice as fast as a `bytes in`
# test of the same literal). Before that, the required single bytes are looked up with memchr
# speed (~20x faster again): most files lack one of them, and the pattern is skipped.
_PATTERNS: tuple[tuple[str, str, frozenset[bytes], re.Pattern[bytes]], ...] = (
    ("security.seren-key", "Seren API key", frozenset((b"_",)), re.compile(rb"seren_[A-Za-z0-9_\-]{16,}")),
    (
        "security.aws-key",
        "AWS access key id",
        frozenset((b"K", b"I")),
        re.compile(rb"AKIA[0-9A-Z]{16}(?![A-Z0-9])"),
    ),
    (
        "security.aws-key",
        "AWS access key id",
        frozenset((b"S", b"I")),
        re.compile(rb"ASIA[0-9A-Z]{16}(?![A-Z0-9])"),
    ),
    (
        "security.private-key",
        "private key block",
        frozenset((b"-", b"B")),
        re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ),
    ("security.github-token", "GitHub token", frozenset((b"_",)), re.compile(rb"gh[pousr]_[A-Za-z0-9]{36,}")),
    (
        "security.github-token",
        "GitHub token",
        frozenset((b"_",)),
        re.compile(rb"github_pat_[A-Za-z0-9_]{22,}"),
    ),
    (
        "security.slack-token",
        "Slack token",
        frozenset((b"-",)),
        re.compile(rb"xox[abposr]-[A-Za-z0-9-]{10,}"),
    ),
    (
        "security.slack-token",
        "Slack webhook URL",
        frozenset((b"/",)),
        re.compile(rb"hooks\.slack\.com/services/T[A-Za-z0-9_/]+"),
    ),
)
# NAME = value, NAME: value, "NAME": "value" with NAME ending in KEY/TOKEN/SECRET/PASSWORD.
_GENERIC = re.compile(
    rb"(?i)([A-Za-z0-9_.\-]*(?:key|token|secret|passwd|password))[\"']?[ \t]*(?::|=|:=)[ \t]*"
    rb"[\"']?([A-Za-z0-9+/_\-.=~]{16,})"
)
# Every byte any gate needs, plus the assignment characters the generic pattern needs.
_GATE_BYTES = tuple(sorted({b for _, _, needs, _ in _PATTERNS for b in needs} | {b"=", b":"}))
_UPPER_DIGITS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_NAME_WORDS = (b"key", b"token", b"secret", b"passw")
_PLACEHOLDERS = (b"example", b"xxxx", b"your", b"changeme", b"placeholder", b"dummy", b"redacted", b"****")
MIN_ENTROPY = 3.5  # bits per character; random base64/hex keys are well above, words below


def entropy(value: bytes) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _seren_like(value: bytes) -> bool:
    tail = value[6:]
    return any(c in b"0123456789" for c in tail) and entropy(tail) >= 3.0


def scan(data: bytes) -> Iterator[tuple[str, str, int]]:
    """(rule id, kind, byte offset) of each likely secret in ``data``."""
    present = {b for b in _GATE_BYTES if b in data}  # one memchr-speed lookup per byte
    if not present:
        return
    for rule, kind, needs, rx in _PATTERNS:
        if not needs <= present:
            continue
        for m in rx.finditer(data):
            if rule == "security.aws-key" and m.start() and data[m.start() - 1] in _UPPER_DIGITS:
                continue  # inside a longer token
            if rule == "security.seren-key" and not _seren_like(m.group(0)):
                continue
            yield rule, kind, m.start()
    if b"=" not in present and b":" not in present:
        return  # no assignment anywhere
    low = data.lower()
    if not any(w in low for w in _NAME_WORDS):
        return
    for m in _GENERIC.finditer(data):
        value = m.group(2)
        low = value.lower()
        if any(p in low for p in _PLACEHOLDERS) or entropy(value) < MIN_ENTROPY:
            continue
        if not any(c in b"0123456789" for c in value):
            continue  # identifiers and prose, not keys
        name = m.group(1).decode("ascii", "replace")
        yield "security.generic-secret", f"high-entropy value assigned to {name}", m.start(2)


def mask(text: str) -> str:
    """``text`` with every known-kind secret replaced: finding messages echo names and link targets."""
    data = text.encode("utf-8", "surrogateescape")
    if not any(b in data for b in _GATE_BYTES):
        return text
    for _, _, _, rx in _PATTERNS:
        data = rx.sub(b"[REDACTED]", data)
    return data.decode("utf-8", "surrogateescape")


def check(ctx: SkillContext) -> Iterator[Finding]:
    for f in ctx.files:
        if f.binary or not f.data:
            continue
        specific: set[int] = set()
        for rule, kind, pos in scan(f.data):
            line = _line_of(f.data, pos)
            if rule == "security.generic-secret" and line in specific:
                continue  # already reported as a known kind
            specific.add(line)
            yield Finding(
                rule,
                f.rel,
                line,
                f"{kind} in a shipped file",
                "remove it and rotate it; if it is a fake, add '# skillsync: allow "
                f"{rule}' on the line or a validate.allow entry",
            )
