"""A read-only mirror of organization and publisher state in SQLite (docs/mirror.md).

``pull`` fetches through :class:`skillsync.mirror.reader.MirrorReader`, which can only send GET
requests; everything else (``show``, ``diff``, ``sql``, ``report``) reads the file offline.
Modules load lazily: importing this package imports nothing else.
"""
