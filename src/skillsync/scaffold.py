"""Skill scaffolding: names, variable values, rendering, atomic creation (templates themselves:
:mod:`skillsync.template_catalog`).

A template is a folder holding ``template.toml`` (its manifest, never copied) and the files of a
skill. File contents and file names may contain ``{{ var }}``; ``\\{{`` is a literal ``{{``.
Everything is rendered in memory first, so a template error leaves nothing on disk; the files are
then written to a temporary folder beside the target and renamed into place (docs/templates.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from skillsync.errors import FindingsError, LocalError, UsageError
from skillsync.template_catalog import (
    MANIFEST,
    RESERVED,
    Template,
    Variable,
    find_template,
    user_templates_dir,
)
from skillsync.workspace import SLUG_SOFT_MAX, Workspace, match_layout, render_slug, slug_problem

NAME_MAX = 64
DESCRIPTION_MAX = 1024
# Never copied out of a template folder.
_SKIP_NAMES = frozenset({MANIFEST, "__pycache__", ".DS_Store", "node_modules", ".git"})

_PLACEHOLDER = re.compile(r"(\\?)\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class RenderedFile:
    rel: str  # POSIX path inside the skill
    data: bytes
    mode: int  # 0o755 for a file starting with "#!", else 0o644 (the shebang rule of `validate`)


@dataclass(frozen=True)
class Target:
    path: Path  # absolute skill folder
    rel: str  # relative to the workspace root
    slug: str


@dataclass(frozen=True)
class NewSkill:
    target: Target
    template: Template
    values: dict[str, str]
    files: list[RenderedFile]


# prompt(variable, default, error of the previous answer or None) -> the answer
Prompt = Callable[[Variable, str | None, str | None], str]


# --------------------------------------------------------------------------- names and values


def name_problem(name: str) -> str | None:
    """Which Agent Skills name rule (also the slug rule) ``name`` breaks, or None."""
    if not name:
        return "a name needs at least 1 character"
    if len(name) > NAME_MAX:
        return f"a name has at most {NAME_MAX} characters (this one has {len(name)})"
    if any(c.isupper() for c in name):
        return "a name is lowercase: no capital letters"
    bad = sorted({c for c in name if not (c.isascii() and (c.islower() or c.isdigit() or c == "-"))})
    if bad:
        shown = " ".join(repr(c) for c in bad[:5])
        return f"a name has only ASCII lowercase letters, digits and hyphens (found {shown})"
    if name.startswith("-") or name.endswith("-"):
        return "a name must not start or end with a hyphen"
    if "--" in name:
        return "a name must not contain two hyphens in a row"
    return slug_problem(name)


def title_case(name: str) -> str:
    """``my-cool-skill`` -> ``My Cool Skill`` (the default display name)."""
    return " ".join(part[:1].upper() + part[1:] for part in name.split("-") if part)


def _single_line_problem(value: str, limit: int) -> str | None:
    if not value.strip():
        return "must not be empty"
    if len(value) > limit:
        return f"has at most {limit} characters (this one has {len(value)})"
    if any(_needs_escape(c) for c in value):
        return "must be one line without control characters"
    return None


def yaml_quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that every YAML 1.1/1.2 parser reads back exactly."""
    out = ['"']
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif _needs_escape(ch):
            code = ord(ch)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            else:
                out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    return (
        code < 0x20
        or 0x7F <= code <= 0x9F
        or code in (0x2028, 0x2029, 0xFEFF)
        or 0xD800 <= code <= 0xDFFF
        or code in (0xFFFE, 0xFFFF)
    )


# --------------------------------------------------------------------------- values


def substitute(text: str, values: Mapping[str, str], where: str, *, lines: bool = True) -> str:
    """Replace ``{{ var }}`` in ``text``; an unknown name is an error naming ``where`` and the line."""

    def repl(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)[1:]
        key = match.group(2)
        if key not in values:
            line = f":{text.count(chr(10), 0, match.start()) + 1}" if lines else ""
            known = ", ".join(sorted(values))
            raise LocalError(
                f"{where}{line}: unknown template variable '{key}'",
                hint=f"known variables: {known}; write \\{{{{ for a literal {{{{",
            )
        return values[key]

    return _PLACEHOLDER.sub(repl, text)


def resolve_values(
    template: Template,
    *,
    name: str,
    org: str | None,
    given: Mapping[str, str],
    prompt: Prompt | None = None,
) -> dict[str, str]:
    """Every variable's value: given on the command line, else prompted (if ``prompt``), else the default.

    Raises FindingsError (exit 1) for an unknown or invalid variable, naming the rule it breaks.
    """
    declared = {v.name for v in template.variables}
    for key in given:
        if key in RESERVED:
            raise UsageError(f"--var {key}=...: '{key}' comes from the [ORG/]NAME argument")
        if key not in declared:
            raise FindingsError(
                f"unknown variable '{key}' for template '{template.name}'",
                hint=f"variables: {', '.join(sorted(declared))}",
            )
    values: dict[str, str] = {"name": name, "org": org or ""}
    manifest = str(template.path / MANIFEST)
    for var in template.variables:
        default = None
        if var.default is not None:
            default = substitute(
                var.default, values, f"{manifest} [variables.{var.name}] default", lines=False
            )
        if var.name == "display_name" and default is None:
            default = title_case(name)
        if var.name in given:
            value = given[var.name]
        elif prompt is not None and not (var.builtin and var.name != "description"):
            value = _ask(prompt, var, default)
        elif default is not None:
            value = default
        elif not var.required:
            value = ""
        else:
            raise UsageError(
                f"missing value for variable '{var.name}' of template '{template.name}'",
                hint=f"pass --var {var.name}=VALUE",
            )
        problem = _value_problem(var, value)
        if problem and var.name not in given and value == default and var.default is not None:
            raise LocalError(  # nobody gave this value: the template's own default is broken
                f"{manifest}: the default of [variables.{var.name}] is invalid: {problem}",
                hint=f"fix the default in the template, or pass --var {var.name}=VALUE",
            )
        if problem:
            raise FindingsError(f"invalid value for '{var.name}': {problem}", hint=var.help or None)
        values[var.name] = value
    values["description_yaml"] = yaml_quote(values["description"])
    values["description_json"] = json.dumps(values["description"], ensure_ascii=False)
    values["name_snake"] = name.replace("-", "_")
    return values


def _value_problem(var: Variable, value: str) -> str | None:
    if var.name == "description":
        return _single_line_problem(value, DESCRIPTION_MAX) or var.problem(value)
    if var.name == "display_name":
        return _single_line_problem(value, 200) or var.problem(value)
    if any(_needs_escape(c) for c in value):
        return "must be one line without control characters"
    return var.problem(value)


def _ask(prompt: Prompt, var: Variable, default: str | None) -> str:
    error: str | None = None
    while True:
        value = prompt(var, default, error)
        error = _value_problem(var, value)
        if error is None:
            return value


# --------------------------------------------------------------------------- rendering


def render(template: Template, values: Mapping[str, str]) -> list[RenderedFile]:
    """Every file of the template with placeholders filled, in memory, sorted by path."""
    out: list[RenderedFile] = []
    sources: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(template.path, onerror=_walk_error, followlinks=True):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_NAMES)
        for dname in dirnames:
            _check_folder_link(here / dname, template.path)
        for fname in sorted(filenames):
            if fname in _SKIP_NAMES or (here == template.path and fname == MANIFEST):
                continue
            src = here / fname
            rel_src = src.relative_to(template.path).as_posix()
            rel = "/".join(_render_segment(seg, values, str(src)) for seg in rel_src.split("/"))
            other = sources.setdefault(rel, src)
            if other != src:
                raise LocalError(
                    f"{other} and {src} both render to '{rel}'", hint="rename one of them in the template"
                )
            data = _read_template_file(src, template.path)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                rendered = data  # binary: copied as it is
            else:
                rendered = substitute(text, values, str(src)).encode("utf-8")
            out.append(RenderedFile(rel, rendered, 0o755 if rendered.startswith(b"#!") else 0o644))
    for rel, src in sources.items():  # "x" as a file and "x/..." below it cannot both be written
        parts = rel.split("/")
        for cut in range(1, len(parts)):
            clash = sources.get("/".join(parts[:cut]))
            if clash is not None:
                raise LocalError(
                    f"{clash} renders to a file where {src} needs a folder ('{'/'.join(parts[:cut])}')",
                    hint="rename one of them in the template",
                )
    return sorted(out, key=lambda f: f.rel)


def _walk_error(exc: OSError) -> None:
    """os.walk passes over a folder it cannot list; a template must not lose files that way."""
    raise LocalError(f"cannot read {exc.filename}: {exc.strerror or exc}", hint="fix its permissions")


def _check_folder_link(folder: Path, root: Path) -> None:
    """A linked folder of a template is copied like any other, if it stays inside the template
    and does not lead back to a folder above it (a loop)."""
    if not folder.is_symlink():
        return
    real = Path(os.path.realpath(folder))
    if not real.is_relative_to(os.path.realpath(root)):
        raise LocalError(
            f"{folder}: symbolic link to {folder.readlink()} leaves the template folder",
            hint="copy the files into the template instead",
        )
    above = folder.parent
    while True:  # the real folders on the way down from the template root
        if Path(os.path.realpath(above)) == real:
            raise LocalError(
                f"{folder}: symbolic link to {folder.readlink()} is a loop (it leads to a folder above it)",
                hint="remove the link from the template",
            )
        if above == root:
            return
        above = above.parent


def _read_template_file(src: Path, root: Path) -> bytes:
    """The bytes of a regular file of the template; a link may only point inside the template."""
    try:
        # realpath, not Path.resolve: that raises RuntimeError on a link loop
        if src.is_symlink() and not Path(os.path.realpath(src)).is_relative_to(os.path.realpath(root)):
            raise LocalError(
                f"{src}: symbolic link to {src.readlink()} leaves the template folder",
                hint="copy the file into the template instead",
            )
        if not src.is_file():  # a dangling or looping link, fifo, socket or device (a fifo would block)
            raise LocalError(f"{src}: not a regular file", hint="remove it from the template")
        return src.read_bytes()
    except OSError as exc:
        raise LocalError(f"cannot read {src}: {exc.strerror or exc}", hint="fix its permissions") from None


def _render_segment(segment: str, values: Mapping[str, str], where: str) -> str:
    rendered = substitute(segment, values, where)
    if rendered in ("", ".", "..") or "/" in rendered or "\\" in rendered:
        raise LocalError(f"{where}: file name renders to '{rendered}'", hint="fix the template file name")
    return rendered


# --------------------------------------------------------------------------- target and creation


def _literal(segment: str) -> bool:
    return not any(c in segment for c in "*?[")


def plan_target(ws: Workspace, name: str, org: str | None) -> Target:
    """Where ``[ORG/]NAME`` goes: the first fitting workspace layout (rule in docs/templates.md).

    A layout fits when its last segment matches NAME, the one before it matches ORG (when given),
    and every other segment is a literal folder name. Among fitting layouts, the first whose literal
    prefix folder exists wins; else the first without a prefix; else the first.
    """
    for label, value in (("name", name), ("org", org)):
        if value is None:
            continue
        problem = name_problem(value)
        if problem:
            raise FindingsError(f"invalid {label} '{value}': {problem}")
    if org is not None and ws.config_path is None:
        raise LocalError(
            f"not inside a workspace: no skillsync.toml (or [tool.skillsync] in pyproject.toml) in {ws.root} "
            "or above, so there is no layout for ORG/NAME",
            hint="run `skillsync init` at the root of your skills repository first",
        )
    tail = [org, name] if org is not None else [name]
    fitting: list[list[str]] = []
    for layout in ws.config.workspace.layouts:
        glob = layout.glob.strip("/")
        if glob in ("", "."):
            continue
        parts = glob.split("/")
        prefix, last = parts[: -len(tail)], parts[-len(tail) :]
        if len(parts) < len(tail) or not all(_literal(p) for p in prefix):
            continue
        if all(fnmatchcase(v, g) for v, g in zip(tail, last, strict=True)):
            fitting.append([*prefix, *tail])
    if not fitting:
        shape = "ORG/NAME" if org is not None else "NAME"
        raise LocalError(
            f"no workspace layout fits {shape} '{'/'.join(tail)}' ({ws.config_path or ws.root})",
            hint='add a layout such as glob = "*/*" (or "*") to workspace.layouts',
        )
    chosen = next(
        (f for f in fitting if len(f) > len(tail) and (ws.root.joinpath(*f[: -len(tail)])).is_dir()),
        next((f for f in fitting if len(f) == len(tail)), fitting[0]),
    )
    rel = "/".join(chosen)
    path = ws.root.joinpath(*chosen)
    if os.path.lexists(path):
        raise LocalError(f"{rel} already exists", hint="choose another name, or remove the folder first")
    tpl = ws.config.templates.path
    if tpl:  # discovery never looks into the templates folder: a skill there would be invisible
        tpl_dir = Path(os.path.normpath(ws.root / tpl))
        if path == tpl_dir or tpl_dir in path.parents:
            raise LocalError(
                f"{rel} is inside the templates folder (templates.path = '{tpl}'), never searched for skills",
                hint="choose another name, or move templates.path",
            )
    matched = match_layout(rel, ws.config.workspace.layouts)
    assert matched is not None  # the chosen path fits a layout by construction
    slug = ws.config.workspace.slugs.get(rel) or render_slug(matched, ws.root, rel)
    problem = slug_problem(slug)
    if problem:
        raise FindingsError(f"{rel} would get the invalid slug '{slug}': {problem}")
    for skill in ws.skills():
        if skill.path == path or skill.path in path.parents:
            raise LocalError(
                f"{rel} would be inside the skill in {skill.rel} (a skill folder cannot hold another skill)",
                hint="choose another name, or add a layout that puts new skills elsewhere",
            )
        if skill.slug == slug:
            raise LocalError(
                f"slug '{slug}' is already used by the skill in {skill.rel}",
                hint="choose another name, or set workspace.slugs in skillsync.toml",
            )
    return Target(path, rel, slug)


def slug_warning(target: Target) -> str | None:
    if len(target.slug) > SLUG_SOFT_MAX:
        return (
            f"slug '{target.slug}' is longer than {SLUG_SOFT_MAX} characters; `validate` will warn "
            "(choose a shorter name or set workspace.slugs)"
        )
    return None


def write_skill(target: Path, files: list[RenderedFile]) -> None:
    """Create ``target`` with ``files`` all at once: a temp folder beside it, renamed into place.

    On any failure nothing is left behind (not even parent folders this call created).
    """
    created: list[Path] = []
    parent = target.parent
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent))
        for item in files:
            dest = tmp.joinpath(*item.rel.split("/"))
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(item.data)
            dest.chmod(item.mode)
        tmp.chmod(0o755)
        if os.path.lexists(target):
            raise LocalError(f"{target} already exists", hint="choose another name, or remove it first")
        tmp.rename(target)
        tmp = None
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise LocalError(
                f"cannot create {target}: {exc.strerror or exc}",
                hint="check that the folders on the way are folders and writable",
            ) from None
        raise


def split_spec(spec: str) -> tuple[str | None, str]:
    """``ORG/NAME`` -> (org, name); ``NAME`` -> (None, name)."""
    parts = spec.strip().split("/")
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise UsageError(f"'{spec}' is not NAME or ORG/NAME", hint="give at most one '/'")


def new_skill(
    ws: Workspace,
    spec: str,
    *,
    template: str = "basic",
    given: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    cwd: Path | None = None,
) -> NewSkill:
    """Scaffold ``[ORG/]NAME`` from ``template`` into the workspace and return what was made."""
    org, name = split_spec(spec)
    target = plan_target(ws, name, org)
    tpl = find_template(template, user_templates_dir(ws), cwd=cwd)
    values = resolve_values(tpl, name=name, org=org, given=dict(given or {}), prompt=prompt)
    files = render(tpl, values)
    write_skill(target.path, files)
    return NewSkill(target, tpl, values, files)
