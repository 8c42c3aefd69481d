"""policy.*: an organization's own rules from ``[[validate.policy]]`` in skillsync.toml, no Python.

Each policy names files (gitignore-style patterns, workspace-relative, matched with pathspec) and
regular expressions they must hold (``require``) or must not hold (``forbid``); findings carry the
rule id ``policy.<id>``, the policy's severity, message and hint. Patterns are compiled once per
run (:func:`compile_policies`, cached), and a bad one is a config error naming its key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from skillsync.config import PolicyRule
from skillsync.errors import ConfigError
from skillsync.rules import Finding, Severity
from skillsync.rules.context import SkillContext

PREFIX = "policy."
MAX_PER_FILE = 10


class Compiled(NamedTuple):  # not a dataclass: cheaper to define at start-up
    rule: PolicyRule
    spec: Any  # pathspec.GitIgnoreSpec
    require: tuple[re.Pattern[str], ...]
    forbid: tuple[re.Pattern[str], ...]

    @property
    def id(self) -> str:
        return PREFIX + self.rule.id

    @property
    def severity(self) -> Severity:
        return self.rule.severity


@lru_cache(maxsize=8)
def compile_policies(rules: tuple[PolicyRule, ...], source: str) -> tuple[Compiled, ...]:
    """The policies, compiled; ConfigError names a bad pattern or a duplicate id."""
    if not rules:
        return ()
    import pathspec  # only when a workspace declares policies

    out: list[Compiled] = []
    seen: set[str] = set()
    for n, rule in enumerate(rules):
        key = f"validate.policy[{n}]"
        if rule.id in seen:
            raise ConfigError(f"{source}: {key}.id: policy '{rule.id}' is declared twice")
        seen.add(rule.id)
        if not rule.require and not rule.forbid:
            raise ConfigError(f"{source}: {key}: give 'require' or 'forbid' patterns (see docs/rules.md)")
        compiled: dict[str, list[re.Pattern[str]]] = {"require": [], "forbid": []}
        for kind in ("require", "forbid"):
            for k, pattern in enumerate(getattr(rule, kind)):
                try:
                    compiled[kind].append(re.compile(pattern, re.MULTILINE))
                except re.error as exc:
                    raise ConfigError(
                        f"{source}: {key}.{kind}[{k}]: invalid regular expression: {exc}",
                        hint="patterns are Python regular expressions; escape . ( [ with a backslash",
                    ) from None
        spec = pathspec.GitIgnoreSpec.from_lines(rule.files)
        out.append(Compiled(rule, spec, tuple(compiled["require"]), tuple(compiled["forbid"])))
    return tuple(out)


def check(ctx: SkillContext) -> Iterator[Finding]:
    cfg = ctx.ws.config.validate_
    if not cfg.policy:
        return
    source = str(ctx.ws.config_path) if ctx.ws.config_path else "skillsync.toml"
    policies = compile_policies(cfg.policy, source)
    prefix = "" if ctx.skill.rel == "." else ctx.skill.rel + "/"
    for f in ctx.files:
        ws_path = prefix + f.rel
        applies = [p for p in policies if p.spec.match_file(ws_path)]
        if not applies:
            continue
        text = f.utf8 if f.utf8 is not None else f.data.decode("utf-8", "replace")
        for p in applies:
            hint = p.rule.hint
            for rx in p.require:
                if rx.search(text) is None:
                    yield Finding(
                        p.id, f.rel, None, f"{p.rule.message} (no match for {rx.pattern!r})", hint, p.severity
                    )
            for rx in p.forbid:
                for n, m in enumerate(rx.finditer(text)):
                    if n >= MAX_PER_FILE:
                        break
                    line = text.count("\n", 0, m.start()) + 1
                    yield Finding(p.id, f.rel, line, p.rule.message, hint, p.severity)
