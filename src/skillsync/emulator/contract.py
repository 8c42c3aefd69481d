"""The contract file shipped in the package, and a small JSON-schema check over its schemas.

The publisher, pricing and policy documents have dozens of optional fields; rather than hand-copy
them, the registry keeps a request field when the response schema has the same property and the
value conforms to it. That keeps responses valid against the contract whatever a client sends.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from skillsync.emulator.errors import invalid

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T")


@cache
def openapi_text() -> str:
    return resources.files("skillsync.emulator").joinpath("openapi.json").read_text(encoding="utf-8")


@cache
def spec() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(openapi_text())
    return doc


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec()["components"]["schemas"][name]
    return found


def _resolve(sch: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in sch:
        sch = schema(sch["$ref"].rsplit("/", 1)[1])
    return sch


def _type_ok(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES.get(name, (object,)))


def _format_ok(value: Any, fmt: str | None) -> bool:
    if not isinstance(value, str) or fmt is None:
        return True
    if fmt == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        return bool(_DATE_RE.match(value))
    return True


def conforms(value: Any, sch: dict[str, Any]) -> bool:
    """True if ``value`` satisfies ``sch`` (types, enums, refs, oneOf, items, required, formats)."""
    sch = _resolve(sch)
    if "oneOf" in sch or "anyOf" in sch:
        return any(conforms(value, s) for s in sch.get("oneOf", sch.get("anyOf", [])))
    if "allOf" in sch and not all(conforms(value, s) for s in sch["allOf"]):
        return False
    if "enum" in sch and value not in sch["enum"]:
        return False
    types = sch.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_type_ok(value, n) for n in names):
            return False
    if not _format_ok(value, sch.get("format")):
        return False
    if isinstance(value, list) and "items" in sch:
        return all(conforms(v, sch["items"]) for v in value)
    if isinstance(value, dict) and "properties" in sch:
        props = sch["properties"]
        if any(r not in value for r in sch.get("required", [])):
            return False
        return all(conforms(v, props[k]) for k, v in value.items() if k in props)
    return True


def check_request(body: dict[str, Any], name: str) -> None:
    """Refuse (400) a body missing a required field or holding a field of the wrong shape."""
    sch = schema(name)
    for key in sch.get("required", []):
        if key not in body:
            raise invalid(f"{key}: required")
    for key, value in body.items():
        prop = sch.get("properties", {}).get(key)
        if prop is not None and not conforms(value, prop):
            raise invalid(f"{key}: invalid value {json.dumps(value)[:80]}")


def merge(
    target: dict[str, Any], source: dict[str, Any], response: str, *, skip: tuple[str, ...] = ()
) -> None:
    """Copy ``source`` fields that the ``response`` schema has and accepts into ``target``.

    A null only clears a field whose response schema allows null; otherwise it leaves it unchanged.
    """
    props = schema(response).get("properties", {})
    for key, value in source.items():
        if key in skip or key not in props:
            continue
        if conforms(value, props[key]):
            target[key] = value
