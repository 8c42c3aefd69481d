"""The ``skillsync.toml`` model (or ``[tool.skillsync]`` in ``pyproject.toml``).

Unknown keys and wrong types are errors that name the key and the file, so a typo never
silently changes what ships.

Every command reads the config, so it costs start-up time: not pydantic (importing it cost more
than the rest of start-up), and not ``dataclasses`` either (they compile six functions per class,
~1 ms a class). A table is a :class:`Section`: frozen, keyword-only, equal and hashed by value,
typed like a dataclass (``dataclass_transform``). Each key is a :func:`setting` that says how its
TOML value is checked; :func:`parse_config` runs the checks and reports the first problem, keys
in order (nested tables included), then unknown keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeGuard, TypeVar, dataclass_transform

from skillsync.errors import ConfigError

CONFIG_FILE = "skillsync.toml"
PYPROJECT_FILE = "pyproject.toml"

Severity = Literal["error", "warning", "info", "off"]

_Loc = tuple[str | int, ...]
_Check = Callable[[Any, _Loc], Any]  # a TOML value and where it is -> the setting's value, or _Invalid
_S = TypeVar("_S", bound="Section")

_DOCS = "see docs/config.md"
_ARRAY = 'an array (e.g. ["a", "b"])'
_TABLE = "a table"
_MISSING: Any = object()


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


# --------------------------------------------------------------------------- sections and settings


class _Setting:
    """One key of a table: its attribute and TOML names, how a value is checked, its default."""

    __slots__ = ("check", "default", "factory", "key", "name", "table")

    def __init__(
        self, check: _Check, default: Any, factory: Callable[[], Any] | None, key: str | None
    ) -> None:
        self.name = ""  # the attribute's name, and the TOML key unless given: Section.__init_subclass__
        self.key = key or ""
        self.check, self.default, self.factory = check, default, factory
        self.table = check.cls if isinstance(check, _Tables) else None

    @property
    def required(self) -> bool:
        return self.default is _MISSING and self.factory is None


def setting(
    check: _Check,
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    toml: str | None = None,
) -> Any:
    """A key of a :class:`Section`; ``toml`` when the TOML key is not the attribute's name."""
    return _Setting(check, default, default_factory, toml)


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(setting,))
class Section:
    """A frozen config table: keyword-only constructor, equality and hash by value.

    Subclasses declare their keys in order as annotated :func:`setting` attributes.
    """

    __slots__ = ()
    _settings: ClassVar[tuple[_Setting, ...]] = ()

    def __init_subclass__(cls) -> None:
        found = []
        # the class's own annotations, in order (inspect.get_annotations would import inspect)
        for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063
            item = cls.__dict__.get(name)
            if isinstance(item, _Setting):
                item.name, item.key = name, item.key or name
                found.append(item)
                delattr(cls, name)  # instances hold the value
        cls._settings = tuple(found)

    def __init__(self, **values: Any) -> None:
        for s in self._settings:
            if s.name in values:
                value = values.pop(s.name)
            elif s.default is not _MISSING:
                value = s.default
            elif s.factory is not None:
                value = s.factory()
            else:
                raise TypeError(f"{type(self).__name__}() needs the keyword argument {s.name!r}")
            object.__setattr__(self, s.name, value)
        if values:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments {sorted(values)}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, s.name) for s in self._settings)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))  # TypeError for a section holding a table (dict)

    def __repr__(self) -> str:
        inner = ", ".join(f"{s.name}={getattr(self, s.name)!r}" for s in self._settings)
        return f"{type(self).__name__}({inner})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name!r}")


def _build(cls: type[_S], data: dict[str, Any], loc: _Loc) -> _S:
    """``cls`` from one TOML table: each key's check in order, then unknown keys; defaults fill the rest."""
    values: dict[str, Any] = {}
    for s in cls._settings:
        if s.key in data:
            values[s.name] = s.check(data[s.key], (*loc, s.key))
        elif s.required:
            raise _Invalid("missing", (*loc, s.key))
    if len(values) < len(data):
        known = {s.key for s in cls._settings}
        for key in data:
            if key not in known:
                raise _Invalid("unknown", (*loc, key))
    return cls(**values)


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


def _int(*, gt: int | None = None, ge: int | None = None) -> _Check:
    def check(value: Any, loc: _Loc) -> int:
        if not isinstance(value, int) or isinstance(value, bool):  # strict: true, 1.0, "1" are not integers
            raise _expected("an integer", value, loc)
        _bounded(value, loc, gt, ge)
        return value

    return check


def _number(*, gt: int) -> _Check:
    """A float, as lax as the config always was: an integer, a boolean or a numeric string converts."""

    def check(value: Any, loc: _Loc) -> float:
        # float() would also take other scripts' digits ("\u0663"); the config never did
        ascii_text = not isinstance(value, str) or value.strip().isascii()
        if not isinstance(value, int | float | str) or not ascii_text:
            raise _expected("a number", value, loc)
        try:
            number = float(value)
        except ValueError:
            raise _expected("a number", value, loc) from None
        _bounded(number, loc, gt, None)
        return number

    return check


def _one_of(*choices: str) -> _Check:
    said = "Input should be " + ", ".join(f"'{c}'" for c in choices[:-1]) + f" or '{choices[-1]}'"

    def check(value: Any, loc: _Loc) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise _Invalid("invalid", loc, said)

    return check


def _matching(body: str) -> _Check:
    """A string the regular expression ``body`` matches whole (compiled on first use, by re's cache)."""

    def check(value: Any, loc: _Loc) -> str:
        text = _str(value, loc)
        if re.fullmatch(body, text) is None:
            raise _Invalid("invalid", loc, f"String should match pattern '^{body}$'")
        return text

    return check


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


def _table(cls: type[Section]) -> _Check:
    def check(value: Any, loc: _Loc) -> Section:
        if not isinstance(value, dict):
            raise _expected(_TABLE, value, loc)
        return _build(cls, value, loc)

    return check


class _Tables:
    """An array of tables of ``cls`` (``[[key]]``); `skillsync init` leaves an empty one as a comment."""

    def __init__(self, cls: type[Section]) -> None:
        self.cls = cls
        self._check = _array(_table(cls))

    def __call__(self, value: Any, loc: _Loc) -> Any:
        return self._check(value, loc)


_STRS = _array(_str)
_SEVERITIES = _map(_one_of("error", "warning", "info", "off"))


# --------------------------------------------------------------------------- the model


class Layout(Section):
    """Skill folders matching ``glob`` (relative to the workspace) get slugs from ``slug``.

    ``slug`` placeholders: ``{skill}`` folder name, ``{org}`` parent folder name,
    ``{path}`` the relative path with ``/`` replaced by ``-``.
    """

    glob: str = setting(_str)
    slug: str = setting(_str, default="{skill}")


DEFAULT_LAYOUTS: tuple[Layout, ...] = (
    Layout(glob=".", slug="{skill}"),
    Layout(glob="skills/*", slug="{skill}"),
    Layout(glob="*", slug="{skill}"),
    Layout(glob="*/*", slug="{org}-{skill}"),
)


class WorkspaceConfig(Section):
    layouts: tuple[Layout, ...] = setting(_Tables(Layout), default=DEFAULT_LAYOUTS)
    # Explicit slugs for skill folders, keyed by the folder path relative to the workspace.
    slugs: dict[str, str] = setting(_map(_str), default_factory=dict)


class SelectionConfig(Section):
    gitignore: bool = setting(_bool, default=True)  # honour .gitignore files from the git top level down
    # Extra exclude patterns (gitignore syntax, relative to each skill folder).
    exclude: tuple[str, ...] = setting(_STRS, default=())
    # Patterns (gitignore syntax, relative to each skill folder) that lift the default-deny of
    # likely secrets. Only this key can ship a file such as `.env` or `*.pem`.
    allow: tuple[str, ...] = setting(_STRS, default=())


class Limits(Section):
    """Upload limits; the defaults are exactly what the local registry enforces."""

    max_file_bytes: int = setting(_int(gt=0), default=50 * 1024 * 1024)
    max_total_bytes: int = setting(_int(gt=0), default=200 * 1024 * 1024)
    max_files: int = setting(_int(gt=0), default=5000)


class RuleOverride(Section):
    paths: tuple[str, ...] = setting(_STRS)  # gitignore-style patterns relative to the workspace
    rules: dict[str, Severity] = setting(_SEVERITIES)


class AllowEntry(Section):
    rule: str = setting(_str)
    paths: tuple[str, ...] = setting(_STRS, default=("**",))


class PolicyRule(Section):
    """An organization's own rule (``[[validate.policy]]``): patterns a set of files must or must not hold."""

    id: str = setting(_matching(r"[a-z0-9][a-z0-9._-]*"))  # reported as rule "policy.<id>"
    severity: Literal["error", "warning", "info"] = setting(
        _one_of("error", "warning", "info"), default="error"
    )
    files: tuple[str, ...] = setting(_STRS)  # gitignore-style patterns, workspace-relative
    require: tuple[str, ...] = setting(_STRS, default=())  # Python regexes each file must match somewhere
    forbid: tuple[str, ...] = setting(_STRS, default=())  # ... and must match nowhere (a finding per line)
    message: str = setting(_str)
    hint: str | None = setting(_str, default=None)


class ValidateConfig(Section):
    limits: Limits = setting(_table(Limits), default_factory=Limits)
    rules: dict[str, Severity] = setting(_SEVERITIES, default_factory=dict)
    overrides: tuple[RuleOverride, ...] = setting(_Tables(RuleOverride), default=())
    allow: tuple[AllowEntry, ...] = setting(_Tables(AllowEntry), default=())
    body_max_lines: int = setting(_int(gt=0), default=500)
    body_max_tokens: int = setting(_int(gt=0), default=5000)
    # Hosts the skills go to (rules/targets.py); `validate --target` overrides.
    targets: tuple[str, ...] = setting(_STRS, default=("agentskills", "seren"))
    policy: tuple[PolicyRule, ...] = setting(_Tables(PolicyRule), default=())
    # Committed files of waived findings (rules/waivers.py), relative to the workspace.
    waivers: str = setting(_str, default="skillsync-waivers.toml")
    baseline: str = setting(_str, default="skillsync-baseline.toml")


DEFAULT_TIMEOUT = 30.0  # seconds per request of a named remote
DEFAULT_RETRIES = 4


class RemoteConfig(Section):
    url: str = setting(_str)
    org: str | None = setting(_str, default=None)
    timeout: float = setting(_number(gt=0), default=DEFAULT_TIMEOUT)
    retries: int = setting(_int(ge=0), default=DEFAULT_RETRIES)


class RemotesConfig(Section):
    # None (unset): "local" until Seren is set up, then "seren" (remote/remotes.py default_remote)
    default: str | None = setting(_str, default=None)
    org: str | None = setting(_str, default=None)


class TemplatesConfig(Section):
    path: str | None = setting(_str, default=None)  # a folder of user templates, workspace-relative


class Config(Section):
    workspace: WorkspaceConfig = setting(_table(WorkspaceConfig), default_factory=WorkspaceConfig)
    selection: SelectionConfig = setting(_table(SelectionConfig), default_factory=SelectionConfig)
    # `validate` in TOML; `validate_` here, so it does not read as a method
    validate_: ValidateConfig = setting(
        _table(ValidateConfig), default_factory=ValidateConfig, toml="validate"
    )
    remote: RemotesConfig = setting(_table(RemotesConfig), default_factory=RemotesConfig)
    remotes: dict[str, RemoteConfig] = setting(_map(_table(RemoteConfig)), default_factory=dict)
    templates: TemplatesConfig = setting(_table(TemplatesConfig), default_factory=TemplatesConfig)


def default_config() -> Config:
    """The config of a workspace without one."""
    return Config()


def is_section(value: Any) -> TypeGuard[Section]:
    """True for a config object (a TOML table), as opposed to a value."""
    return isinstance(value, Section)


def toml_fields(section: Section) -> Iterator[tuple[str, Any, type[Section] | None]]:
    """Each key of a config table: its TOML name, its value, and the class of an array of tables."""
    for s in section._settings:
        yield s.key, getattr(section, s.name), s.table


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
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    # Most pyproject.toml files on the way up are not ours: a table named skillsync spells it out
    # (or escapes it in a quoted key, \u0073...), so without either there is nothing to parse.
    if "skillsync" not in text and "\\u" not in text and "\\U" not in text:
        return False
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "skillsync" in tool
