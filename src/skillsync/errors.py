"""The one exception hierarchy of skillsync, mapped to the exit codes in docs/cli.md.

Core code raises these; the CLI boundary turns them into a one-line message and an exit code.
A message says what went wrong, where (file:line when known) and how to fix it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # validation errors, or differences with --exit-code
    USAGE = 2
    REMOTE = 3
    LOCAL = 4
    INTERNAL = 70
    INTERRUPTED = 130


class SkillsyncError(Exception):
    """Base of every expected failure. ``exit_code`` decides the process exit status."""

    exit_code: ExitCode = ExitCode.LOCAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(SkillsyncError):
    """Bad arguments: an unknown skill, a conflicting flag."""

    exit_code = ExitCode.USAGE


class LocalError(SkillsyncError):
    """Something on this machine is wrong: config, an unreadable file, a held lock."""

    exit_code = ExitCode.LOCAL


class ConfigError(LocalError):
    """``skillsync.toml`` (or ``[tool.skillsync]``) is invalid."""


class FindingsError(SkillsyncError):
    """A check found problems (exit 1); the command has already printed them."""

    exit_code = ExitCode.FINDINGS


class RemoteError(SkillsyncError):
    """The remote answered with an error, or could not be reached."""

    exit_code = ExitCode.REMOTE
