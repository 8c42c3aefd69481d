"""skillsync: a local-first workspace engine for Seren organization custom skills."""

__version__ = "0.1.0"
