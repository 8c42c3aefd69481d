"""The validation engine: run every rule family over a skill's shipped files, then apply config.

Files come only from :func:`skillsync.selection.select` (the one selection engine). Config
(``[validate]`` in skillsync.toml) changes severities globally or for path patterns, turns rules
off, and allow-lists findings by rule and path; a ``skillsync: allow <rule>`` comment on the
line of a finding allow-lists it too.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from skillsync import ignore
from skillsync.errors import ConfigError, UsageError
from skillsync.rules import RULES, Finding, Severity, rule_ids_matching
from skillsync.selection import NameCollisionError, select_paths
from skillsync.text import printable
from skillsync.workspace import SKILL_FILE, Skill, Workspace, find_root, open_workspace

if TYPE_CHECKING:
    from skillsync.config import ValidateConfig
    from skillsync.manifest import Manifest
    from skillsync.rules import policies, waivers
    from skillsync.rules.context import SkillContext

# The rule families are imported on first use (_families): a run served from the validation
# cache (validate_cache.py) never imports them, nor PyYAML through skillmd.


@functools.cache
def _families() -> tuple[Callable[[SkillContext], Iterable[Finding]], ...]:
    from skillsync.rules import files, policies, security, seren, spec, supply, targets

    return (spec.check, seren.check, files.check, security.check, targets.check, supply.check, policies.check)


_INLINE_ALLOW = re.compile(rb"skillsync:\s*allow\s+([A-Za-z0-9_.*\-, ]+)")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class SkillReport:
    """One skill's findings, sorted."""

    skill: Skill
    findings: list[Finding] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class Report:
    """The findings of one run, per skill."""

    skills: list[SkillReport]

    def count(self, severity: str) -> int:
        return sum(r.count(severity) for r in self.skills)

    def failed(self, strict: bool = False) -> bool:
        return self.count("error") > 0 or (strict and self.count("warning") > 0)

    def summary(self) -> dict[str, int]:
        return {
            "skills": len(self.skills),
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "infos": self.count("info"),
        }


class Policy:
    """Config severities, overrides and allow entries, checked once against the rule registry.

    Build it once per run (:func:`load_policy`) and pass it to every :func:`check_skill`.
    """

    def __init__(
        self,
        cfg: ValidateConfig,
        source: str,
        targets: tuple[str, ...] | None = None,
        *,
        root: Path | None = None,
        baseline: bool = True,
    ) -> None:
        from skillsync.rules import policies, waivers
        from skillsync.rules import targets as targets_rules

        try:
            self.targets = targets or targets_rules.parse_names(cfg.targets, f"{source}: validate.targets")
        except ValueError as exc:
            raise ConfigError(str(exc), hint="`skillsync rules --target NAME` lists rules") from None
        self.policies = {p.id: p for p in policies.compile_policies(cfg.policy, source)}
        self.waivers: list[waivers.Waiver] = []
        if root is not None:
            files = (cfg.waivers, cfg.baseline) if baseline else (cfg.waivers,)
            for rel in files:
                for w in waivers.load(root, rel):
                    _ids(w.rule, f"rule '{w.rule}' (line {w.line})", rel, self.policies)
                    self.waivers.append(w)
        today = self.today = dt.date.today()
        self.expired = [w for w in self.waivers if w.expired(today)]
        self.active = [
            (w.spec, set(_ids(w.rule, "", w.source, self.policies)))
            for w in self.waivers
            if not w.expired(today)
        ]
        self.globals: dict[str, str] = {}
        for pattern, sev in cfg.rules.items():
            for rid in _ids(pattern, f"validate.rules.{pattern}", source, self.policies):
                self.globals[rid] = sev
        self.overrides: list[tuple[ignore.IgnoreFile, dict[str, str]]] = []
        for n, ov in enumerate(cfg.overrides):
            sevs: dict[str, str] = {}
            for pattern, sev in ov.rules.items():
                for rid in _ids(pattern, f"validate.overrides[{n}].rules.{pattern}", source, self.policies):
                    sevs[rid] = sev
            self.overrides.append(
                (ignore.from_list(ov.paths, "validate.overrides", "", numbered=False), sevs)
            )
        self.allow: list[tuple[ignore.IgnoreFile, set[str]]] = []
        for n, entry in enumerate(cfg.allow):
            ids = set(_ids(entry.rule, f"validate.allow[{n}].rule", source, self.policies))
            self.allow.append((ignore.from_list(entry.paths, "validate.allow", "", numbered=False), ids))

    def severity(self, rule: str, ws_path: str) -> str:
        default = self.policies[rule].severity if rule in self.policies else RULES[rule].severity
        sev = self.globals.get(rule, default)
        for spec_, sevs in self.overrides:  # later overrides win
            if rule in sevs and _matches(spec_, ws_path):
                sev = sevs[rule]
        return sev

    def allowed(self, rule: str, ws_path: str) -> bool:
        if any(rule in ids and _matches(spec_, ws_path) for spec_, ids in self.allow):
            return True
        return any(rule in ids and _matches(spec_, ws_path) for spec_, ids in self.active)

    def valid_until(self) -> dt.date | None:
        """The last day on which every waiver judges as it did today: the earliest expiry among
        the active waivers (None: none of them expires). The validation cache keeps a skill's
        findings no longer than this."""
        dates = [w.expires for w in self.waivers if w.expires is not None and not w.expired(self.today)]
        return min(dates) if dates else None

    def expired_for(self, ws_paths: Iterable[str]) -> list[waivers.Waiver]:
        """Expired waivers whose path covers one of ``ws_paths`` (a skill's shipped files)."""
        paths = list(ws_paths)
        return [w for w in self.expired if any(_matches(w.spec, p) for p in paths)]


def _ids(pattern: str, key: str, source: str, own: dict[str, policies.Compiled] | None = None) -> list[str]:
    ids = rule_ids_matching(pattern)
    if own:
        if pattern == "*":
            ids += list(own)
        elif pattern.endswith(".*"):
            ids += [p for p in own if p.startswith(pattern[:-1])]
        elif pattern in own:
            ids.append(pattern)
    if not ids:
        raise ConfigError(f"{source}: {key}: no rule '{pattern}'", hint="`skillsync rules` lists rule ids")
    return ids


def _matches(spec_: ignore.IgnoreFile, ws_path: str) -> bool:
    """gitignore semantics: a pattern matching the path or one of its folders matches."""
    parts = ws_path.split("/")
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        p = spec_.match(sub, parts[depth - 1], depth < len(parts))
        if p is not None and not p.negated:
            return True
    return False


def _inline_allowed(ctx: SkillContext, f: Finding, starts: dict[str, list[int]]) -> bool:
    info = ctx.by_rel.get(f.path)
    if info is None or f.line is None or b"skillsync" not in info.data:
        return False
    data = info.data
    lines = starts.get(f.path)
    if lines is None:  # once per file: many findings in a large file stay linear
        from skillsync.rules.context import line_starts

        lines = starts[f.path] = line_starts(data)
    if f.line > len(lines):
        return False
    start = lines[f.line - 1]
    end = data.find(b"\n", start)
    m = _INLINE_ALLOW.search(data[start : end if end >= 0 else len(data)])
    if m is None:
        return False
    names = re.split(r"[,\s]+", m.group(1).decode("ascii").strip())
    return any(f.rule in rule_ids_matching(n) for n in names if n)


def load_policy(ws: Workspace, targets: tuple[str, ...] | None = None, *, baseline: bool = True) -> Policy:
    """The ``[validate]`` policy of ``ws`` with its waivers (ConfigError names an unknown rule or target)."""
    source = str(ws.config_path) if ws.config_path else "skillsync.toml"
    return Policy(ws.config.validate_, source, targets, root=ws.root, baseline=baseline)


def check_skill(
    ws: Workspace,
    skill: Skill,
    policy: Policy | None = None,
    *,
    manifest: Manifest | None = None,
    probes: list[str] | None = None,
) -> SkillReport:
    """Validate one skill: every family, then config severities and allow-lists.

    With ``manifest`` (the caller already selected and hashed the skill, as push does), its files
    are checked without a second walk, and the bytes it kept are not read again. ``probes``
    receives the paths outside the shipped files a rule looked up (SkillContext.probes).
    """
    from skillsync.rules import security, waivers
    from skillsync.rules import targets as targets_rules
    from skillsync.rules.context import SkillContext

    policy = policy or load_policy(ws)
    collision = None
    if manifest is not None:
        ctx = SkillContext.from_manifest(ws, manifest)
    else:
        try:
            selected = select_paths(ws, skill, None, str(skill.path))
        except NameCollisionError as exc:
            collision = exc.message
            selected = []
        ctx = SkillContext.load(ws, skill, selected)
    ctx.collision = collision
    ctx.targets = policy.targets
    prefix = "" if skill.rel == "." else skill.rel + "/"
    out: list[Finding] = []
    starts: dict[str, list[int]] = {}
    for family in (_problem, *_families()):
        for f in family(ctx):
            breaks = f.targets or targets_rules.breaks(f.rule, policy.targets)
            if breaks is not None and not breaks:
                continue  # a rule of hosts that are not selected
            ws_path = skill.rel if f.path == "." else prefix + f.path
            sev = policy.severity(f.rule, ws_path)
            if sev == "off" or policy.allowed(f.rule, ws_path) or _inline_allowed(ctx, f, starts):
                continue
            message, hint = security.mask(f.message), f.hint and security.mask(f.hint)
            out.append(
                replace(f, path=ws_path, severity=_sev(sev), message=message, hint=hint, targets=breaks or ())
            )
    if policy.expired:
        for w in policy.expired_for(prefix + f.rel for f in ctx.files):
            sev = policy.severity(waivers.EXPIRED, w.source)
            if sev != "off":
                out.append(replace(waivers.expired_finding(w), severity=_sev(sev)))
    out.sort(key=lambda f: (f.path, f.line or 0, _SEVERITY_ORDER[f.severity], f.rule))
    if probes is not None:
        probes.extend(ctx.probes)
    return SkillReport(skill, out)


def _problem(ctx: SkillContext) -> Iterator[Finding]:
    """Discovery's Problem with the skill (an invalid slug is reported by seren.check itself)."""
    p = ctx.skill.problem
    if p is not None and p.rule != "seren.slug-invalid":
        yield Finding(p.rule, SKILL_FILE, None, p.message, p.hint)


def _sev(value: str) -> Severity:
    if value == "warning":
        return "warning"
    if value == "info":
        return "info"
    return "error"


def check_skills(
    ws: Workspace,
    skills: Sequence[Skill],
    *,
    targets: tuple[str, ...] | None = None,
    baseline: bool = True,
    cache: bool = False,
) -> Report:
    """Validate skills against ``targets`` (default: ``validate.targets`` of the config);
    ``baseline=False`` ignores the baseline file (to write a new one). ``cache``: serve unchanged
    skills from the validation cache and record the others (:mod:`skillsync.validate_cache`)."""
    if cache and baseline:
        from skillsync.validate_cache import cache_dir

        folder = cache_dir(ws)
        if folder is not None:
            return Report(_check_cached(ws, skills, targets, folder))
    policy = load_policy(ws, targets, baseline=baseline)
    return Report([check_skill(ws, s, policy) for s in skills])


def _check_cached(
    ws: Workspace, skills: Sequence[Skill], targets: tuple[str, ...] | None, folder: Path
) -> list[SkillReport]:
    """check_skills through the validation cache. Each skill is selected and hashed through the
    stat cache (a warm run stats files, never reads them); the rules and the policy are loaded
    only for the first skill whose key misses."""
    from skillsync import validate_cache as vc
    from skillsync.errors import LocalError
    from skillsync.manifest import ManifestBuilder

    vc.make_state_dir(ws, folder)
    checker = CachedCheck(ws, targets, folder)
    builder = ManifestBuilder(ws, keep_contents=True, state_dir=folder)
    out: list[SkillReport] = []
    done = False
    try:
        for skill in skills:
            try:
                manifest = builder.build(skill, refill=True)
            except LocalError:  # a name collision, an unreadable file: judged (or refused) uncached
                checker.store.forget(skill.rel)
                out.append(check_skill(ws, skill, checker.policy()))
                continue
            out.append(checker.check(manifest))
            manifest.contents.clear()
        done = True
    finally:
        builder.close(prune=done)
        if done:
            every = {s.rel for s in ws.all_skills()}
            if every <= {s.rel for s in skills}:
                checker.store.prune(every)
            checker.save()
    return out


class CachedCheck:
    """:func:`check_skill` over manifests, through the validation cache in ``folder`` (see
    :mod:`skillsync.validate_cache`): `validate` and push's gate share its entries. The manifests
    must come from a build through the stat cache (they carry the walk the key needs); one that
    does not is validated afresh. The policy is loaded on the first miss. Call :meth:`save` at
    the end."""

    def __init__(self, ws: Workspace, targets: tuple[str, ...] | None, folder: Path) -> None:
        from skillsync import validate_cache as vc

        self.ws = ws
        self.targets = targets
        self.store = vc.ValidationCache.load(folder, ws.root)
        self._run = vc.run_key(ws, targets)
        self._ignores = vc.IgnoreHashes(ws.root)
        self._today = dt.date.today()
        self._policy: Policy | None = None

    def policy(self) -> Policy:
        if self._policy is None:
            self._policy = load_policy(self.ws, self.targets)
        return self._policy

    def check(self, manifest: Manifest) -> SkillReport:
        """The skill's findings: stored ones when its key matches, else fresh (and stored)."""
        from skillsync import validate_cache as vc

        skill = manifest.skill
        key = vc.skill_key(self._run, skill, manifest, self._ignores)
        found = self.store.lookup(skill.rel, key, self._today) if key is not None else None
        if found is not None:
            return SkillReport(skill, found)
        policy = self.policy()
        probed: list[str] = []
        report = check_skill(self.ws, skill, policy, manifest=manifest, probes=probed)
        if key is None or not vc.settled(manifest):
            self.store.forget(skill.rel)
        else:
            facts = vc.probe_facts(skill, probed)
            self.store.store(skill.rel, key, report.findings, facts, policy.valid_until(), manifest.fence)
        return report

    def save(self) -> None:
        self.store.save()


def skills_for_paths(
    ws: Workspace, paths: Sequence[str | Path], cwd: Path | None = None
) -> list[tuple[Workspace, list[Skill]]]:
    """Map command-line PATHs to (workspace, skills): a workspace folder gives its skills under it,
    a skill folder or a file inside one gives that skill (once); other files are ignored."""
    base = cwd or Path.cwd()
    if not paths:
        return [(ws, ws.all_skills())]
    groups: dict[Path, tuple[Workspace, list[Skill]]] = {ws.root: (ws, [])}
    nearest: dict[Path, Path] = {}
    for raw in paths:
        target = Path(os.path.abspath(base / raw))  # noqa: PTH100 - keep links as given
        ws_for = _nearest_workspace(ws, target, groups, nearest)
        for w, picked in _pick(ws_for, target, raw, groups):
            entry = groups.setdefault(w.root, (w, []))
            for s in picked:
                if s not in entry[1]:
                    entry[1].append(s)
    return [(w, sorted(skills, key=lambda s: s.rel)) for w, skills in groups.values() if skills]


def _nearest_workspace(
    ws: Workspace, target: Path, groups: dict[Path, tuple[Workspace, list[Skill]]], nearest: dict[Path, Path]
) -> Workspace:
    """The workspace whose config is nearest above ``target``, when one sits below ``ws.root``.

    pre-commit runs the hook at the git top level with paths from there; a workspace in a
    subfolder (its own skillsync.toml) must still check its files, with its own config.
    """
    folder = target if target.is_dir() else target.parent
    if ws.root not in folder.parents:
        return ws
    root = nearest.get(folder)
    if root is None:
        found, config = find_root(folder) if folder.is_dir() else (ws.root, None)
        root = nearest[folder] = found if config is not None else ws.root  # no config: stay in ws
    if root == ws.root or ws.root not in root.parents:
        return ws
    known = groups.get(root)
    return known[0] if known is not None else open_workspace(root)


def _pick(
    ws: Workspace, target: Path, raw: str | Path, groups: dict[Path, tuple[Workspace, list[Skill]]]
) -> Iterator[tuple[Workspace, list[Skill]]]:
    inside = target == ws.root or ws.root in target.parents
    if not inside:
        if not target.exists():
            raise UsageError(f"{printable(str(raw))}: no such file or folder")
        folder = target if target.is_dir() else target.parent
        known = [w for w, _ in groups.values() if target == w.root or w.root in target.parents]
        other = known[0] if known else open_workspace(folder)
        if other.root == ws.root:  # pragma: no cover - guarded by `inside`
            return
        yield from _pick(other, target, raw, groups)
        return
    owner = ws.owner_of(target, broken=True)
    if owner is not None:
        yield ws, [owner]
        return
    if target.is_dir():
        yield ws, [s for s in ws.all_skills() if s.path == target or target in s.path.parents]
    elif not target.exists():
        raise UsageError(f"{printable(str(raw))}: no such file or folder")
    # a file outside every skill: nothing to check (pre-commit passes every changed file)
