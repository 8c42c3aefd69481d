"""The validation step of push: error findings block a skill (warnings do not).

Through the validation cache (:mod:`skillsync.validate_cache`), shared with `validate`: a skill
whose key matches gets its stored findings, so a no-op push does not run the rules again over the
skills its errors block, and `validate` primes it. The manifests push builds carry what the key
needs (sha256 and mode of every shipped file, the stat cache's listing of the walk); a skill whose
walk cannot be vouched for is validated afresh. ``SKILLSYNC_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillsync.errors import SkillsyncError
from skillsync.workspace import Workspace

if TYPE_CHECKING:
    from skillsync.manifest import Manifest
    from skillsync.validate import CachedCheck, Policy, SkillReport


class PushGate:
    """Validates the skills a push is about to ship, over the manifests it already built.

    The ``[validate]`` policy is built once, on the first skill that needs it (a push with nothing
    to ship, or whose skills all hit the cache, never loads the rules). Call :meth:`save` once the
    plan is made, to keep what was validated.
    """

    def __init__(self, ws: Workspace, *, cache: bool = True) -> None:
        self.ws = ws
        self._policy: Policy | None = None
        self._cache = cache
        self._checker: CachedCheck | None = None
        self._opened = False

    def _cached(self) -> CachedCheck | None:
        """The cached checker, when the cache may be used: not turned off, kept in the folder of
        the stat cache that built push's manifests (where `validate` keeps it too), and the config
        loaded by this process is the one on disk (a key hashes the file's bytes: a config edited
        since it was read, as a long-running watch may see, must not key findings made under the
        old one)."""
        if self._opened:
            return self._checker
        self._opened = True
        from skillsync import validate_cache as vc

        if not self._cache or vc.disabled_by_env() or vc.cache_dir(self.ws) != self.ws.state_dir:
            return None
        if self.ws.config_path is not None:
            from skillsync.config import load_config_file

            try:
                if load_config_file(self.ws.config_path) != self.ws.config:
                    return None
            except SkillsyncError:
                return None
        from skillsync.validate import CachedCheck

        self._checker = CachedCheck(self.ws, None, self.ws.state_dir)
        return self._checker

    def check(self, manifest: Manifest) -> SkillReport:
        """Every finding on the skill of ``manifest`` (from the cache when its key matches)."""
        checker = self._cached()
        if checker is not None:
            return checker.check(manifest)
        from skillsync.validate import check_skill, load_policy

        if self._policy is None:
            self._policy = load_policy(self.ws)
        return check_skill(self.ws, manifest.skill, self._policy, manifest=manifest)

    def blocking_findings(self, manifest: Manifest) -> list[str]:
        """One line (``path:line: rule: message``) per error finding; empty: may be pushed."""
        out: list[str] = []
        for f in self.check(manifest).findings:
            if f.severity == "error":
                where = f"{f.path}:{f.line}" if f.line else f.path
                out.append(f"{where}: {f.rule}: {f.message}")
        return out

    def save(self) -> None:
        """Write the validation cache if anything was recorded (a folder that cannot be written
        just gets no cache)."""
        if self._checker is not None:
            self._checker.save()
