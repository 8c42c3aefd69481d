"""The plain validator of skillsync.toml: every field kind, nested tables, arrays of tables, and the
same one-line messages and values the pydantic model gave (tests/config_oracle.py), on generated input."""

from __future__ import annotations

import datetime
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from skillsync import config as cfgmod
from skillsync.config import (
    DEFAULT_LAYOUTS,
    Config,
    Layout,
    SelectionConfig,
    default_config,
    is_section,
    parse_config,
    pyproject_has_section,
    toml_fields,
)
from skillsync.errors import ConfigError
from tests import config_oracle as oracle

SRC = "skillsync.toml"
DOCS = "see docs/config.md)"


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as err:
        parse_config(data, SRC)
    return str(err.value)


# --------------------------------------------------------------------------- examples, one per kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # unknown keys, at the top, in a table, in an array of tables, in a table of tables
        ({"selecton": {}}, "unknown key 'selecton' (remove it or check its spelling; see docs/config.md)"),
        ({"selection": {"exculde": []}}, "unknown key 'selection.exculde'"),
        (
            {"validate": {"policy": [{"id": "a", "files": [], "message": "m", "x": 1}]}},
            "'validate.policy.0.x'",
        ),
        ({"remotes": {"s": {"url": "u", "token": "t"}}}, "unknown key 'remotes.s.token'"),
        # the TOML key is `validate`; the attribute's name is not a key
        ({"validate_": {}}, "unknown key 'validate_'"),
        # required keys
        ({"remotes": {"x": {"org": "a"}}}, "'remotes.x.url' is required (see docs/config.md)"),
        ({"workspace": {"layouts": [{"slug": "s"}]}}, "'workspace.layouts.0.glob' is required"),
        ({"validate": {"overrides": [{"paths": ["a"]}]}}, "'validate.overrides.0.rules' is required"),
        ({"validate": {"allow": [{}]}}, "'validate.allow.0.rule' is required"),
        # strings
        ({"templates": {"path": 1}}, "invalid value for 'templates.path': expected a string, got an integer"),
        ({"remote": {"default": ["a"]}}, "'remote.default': expected a string, got an array"),
        ({"validate": {"waivers": datetime.date(2026, 1, 1)}}, "expected a string, got a date or time"),
        # booleans: strict
        ({"selection": {"gitignore": 1}}, "'selection.gitignore': expected true or false, got an integer"),
        ({"selection": {"gitignore": "yes"}}, "expected true or false, got a string"),
        # integers: strict (a boolean, a float or a string is not one), bounds
        (
            {"validate": {"body_max_lines": True}},
            "'validate.body_max_lines': expected an integer, got a boolean",
        ),
        ({"validate": {"body_max_lines": 1.0}}, "expected an integer, got a number"),
        (
            {"validate": {"limits": {"max_files": "5"}}},
            "'validate.limits.max_files': expected an integer, got a string",
        ),
        (
            {"validate": {"limits": {"max_files": 0}}},
            "'validate.limits.max_files': Input should be greater than 0",
        ),
        ({"remotes": {"s": {"url": "u", "retries": -1}}}, "Input should be greater than or equal to 0"),
        # numbers: lax as they always were, with a bound (NaN is out of it)
        (
            {"remotes": {"s": {"url": "u", "timeout": "soon"}}},
            "'remotes.s.timeout': expected a number, got a string",
        ),
        ({"remotes": {"s": {"url": "u", "timeout": [1]}}}, "expected a number, got an array"),
        (
            {"remotes": {"s": {"url": "u", "timeout": 0}}},
            "'remotes.s.timeout': Input should be greater than 0",
        ),
        ({"remotes": {"s": {"url": "u", "timeout": float("nan")}}}, "Input should be greater than 0"),
        # arrays
        (
            {"selection": {"exclude": "*.log"}},
            """'selection.exclude': expected an array (e.g. ["a", "b"]), got a string""",
        ),
        ({"validate": {"targets": ["seren", 3]}}, "'validate.targets.1': expected a string, got an integer"),
        (
            {"validate": {"policy": {}}},
            '\'validate.policy\': expected an array (e.g. ["a", "b"]), got a table',
        ),
        # tables
        ({"validate": "strict"}, "invalid value for 'validate': expected a table, got a string"),
        ({"workspace": {"slugs": 3}}, "'workspace.slugs': expected a table, got an integer"),
        ({"workspace": {"slugs": {"a/b": 1}}}, "'workspace.slugs.a/b': expected a string, got an integer"),
        ({"remotes": {"s": "https://x"}}, "'remotes.s': expected a table, got a string"),
        ({"workspace": {"layouts": ["skills/*"]}}, "'workspace.layouts.0': expected a table, got a string"),
        # literals and the policy id pattern
        (
            {"validate": {"rules": {"spec.x": "fatal"}}},
            "'validate.rules.spec.x': Input should be 'error', 'warning', 'info' or 'off'",
        ),
        ({"validate": {"rules": {"spec.x": 1}}}, "Input should be 'error', 'warning', 'info' or 'off'"),
        (
            {"validate": {"policy": [{"id": "a", "severity": "off", "files": [], "message": "m"}]}},
            "'validate.policy.0.severity': Input should be 'error', 'warning' or 'info'",
        ),
        (
            {"validate": {"policy": [{"id": "No-Caps", "files": [], "message": "m"}]}},
            "'validate.policy.0.id': String should match pattern '^[a-z0-9][a-z0-9._-]*$'",
        ),
        ({"validate": {"policy": [{"id": "a\n", "files": [], "message": "m"}]}}, "should match pattern"),
        (
            {"validate": {"policy": [{"id": 7, "files": [], "message": "m"}]}},
            "'validate.policy.0.id': expected a string",
        ),
        # the first problem: fields in order (nested ones included) before unknown keys
        ({"zz": 1, "validate": {"q": 1}}, "unknown key 'validate.q'"),
        ({"validate": {"q": 1, "limits": {"max_files": "x"}}}, "'validate.limits.max_files'"),
        ({"remote": {"org": 1, "default": 2}}, "'remote.default'"),
    ],
)
def test_config_error_messages(data: dict[str, Any], message: str) -> None:
    text = _error(data)
    assert text.startswith(f"{SRC}: ") and text.endswith(DOCS) and "\n" not in text
    assert message in text


def test_values_are_converted_to_the_model() -> None:
    cfg = parse_config(
        {
            "workspace": {"layouts": [{"glob": "packs/*"}], "slugs": {"a/b": "ab"}},
            "selection": {"gitignore": False, "exclude": ["*.log"]},
            "validate": {
                "limits": {"max_files": 9},
                "rules": {"files.empty": "off"},
                "overrides": [{"paths": ["x/**"], "rules": {"files.empty": "info"}}],
                "allow": [{"rule": "security.generic-secret"}],
                "policy": [{"id": "p.1", "files": ["*"], "forbid": ["live"], "message": "m"}],
            },
            "remote": {"default": "staging"},
            "remotes": {"staging": {"url": "http://127.0.0.1:9", "timeout": 5, "retries": 0}},
            "templates": {"path": "tpl"},
        },
        SRC,
    )
    assert cfg.workspace.layouts == (Layout(glob="packs/*", slug="{skill}"),)
    assert cfg.workspace.slugs == {"a/b": "ab"}
    assert cfg.selection == SelectionConfig(gitignore=False, exclude=("*.log",), allow=())
    v = cfg.validate_
    assert (v.limits.max_files, v.limits.max_file_bytes, v.body_max_lines) == (9, 50 * 1024 * 1024, 500)
    assert v.overrides[0].paths == ("x/**",) and v.overrides[0].rules == {"files.empty": "info"}
    assert v.allow[0].paths == ("**",)
    assert (v.policy[0].severity, v.policy[0].forbid, v.policy[0].require, v.policy[0].hint) == (
        "error",
        ("live",),
        (),
        None,
    )
    remote = cfg.remotes["staging"]
    assert remote.timeout == 5.0 and isinstance(remote.timeout, float) and remote.retries == 0
    assert cfg.remote.default == "staging" and cfg.remote.org is None and cfg.templates.path == "tpl"


def test_defaults() -> None:
    assert parse_config({}, SRC) == default_config() == Config()
    assert Config().workspace.layouts == DEFAULT_LAYOUTS
    assert Config().remote.default is None  # unset: local until Seren is set up (remote/remotes.py)
    assert parse_config({"remote": {}}, SRC).remote.default is None


def test_config_objects_are_frozen_and_sections_hashable() -> None:
    cfg = Config()
    with pytest.raises(AttributeError, match="frozen"):
        cfg.selection = SelectionConfig()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del cfg.validate_.limits.max_files
    # listing_cache keys an lru_cache on the selection section
    assert hash(SelectionConfig(exclude=("a",))) == hash(
        parse_config({"selection": {"exclude": ["a"]}}, SRC).selection
    )


def test_toml_fields_name_the_toml_keys() -> None:
    keys = [key for key, _value, _table in toml_fields(Config())]
    assert keys == ["workspace", "selection", "validate", "remote", "remotes", "templates"]
    tables = {key: table for key, _value, table in toml_fields(Config().validate_) if table is not None}
    assert tables == {
        "overrides": cfgmod.RuleOverride,
        "allow": cfgmod.AllowEntry,
        "policy": cfgmod.PolicyRule,
    }
    assert is_section(Config().validate_.limits) and not is_section(Config) and not is_section({})


# --------------------------------------------------------------------------- differential


def _any_toml() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.booleans(),
        st.integers(min_value=-5, max_value=2**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=4),
        st.dates(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
        max_leaves=4,
    )


_NUMBER_STRINGS = ["5", " 5.5 ", "1_0", "1e3", "abc", "", "nan", "inf", "-1", "0", "0.001", "\u0663", "\xa05"]


def _value_for(annotation: str) -> st.SearchStrategy[Any]:
    """A value the annotation would take, or one close to it; sometimes anything at all."""
    near: st.SearchStrategy[Any]
    if annotation in ("str", "str | None"):
        near = st.text(max_size=6)
    elif annotation == "bool":
        near = st.booleans() | st.sampled_from([0, 1, "true"])
    elif annotation == "int":
        near = st.integers(min_value=-2, max_value=10**9) | st.sampled_from([True, 1.0, "3"])
    elif annotation == "float":
        near = (
            st.integers(-2, 100)
            | st.floats(allow_nan=True)
            | st.booleans()
            | st.sampled_from(_NUMBER_STRINGS)
        )
    elif annotation == "tuple[str, ...]":
        near = st.lists(st.text(max_size=3) | st.integers(0, 3), max_size=3)
    elif annotation in ("dict[str, str]", "dict[str, Severity]"):
        words = st.sampled_from(["error", "warning", "info", "off", "fatal", ""])
        near = st.dictionaries(st.text(max_size=5), words | st.integers(0, 2), max_size=3)
    elif annotation.startswith("Literal["):
        near = st.sampled_from(["error", "warning", "info", "off", "Error", 1])
    elif annotation.startswith("tuple[") and annotation.endswith(", ...]"):
        item = _section_of(annotation[len("tuple[") : -len(", ...]")])
        near = st.lists(item | _any_toml(), max_size=2)
    elif annotation.startswith("dict[str, "):
        item = _section_of(annotation[len("dict[str, ") : -1])
        near = st.dictionaries(st.text(max_size=4), item | _any_toml(), max_size=2)
    else:
        near = _section_of(annotation)
    return st.one_of(near, near, near, _any_toml())


def _policy_id() -> st.SearchStrategy[str]:
    return st.sampled_from(["a", "p.1", "no-live_orders", "A", "-a", "a b", "a\n", "é", ""])


def _deferred(annotation: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: _value_for(annotation))  # sections refer to sections


def _section_of(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """A TOML table for the config class ``name``: some of its keys, now and then an unknown one."""
    cls = getattr(cfgmod, name)
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for s in cls._settings:
        annotation = cls.__annotations__[s.name]
        parts[s.key] = _policy_id() if (name, s.key) == ("PolicyRule", "id") else _deferred(annotation)

    @st.composite
    def table(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, strategy in parts.items():
            if draw(st.integers(0, 3)):  # most keys are there, so required ones are mostly given
                out[key] = draw(strategy)
        if draw(st.integers(0, 7)) == 0:
            out[draw(st.sampled_from(["zz", "Glob", "max-files", "validate_"]))] = draw(_any_toml())
        keys = draw(st.permutations(list(out)))
        return {k: out[k] for k in keys}

    return table()


def _plain(obj: Any) -> Any:
    """A config object (new or oracle) as plain data keyed by TOML names."""
    if isinstance(obj, BaseModel):
        out = {}
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            if (
                isinstance(obj, oracle.RemotesConfig)
                and name == "default"
                and name not in obj.model_fields_set
            ):
                value = None  # the pydantic model said "unset" with fields_set
            out[info.alias or name] = _plain(value)
        return out
    if is_section(obj):
        return {key: _plain(value) for key, value, _table in toml_fields(obj)}
    if isinstance(obj, tuple | list):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def _outcome(parse: typing.Callable[[dict[str, Any], str], Any], data: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", _plain(parse(data, SRC))
    except ConfigError as exc:
        return "error", str(exc)


def _differs_only_by_validate_(data: dict[str, Any]) -> bool:
    return "validate_" in data  # pydantic also took the attribute's name (populate_by_name): now unknown


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_section_of("Config"))
def test_same_messages_and_values_as_the_pydantic_model(data: dict[str, Any]) -> None:
    if _differs_only_by_validate_(data):
        return
    assert _outcome(parse_config, data) == _outcome(oracle.parse_config, data)


@pytest.mark.parametrize(
    ("text", "ours"),
    [
        ('[project]\nname = "x"\n', False),
        ("# skillsync is not configured here\n[tool.black]\n", False),
        ("[tool.skillsync]\n", True),
        ('[tool."skill\\u0073ync"]\n', True),  # an escaped quoted key is the same key
        ('[tool."skill\\U00000073ync".validate]\n', True),
        ("[tool.skillsync\n", False),  # invalid TOML: not a workspace marker
    ],
)
def test_pyproject_section_is_found_without_parsing_unrelated_files(
    tmp_path: Path, text: str, ours: bool
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    assert pyproject_has_section(path) is ours
