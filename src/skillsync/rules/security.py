"""security.*: secrets in shipped files. Messages name the kind and the place, never the secret.

Every scan is linear in the file size whatever the content: each pattern starts with a literal
(a known prefix such as ``AKIA`` or ``ghp_``, or a credential word such as ``token``), which the
regex engine finds with its prefix search, and reads a bounded window around each hit. No pattern
starts with an unbounded character class (retried at every position of every identifier, that is
quadratic in the length of a run). A finding is allow-listed by config (``validate.allow``) or by a
``skillsync: allow <rule>`` comment on the same line (the engine).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from functools import partial

from skillsync.rules import Finding
from skillsync.rules.context import FileInfo, LineIndex, SkillContext
from skillsync.rules.memo import ContentMemo

# (rule id, what it is, literals one of which every match contains, pattern, length of its fixed
# prefix, the literal every match starts with or None). Where ``bytes.find`` finds that literal
# faster than the regex engine's own prefix search (long literals: it skips ahead), the scan starts
# at its first occurrence and a file without it costs one find; otherwise the pattern runs from 0.
# The literals gate only ``mask``.
_PATTERNS: tuple[tuple[str, str, tuple[bytes, ...], re.Pattern[bytes], int, bytes | None], ...] = (
    (
        "security.seren-key",
        "Seren API key",
        (b"seren_",),
        re.compile(rb"seren_[A-Za-z0-9_\-]{16,}"),
        6,
        b"seren_",
    ),
    (
        "security.aws-key",
        "AWS access key id",
        (b"AKIA", b"ASIA"),
        re.compile(rb"A[KS]IA[0-9A-Z]{16}(?![A-Z0-9])"),
        4,
        None,
    ),
    (
        "security.private-key",
        "private key block",
        (b"PRIVATE KEY",),
        re.compile(rb"-----BEGIN (?:[A-Z0-9]+ ){0,8}PRIVATE KEY(?: BLOCK)?-----"),
        0,
        b"-----BEGIN ",
    ),
    ("security.github-token", "GitHub token", (), re.compile(rb"gh[pousr]_[A-Za-z0-9]{36,}"), 4, None),
    (
        "security.github-token",
        "GitHub token",
        (b"github_pat_",),
        re.compile(rb"github_pat_[A-Za-z0-9_]{22,}"),
        11,
        b"github_pat_",
    ),
    (
        "security.slack-token",
        "Slack token",
        (b"xox",),
        re.compile(rb"xox[abposr]-[A-Za-z0-9-]{10,}"),
        5,
        None,
    ),
    (
        "security.slack-token",
        "Slack webhook URL",
        (b"hooks.slack.com/services/",),
        re.compile(rb"hooks\.slack\.com/services/T[A-Za-z0-9_/]+"),
        25,
        b"hooks.slack.com/services/T",
    ),
)
# The generic check: a credential word, then (optionally a closing quote) an assignment, then a
# value. It runs on the lower-cased bytes, so the literal alternation is its prefix; the name
# before the word and the value after it are read from bounded windows. Each pattern runs from the
# first occurrence of its word (``bytes.find`` is faster than the engine's prefix search).
_CRED_WORDS = tuple(
    (first, re.compile(word + rb"[\"']?[ \t]{0,16}(?::=|:|=)[ \t]{0,16}[\"']?"))
    for first, word in (
        (b"key", rb"key"),
        (b"token", rb"token"),
        (b"secret", rb"secret"),
        (b"pass", rb"pass(?:w(?:or)?d|phrase)"),
    )
)
_VALUE = re.compile(rb"[A-Za-z0-9+/_\-.=~]{16,512}")
_NAME_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_NAME_MAX = 64
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CHUNKS = re.compile(rb"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SPLIT = re.compile(rb"[-_.]")
_PARTS = re.compile(rb"[-_/.]")
# Last words of a name that hold a credential on their own.
_CRED_LAST = frozenset(
    ("token", "secret", "password", "passwd", "passphrase", "apikey", "secretkey", "accesskey", "privatekey")
)
# A name ending in "key" holds a credential when a word before it says so ...
_KEY_QUALIFIERS = frozenset(
    (
        "api", "secret", "access", "private", "auth", "client", "signing", "encryption", "master",
        "license", "licence", "service", "app", "subscription", "account", "consumer", "admin",
        "session", "shared", "webhook", "hmac", "jwt", "ssh", "gpg", "pgp", "aes", "rsa", "bearer",
        "write", "read", "deploy", "root", "cloud",
    )
)  # fmt: skip
# ... or it is an environment-style UPPER_SNAKE name not qualified by one of these.
_KEY_NOT_SECRET = frozenset(
    (
        "public", "primary", "foreign", "sort", "partition", "cache", "hash", "folder", "connector",
        "slot", "bucket", "resource", "connection", "catalog", "row", "index", "lookup", "object",
        "map", "dict", "group", "entity", "item", "record", "unique", "composite", "idempotency",
        "routing", "message", "event", "job", "task", "queue", "storage", "file", "path", "config",
        "setting", "translation", "i18n", "locale", "label", "field", "column", "table", "hot",
        "short", "sub", "parent", "child", "range", "shard", "dedup", "release", "process",
    )
)  # fmt: skip
_TOKEN_NOT_SECRET = frozenset(("page", "next", "continuation", "cursor", "sync", "max", "csrf", "xsrf"))
_PLACEHOLDER_WORDS = (
    b"example", b"xxx", b"your-", b"your_", b"yourkey", b"yourtoken", b"changeme", b"placeholder",
    b"dummy", b"redacted", b"****", b"<", b"...", b"fake", b"sample", b"replace",
)  # fmt: skip
_ASCENDING = b"0123456789abcdefghijklmnopqrstuvwxyz"
_PLACEHOLDER_SRC = (
    b"|".join(re.escape(w) for w in _PLACEHOLDER_WORDS)
    + b"|"
    + b"|".join(_ASCENDING[i : i + 6] for i in range(len(_ASCENDING) - 5))
)
_PLACEHOLDER_RX: list[re.Pattern[bytes]] = []  # compiled on the first candidate (most files have none)
_UPPER_DIGITS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_GENERIC_RULE = "security.generic-secret"
MIN_ENTROPY = 3.5  # bits per character; random base64/hex keys are well above, words below
MIN_HEX_ENTROPY = 3.0  # hex has 16 symbols: at most 4 bits per character
MIN_SEGMENT = 16  # a random part at least this long, between separators
MAX_MEAN_CHUNK = 3.5  # random text switches case/letter/digit every ~2 characters; words every 4+


def entropy(value: bytes) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _seren_like(value: bytes) -> bool:
    tail = value[6:]
    return any(c in b"0123456789" for c in tail) and entropy(tail) >= 3.0


def _all_one(part: bytes) -> bool:
    """All one character, after a leading letter as in Slack's documented ``T00``/``B00``."""
    body = part[1:] if len(part) > 2 and part[:1].isalpha() else part
    return len(body) >= 2 and body.count(body[:1]) == len(body)


def placeholder(token: bytes) -> bool:
    """``token`` is a documentation stand-in: it holds a word such as ``example`` or ``xxx``, a
    run of counting (123456, abcdef), or a part (between ``-``, ``_``, ``/``, ``.``) that is all
    one character."""
    low = token.lower()
    if not _PLACEHOLDER_RX:
        _PLACEHOLDER_RX.append(re.compile(_PLACEHOLDER_SRC))
    if _PLACEHOLDER_RX[0].search(low):
        return True
    return any(_all_one(p) for p in _PARTS.split(low) if len(p) >= 3)


def _random_looking(value: bytes) -> bool:
    """A part of 16+ characters that switches between upper, lower and digits like random text
    does: not a UUID (parts of 8-12), an identifier (``GetNewestEmail_1``), a path or prose."""
    for part in _SPLIT.split(value):
        if len(part) < MIN_SEGMENT or part.isalpha() or part.isdigit():
            continue
        chunks = _CHUNKS.findall(part)
        if not chunks or len(part) / len(chunks) > MAX_MEAN_CHUNK:
            continue
        hex_only = not part.strip(b"0123456789abcdef") or not part.strip(b"0123456789ABCDEF")
        if entropy(part) >= (MIN_HEX_ENTROPY if hex_only else MIN_ENTROPY):
            return True
    return False


def credential_name(name: str) -> bool:
    """``name`` (an identifier ending in key/token/secret/password...) names a credential."""
    words = [w.lower() for w in _WORDS.findall(name)]
    if not words:
        return False
    last, before = words[-1], words[:-1]
    if last in _CRED_LAST:
        return last != "token" or not (set(before) & _TOKEN_NOT_SECRET)
    if last != "key":
        return False
    if set(before) & _KEY_QUALIFIERS:
        return True
    upper_snake = name.isupper() and "_" in name
    return upper_snake and not (set(before) & _KEY_NOT_SECRET)


def _generic(data: bytes, low: bytes, key_at: int) -> Iterator[tuple[str, str, int]]:
    for first, word in _CRED_WORDS:
        pos = key_at if first == b"key" else low.find(first)
        if pos < 0:
            continue
        search = word.search
        while True:
            m = search(low, pos)
            if m is None:
                break
            pos = m.end()
            v = _VALUE.match(data, pos)
            if v is None:
                continue
            pos = v.end()  # a hit inside this value (key=key=key...) is not a new assignment
            start = m.start()
            head = data[max(0, start - _NAME_MAX) : start]
            end = start + len(m.group(0).rstrip(b"\"' \t:="))
            name = (head[len(head.rstrip(_NAME_CHARS)) :] + data[start:end]).decode("ascii")
            value = v.group(0)
            if credential_name(name) and not placeholder(value) and _random_looking(value):
                yield _GENERIC_RULE, f"high-entropy value assigned to {name}", v.start()


def scan(data: bytes, low: bytes | None = None) -> Iterator[tuple[str, str, int]]:
    """(rule id, kind, byte offset) of each likely secret in ``data``, in linear time; ``low`` is
    ``data.lower()`` when the caller has it (:attr:`FileInfo.low`), else it is made here."""
    generic = b"=" in data or b":" in data
    if low is None and generic:
        low = data.lower()
    key_at = low.find(b"key") if low is not None else 0  # the generic check's first find, made once
    for rule, kind, _, rx, prefix, first in _PATTERNS:
        start = 0
        if first is not None:
            if key_at < 0 and rule == "security.private-key":
                continue  # "PRIVATE KEY" holds "key": no need to look for the block
            start = data.find(first)
            if start < 0:
                continue
        for m in rx.finditer(data, start):
            if rule == "security.aws-key" and m.start() and data[m.start() - 1] in _UPPER_DIGITS:
                continue  # inside a longer token
            if rule == "security.seren-key" and not _seren_like(m.group(0)):
                continue
            if prefix and placeholder(m.group(0)[prefix:]):
                continue
            yield rule, kind, m.start()
    if generic and low is not None:
        yield from _generic(data, low, key_at)


def mask(text: str) -> str:
    """``text`` with every known-kind secret replaced: finding messages echo names and link targets."""
    data = text.encode("utf-8", "surrogateescape")
    for _, _, gates, rx, _, _ in _PATTERNS:
        if not gates or any(g in data for g in gates):
            data = rx.sub(b"[REDACTED]", data)
    return data.decode("utf-8", "surrogateescape")


_MEMO = ContentMemo()


def check(ctx: SkillContext) -> Iterator[Finding]:
    for f in ctx.files:
        if not f.binary and f.data:
            yield from _MEMO.findings(f.data, f.rel, None, partial(_file, f))


def _file(f: FileInfo) -> Iterator[Finding]:
    hits = sorted(scan(f.data, f.low), key=lambda h: h[2])
    if not hits:
        return
    index = LineIndex(f.data)
    lines = [index.at(pos) for _, _, pos in hits]
    specific = {n for (rule, _, _), n in zip(hits, lines, strict=True) if rule != _GENERIC_RULE}
    for (rule, kind, _), line in zip(hits, lines, strict=True):
        if rule == _GENERIC_RULE and line in specific:
            continue  # already reported as a known kind
        yield Finding(
            rule,
            f.rel,
            line,
            f"{kind} in a shipped file",
            "remove it and rotate it; if it is a fake, add '# skillsync: allow "
            f"{rule}' on the line or a validate.allow entry",
        )
