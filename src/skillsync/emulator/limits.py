"""Upload limits of the local registry.

The numbers are the validator's too (a test compares them), so a tree that validates locally is never
refused by the registry for its size, and the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping

MIB = 1024 * 1024

DEFAULT_LIMITS: dict[str, int] = {
    "max_file_bytes": 50 * MIB,
    "max_total_bytes": 200 * MIB,
    "max_files": 5000,
}


def resolve_limits(overrides: Mapping[str, int] | None) -> dict[str, int]:
    """The defaults with ``overrides`` applied; an unknown key is a programming error."""
    limits = dict(DEFAULT_LIMITS)
    for key, value in (overrides or {}).items():
        if key not in limits:
            raise ValueError(f"unknown registry limit {key!r}; known: {', '.join(sorted(limits))}")
        if int(value) <= 0:
            raise ValueError(f"registry limit {key} must be positive, got {value}")
        limits[key] = int(value)
    return limits
