"""Templates: where they are (built-in, the workspace's ``[templates] path``, a folder given by
path), their ``template.toml`` manifests and the variables they declare.

Scaffolding a skill from one (values, rendering, creation) is :mod:`skillsync.scaffold`.
"""

from __future__ import annotations

import datetime
import importlib.resources
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import skillsync
from skillsync.errors import FindingsError, LocalError, UsageError
from skillsync.workspace import Workspace

MANIFEST = "template.toml"
BUILTIN = "built-in"
USER = "user"
PATH_SOURCE = "path"
_VAR_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VAR_KEYS = frozenset({"default", "help", "pattern", "choices", "required"})
# Given by the NAME argument, never by --var or a manifest.
RESERVED = ("name", "org")
# Computed from the other values after they are known (for safe embedding in YAML, JSON, Python).
DERIVED = ("description_yaml", "description_json", "name_snake")


@dataclass(frozen=True)
class Variable:
    name: str
    help: str
    default: str | None = None  # may itself contain {{ var }} of variables resolved before it
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    required: bool = True
    builtin: bool = False  # name/org/year/display_name/description: not prompted unless declared

    def problem(self, value: str) -> str | None:
        """Why ``value`` is not acceptable for this variable, or None."""
        if self.choices and value not in self.choices:
            return f"must be one of: {', '.join(self.choices)}"
        if self.pattern and not re.fullmatch(self.pattern, value):
            return f"must match the pattern {self.pattern}"
        if self.required and not value:
            return "must not be empty"
        return None


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    source: str  # "built-in", "user" or "path"
    path: Path
    variables: tuple[Variable, ...] = field(default=())

    def variable(self, name: str) -> Variable | None:
        for var in self.variables:
            if var.name == name:
                return var
        return None


def builtin_templates_dir() -> Path:
    """The built-in templates: ``skillsync/templates`` in a wheel, the checkout's ``templates/`` otherwise."""
    packaged = importlib.resources.files("skillsync") / "templates"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = Path(skillsync.__file__).resolve().parent.parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise LocalError(
        "the built-in templates are missing from this installation",
        hint="reinstall skillsync (the wheel ships them as skillsync/templates)",
    )


def user_templates_dir(ws: Workspace) -> Path | None:
    """The folder named by ``[templates] path`` in the workspace config, if any."""
    if ws.config.templates.path is None:
        return None
    folder = (ws.root / ws.config.templates.path).resolve()
    if not folder.is_dir():
        where = ws.config_path or ws.root
        raise LocalError(
            f"{where}: templates.path '{ws.config.templates.path}' is not a folder",
            hint="create it or fix templates.path",
        )
    return folder


def _str(value: object, where: str, key: str) -> str:
    if not isinstance(value, str):
        raise LocalError(f"{where}: '{key}' must be a string")
    return value


def _parse_variable(name: str, raw: object, where: str) -> Variable:
    if not _VAR_NAME.match(name):
        raise LocalError(f"{where}: variable '{name}' must be lowercase letters, digits and underscores")
    if name in RESERVED or name in DERIVED:
        raise LocalError(f"{where}: variable '{name}' is reserved", hint="rename it")
    if not isinstance(raw, dict):
        raise LocalError(f"{where}: [variables.{name}] must be a table")
    unknown = sorted(set(raw) - _VAR_KEYS)
    if unknown:
        raise LocalError(
            f"{where}: unknown key '{unknown[0]}' in [variables.{name}]",
            hint=f"use {', '.join(sorted(_VAR_KEYS))}",
        )
    default = _str(raw["default"], where, f"variables.{name}.default") if "default" in raw else None
    pattern = _str(raw["pattern"], where, f"variables.{name}.pattern") if "pattern" in raw else None
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LocalError(f"{where}: variables.{name}.pattern is not a valid regex: {exc}") from None
    choices = raw.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise LocalError(f"{where}: variables.{name}.choices must be a list of strings")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise LocalError(f"{where}: variables.{name}.required must be true or false")
    help_text = _str(raw.get("help", ""), where, f"variables.{name}.help")
    return Variable(name, help_text, default, pattern, tuple(choices), required)


def _builtin_variables() -> dict[str, Variable]:
    return {
        "year": Variable(
            "year", "Year for copyright lines", str(datetime.date.today().year), "[0-9]{4}", builtin=True
        ),
        "display_name": Variable(
            "display_name", "Display name (the first # heading of SKILL.md)", None, builtin=True
        ),
        "description": Variable(
            "description",
            "What the skill does and when an agent should use it (one line)",
            "{{ display_name }} skill. Use it when the task matches this skill.",
            builtin=True,
        ),
    }


def load_template(folder: Path, source: str) -> Template:
    """Read ``folder/template.toml`` (errors name the file and are exit 4)."""
    where = folder / MANIFEST
    try:
        data = tomllib.loads(where.read_text("utf-8"))
    except OSError as exc:
        raise LocalError(f"{where}: cannot read template manifest: {exc.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LocalError(f"{where}: invalid template manifest: {exc}") from None
    unknown = sorted(set(data) - {"description", "variables"})
    if unknown:
        raise LocalError(f"{where}: unknown key '{unknown[0]}'", hint="use description and [variables.NAME]")
    description = _str(data.get("description", ""), str(where), "description")
    raw_vars = data.get("variables", {})
    if not isinstance(raw_vars, dict):
        raise LocalError(f"{where}: 'variables' must be a table of tables")
    variables = _builtin_variables()
    for name, raw in raw_vars.items():
        var = _parse_variable(name, raw, str(where))
        base = variables.get(name)
        if base is not None:  # a template may change a built-in variable's default and help
            default = var.default if var.default is not None else base.default
            var = Variable(
                name, var.help or base.help, default, var.pattern or base.pattern, var.choices, var.required
            )
        variables[name] = var
    # Defaults may use earlier values: the built-ins first, then the template's own, description last.
    ordered = sorted(
        variables.values(), key=lambda v: {"year": 0, "display_name": 0, "description": 2}.get(v.name, 1)
    )
    return Template(folder.name, description, source, folder, tuple(ordered))


def _templates_in(folder: Path, source: str) -> dict[str, Template]:
    found: dict[str, Template] = {}
    try:
        children = sorted(folder.iterdir())
        templates = [c for c in children if c.is_dir() and (c / MANIFEST).is_file()]
    except OSError as exc:
        raise LocalError(
            f"cannot read the templates in {exc.filename or folder}: {exc.strerror or exc}",
            hint="fix its permissions",
        ) from None
    for child in templates:
        found[child.name] = load_template(child, source)
    return found


def list_templates(user_dir: Path | None = None) -> list[Template]:
    """Built-in templates, overridden by user templates of the same name; sorted by name."""
    found = _templates_in(builtin_templates_dir(), BUILTIN)
    if user_dir is not None:
        found.update(_templates_in(user_dir, USER))
    return [found[k] for k in sorted(found)]


def find_template(spec: str, user_dir: Path | None = None, *, cwd: Path | None = None) -> Template:
    """A template by name, or by the path of a folder holding ``template.toml``."""
    if "/" in spec or spec.startswith("."):
        folder = Path(cwd or Path.cwd()) / spec
        try:
            is_template = (folder / MANIFEST).is_file()
        except OSError as exc:
            raise LocalError(f"cannot read {folder}: {exc.strerror or exc}", hint="fix permissions") from None
        if not is_template:
            raise UsageError(f"{spec}: not a template folder (no {MANIFEST})", hint="see docs/templates.md")
        return load_template(folder.resolve(), PATH_SOURCE)
    templates = list_templates(user_dir)
    for tpl in templates:
        if tpl.name == spec:
            return tpl
    raise FindingsError(
        f"unknown template '{spec}'",
        hint=f"available: {', '.join(t.name for t in templates)}; or give the path of a template folder",
    )
