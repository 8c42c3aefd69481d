"""The pydantic ``skillsync.toml`` model skillsync used until issue 12 (tests only).

The differential tests in tests/test_config_validator.py hold the plain validator of
:mod:`skillsync.config` to the error messages and values this model gave, on generated input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillsync.errors import ConfigError

Severity = Literal["error", "warning", "info", "off"]


# Start-up cost matters (`validate` runs in pre-commit hooks): schemas are built on the first
# validation (defer_build), and defaults are built without validation (model_construct), so a
# workspace without config values never builds a validator.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


_M = TypeVar("_M", bound=BaseModel)


def _default(model: type[_M]) -> Callable[[], _M]:
    """A default factory: the model's defaults, unvalidated (they are known-good constants)."""

    def factory() -> _M:
        return model.model_construct()

    return factory


class Layout(_Strict):
    """Skill folders matching ``glob`` (relative to the workspace) get slugs from ``slug``.

    ``slug`` placeholders: ``{skill}`` folder name, ``{org}`` parent folder name,
    ``{path}`` the relative path with ``/`` replaced by ``-``.
    """

    glob: str
    slug: str = "{skill}"


DEFAULT_LAYOUTS: tuple[Layout, ...] = (
    Layout.model_construct(glob=".", slug="{skill}"),
    Layout.model_construct(glob="skills/*", slug="{skill}"),
    Layout.model_construct(glob="*", slug="{skill}"),
    Layout.model_construct(glob="*/*", slug="{org}-{skill}"),
)


class WorkspaceConfig(_Strict):
    layouts: tuple[Layout, ...] = DEFAULT_LAYOUTS
    # Explicit slugs for skill folders, keyed by the folder path relative to the workspace.
    slugs: dict[str, str] = Field(default_factory=dict)


class SelectionConfig(_Strict):
    gitignore: bool = Field(default=True, strict=True)  # honour .gitignore files from the git top level down
    # Extra exclude patterns (gitignore syntax, relative to each skill folder).
    exclude: tuple[str, ...] = ()
    # Patterns (gitignore syntax, relative to each skill folder) that lift the default-deny of
    # likely secrets. Only this key can ship a file such as `.env` or `*.pem`.
    allow: tuple[str, ...] = ()


class Limits(_Strict):
    """Upload limits; the defaults are exactly what the local registry enforces."""

    max_file_bytes: int = Field(default=50 * 1024 * 1024, gt=0, strict=True)
    max_total_bytes: int = Field(default=200 * 1024 * 1024, gt=0, strict=True)
    max_files: int = Field(default=5000, gt=0, strict=True)


class RuleOverride(_Strict):
    paths: tuple[str, ...]  # gitignore-style patterns relative to the workspace
    rules: dict[str, Severity]


class AllowEntry(_Strict):
    rule: str
    paths: tuple[str, ...] = ("**",)


class PolicyRule(_Strict):
    """An organization's own rule (``[[validate.policy]]``): patterns a set of files must or must not hold."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")  # reported as rule "policy.<id>"
    severity: Literal["error", "warning", "info"] = "error"
    files: tuple[str, ...]  # gitignore-style patterns, workspace-relative
    require: tuple[str, ...] = ()  # Python regular expressions each file must match somewhere
    forbid: tuple[str, ...] = ()  # ... and must match nowhere (one finding per matching line)
    message: str
    hint: str | None = None


class ValidateConfig(_Strict):
    limits: Limits = Field(default_factory=_default(Limits))
    rules: dict[str, Severity] = Field(default_factory=dict)
    overrides: tuple[RuleOverride, ...] = ()
    allow: tuple[AllowEntry, ...] = ()
    body_max_lines: int = Field(default=500, gt=0, strict=True)
    body_max_tokens: int = Field(default=5000, gt=0, strict=True)
    # Hosts the skills go to (rules/targets.py); `validate --target` overrides.
    targets: tuple[str, ...] = ("agentskills", "seren")
    policy: tuple[PolicyRule, ...] = ()
    # Committed files of waived findings (rules/waivers.py), relative to the workspace.
    waivers: str = "skillsync-waivers.toml"
    baseline: str = "skillsync-baseline.toml"


class RemoteConfig(_Strict):
    url: str
    org: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=4, ge=0, strict=True)


class RemotesConfig(_Strict):
    default: str = "local"
    org: str | None = None


class TemplatesConfig(_Strict):
    path: str | None = None  # a folder of user templates, relative to the workspace


class Config(_Strict):
    workspace: WorkspaceConfig = Field(default_factory=_default(WorkspaceConfig))
    selection: SelectionConfig = Field(default_factory=_default(SelectionConfig))
    validate_: ValidateConfig = Field(default_factory=_default(ValidateConfig), alias="validate")
    remote: RemotesConfig = Field(default_factory=_default(RemotesConfig))
    remotes: dict[str, RemoteConfig] = Field(default_factory=dict)
    templates: TemplatesConfig = Field(default_factory=_default(TemplatesConfig))

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


def default_config() -> Config:
    """The config of a workspace without one: equal to ``Config()``, built without validation."""
    return Config.model_construct()


# pydantic's error types, said in TOML's words (a user writes arrays and tables, not tuples).
_EXPECTED = {
    "tuple_type": 'an array (e.g. ["a", "b"])',
    "list_type": 'an array (e.g. ["a", "b"])',
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "bool_type": "true or false",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
}


def _toml_kind(value: Any) -> str:
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


def _format_error(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{source}: unknown key '{key}' (remove it or check its spelling; see docs/config.md)"
    if kind == "missing":
        return f"{source}: '{key}' is required (see docs/config.md)"
    expected = _EXPECTED.get(kind)
    if expected is not None:
        got = _toml_kind(first.get("input"))
        return f"{source}: invalid value for '{key}': expected {expected}, got {got} (see docs/config.md)"
    return f"{source}: invalid value for '{key}': {first['msg']} (see docs/config.md)"


def parse_config(data: dict[str, Any], source: str) -> Config:
    if not data:  # an empty file or table: the defaults, no validator to build
        return default_config()
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_error(err, source)) from None
