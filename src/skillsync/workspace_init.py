"""``skillsync init``: turn a folder into a workspace.

``skillsync.toml`` is generated from the config model itself (every default written out, with a
comment), so it can never drift from what :mod:`skillsync.config` accepts. Every file is computed
and checked first, then written atomically; existing content is kept or merged, never clobbered.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from skillsync.atomic import atomic_write_text
from skillsync.ci_workflow import WORKFLOW_FILE, render_github_workflow
from skillsync.config import (
    CONFIG_FILE,
    PYPROJECT_FILE,
    Config,
    is_section,
    pyproject_has_section,
    toml_fields,
)
from skillsync.errors import LocalError, UsageError
from skillsync.gittop import git_toplevel
from skillsync.workspace import STATE_DIR

PRE_COMMIT_FILE = ".pre-commit-config.yaml"
HOOK_ID = "skillsync-validate"
# A `repo: local` hook runs the skillsync installed where `git commit` runs (on PATH): it works
# before the package has a public repository to clone. The remote form (`repo: <url>`, `rev:`,
# the manifest in .pre-commit-hooks.yaml) is documented in docs/templates.md.
LOCAL_HOOK: dict[str, Any] = {
    "id": HOOK_ID,
    "name": "skillsync validate",
    "entry": "skillsync validate",
    "language": "system",  # pre-commit 4 calls it `unsupported`; `system` works in 3.x and 4.x
    "pass_filenames": True,
    "require_serial": True,
}
GITIGNORE_ENTRY = f"{STATE_DIR}/"
SKILLIGNORE_FILE = ".skillignore"

# One comment per config key (dotted, by TOML name). tests/test_init.py checks every key has one.
COMMENTS: dict[str, str] = {
    "workspace": "Where skills live and how their slugs are made.",
    "workspace.layouts": (
        "Folders (globs relative to this file) that hold skills, tried in order; slug placeholders:\n"
        "{skill} folder name, {org} parent folder name, {path} relative path with '/' -> '-'."
    ),
    "workspace.slugs": 'Explicit slugs by skill folder, e.g. "acme/report" = "acme-reports".',
    "selection": "Which files of a skill ship (docs/selection.md).",
    "selection.gitignore": "Honour .gitignore files, from the git top level down to each skill.",
    "selection.exclude": "Extra exclude patterns (gitignore syntax, relative to each skill folder).",
    "selection.allow": "Patterns lifting the default-deny of likely secrets (.env, *.pem); use sparingly.",
    "validate": "Validation rules (docs/rules.md; `skillsync rules` lists them).",
    "validate.limits": "Upload limits; the defaults are what the local registry enforces.",
    "validate.limits.max_file_bytes": "Largest single file, in bytes.",
    "validate.limits.max_total_bytes": "Largest skill (all shipped files), in bytes.",
    "validate.limits.max_files": "Most files in one skill.",
    "validate.rules": 'A rule\'s severity everywhere: "rule.id" = "error", "warning", "info" or "off".',
    "validate.overrides": (
        "Severities for some paths only (add entries at the end of this file). Example:\n"
        "[[validate.overrides]]\n"
        'paths = ["legacy/**"]\n'
        'rules = { "files.empty" = "off" }'
    ),
    "validate.allow": (
        "Accepted findings (add entries at the end of this file). Example:\n"
        "[[validate.allow]]\n"
        'rule = "security.generic-secret"\n'
        'paths = ["my-skill/docs/example.md"]'
    ),
    "validate.body_max_lines": "SKILL.md body budget in lines (warning above).",
    "validate.body_max_tokens": "SKILL.md body budget in approximate tokens (warning above).",
    "validate.targets": (
        "Hosts the skills go to: agentskills, seren, claude-code, claude-api, claude-ai\n"
        "(`skillsync rules --target NAME`); `validate --target` overrides."
    ),
    "validate.policy": (
        "Rules of your own (docs/rules.md, Organization policies). Example:\n"
        "[[validate.policy]]\n"
        'id = "no-live-orders"\n'
        'files = ["trading-*/scripts/*.py"]\n'
        "forbid = ['live\\s*=\\s*True']\n"
        'message = "scripts never place live orders"'
    ),
    "validate.waivers": "Committed waivers: [[waiver]] rule, path, reason, expires (docs/rules.md).",
    "validate.baseline": "Written by `skillsync validate --write-baseline`; read like the waivers.",
    "remote": "Which remote commands talk to by default.",
    "remote.default": (
        'Name of the default remote. Unset: "local" (the embedded local registry) until you set up\n'
        'Seren with `skillsync login` or SEREN_API_KEY, then "seren". Set it to pin one.'
    ),
    "remote.org": "Default organization id or slug for remote commands.",
    "remotes": (
        "Named remotes. Example:\n"
        "[remotes.seren]\n"
        'url = "https://api.serendb.com"\n'
        'org = "my-org"\n'
        "The API key never goes here: set SEREN_API_KEY or run `skillsync login`."
    ),
    "templates": "Templates for `skillsync new` (docs/templates.md).",
    "templates.path": "A folder of your own templates; they override built-ins of the same name.",
}
# Shown commented out for keys whose default is "not set". `remote.default` unset means "local until
# you set up Seren (login or SEREN_API_KEY)"; written out, it would pin the workspace to local for good.
EXAMPLES: dict[str, str] = {
    "remote.default": '"local"',
    "remote.org": '"my-org"',
    "templates.path": '"templates"',
}

SKILLIGNORE_TEXT = """\
# .skillignore: files that never ship with a skill, in .gitignore syntax.
# A .skillignore applies to its folder and everything below it; this one, at the workspace
# root, applies to every skill. Patterns are matched against paths inside each skill folder.
# `skillsync why PATH` tells which line decides whether a file ships.
#
# Likely secrets (.env, *.pem, *.key, ...) are never shipped unless `selection.allow` in
# skillsync.toml lists them; files named *.example (like .env.example) do ship.
#
# Examples (remove the leading '# ' to use them):
# tests/
# *.log
# drafts/
"""


@dataclass(frozen=True)
class InitAction:
    path: str  # relative to the workspace root
    action: str  # created | updated | unchanged | kept | overwritten


# --------------------------------------------------------------------------- skillsync.toml


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _comment(lines: list[str], key: str) -> None:
    text = COMMENTS.get(key)
    if text:
        lines.extend(f"# {line}" for line in text.splitlines())


def _fields(section: Any) -> list[tuple[str, Any]]:
    return [(key, value) for key, value, _table in toml_fields(section)]


def _is_table(value: Any) -> bool:
    return (
        is_section(value)
        or (isinstance(value, dict) and not value)
        or (isinstance(value, tuple | list) and bool(value) and all(is_section(v) for v in value))
    )


def _empty_table_lists(section: Any) -> set[str]:
    """Keys of ``section`` that hold a list of tables and are empty: written as a comment only, so a
    ``[[key]]`` entry added later (the documented way) does not clash with a ``key = []``."""
    return {key for key, value, table in toml_fields(section) if table is not None and not value}


def _emit(lines: list[str], path: str, section: Any) -> None:
    fields = _fields(section)
    comment_only = _empty_table_lists(section)
    for key, value in fields:
        if _is_table(value):
            continue
        dotted = f"{path}.{key}" if path else key
        _comment(lines, dotted)
        if key in comment_only:
            continue
        if value is None:
            lines.append(f"# {key} = {EXAMPLES.get(dotted, '...')}")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in fields:
        if not _is_table(value):
            continue
        dotted = f"{path}.{key}" if path else key
        lines.append("")
        _comment(lines, dotted)
        if is_section(value):
            lines.append(f"[{dotted}]")
            _emit(lines, dotted, value)
        elif isinstance(value, dict):
            lines.append(f"[{dotted}]")
        else:
            for item in value:
                lines.append(f"[[{dotted}]]")
                for item_key, item_value in _fields(item):
                    if item_value is not None:
                        lines.append(f"{item_key} = {_toml_value(item_value)}")


def render_config(config: Config | None = None) -> str:
    """``skillsync.toml`` text with every setting of ``config`` (default: the defaults), commented."""
    lines = [
        "# skillsync workspace configuration: every setting, at its default value.",
        "# Delete what you do not change, or keep it as documentation (docs/config.md).",
    ]
    _emit(lines, "", config or Config())
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- .gitignore


def merge_gitignore(text: str | None) -> str | None:
    """``.gitignore`` with the state folder ignored; None when it already is."""
    forms = {f"{p}{STATE_DIR}{s}" for p in ("", "/", "**/") for s in ("", "/", "/*", "/**")}
    if text is not None and any(line.strip() in forms for line in text.splitlines()):
        return None
    head = text or ""
    if head and not head.endswith("\n"):
        head += "\n"
    return f"{head}# skillsync local state (caches, sync state)\n{GITIGNORE_ENTRY}\n"


# --------------------------------------------------------------------------- pre-commit


def hook_entry() -> dict[str, Any]:
    return {"repo": "local", "hooks": [dict(LOCAL_HOOK)]}


def _yaml_scalar(value: Any) -> str:
    return "true" if value is True else str(value)


def _hook_block(indent: str) -> str:
    lines = [f"{indent}- repo: local", f"{indent}  hooks:"]
    for n, (key, value) in enumerate(LOCAL_HOOK.items()):
        lines.append(f"{indent}    {'- ' if n == 0 else '  '}{key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def _has_hook(repos: list[Any]) -> bool:
    for repo in repos:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        if isinstance(hooks, list) and any(isinstance(h, dict) and h.get("id") == HOOK_ID for h in hooks):
            return True
    return False


def _by_hand() -> str:
    hook = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in LOCAL_HOOK.items())
    return f"add by hand under repos: {{repo: local, hooks: [{{{hook}}}]}}"


def merge_pre_commit(text: str | None, where: Path) -> str | None:
    """The pre-commit config with our hook added; None when it is already there.

    The hook is appended as text so comments and formatting survive; the result is re-parsed and
    must equal the old config plus the hook. A file that cannot be parsed, or merged without
    losing comments, is refused (exit 4), never rewritten.
    """
    try:
        return _merge_pre_commit(text, where)
    except RecursionError:  # an alias that contains itself, or nesting past the recursion limit
        raise LocalError(
            f"{where}: nested too deeply or refers to itself, refusing to rewrite it", hint=_by_hand()
        ) from None


def _merge_pre_commit(text: str | None, where: Path) -> str | None:
    fix = _by_hand()
    if text is None or not text.strip():
        intro = (
            "# pre-commit hooks (https://pre-commit.com); run `pre-commit install` once.\n"
            "# skillsync-validate runs the skillsync on PATH when you commit (docs/templates.md).\n"
        )
        return f"{intro}repos:\n{_hook_block('  ')}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise LocalError(
            f"{where}{line}: not valid YAML, refusing to rewrite it", hint=f"fix it, or {fix}"
        ) from None
    repos = data.get("repos") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(repos, list | None):
        raise LocalError(f"{where}: expected a mapping with a 'repos' list, refusing to rewrite it", hint=fix)
    repos = repos or []
    if _has_hook(repos):
        return None
    expected = {**data, "repos": [*repos, hook_entry()]}
    head = text if text.endswith("\n") else text + "\n"
    lines = head.splitlines(keepends=True)
    if "repos" not in data:
        candidates = [f"{head}repos:\n{_hook_block('  ')}"]
    else:
        indents = [ln[: len(ln) - len(ln.lstrip())] for ln in lines if ln.lstrip().startswith("- repo:")]
        # Insert where the repos list ends: before the next top-level key, or at the end of the file.
        start = next((i for i, ln in enumerate(lines) if ln.startswith("repos:")), len(lines))
        end = next((i for i in range(start + 1, len(lines)) if lines[i][:1].isalnum()), len(lines))
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1  # keep blank lines and comments that introduce the next key with it
        candidates = [
            "".join([*lines[:end], _hook_block(ind), *lines[end:]])
            for ind in dict.fromkeys([*indents, "  ", ""])
        ]
    for candidate in candidates:
        try:
            if yaml.safe_load(candidate) == expected:
                return candidate
        except yaml.YAMLError:
            continue
    if "#" not in text:
        return yaml.safe_dump(expected, sort_keys=False, default_flow_style=False)
    raise LocalError(f"{where}: cannot add the hook without losing comments or layout", hint=fix)


# --------------------------------------------------------------------------- init


def init_workspace(
    root: Path, *, pre_commit: bool = False, force: bool = False, ci: str | None = None
) -> list[InitAction]:
    """Create or complete the workspace files in ``root``; checks everything before writing anything."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalError(
            f"cannot create {root}: {exc.strerror or exc}", hint="choose another folder"
        ) from None
    config_path = root / CONFIG_FILE
    if config_path.exists() and not force:
        raise LocalError(f"{config_path} already exists", hint="edit it, or pass --force to replace it")
    pyproject = root / PYPROJECT_FILE
    if pyproject.is_file() and pyproject_has_section(pyproject) and not force:
        raise LocalError(
            f"{pyproject} already configures skillsync in [tool.skillsync]",
            hint="keep using it, or pass --force to add a skillsync.toml (which then takes precedence)",
        )
    if config_path.is_dir():
        raise LocalError(f"{config_path} is a folder", hint="move it away, then run init again")
    plan: list[tuple[Path, str | None, str]] = [
        (config_path, render_config(), "overwritten" if config_path.exists() else "created"),
    ]
    skillignore = root / SKILLIGNORE_FILE
    plan.append(
        (skillignore, None, "kept") if skillignore.exists() else (skillignore, SKILLIGNORE_TEXT, "created")
    )
    gitignore = root / ".gitignore"
    old = _read(gitignore)
    merged = merge_gitignore(old)
    plan.append(
        (gitignore, merged, "unchanged" if merged is None else "created" if old is None else "updated")
    )
    if pre_commit:
        # pre-commit reads its config only at the git top level, so that is where the hook goes.
        pc_path = (git_toplevel(root) or root) / PRE_COMMIT_FILE
        old = _read(pc_path)
        merged = merge_pre_commit(old, pc_path)
        plan.append(
            (pc_path, merged, "unchanged" if merged is None else "created" if old is None else "updated")
        )
    if ci == "github":
        # GitHub reads workflows only at the top level; its steps run in the workspace folder.
        top = git_toplevel(root) or root
        wf_path = top / WORKFLOW_FILE
        wanted = render_github_workflow(Path(os.path.relpath(root, top)).as_posix())
        old = _read(wf_path)
        if old is None:
            plan.append((wf_path, wanted, "created"))
        else:  # an existing workflow is the user's: never rewritten
            plan.append((wf_path, None, "unchanged" if old == wanted else "kept"))
    elif ci is not None:
        raise UsageError(f"unknown CI system '{ci}'", hint="use --ci github")
    # A linked file (dotfiles kept elsewhere) stays a link: write the file it points to. Its
    # folder may be another one, so every folder is checked before the first write.
    writes = [
        (path, Path(os.path.realpath(path)) if path.is_symlink() and path.is_file() else path, text)
        for path, text, _ in plan
        if text is not None
    ]
    for path, dest, _ in writes:
        folder = next(p for p in dest.parents if p.exists())  # .github/workflows may not exist yet
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise LocalError(f"cannot write {path}: {folder} is not a writable folder", hint="check it")
    for path, dest, text in writes:
        try:
            atomic_write_text(dest, text)
        except OSError as exc:
            raise LocalError(f"cannot write {path}: {exc.strerror or exc}", hint="check the folder") from None
    actions = [InitAction(Path(os.path.relpath(path, root)).as_posix(), action) for path, _, action in plan]
    return actions


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalError(f"{path}: cannot read: {exc}", hint="fix its permissions or encoding") from None


def next_steps(root: Path, *, pre_commit: bool, ci: str | None) -> list[str]:
    """What to do after ``init``: the first line depends on whether the folder already has skills."""
    from skillsync.errors import SkillsyncError
    from skillsync.workspace import open_workspace

    try:
        count = len(open_workspace(root).skills())
    except SkillsyncError:  # a broken skill is for `validate` to report, not `init`
        count = -1
    if count > 0:
        found = f"{count} skill{'s' if count != 1 else ''} found"
        lines = [f"workspace ready in {root} ({found}); next: skillsync validate, then skillsync status"]
    elif count < 0:
        lines = [f"workspace ready in {root}; next: skillsync validate"]
    else:
        lines = [f"workspace ready in {root}; next: skillsync new NAME (or ORG/NAME)"]
    if pre_commit:
        lines.append("run `pre-commit install` to enable the hook")
    if ci == "github":
        lines.append(
            f"commit {WORKFLOW_FILE} and add the repository secret SEREN_API_KEY to publish from CI"
        )
    return lines
