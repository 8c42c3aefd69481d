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
