"""Scrub API keys and bearer tokens out of any text before it is printed or written."""

from __future__ import annotations

import os
import re

_PATTERNS = (
    re.compile(r"seren_[A-Za-z0-9_\-]{4,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+"),
)
REDACTED = "[REDACTED]"


def redact(text: str, *extra_secrets: str) -> str:
    """Return ``text`` with keys, bearer tokens and the given secrets replaced by ``[REDACTED]``."""
    secrets = [s for s in (*extra_secrets, os.environ.get("SEREN_API_KEY", "")) if s and len(s) >= 4]
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _PATTERNS[0].sub(REDACTED, text)
    text = _PATTERNS[1].sub(lambda m: m.group(1) + REDACTED, text)
    return _PATTERNS[2].sub(lambda m: m.group(1) + REDACTED, text)


# Options whose value is a credential: their values never reach a crash report.
SECRET_OPTIONS = frozenset({"--token", "--key", "--api-key", "--password"})


def redact_argv(argv: list[str]) -> list[str]:
    """``argv`` with the values of credential options (``--token X``, ``--token=X``) replaced."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        name, eq, _value = arg.partition("=")
        if name in SECRET_OPTIONS:
            if eq:
                out.append(f"{name}={REDACTED}")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(arg)
    return out
