"""The local Seren-compatible registry: a FastAPI app over SQLite, with fault injection.

It shares nothing with the client (``skillsync.remote``) except the contract file ``openapi.json``
shipped beside this module, so a client bug cannot hide behind the same bug in the server.
The names below load on first use: the embedded remote (``emulator.embedded``) imports this
package without paying for FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skillsync.emulator.app import create_app
    from skillsync.emulator.faults import Fault
    from skillsync.emulator.limits import DEFAULT_LIMITS

__all__ = ["DEFAULT_LIMITS", "Fault", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from skillsync.emulator.app import create_app

        return create_app
    if name == "Fault":
        from skillsync.emulator.faults import Fault

        return Fault
    if name == "DEFAULT_LIMITS":
        from skillsync.emulator.limits import DEFAULT_LIMITS

        return DEFAULT_LIMITS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
