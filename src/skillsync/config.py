"""The ``skillsync.toml`` model (or ``[tool.skillsync]`` in ``pyproject.toml``).

Unknown keys and wrong types are errors that name the key and the file, so a typo never
silently changes what ships.

Plain frozen dataclasses and a small validator instead of pydantic: every command reads the
config, and importing pydantic cost more than the rest of start-up (`validate` runs in pre-commit
hooks). Each field says how its TOML value is checked (``metadata={"check": ...}``, and ``"toml"``
where the key is not the attribute's name); :func:`parse_config` walks those checks and reports
the first problem, fields in order, then unknown keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar

from skillsync.errors import ConfigError

CONFIG_FILE = "skillsync.toml"
PYPROJECT_FILE = "pyproject.toml"

Severity = Literal["error", "warning", "info", "off"]

_Loc = tuple[str | int, ...]
_Check = Callable[[Any, _Loc], Any]  # a TOML value and where it is -> the field's value, or _Invalid
_T = TypeVar("_T")

_DOCS = "see docs/config.md"
_ARRAY = 'an array (e.g. ["a", "b"])'
_TABLE = "a table"


class _Invalid(Exception):
    """The first problem in a config, at ``loc`` (the key path): ``unknown``, ``missing`` or ``invalid``."""

    def __init__(self, kind: str, loc: _Loc, detail: str = "") -> None:
        super().__init__(kind)
        self.kind, self.loc, self.detail = kind, loc, detail

    def message(self, source: str) -> str:
        key = ".".join(str(part) for part in self.loc) or "(top level)"
        if self.kind == "unknown":
            return f"{source}: unknown key '{key}' (remove it or check its spelling; {_DOCS})"
        if self.kind == "missing":
            return f"{source}: '{key}' is required ({_DOCS})"
        return f"{source}: invalid value for '{key}': {self.detail} ({_DOCS})"


def _toml_kind(value: Any) -> str:
    """A parsed TOML value's type, in TOML's words (a user writes arrays and tables, not tuples)."""
    for kind, word in (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
    ):
        if isinstance(value, kind):
            return word
    return "a date or time"


def _expected(what: str, value: Any, loc: _Loc) -> _Invalid:
    return _Invalid("invalid", loc, f"expected {what}, got {_toml_kind(value)}")


# --------------------------------------------------------------------------- checks, one per kind


def _str(value: Any, loc: _Loc) -> str:
    if isinstance(value, str):
        return value
    raise _expected("a string", value, loc)


def _bool(value: Any, loc: _Loc) -> bool:
    if isinstance(value, bool):  # strict: "yes" or 1 is not a boolean
        return value
    raise _expected("true or false", value, loc)


def _bounded(number: float, loc: _Loc, gt: int | None, ge: int | None) -> None:
    if gt is not None and not number > gt:  # `not >`: NaN is out of bounds too
        raise _Invalid("invalid", loc, f"Input should be greater than {gt}")
    if ge is not None and not number >= ge:
        raise _Invalid("invalid", loc, f"Input should be greater than or equal to {ge}")


def _int(*, gt: int | None = None, ge: int | None = None) -> dict[str, _Check]:
    def check(value: Any, loc: _Loc) -> int:
        if not isinstance(value, int) or isinstance(value, bool):  # strict: true, 1.0, "1" are not integers
            raise _expected("an integer", value, loc)
        _bounded(value, loc, gt, ge)
        return value

    return {"check": check}


def _number(*, gt: int) -> dict[str, _Check]:
    """A float, as lax as the config always was: an integer, a boolean or a numeric string converts."""

    def check(value: Any, loc: _Loc) -> float:
        if isinstance(value, int | float | str):
            try:
                number = float(value)
            except ValueError:
                raise _expected("a number", value, loc) from None
        else:
            raise _expected("a number", value, loc)
        _bounded(number, loc, gt, None)
        return number

    return {"check": check}


def _one_of(*choices: str) -> _Check:
    said = "Input should be " + ", ".join(f"'{c}'" for c in choices[:-1]) + f" or '{choices[-1]}'"

    def check(value: Any, loc: _Loc) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise _Invalid("invalid", loc, said)

    return check


def _matching(body: str) -> dict[str, _Check]:
    """A string matching the regular expression ``body`` whole (compiled on first use, by re's cache)."""

    def check(value: Any, loc: _Loc) -> str:
        text = _str(value, loc)
        if re.fullmatch(body, text) is None:
            raise _Invalid("invalid", loc, f"String should match pattern '^{body}$'")
        return text

    return {"check": check}


def _array(item: _Check) -> _Check:
    def check(value: Any, loc: _Loc) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _expected(_ARRAY, value, loc)
        return tuple(item(v, (*loc, i)) for i, v in enumerate(value))

    return check


def _map(item: _Check) -> _Check:
    def check(value: Any, loc: _Loc) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _expected(_TABLE, value, loc)
        return {k: item(v, (*loc, k)) for k, v in value.items()}

    return check


def _table(cls: type[Any]) -> _Check:
    def check(value: Any, loc: _Loc) -> Any:
        if not isinstance(value, dict):
            raise _expected(_TABLE, value, loc)
        return _build(cls, value, loc)

    return check


def _build(cls: type[_T], data: dict[str, Any], loc: _Loc) -> _T:
    """``cls`` from one TOML table: each field's check in order, then unknown keys; defaults fill the rest."""
    values: dict[str, Any] = {}
    known: set[str] = set()
    for f in fields(cls):  # type: ignore[arg-type]
        key = f.metadata.get("toml", f.name)
        known.add(key)
        if key in data:
            values[f.name] = f.metadata["check"](data[key], (*loc, key))
        elif f.default is MISSING and f.default_factory is MISSING:
            raise _Invalid("missing", (*loc, key))
    for key in data:
        if key not in known:
            raise _Invalid("unknown", (*loc, key))
    return cls(**values)


# One metadata per field kind (see _build). "table" names the class of an array of tables, for
# `skillsync init`'s writer (workspace_init.py), which leaves an empty one as a comment.
STR: dict[str, _Check] = {"check": _str}
BOOL: dict[str, _Check] = {"check": _bool}
STRS: dict[str, _Check] = {"check": _array(_str)}
STR_MAP: dict[str, _Check] = {"check": _map(_str)}
SEVERITIES: dict[str, _Check] = {"check": _map(_one_of("error", "warning", "info", "off"))}


def _section(cls: type[Any]) -> dict[str, _Check]:
    return {"check": _table(cls)}


def _tables(cls: type[Any]) -> dict[str, Any]:
    return {"check": _array(_table(cls)), "table": cls}


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Skill folders matching ``glob`` (relative to the workspace) get slugs from ``slug``.

    ``slug`` placeholders: ``{skill}`` folder name, ``{org}`` parent folder name,
    ``{path}`` the relative path with ``/`` replaced by ``-``.
    """

    glob: str = field(metadata=STR)
    slug: str = field(default="{skill}", metadata=STR)


DEFAULT_LAYOUTS: tuple[Layout, ...] = (
    Layout(glob=".", slug="{skill}"),
    Layout(glob="skills/*", slug="{skill}"),
    Layout(glob="*", slug="{skill}"),
    Layout(glob="*/*", slug="{org}-{skill}"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspaceConfig:
    layouts: tuple[Layout, ...] = field(default=DEFAULT_LAYOUTS, metadata=_tables(Layout))
    # Explicit slugs for skill folders, keyed by the folder path relative to the workspace.
    slugs: dict[str, str] = field(default_factory=dict, metadata=STR_MAP)


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionConfig:
    # honour .gitignore files from the git top level down
    gitignore: bool = field(default=True, metadata=BOOL)
    # Extra exclude patterns (gitignore syntax, relative to each skill folder).
    exclude: tuple[str, ...] = field(default=(), metadata=STRS)
    # Patterns (gitignore syntax, relative to each skill folder) that lift the default-deny of
    # likely secrets. Only this key can ship a file such as `.env` or `*.pem`.
    allow: tuple[str, ...] = field(default=(), metadata=STRS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Upload limits; the defaults are exactly what the local registry enforces."""

    max_file_bytes: int = field(default=50 * 1024 * 1024, metadata=_int(gt=0))
    max_total_bytes: int = field(default=200 * 1024 * 1024, metadata=_int(gt=0))
    max_files: int = field(default=5000, metadata=_int(gt=0))


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleOverride:
    paths: tuple[str, ...] = field(metadata=STRS)  # gitignore-style patterns relative to the workspace
    rules: dict[str, Severity] = field(metadata=SEVERITIES)


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowEntry:
    rule: str = field(metadata=STR)
    paths: tuple[str, ...] = field(default=("**",), metadata=STRS)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRule:
    """An organization's own rule (``[[validate.policy]]``): patterns a set of files must or must not hold."""

    id: str = field(metadata=_matching(r"[a-z0-9][a-z0-9._-]*"))  # reported as rule "policy.<id>"
    severity: Literal["error", "warning", "info"] = field(
        default="error", metadata={"check": _one_of("error", "warning", "info")}
    )
    files: tuple[str, ...] = field(metadata=STRS)  # gitignore-style patterns, workspace-relative
    require: tuple[str, ...] = field(default=(), metadata=STRS)  # regexes each file must match somewhere
    forbid: tuple[str, ...] = field(default=(), metadata=STRS)  # ... and nowhere (a finding per line)
    message: str = field(metadata=STR)
    hint: str | None = field(default=None, metadata=STR)


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateConfig:
    limits: Limits = field(default_factory=Limits, metadata=_section(Limits))
    rules: dict[str, Severity] = field(default_factory=dict, metadata=SEVERITIES)
    overrides: tuple[RuleOverride, ...] = field(default=(), metadata=_tables(RuleOverride))
    allow: tuple[AllowEntry, ...] = field(default=(), metadata=_tables(AllowEntry))
    body_max_lines: int = field(default=500, metadata=_int(gt=0))
    body_max_tokens: int = field(default=5000, metadata=_int(gt=0))
    # Hosts the skills go to (rules/targets.py); `validate --target` overrides.
    targets: tuple[str, ...] = field(default=("agentskills", "seren"), metadata=STRS)
    policy: tuple[PolicyRule, ...] = field(default=(), metadata=_tables(PolicyRule))
    # Committed files of waived findings (rules/waivers.py), relative to the workspace.
    waivers: str = field(default="skillsync-waivers.toml", metadata=STR)
    baseline: str = field(default="skillsync-baseline.toml", metadata=STR)


DEFAULT_TIMEOUT = 30.0  # seconds per request of a named remote
DEFAULT_RETRIES = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteConfig:
    url: str = field(metadata=STR)
    org: str | None = field(default=None, metadata=STR)
    timeout: float = field(default=DEFAULT_TIMEOUT, metadata=_number(gt=0))
    retries: int = field(default=DEFAULT_RETRIES, metadata=_int(ge=0))


@dataclass(frozen=True, slots=True, kw_only=True)
class RemotesConfig:
    # None (unset): "local" until Seren is set up, then "seren" (remote/remotes.py default_remote)
    default: str | None = field(default=None, metadata=STR)
    org: str | None = field(default=None, metadata=STR)


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplatesConfig:
    path: str | None = field(default=None, metadata=STR)  # a folder of user templates, workspace-relative


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    workspace: WorkspaceConfig = field(default_factory=WorkspaceConfig, metadata=_section(WorkspaceConfig))
    selection: SelectionConfig = field(default_factory=SelectionConfig, metadata=_section(SelectionConfig))
    # `validate` in TOML; `validate_` here, so it does not read as a method
    validate_: ValidateConfig = field(
        default_factory=ValidateConfig, metadata={**_section(ValidateConfig), "toml": "validate"}
    )
    remote: RemotesConfig = field(default_factory=RemotesConfig, metadata=_section(RemotesConfig))
    remotes: dict[str, RemoteConfig] = field(
        default_factory=dict, metadata={"check": _map(_table(RemoteConfig))}
    )
    templates: TemplatesConfig = field(default_factory=TemplatesConfig, metadata=_section(TemplatesConfig))


def default_config() -> Config:
    """The config of a workspace without one."""
    return Config()


def is_section(value: Any) -> bool:
    """True for a config object (a TOML table), as opposed to a value."""
    return hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type)


def toml_fields(section: Any) -> Iterator[tuple[str, Any, type[Any] | None]]:
    """Each field of a config object: its TOML key, its value, and the table class of an array of tables."""
    for f in fields(section):
        yield f.metadata.get("toml", f.name), getattr(section, f.name), f.metadata.get("table")


def parse_config(data: dict[str, Any], source: str) -> Config:
    """The config a parsed TOML table describes; ConfigError names the first bad key and ``source``."""
    try:
        return _build(Config, data, ())
    except _Invalid as problem:
        raise ConfigError(problem.message(source)) from None


def load_config_file(path: Path) -> Config:
    """Read ``skillsync.toml`` or the ``[tool.skillsync]`` table of ``pyproject.toml``."""
    import tomllib  # only when a config file exists

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == PYPROJECT_FILE:
        data = data.get("tool", {}).get("skillsync", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.skillsync] must be a table")
        return parse_config(data, f"{path} [tool.skillsync]")
    return parse_config(data, str(path))


def pyproject_has_section(path: Path) -> bool:
    import tomllib

    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "skillsync" in tool
