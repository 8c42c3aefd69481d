"""The client's pydantic models and route table against the wire contract (drift fails here)."""

from __future__ import annotations

import copy
import json
import subprocess
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import pytest
from pydantic import BaseModel

from skillsync.remote import models
from skillsync.remote.client import OPERATIONS

CHECKOUT = Path(__file__).resolve().parents[1]
CONTRACT_NAME = "seren-openapi-subset.json"
# The emulator ships a byte-identical copy (checked below); used where the shared folder is absent.
_LOCAL_COPY = CHECKOUT / "src" / "skillsync" / "emulator" / "openapi.json"


def _shared_contract() -> Path | None:
    """The wire contract in the shared folder: ``../shared`` beside the checkout (CI), or beside the
    main checkout when this one is a git worktree."""
    candidates = [CHECKOUT.parent / "shared" / CONTRACT_NAME]
    try:
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=CHECKOUT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        common = ""
    if common:
        candidates.append(Path(common).parent.parent / "shared" / CONTRACT_NAME)
    return next((c for c in candidates if c.is_file()), None)


CONTRACT_PATH = _shared_contract()
CONTRACT: dict[str, Any] = json.loads((CONTRACT_PATH or _LOCAL_COPY).read_text())


@pytest.mark.skipif(CONTRACT_PATH is None, reason="no shared folder beside this checkout")
def test_the_emulator_ships_the_shared_contract() -> None:
    assert CONTRACT_PATH is not None
    assert json.loads(_LOCAL_COPY.read_text()) == CONTRACT
SCHEMAS: dict[str, Any] = dict(CONTRACT["components"]["schemas"])  # a copy: CONTRACT stays as shipped
# Schemas the contract only has inline, inside a DataResponse wrapper (the analytics ones).
for _wrapper in [n for n in SCHEMAS if n.startswith("DataResponse_")]:
    _inner = SCHEMAS[_wrapper]["properties"]["data"]
    _inner = _inner.get("items", _inner)
    _name = _wrapper.removeprefix("DataResponse_").removeprefix("Vec_")
    if "$ref" not in _inner and _name not in SCHEMAS:
        SCHEMAS[_name] = _inner

MODELS: dict[str, type[BaseModel]] = {
    name: obj
    for name, obj in vars(models).items()
    if isinstance(obj, type)
    and issubclass(obj, BaseModel)
    and not name.startswith("_")
    and obj.__module__ == models.__name__
}

# Every schema the client reads or sends must have a model.
REQUIRED_MODELS = {
    "Organization",
    "PaginationMeta",
    "OrganizationCustomSkill",
    "OrganizationCustomSkillRevision",
    "OrganizationCustomSkillRevisionSummary",
    "OrganizationCustomSkillFileMetadata",
    "OrganizationCustomSkillFileContent",
    "OrganizationCustomSkillFileInput",
    "CreateOrganizationCustomSkillRequest",
    "CreateOrganizationCustomSkillRevisionRequest",
    "UpdateOrganizationCustomSkillRequest",
    "OrganizationMemberWithUser",
    "OrganizationInvite",
    "OrganizationPrivateChatPolicy",
    "PublisherResponse",
    "PublisherEarningsResponse",
    "PublisherPayoutResponse",
    "RevenueMetrics",
    "RevenueByDay",
    "TopAgent",
}

PRIMITIVES = {"string": str, "integer": int, "boolean": bool, "number": float}


def _ref(schema: dict[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def _split_schema(schema: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """(nullable, the non-null schema)."""
    if "oneOf" in schema:
        rest = [s for s in schema["oneOf"] if s.get("type") != "null"]
        assert len(rest) == 1, schema
        return len(rest) < len(schema["oneOf"]), rest[0]
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        assert len(non_null) == 1, schema
        return "null" in kind, {**schema, "type": non_null[0]}
    return False, schema


def _split_annotation(ann: Any) -> tuple[bool, Any]:
    """(admits None, the annotation without None)."""
    if typing.get_origin(ann) in (Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(ann))
        return nullable, (args[0] if len(args) == 1 else Union[tuple(args)])  # noqa: UP007
    return False, ann


def _is_any(schema: dict[str, Any]) -> bool:
    return not ({"type", "$ref", "oneOf", "enum", "items"} & set(schema))


def _check_type(where: str, schema: dict[str, Any], ann: Any, problems: list[str]) -> None:
    nullable, schema = _split_schema(schema)
    if _is_any(schema):
        if ann is not Any:
            problems.append(f"{where}: schema is untyped, model says {ann}")
        return
    ann_nullable, inner = _split_annotation(ann)
    if nullable != ann_nullable:
        problems.append(f"{where}: nullable in schema={nullable}, in model={ann_nullable}")
    if "$ref" in schema:
        target = SCHEMAS[_ref(schema)]
        if "enum" in target:
            if typing.get_origin(inner) is not Literal or set(typing.get_args(inner)) != set(target["enum"]):
                problems.append(f"{where}: enum {target['enum']} vs model {inner}")
        elif target.get("type") == "object":
            if inner is not MODELS.get(_ref(schema)):
                problems.append(f"{where}: expected model {_ref(schema)}, model says {inner}")
        elif PRIMITIVES.get(target.get("type", "")) is not inner:
            problems.append(f"{where}: {target.get('type')} vs model {inner}")
        return
    if "enum" in schema:
        if typing.get_origin(inner) is not Literal or set(typing.get_args(inner)) != set(schema["enum"]):
            problems.append(f"{where}: enum {schema['enum']} vs model {inner}")
        return
    if schema.get("type") == "array":
        if typing.get_origin(inner) is not list:
            problems.append(f"{where}: array vs model {inner}")
            return
        _check_type(f"{where}[]", schema.get("items", {}), typing.get_args(inner)[0], problems)
        return
    expected = PRIMITIVES.get(schema.get("type", ""))
    if expected is not inner:
        problems.append(f"{where}: {schema.get('type')} vs model {inner}")


def drift(model: type[BaseModel], schema: dict[str, Any]) -> list[str]:
    """Every difference between ``model`` and its JSON schema: names, required, nullability, types, enums."""
    problems: list[str] = []
    props: dict[str, Any] = schema.get("properties", {})
    fields = model.model_fields
    hints = typing.get_type_hints(model)
    name = model.__name__
    if set(fields) != set(props):
        problems.append(
            f"{name}: fields only in model {sorted(set(fields) - set(props))}, "
            f"only in schema {sorted(set(props) - set(fields))}"
        )
    required = {n for n, f in fields.items() if f.is_required()}
    if required != set(schema.get("required", [])):
        problems.append(
            f"{name}: required in model {sorted(required)} vs schema {sorted(schema.get('required', []))}"
        )
    for field in sorted(set(fields) & set(props)):
        _check_type(f"{name}.{field}", props[field], hints[field], problems)
    return problems


def test_every_needed_schema_has_a_model() -> None:
    assert set(MODELS) >= REQUIRED_MODELS


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_matches_contract(name: str) -> None:
    assert name in SCHEMAS, f"{name} is not a schema of the contract"
    assert drift(MODELS[name], SCHEMAS[name]) == []


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_cover_their_references(name: str) -> None:
    """A model's object references are models too (so nested data is typed, not dicts)."""
    text = json.dumps(SCHEMAS[name].get("properties", {}))
    for ref in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        target = SCHEMAS[ref]
        if target.get("type") == "object":
            assert ref in MODELS, f"{name} references {ref}, which has no model"


def test_drift_checker_catches_changes() -> None:
    """The checker fails on a renamed field, a new required field, a nullability flip, an enum change."""
    base = SCHEMAS["OrganizationCustomSkill"]
    assert drift(models.OrganizationCustomSkill, base) == []
    renamed = copy.deepcopy(base)
    renamed["properties"]["title"] = renamed["properties"].pop("display_name")
    assert drift(models.OrganizationCustomSkill, renamed)
    newly_required = copy.deepcopy(base)
    newly_required["required"].append("description")
    assert drift(models.OrganizationCustomSkill, newly_required)
    not_null = copy.deepcopy(base)
    not_null["properties"]["latest_revision_id"]["type"] = "string"
    assert drift(models.OrganizationCustomSkill, not_null)
    saved = SCHEMAS["OrganizationCustomSkillStatus"]
    try:
        SCHEMAS["OrganizationCustomSkillStatus"] = {
            "type": "string",
            "enum": ["active", "archived", "deleted"],
        }
        assert drift(models.OrganizationCustomSkill, base)
    finally:
        SCHEMAS["OrganizationCustomSkillStatus"] = saved


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_route_table_matches_contract(op: str) -> None:
    method, path, model, many = OPERATIONS[op]
    assert path in CONTRACT["paths"], path
    operation = CONTRACT["paths"][path].get(method.lower())
    assert operation is not None, f"{method} {path} not in the contract"
    assert operation["operationId"] == op
    ok = next(code for code in operation["responses"] if code.startswith("2"))
    content = operation["responses"][ok].get("content", {})
    if model is None:
        assert "application/json" not in content
        return
    schema = content["application/json"]["schema"]
    assert isinstance(getattr(models, model), type)  # the client imports it by this name
    expected = f"DataResponse_{'Vec_' if many else ''}{model}"
    assert _ref(schema) == expected


def test_request_models_serialize_tri_state_patch() -> None:
    omitted = models.UpdateOrganizationCustomSkillRequest.model_validate({"display_name": "X"})
    assert omitted.model_dump(exclude_unset=True) == {"display_name": "X"}
    cleared = models.UpdateOrganizationCustomSkillRequest.model_validate({"description": None})
    assert cleared.model_dump(exclude_unset=True) == {"description": None}


def test_response_models_ignore_unknown_fields_and_reject_bad_enums() -> None:
    org = {
        "id": "9d4b7c1e-1111-4f5e-9a44-6f7a8b9c0d1e",
        "name": "Me",
        "slug": "me",
        "created_by": "9d4b7c1e-2222-4f5e-9a44-6f7a8b9c0d1e",
        "is_personal": True,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "new_field": 1,
    }
    assert models.Organization.model_validate(org).slug == "me"
    with pytest.raises(ValueError):
        models.OrganizationCustomSkillRevisionSummary.model_validate(
            {
                "id": "a",
                "organization_custom_skill_id": "b",
                "organization_id": "c",
                "revision_number": 1,
                "status": "deleted",
                "bundle_sha256": "0",
                "bundle_size_bytes": 1,
                "file_count": 1,
                "created_at": "x",
            }
        )
