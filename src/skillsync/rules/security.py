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

# (rule id, what it is, literal that every match starts with, pattern). The literal gates the
# regex with a fast substring search: a regex without a literal prefix scans ~20x slower. Before
# that, one-byte gates (memchr speed) skip patterns whose required character is absent.
_PATTERNS: tuple[tuple[str, str, bytes, re.Pattern[bytes]], ...] = (
    ("security.seren-key", "Seren API key", b"seren_", re.compile(rb"seren_[A-Za-z0-9_\-]{16,}")),
    ("security.aws-key", "AWS access key id", b"AKIA", re.compile(rb"AKIA[0-9A-Z]{16}(?![A-Z0-9])")),
    ("security.aws-key", "AWS access key id", b"ASIA", re.compile(rb"ASIA[0-9A-Z]{16}(?![A-Z0-9])")),
    (
        "security.private-key",
        "private key block",
        b"-----BEGIN ",
        re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ),
    ("security.github-token", "GitHub token", b"gh", re.compile(rb"gh[pousr]_[A-Za-z0-9]{36,}")),
    ("security.github-token", "GitHub token", b"github_pat_", re.compile(rb"github_pat_[A-Za-z0-9_]{22,}")),
    ("security.slack-token", "Slack token", b"xox", re.compile(rb"xox[abposr]-[A-Za-z0-9-]{10,}")),
    (
        "security.slack-token",
        "Slack webhook URL",
        b"hooks.slack.com/services/",
        re.compile(rb"hooks\.slack\.com/services/T[A-Za-z0-9_/]+"),
    ),
)
# NAME = value, NAME: value, "NAME": "value" with NAME ending in KEY/TOKEN/SECRET/PASSWORD.
_GENERIC = re.compile(
    rb"(?i)([A-Za-z0-9_.\-]*(?:key|token|secret|passwd|password))[\"']?[ \t]*(?::|=|:=)[ \t]*"
    rb"[\"']?([A-Za-z0-9+/_\-.=~]{16,})"
)
# A byte each pattern needs, checked first (memchr speed): skips the slower substring search.
_GATES = {b"seren_": b"_", b"gh": b"_", b"github_pat_": b"_", b"xox": b"-", b"-----BEGIN ": b"-"}
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
    present = {c: c in data for c in (b"_", b"-", b"=", b":")}
    for rule, kind, literal, rx in _PATTERNS:
        gate = _GATES.get(literal)
        if (gate is not None and not present[gate]) or literal not in data:
            continue
        for m in rx.finditer(data):
            if rule == "security.aws-key" and m.start() and data[m.start() - 1] in _UPPER_DIGITS:
                continue  # inside a longer token
            if rule == "security.seren-key" and not _seren_like(m.group(0)):
                continue
            yield rule, kind, m.start()
    if not (present[b"="] or present[b":"]):
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
