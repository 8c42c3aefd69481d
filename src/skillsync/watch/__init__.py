"""``skillsync watch``: validate and upload a skill on save, fail closed (see docs/watch.md)."""

from __future__ import annotations

from skillsync.watch.events import Event
from skillsync.watch.loop import DEFAULT_DEBOUNCE_MS, Watcher, WatchOptions, run_watch, watch

__all__ = ["DEFAULT_DEBOUNCE_MS", "Event", "WatchOptions", "Watcher", "run_watch", "watch"]
