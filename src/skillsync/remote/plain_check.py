"""The listing of custom skills checked as plain JSON, without pydantic (the hot path of sync).

An unchanged ``status`` or no-op ``push`` reads one answer, the listing, and keeps a few fields of
each skill. Importing pydantic and building the models' validators cost more than the rest of that
work, so :func:`custom_skill_ok` checks each item against the same schema as
``models.OrganizationCustomSkill`` by exact JSON types. It is never more lenient than the model: an
item it does not accept goes to pydantic, which either accepts it (a form this check does not
know, e.g. an integer in a float field) or raises the error a user sees. tests/test_plain_check.py
holds the tables below equal to the models' fields.
"""

from __future__ import annotations

from typing import Any, Final

REQ_STR: Final = 1  # required string
OPT_STR: Final = 2  # string or null, may be absent
REQ_INT: Final = 3  # required integer (JSON number without a fraction; not a boolean)

# field -> kind, as in models.OrganizationCustomSkillRevisionSummary
SUMMARY_FIELDS: Final[dict[str, int]] = {
    "bundle_artifact_key": OPT_STR,
    "bundle_sha256": REQ_STR,
    "bundle_size_bytes": REQ_INT,
    "created_at": REQ_STR,
    "created_by_user_id": OPT_STR,
    "description": OPT_STR,
    "file_count": REQ_INT,
    "id": REQ_STR,
    "organization_custom_skill_id": REQ_STR,
    "organization_id": REQ_STR,
    "published_at": OPT_STR,
    "revision_number": REQ_INT,
    "title": OPT_STR,
}
REVISION_STATUSES: Final = frozenset({"draft", "published", "superseded", "archived"})

# field -> kind, as in models.OrganizationCustomSkill (status and the two summaries apart)
SKILL_FIELDS: Final[dict[str, int]] = {
    "created_at": REQ_STR,
    "created_by_user_id": OPT_STR,
    "description": OPT_STR,
    "display_name": REQ_STR,
    "id": REQ_STR,
    "latest_revision_id": OPT_STR,
    "organization_id": REQ_STR,
    "published_revision_id": OPT_STR,
    "slug": REQ_STR,
    "updated_at": REQ_STR,
    "updated_by_user_id": OPT_STR,
}
SKILL_STATUSES: Final = frozenset({"active", "archived"})
SUMMARIES: Final = ("latest_revision", "published_revision")


def _fields_ok(doc: dict[str, Any], fields: dict[str, int]) -> bool:
    for name, kind in fields.items():
        value = doc.get(name)
        if kind == OPT_STR:
            if value is not None and type(value) is not str:
                return False
        elif kind == REQ_STR:
            if type(value) is not str:
                return False
        elif type(value) is not int:
            return False
    return True


def summary_ok(doc: Any) -> bool:
    """``doc`` is a valid ``OrganizationCustomSkillRevisionSummary`` as the server sent it."""
    return (
        type(doc) is dict
        and type(doc.get("status")) is str
        and doc["status"] in REVISION_STATUSES
        and _fields_ok(doc, SUMMARY_FIELDS)
    )


def custom_skill_ok(doc: Any) -> bool:
    """``doc`` is a valid ``OrganizationCustomSkill``; False: let the model judge it."""
    if not (
        type(doc) is dict
        and type(doc.get("status")) is str
        and doc["status"] in SKILL_STATUSES
        and _fields_ok(doc, SKILL_FIELDS)
    ):
        return False
    return all(doc.get(name) is None or summary_ok(doc[name]) for name in SUMMARIES)
