"""Validation rules: the registry of rule metadata and the finding type every family yields.

The registry (:data:`RULES`) is the single source for ``skillsync rules``, docs/rules.md and the
config check that rejects unknown rule ids. The checks live in one module per family:
:mod:`.spec`, :mod:`.seren`, :mod:`.files`, :mod:`.security`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


class RuleInfo(NamedTuple):  # a NamedTuple: ~0.2 ms to define, a dataclass ~1 ms (start-up)
    id: str
    severity: Severity
    summary: str  # one line, shown by `skillsync rules`
    fixable: bool = False


@dataclass(frozen=True)
class Finding:
    """One problem. ``path`` is relative to the skill folder while a rule runs; the engine makes
    it workspace-relative. ``severity`` is the rule's default until the engine applies config."""

    rule: str
    path: str
    line: int | None
    message: str
    hint: str | None = None
    severity: Severity = "error"
    targets: tuple[str, ...] = ()  # the selected targets this breaks (empty: a rule of no target)


def _r(rule_id: str, severity: Severity, summary: str, *, fixable: bool = False) -> RuleInfo:
    return RuleInfo(rule_id, severity, summary, fixable)


_ALL: tuple[RuleInfo, ...] = (
    # spec.*: the Agent Skills format (verdicts agree with the reference validator skills-ref).
    _r("spec.frontmatter-missing", "error", "SKILL.md starts with a '---' frontmatter line"),
    _r("spec.frontmatter-unclosed", "error", "the frontmatter is closed by a '---' line"),
    _r("spec.frontmatter-too-large", "error", "the frontmatter fits in 256 KiB"),
    _r("spec.yaml-invalid", "error", "the frontmatter is valid YAML (no tab after ':' or in indentation)"),
    _r(
        "spec.needs-quotes",
        "error",
        "an unquoted value does not contain ': ' or start with a YAML indicator character",
        fixable=True,
    ),
    _r("spec.yaml-duplicate-key", "error", "no key appears twice in the frontmatter"),
    _r("spec.yaml-alias", "error", "no YAML anchors or aliases in the frontmatter"),
    _r("spec.yaml-tag", "error", "no YAML tags (!!str, !custom) in the frontmatter"),
    _r(
        "spec.yaml-value",
        "error",
        "no unquoted value that YAML reads as an impossible date or an integer beyond 64 bits",
    ),
    _r("spec.yaml-flow-style", "error", "no flow-style collections ([...], {...}) in the frontmatter"),
    _r("spec.frontmatter-not-mapping", "error", "the frontmatter is a YAML mapping"),
    _r("spec.name-missing", "error", "the frontmatter has a 'name'"),
    _r(
        "spec.name-invalid",
        "error",
        "'name' is 1-64 lowercase letters, digits and single hyphens, not starting or ending with one",
    ),
    _r("spec.name-mismatch", "error", "'name' equals the skill folder name (after NFKC normalisation)"),
    _r("spec.description-missing", "error", "the frontmatter has a 'description'"),
    _r("spec.description-invalid", "error", "'description' is a non-empty string of at most 1024 characters"),
    _r("spec.compatibility-invalid", "error", "'compatibility' is a string of 1-500 characters"),
    _r("spec.metadata-invalid", "error", "'metadata' is a mapping of strings to strings"),
    _r(
        "spec.unknown-field",
        "error",
        "only name, description, license, allowed-tools, metadata and compatibility at the top level",
    ),
    _r("spec.field-type", "warning", "'license' is a string; 'allowed-tools' a string or list of strings"),
    _r("spec.bom", "warning", "SKILL.md does not start with a UTF-8 byte order mark"),
    # seren.*: what the Seren API accepts.
    _r("seren.root-file", "error", "a root file named exactly SKILL.md ships"),
    _r(
        "seren.path-invalid",
        "error",
        "relative paths have no leading '/', '..', backslash, empty segment or control character",
    ),
    _r("seren.slug-invalid", "error", "the slug is 2+ lowercase letters, digits and single hyphens"),
    _r("seren.slug-long", "warning", "the slug is at most 64 characters"),
    _r("seren.slug-duplicate", "error", "no two skill folders get the same slug"),
    _r(
        "seren.layout",
        "warning",
        "the skill folder matches a workspace layout (or workspace.slugs), so it can be pushed",
    ),
    _r(
        "seren.nested-skill",
        "error",
        "no SKILL.md inside another skill's folder (it would ship as a file of it)",
    ),
    _r("seren.file-too-large", "error", "each file is within validate.limits.max_file_bytes"),
    _r("seren.total-too-large", "error", "all files together are within validate.limits.max_total_bytes"),
    _r("seren.too-many-files", "error", "the file count is within validate.limits.max_files"),
    _r("seren.display-name", "warning", "the SKILL.md body has a '# ' heading (Seren's display name)"),
    # files.*: the files that ship.
    _r("files.skill-md-encoding", "error", "SKILL.md is UTF-8 text, not binary"),
    _r("files.unreadable", "error", "every shipped file can be read"),
    _r("files.not-utf8", "warning", "text files (by extension) are UTF-8"),
    _r("files.empty", "warning", "no shipped file is empty"),
    _r("files.broken-link", "error", "relative links and file references in SKILL.md point to shipped files"),
    _r(
        "files.exec-bit",
        "info",
        "scripts with a shebang are executable and the reverse (Seren keeps no modes)",
    ),
    _r("files.body-too-long", "warning", "the SKILL.md body is within validate.body_max_lines/_tokens"),
    _r("files.name-collision", "error", "no two file names differ only in case or Unicode normalisation"),
    # security.*: secrets in shipped files (messages never print the secret).
    _r("security.seren-key", "error", "no Seren API key (seren_...) in shipped files"),
    _r("security.aws-key", "error", "no AWS access key id in shipped files"),
    _r("security.private-key", "error", "no private key block in shipped files"),
    _r("security.github-token", "error", "no GitHub token in shipped files"),
    _r("security.slack-token", "error", "no Slack token or webhook URL in shipped files"),
    _r(
        "security.generic-secret",
        "warning",
        "no random-looking value assigned to a credential name (API_KEY, *_TOKEN, *_SECRET, *PASSWORD)",
    ),
    # claude-code.*, claude-api.*, claude-ai.*: what one host needs beyond the shared rules
    # (targets and their rule sets: rules/targets.py; host limits: rules/limits.py).
    _r(
        "claude-code.description-listing",
        "warning",
        "'description' fits Claude Code's skill listing (250 chars)",
    ),
    _r(
        "claude-code.field-value",
        "warning",
        "disable-model-invocation/user-invocable are true or false; effort low..max; context fork",
    ),
    _r("claude-api.name-chars", "error", "'name' holds only ASCII lowercase letters, digits and hyphens"),
    _r("claude-api.reserved-word", "error", "'name' has no reserved word ('anthropic', 'claude')"),
    _r("claude-api.xml-tag", "error", "'name' and 'description' contain no XML tags"),
    _r(
        "claude-api.upload-too-large",
        "error",
        "all files together are under the Skills API upload limit (8 MiB)",
    ),
    _r("claude-ai.too-many-files", "error", "the skill ships at most 200 files (claude.ai zip upload)"),
    _r("claude-ai.too-large", "error", "the skill is at most 30 MiB uncompressed (claude.ai zip upload)"),
    _r("claude-ai.skill-md-count", "error", "exactly one SKILL.md ships (claude.ai zip upload)"),
    # supply.*: supply-chain patterns in every shipped file (rules/supply.py).
    _r(
        "supply.invisible-unicode",
        "error",
        "no zero-width, bidirectional-control or Unicode tag characters (hidden text)",
    ),
    _r("supply.prompt-override", "warning", "SKILL.md and documents hold no instruction-override phrases"),
    _r("supply.download-exec", "warning", "no download run at once as code (curl | sh, irm | iex)"),
    _r("supply.decode-exec", "error", "nothing decodes an embedded base64/hex blob and executes it"),
    _r(
        "supply.credential-exfil",
        "error",
        "no script reads ~/.ssh, ~/.aws, browser profiles or ~/.env and also makes a network call",
    ),
    _r("supply.env-dump", "error", "no script serialises the whole environment or sends it out"),
    _r("supply.unpinned-install", "warning", "package installs in scripts name an exact version"),
    _r("supply.embedded-executable", "error", "no ELF, PE or Mach-O executable ships"),
    _r("supply.embedded-archive", "warning", "no zip, tar, gzip, 7z, rar, xz or bzip2 archive ships"),
    _r("supply.impersonation", "warning", "'name' and 'description' claim no vendor's authority (official)"),
    # waiver.*: the committed waivers file (rules/waivers.py).
    _r("waiver.expired", "error", "no waiver in the waivers or baseline file is past its 'expires' date"),
)

RULES: dict[str, RuleInfo] = {r.id: r for r in _ALL}


def rule_ids_matching(pattern: str) -> list[str]:
    """Rule ids named by ``pattern``: an exact id, a family (``security.*``) or ``*``."""
    if pattern == "*":
        return list(RULES)
    if pattern.endswith(".*"):
        family = pattern[:-1]
        return [r for r in RULES if r.startswith(family)]
    return [pattern] if pattern in RULES else []


def markdown() -> str:
    """docs/rules.md: the rule table (from :data:`RULES`), the targets and host limits, between
    rules_head.md and rules_tail.md."""
    from importlib.resources import files

    from skillsync.rules.limits import LIMITS
    from skillsync.rules.targets import MEMBERSHIP, TARGETS

    head = files("skillsync.rules").joinpath("rules_head.md").read_text("utf-8")
    tail = files("skillsync.rules").joinpath("rules_tail.md").read_text("utf-8")
    rows = ["| Rule | Default | Checks that | Targets | `fix` |", "|---|---|---|---|---|"]
    for r in _ALL:
        owners = ", ".join(MEMBERSHIP.get(r.id, ())) or "(all)"
        rows.append(f"| `{r.id}` | {r.severity} | {r.summary} | {owners} | {'yes' if r.fixable else ''} |")
    rows += [
        "",
        "## Targets",
        "",
        "A rule of some targets runs only when one of them is selected (`validate --target NAME[,NAME...]`,",
        "or `validate.targets` in skillsync.toml; default `agentskills,seren`); each finding lists the",
        "selected targets it breaks (JSON `targets`, SARIF `properties.targets`). Rules marked `(all)`",
        "above belong to no host and always run, with an empty `targets` list.",
        "`skillsync rules --target NAME` prints one target's rules, source and limits.",
        "",
        "| Target | Host | Source | Checked | Frontmatter keys it knows |",
        "|---|---|---|---|---|",
    ]
    for t in TARGETS.values():
        keys = ", ".join(f"`{k}`" for k in t.fields) if t.fields is not None else "(not checked)"
        rows.append(f"| `{t.name}` | {t.title} | {t.source} | {t.checked} | {keys} |")
    rows += [
        "",
        "### Host limits",
        "",
        "Limits a host may change, one line each in `src/skillsync/rules/limits.py` (a test pins them).",
        "",
        "| Target | Limit | Value | Source | Checked | Note |",
        "|---|---|---|---|---|---|",
    ]
    for h in LIMITS:
        value = f"{h.value} {h.unit}"
        rows.append(f"| `{h.target}` | `{h.key}` | {value} | {h.source} | {h.checked} | {h.note} |")
    return head.rstrip("\n") + "\n\n" + "\n".join(rows) + "\n\n" + tail.lstrip("\n")
