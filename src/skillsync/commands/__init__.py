"""The use-case layer: one function per command, typed options in, a typed result out.

The click modules in :mod:`skillsync.cli` only parse arguments, call these functions and render
their results as text or JSON; other front ends (watch mode, the mirror, scripts) call the same
functions. Nothing here imports click or prints: progress and questions go through an
:class:`~skillsync.commands.events.Events` object the caller passes in.
"""
