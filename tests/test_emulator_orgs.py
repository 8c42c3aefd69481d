"""Organizations, members, invites, policy and publishers on a seeded local registry."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skillsync.emulator import create_app
from tests.emulator_helpers import client
from tests.emulator_server import serve_app

SEED = Path(__file__).resolve().parent / "data" / "registry-seed.json"
ALICE, BOB = "seren_local_alice", "seren_local_bob"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with serve_app(create_app(tmp_path / "r.db", seed=SEED)) as base:
        yield base


@pytest.fixture
def alice(url: str) -> Iterator[httpx.Client]:
    with client(url, ALICE) as c:
        yield c


def acme(c: httpx.Client) -> str:
    return next(o["id"] for o in c.get("/organizations").json()["data"] if o["slug"] == "acme")


def publisher(c: httpx.Client, org: str) -> dict[str, Any]:
    return dict(c.get(f"/organizations/{org}/publishers").json()["data"][0])


def test_seeded_users_see_their_organizations(alice: httpx.Client, url: str) -> None:
    orgs = alice.get("/organizations").json()["data"]
    assert [o["is_personal"] for o in orgs] == [True, False]  # personal first
    members = alice.get(f"/organizations/{acme(alice)}/members").json()["data"]
    assert {m["email"]: m["role"] for m in members} == {
        "alice@example.com": "owner",
        "bob@example.com": "admin",
        "carol@example.com": "viewer",
    }
    with client(url, BOB) as bob:
        assert acme(bob) == acme(alice)


def test_seed_is_applied_once_per_database(tmp_path: Path) -> None:
    for _ in range(2):
        create_app(tmp_path / "r.db", seed=SEED)
    with serve_app(create_app(tmp_path / "r.db", seed=SEED)) as base, client(base, ALICE) as c:
        assert len(c.get("/organizations").json()["data"]) == 2
        assert len(c.get(f"/organizations/{acme(c)}/publishers").json()["data"]) == 1


def test_invites_create_201_and_list_with_default_org(alice: httpx.Client) -> None:
    org = acme(alice)
    listed = alice.get(f"/organizations/{org}/invites").json()["data"]
    assert [i["email"] for i in listed] == ["dave@example.com"]
    r = alice.post(f"/organizations/{org}/invites", json={"email": "erin@example.com"})
    assert r.status_code == 201 and r.json()["data"]["role"] == "member"
    assert alice.post(f"/organizations/{org}/invites", json={"email": "nope"}).status_code == 400
    personal = alice.post("/organizations/default/invites", json={"email": "f@example.com", "role": "admin"})
    assert personal.status_code == 201 and personal.json()["data"]["organization_id"] != org


def test_strangers_get_403_on_default_capable_routes(url: str, alice: httpx.Client) -> None:
    org = acme(alice)
    with client(url, BOB) as bob:
        assert bob.get(f"/organizations/{org}/members").status_code == 200
    r = alice.get("/organizations/00000000-0000-4000-8000-000000000000/members")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_private_chat_policy_get_and_put(alice: httpx.Client) -> None:
    org = acme(alice)
    got = alice.get(f"/organizations/{org}/private-chat-policy").json()["data"]
    assert got["mode"] == "private_org_agent" and got["hide_model_picker"] is True
    put = alice.put(
        f"/organizations/{org}/private-chat-policy", json={"mode": "standard", "model_id": "m1", "bogus": 1}
    ).json()["data"]
    assert put["mode"] == "standard" and put["model_id"] == "m1" and "bogus" not in put
    assert put["hide_model_picker"] is True  # unchanged when omitted
    assert alice.put(f"/organizations/{org}/private-chat-policy", json={"mode": "weird"}).status_code == 400


def test_assign_role(alice: httpx.Client) -> None:
    org = acme(alice)
    carol = next(
        m for m in alice.get(f"/organizations/{org}/members").json()["data"] if m["role"] == "viewer"
    )
    r = alice.put(f"/organizations/{org}/members/{carol['user_id']}/role", json={"role_name": "editor"})
    assert r.status_code == 200 and r.json()["data"]["role"] == "editor"
    assert alice.put(f"/organizations/{org}/members/{carol['user_id']}/role", json={}).status_code == 400


def test_publisher_crud_conflict_and_soft_delete(alice: httpx.Client) -> None:
    org = acme(alice)
    body = {
        "name": "New",
        "slug": "new-pub",
        "wallet_address": "0x1234567890123456789012345678901234567890",
        "wallet_network_id": "base",
        "publisher_category": "integration",
        "upstream_api_key": "sk-secret",
        "database_config": {"connection_string": "postgresql://u:pw@h/db"},
    }
    r = alice.post(f"/organizations/{org}/publishers", json=body)
    assert r.status_code == 201
    created = r.json()["data"]
    assert "sk-secret" not in r.text and "pw@" not in r.text
    assert alice.post(f"/organizations/{org}/publishers", json=body).status_code == 409
    assert alice.post(f"/organizations/{org}/publishers", json={"name": "x"}).status_code == 400
    url = f"/organizations/{org}/publishers/{created['id']}"
    upd = alice.put(url, json={"description": "changed", "name": None}).json()["data"]
    assert upd["description"] == "changed" and upd["name"] == "New"
    assert alice.delete(url).status_code == 200
    assert alice.get(url).status_code == 404
    assert alice.post(f"/organizations/{org}/publishers", json=body).status_code == 201  # slug free again


def test_earnings_payouts_paging_and_new_payout(alice: httpx.Client) -> None:
    org = acme(alice)
    pub = publisher(alice, org)
    base = f"/organizations/{org}/publishers/{pub['id']}"
    earnings = alice.get(base + "/earnings").json()["data"]
    assert earnings[0]["available_atomic"] == 12_500_000 - 2_500_000
    assert earnings[0]["available"] == pytest.approx(10.0)
    page = alice.get(base + "/payouts", params={"limit": 1, "offset": 0}).json()
    assert page["pagination"] == {"total": 2, "count": 1, "limit": 1, "offset": 0, "has_more": True}
    second = alice.get(base + "/payouts", params={"limit": 1, "offset": 1}).json()
    assert second["pagination"]["has_more"] is False and second["data"][0]["id"] != page["data"][0]["id"]
    asset = earnings[0]["asset"]["id"]
    r = alice.post(base + "/payouts", json={"asset_id": asset, "amount_atomic": 4_000_000})
    assert r.status_code == 201 and r.json()["data"]["status"] == "queued"
    assert alice.get(base + "/earnings").json()["data"][0]["available_atomic"] == 6_000_000
    too_much = alice.post(base + "/payouts", json={"asset_id": asset, "amount_atomic": 6_000_001})
    assert too_much.status_code == 400 and too_much.json()["error"] == "invalid_request"
    assert alice.get(base + "/payouts").json()["pagination"]["total"] == 3


def test_payout_paging_beyond_int64_is_422(alice: httpx.Client) -> None:
    org = acme(alice)
    base = f"/organizations/{org}/publishers/{publisher(alice, org)['id']}"
    for params in ({"offset": 2**63}, {"limit": -(2**63) - 1}):
        r = alice.get(base + "/payouts", params=params)
        assert r.status_code == 422 and r.json()["error"] == "validation_error", params
    assert alice.get(base + "/payouts", params={"offset": 2**63 - 1}).json()["data"] == []


def test_pricing_and_logo(alice: httpx.Client) -> None:
    org = acme(alice)
    pub = publisher(alice, org)
    base = f"/organizations/{org}/publishers/{pub['id']}"
    asset = pub["accepted_assets"][0]["id"]
    price = alice.put(base + "/pricing", json={"asset_id": asset, "price_per_call": "0.01"}).json()["data"]
    assert price["price_per_call"] == "0.01" and price["asset_symbol"] == "USDC"
    assert alice.get(base).json()["data"]["pricing"][0]["price_per_call"] == "0.01"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    logo = {"logo": base64.b64encode(png).decode(), "content_type": "image/png"}
    r = alice.post(base + "/logo", json=logo)
    assert r.status_code == 200
    logo_url = r.json()["data"]["logo_url"]
    assert alice.get(logo_url).content == png
    assert alice.get(base).json()["data"]["logo_url"] == logo_url
    assert alice.post(base + "/logo", json={**logo, "content_type": "image/gif"}).status_code == 400
    assert alice.post(base + "/logo", json={**logo, "content_type": "image/jpeg"}).status_code == 400
