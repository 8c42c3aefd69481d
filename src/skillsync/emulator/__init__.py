"""The local Seren-compatible registry: a FastAPI app over SQLite, with fault injection.

It shares nothing with the client (``skillsync.remote``) except the contract file ``openapi.json``
shipped beside this module, so a client bug cannot hide behind the same bug in the server.
"""

from __future__ import annotations

from skillsync.emulator.app import create_app
from skillsync.emulator.faults import Fault
from skillsync.emulator.limits import DEFAULT_LIMITS

__all__ = ["DEFAULT_LIMITS", "Fault", "create_app"]
