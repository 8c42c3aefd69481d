"""The sync engine: status, diff, push, publish, log, pull, archive (see docs/sync.md)."""
