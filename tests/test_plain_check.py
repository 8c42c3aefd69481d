"""The plain-JSON check of the custom-skill listing never accepts what the API models refuse."""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from skillsync.errors import RemoteError
from skillsync.remote import models, plain_check
from skillsync.remote.client import SerenClient
from skillsync.sync.remote_view import view_of, view_of_doc
from tests.conftest import Cli, write_skill

SUMMARY: dict[str, Any] = {
    "bundle_artifact_key": None,
    "bundle_sha256": "ab" * 32,
    "bundle_size_bytes": 120,
    "created_at": "2026-11-30T04:00:00Z",
    "created_by_user_id": "u1",
    "description": "Does things.",
    "file_count": 2,
    "id": "rev-1",
    "organization_custom_skill_id": "skill-1",
    "organization_id": "org-1",
    "published_at": None,
    "revision_number": 3,
    "status": "draft",
    "title": "Thing",
}
SKILL: dict[str, Any] = {
    "created_at": "2026-11-30T04:00:00Z",
    "created_by_user_id": None,
    "description": "Does things.",
    "display_name": "Thing",
    "id": "skill-1",
    "latest_revision": SUMMARY,
    "latest_revision_id": "rev-1",
    "organization_id": "org-1",
    "published_revision": None,
    "published_revision_id": None,
    "slug": "acme-thing",
    "status": "active",
    "updated_at": "2026-11-30T04:00:00Z",
    "updated_by_user_id": None,
    "a_field_from_a_newer_api": {"x": 1},
}


def _kind(annotation: Any, required: bool) -> int | str:
    if annotation is str:
        return plain_check.REQ_STR if required else "optional str"
    if annotation is int:
        return plain_check.REQ_INT if required else "optional int"
    if get_origin(annotation) in (Union, types.UnionType) and set(get_args(annotation)) == {str, type(None)}:
        return plain_check.OPT_STR if not required else "required str | None"
    return repr(annotation)


@pytest.mark.parametrize(
    ("model", "table", "statuses", "nested"),
    [
        (
            models.OrganizationCustomSkillRevisionSummary,
            plain_check.SUMMARY_FIELDS,
            plain_check.REVISION_STATUSES,
            (),
        ),
        (
            models.OrganizationCustomSkill,
            plain_check.SKILL_FIELDS,
            plain_check.SKILL_STATUSES,
            plain_check.SUMMARIES,
        ),
    ],
)
def test_tables_match_the_models(
    model: type[models.BaseModel], table: dict[str, int], statuses: frozenset[str], nested: tuple[str, ...]
) -> None:
    fields = dict(model.model_fields)
    status = fields.pop("status")
    assert status.is_required() and get_origin(status.annotation) is Literal
    assert set(get_args(status.annotation)) == statuses
    for name in nested:
        field = fields.pop(name)
        assert not field.is_required()
        assert set(get_args(field.annotation)) == {models.OrganizationCustomSkillRevisionSummary, type(None)}
    assert {name: _kind(f.annotation, f.is_required()) for name, f in fields.items()} == table
    for name, f in fields.items():  # no constraints the plain check would not see
        assert not f.metadata, name


def test_a_well_formed_item_passes_and_reads_as_the_model_does() -> None:
    assert plain_check.custom_skill_ok(SKILL)
    assert view_of_doc(SKILL) == view_of(models.OrganizationCustomSkill.model_validate(SKILL))


_VALUES = st.sampled_from(
    [None, "", "x", "draft", "published", "active", "archived", "deleted", 0, 1, -1, 2.0, 2.5, True, [], {}]
)


@st.composite
def _mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(SKILL)
    for _ in range(draw(st.integers(1, 4))):
        target = doc
        if draw(st.booleans()):
            name = draw(st.sampled_from(plain_check.SUMMARIES))
            if not isinstance(doc.get(name), dict):
                doc[name] = copy.deepcopy(SUMMARY)
            target = doc[name]
        if not target:
            continue
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(_VALUES)
    return doc


@settings(max_examples=300, deadline=None)
@given(_mutated())
def test_never_more_lenient_than_the_model(doc: dict[str, Any]) -> None:
    if not plain_check.custom_skill_ok(doc):
        return
    model = models.OrganizationCustomSkill.model_validate(doc)  # raises if the check was too lenient
    assert view_of_doc(doc) == view_of(model)


def _client(items: list[Any]) -> SerenClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": items})

    return SerenClient(
        "https://api.example.test", "seren_k", transport=httpx.MockTransport(handler), retries=0
    )


def _docs(items: list[Any]) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with _client(items) as client:
            return await client.list_custom_skill_docs("org-1")

    return asyncio.run(go())


def test_forms_only_the_model_knows_fall_back_to_it() -> None:
    doc = copy.deepcopy(SKILL)
    doc["latest_revision"]["revision_number"] = 3.0  # pydantic's lax int; not the plain check's
    assert not plain_check.custom_skill_ok(doc)
    [got] = _docs([doc])
    assert got["latest_revision"]["revision_number"] == 3 and "a_field_from_a_newer_api" not in got
    assert view_of_doc(got) == view_of_doc(SKILL)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("display_name"), "OrganizationCustomSkill.display_name"),
        (lambda d: d.update(status="deleted"), "OrganizationCustomSkill.status"),
        (lambda d: d["latest_revision"].update(revision_number="x"), "latest_revision.revision_number"),
    ],
)
def test_bad_items_are_the_models_errors(mutate: Any, expected: str) -> None:
    doc = copy.deepcopy(SKILL)
    mutate(doc)

    async def models_error() -> str:
        async with _client([doc]) as client:
            with pytest.raises(RemoteError) as info:
                await client.list_custom_skills("org-1")
        return str(info.value)

    with pytest.raises(RemoteError) as info:
        _docs([doc])
    assert str(info.value) == asyncio.run(models_error())
    assert expected in str(info.value)
    with pytest.raises(ValidationError):
        models.OrganizationCustomSkill.model_validate(doc)


def test_not_a_list_is_an_error() -> None:
    with pytest.raises(RemoteError, match="'data' is not a list"):
        _docs({"a": 1})  # type: ignore[arg-type]


def test_the_hot_path_imports_no_api_models() -> None:
    code = (
        "import sys, skillsync.remote, skillsync.sync.status, skillsync.sync.push; "
        "print(sorted(m for m in ('skillsync.remote.models',) if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("command", [["status"], ["push", "--yes"]])
def test_unchanged_status_and_push_never_import_pydantic(tmp_path: Path, command: list[str]) -> None:
    """Whole commands in a fresh interpreter, on the embedded remote, after a first push."""
    (tmp_path / "skillsync.toml").write_text("")
    write_skill(tmp_path, "skills/alpha")
    write_skill(tmp_path, "skills/beta")
    assert Cli(tmp_path)("push", "--yes").exit_code == 0
    code = (
        "import sys\nfrom skillsync.cli.main import run\n"
        f"rc = run({['-C', str(tmp_path), *command]!r})\n"
        "print('RC', rc, 'PYDANTIC', 'pydantic' in sys.modules,"
        " 'MODELS', 'skillsync.remote.models' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "RC 0 PYDANTIC False MODELS False", out.stdout
