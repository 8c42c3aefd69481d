"""Text helpers for messages: what counts as a control character, and how to show one safely."""

from __future__ import annotations

import re
import unicodedata

# C0, DEL and C1: the characters no path, name or one-line message may carry as they are.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with every control character written as ``\\xNN`` (a message stays one line)."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def printable(text: str) -> str:
    """``text`` safe for a one-line message: control characters and undecodable bytes escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) == "Cc":
            out.append(repr(ch)[1:-1] if ch in "\t\n\r" else f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)
