"""Custom skills and revisions on the local registry, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillsync.emulator import DEFAULT_LIMITS, create_app
from tests.emulator_helpers import b64, client, files
from tests.emulator_server import serve_app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("reg") / "r.db"
    with serve_app(create_app(db, tokens=["t1", "t2"], limits={"max_files": 20})) as url:
        yield url


@pytest.fixture
def c(server: str) -> Iterator[httpx.Client]:
    with client(server) as cl:
        yield cl


_n = iter(range(10**9))


def org_of(c: httpx.Client) -> str:
    orgs = c.get("/organizations").json()["data"]
    assert len(orgs) == 1 and orgs[0]["is_personal"] is True
    return str(orgs[0]["id"])


def new_skill(c: httpx.Client, **kw: Any) -> dict[str, Any]:
    org = org_of(c)
    body = {
        "slug": kw.pop("slug", f"skill-{next(_n)}"),
        "display_name": "Demo",
        "initial_revision": {"files": files()},
    }
    body.update(kw)
    r = c.post(f"/organizations/{org}/custom-skills", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


def test_defaults_are_the_validator_limits() -> None:
    """What validates locally is never refused by the registry for its size, and the reverse."""
    from skillsync.config import Limits, toml_fields

    assert {key: value for key, value, _table in toml_fields(Limits())} == DEFAULT_LIMITS


def test_fresh_registry_gives_each_token_its_own_personal_org(c: httpx.Client, server: str) -> None:
    with client(server, "t2") as c2:
        assert org_of(c) != org_of(c2)
        r = c2.get(f"/organizations/{org_of(c)}/custom-skills")
        assert r.status_code == 404 and r.json()["error"] == "not_found"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic dDE=", "Bearer", "bearer t1x"])
def test_missing_or_bad_token_is_401_with_error_body(server: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = httpx.get(server + "/organizations", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized" and r.json()["message"]


def test_revision_lifecycle_numbers_publish_and_supersede(c: httpx.Client) -> None:
    skill = new_skill(c)
    org, sid = skill["organization_id"], skill["id"]
    assert skill["latest_revision"]["revision_number"] == 1
    assert skill["latest_revision"]["status"] == "draft"
    assert skill["published_revision_id"] is None and skill["published_revision"] is None
    base = f"/organizations/{org}/custom-skills/{sid}"
    r2 = c.post(base + "/revisions", json={"files": files({"a.txt": "2"}), "publish": True}).json()["data"]
    assert r2["revision_number"] == 2 and r2["status"] == "published" and r2["published_at"]
    r3 = c.post(base + "/revisions", json={"files": files({"a.txt": "3"})}).json()["data"]
    assert r3["revision_number"] == 3 and r3["status"] == "draft" and r3["published_at"] is None
    got = c.get(base).json()["data"]
    assert got["latest_revision_id"] == r3["id"] and got["published_revision_id"] == r2["id"]
    assert got["published_revision"]["revision_number"] == 2
    published = c.post(base + f"/revisions/{r3['id']}/publish").json()["data"]
    assert published["published_revision_id"] == r3["id"]
    assert published["published_revision"]["status"] == "published"
    statuses = {r["revision_number"]: r["status"] for r in c.get(base + "/revisions").json()["data"]}
    assert statuses == {1: "draft", 2: "superseded", 3: "published"}
    assert c.get(base + f"/revisions/{r2['id']}").json()["data"]["published_at"]  # kept after supersede


def test_revision_carries_skill_md_frontmatter_title_and_file_metadata(c: httpx.Client) -> None:
    md = "---\nname: meta\ndescription: Reads things.\ntags: [a, b]\n---\nintro\n# The Title\n"
    blob = bytes(range(256))
    skill = new_skill(c)
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    rev = c.post(
        base + "/revisions",
        json={
            "files": [
                *files({"scripts/run.py": "print(1)\n", "img.bin": blob}, skill_md=md),
                {"relative_path": "data.custom", "content_base64": b64("x"), "content_type": "text/x-mine"},
            ]
        },
    ).json()["data"]
    assert rev["skill_md"] == md
    assert rev["skill_md_sha256"] == hashlib.sha256(md.encode()).hexdigest()
    assert rev["frontmatter"] == {"name": "meta", "description": "Reads things.", "tags": ["a", "b"]}
    assert rev["title"] == "The Title"
    by_path = {f["relative_path"]: f for f in rev["files"]}
    assert set(by_path) == {"SKILL.md", "scripts/run.py", "img.bin", "data.custom"}
    assert by_path["img.bin"]["sha256"] == hashlib.sha256(blob).hexdigest()
    assert by_path["img.bin"]["size_bytes"] == 256 and by_path["img.bin"]["is_text"] is False
    assert by_path["img.bin"]["content_type"] == "application/octet-stream"
    assert by_path["scripts/run.py"]["is_text"] is True
    assert by_path["scripts/run.py"]["content_type"] == "text/x-python"
    assert by_path["data.custom"]["content_type"] == "text/x-mine"
    f = c.get(base + f"/revisions/{rev['id']}/file", params={"path": "img.bin"}).json()["data"]
    assert f["content_base64"] == b64(blob) and f["sha256"] == by_path["img.bin"]["sha256"]
    missing = c.get(base + f"/revisions/{rev['id']}/file", params={"path": "nope.txt"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "front",
    [
        ": [unclosed",
        "a: &a [*a]",  # a self-referencing alias
        "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]",  # aliases multiply the document
        "a: " + "[" * 3000 + "]" * 3000,  # nesting deeper than the recursion limit
    ],
)
def test_unparsable_frontmatter_is_an_empty_mapping(c: httpx.Client, front: str) -> None:
    skill = new_skill(c, initial_revision={"files": files(skill_md=f"---\n{front}\n---\n# T\n")})
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    rev = c.get(base + f"/revisions/{skill['latest_revision_id']}").json()["data"]
    assert rev["frontmatter"] == {} and rev["title"] == "T"


def _bundle(c: httpx.Client, skill: dict[str, Any], rev_id: str) -> bytes:
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    r = c.get(base + f"/revisions/{rev_id}/bundle")
    assert r.status_code == 200 and r.headers["content-type"] == "application/gzip"
    return r.content


def test_bundle_is_a_deterministic_tar_gz_with_files_at_the_root(c: httpx.Client) -> None:
    skill = new_skill(c, initial_revision={"files": files({"b/c.txt": "c", "a.txt": "a"})})
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    again = c.post(base + "/revisions", json={"files": list(reversed(files({"b/c.txt": "c", "a.txt": "a"})))})
    first, second = skill["latest_revision"], again.json()["data"]
    assert first["bundle_sha256"] == second["bundle_sha256"]
    data = _bundle(c, skill, first["id"])
    assert (
        hashlib.sha256(data).hexdigest() == first["bundle_sha256"] and len(data) == first["bundle_size_bytes"]
    )
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = tar.getnames()
        assert names == ["SKILL.md", "a.txt", "b/c.txt"]
        extracted = tar.extractfile("b/c.txt")
        assert extracted is not None and extracted.read() == b"c"
    assert gzip.decompress(data)  # a plain gzip stream


PATH_STRATEGY = st.lists(
    st.text(alphabet="abcxyz-_.0123456789", min_size=1, max_size=8).filter(lambda s: s not in (".", "..")),
    min_size=1,
    max_size=3,
).map("/".join)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(PATH_STRATEGY, st.binary(max_size=300), max_size=6))
def test_metadata_and_bundle_round_trip_any_file_set(server: str, tree: dict[str, bytes]) -> None:
    tree = {p: v for p, v in tree.items() if p != "SKILL.md" and not any(p.startswith(q + "/") for q in tree)}
    with client(server) as c:
        skill = new_skill(c, initial_revision={"files": files(tree)})
        base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
        rev = c.get(base + f"/revisions/{skill['latest_revision_id']}").json()["data"]
        meta = {
            f["relative_path"]: (f["size_bytes"], f["sha256"])
            for f in rev["files"]
            if f["relative_path"] != "SKILL.md"
        }
        assert meta == {p: (len(v), hashlib.sha256(v).hexdigest()) for p, v in tree.items()}
        with tarfile.open(fileobj=io.BytesIO(_bundle(c, skill, rev["id"])), mode="r:gz") as tar:
            got = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.name != "SKILL.md"}  # type: ignore[union-attr]
        assert got == tree


def test_slug_conflict_is_409_and_long_slugs_are_fine(c: httpx.Client) -> None:
    long_slug = "-".join(["segment"] * 15)  # > 64 characters, as monorepo paths make
    skill = new_skill(c, slug=long_slug)
    assert skill["slug"] == long_slug
    org = skill["organization_id"]
    r = c.post(
        f"/organizations/{org}/custom-skills",
        json={"slug": long_slug, "display_name": "x", "initial_revision": {"files": files()}},
    )
    assert r.status_code == 409 and r.json()["error"] == "conflict" and long_slug in r.json()["message"]


@pytest.mark.parametrize("slug", ["A-b", "a", "-ab", "ab-", "a--b", "a_b", "", 5])
def test_bad_skill_slugs_are_refused(c: httpx.Client, slug: Any) -> None:
    r = c.post(
        f"/organizations/{org_of(c)}/custom-skills",
        json={"slug": slug, "display_name": "x", "initial_revision": {"files": files()}},
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_slug"


BAD_FILES: list[tuple[list[dict[str, Any]], str]] = [
    ([], "empty_files"),
    ([{"relative_path": "README.md", "content_base64": b64("x")}], "missing_skill_md"),
    (files({"/abs.txt": "x"}), "invalid_path"),
    (files({"a/../b.txt": "x"}), "invalid_path"),
    (files({"./b.txt": "x"}), "invalid_path"),
    (files({"a\\b.txt": "x"}), "invalid_path"),
    (files({"a//b.txt": "x"}), "invalid_path"),
    (files({"a/": "x"}), "invalid_path"),
    (files({"a\x01b": "x"}), "invalid_path"),
    (files({"sub/SKILL.md": "x"}) + files(), "duplicate_path"),
    ([*files(), {"relative_path": "x.txt", "content_base64": "eA"}], "invalid_base64"),
    ([*files(), {"relative_path": "x.txt", "content_base64": "e A=="}], "invalid_base64"),
    ([*files(), {"relative_path": "x.txt", "content_base64": "eA-_"}], "invalid_base64"),
    (files({f"f{i}.txt": "x" for i in range(20)}), "too_many_files"),
]


@pytest.mark.parametrize(("body_files", "error"), BAD_FILES)
def test_bad_file_lists_are_refused_with_an_error_body(
    c: httpx.Client, body_files: list[dict[str, Any]], error: str
) -> None:
    skill = new_skill(c)
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    r = c.post(base + "/revisions", json={"files": body_files})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == error and r.json()["message"]
    assert len(c.get(base + "/revisions").json()["data"]) == 1  # nothing was stored


@pytest.mark.parametrize(
    "body",
    [
        {"files": "x"},
        {"files": [1]},
        {"files": [{"relative_path": 1, "content_base64": ""}]},
        {},
        [],
        {"files": files(), "publish": "yes"},
    ],
)
def test_malformed_revision_bodies_are_422(c: httpx.Client, body: Any) -> None:
    skill = new_skill(c)
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    r = c.post(base + "/revisions", json=body)
    assert r.status_code == 422 and r.json()["error"] == "validation_error"


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"slug": "ok", "display_name": "x\\ud800y"}',  # a lone surrogate cannot be stored or sent back
        b'{"slug": "ok", "display_name": "D", "extra": NaN}',
        b'{"slug": "ok", "display_name": "D", "extra": 1e400}',
    ],
)
def test_non_json_body_is_400(c: httpx.Client, raw: bytes) -> None:
    r = c.post(f"/organizations/{org_of(c)}/custom-skills", content=raw)
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"


def test_size_limits_are_configurable_in_process(tmp_path: Path) -> None:
    app = create_app(tmp_path / "r.db", tokens=["t1"], limits={"max_file_bytes": 10, "max_total_bytes": 25})

    async def scenario() -> list[tuple[int, str]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reg") as raw:
            raw.headers["Authorization"] = "Bearer t1"
            org = (await raw.get("/organizations")).json()["data"][0]["id"]
            url = f"/organizations/{org}/custom-skills"
            ok = files({"a": "x" * 9, "b": "y" * 9}, skill_md="# T\n")
            out = []
            for tree in (files(skill_md="---\nn: 1\n---\n"), [*ok, *files({"c": "z" * 9})[1:]], ok):
                body = {"slug": "ab", "display_name": "x", "initial_revision": {"files": tree}}
                r = await raw.post(url, json=body)
                out.append((r.status_code, r.json().get("error", "")))
            return out

    assert asyncio.run(scenario()) == [(400, "file_too_large"), (400, "bundle_too_large"), (200, "")]


def test_list_filters_by_q_and_hides_archived(c: httpx.Client) -> None:
    tag = f"zq{next(_n)}"
    a = new_skill(c, slug=f"{tag}-alpha", display_name="Alpha")
    b = new_skill(c, slug=f"other-{next(_n)}", display_name=f"Beta {tag.upper()}")
    org = a["organization_id"]
    listed = {s["id"] for s in c.get(f"/organizations/{org}/custom-skills", params={"q": tag}).json()["data"]}
    assert listed == {a["id"], b["id"]}
    patched = c.patch(f"/organizations/{org}/custom-skills/{b['id']}", json={"status": "archived"}).json()[
        "data"
    ]
    assert patched["status"] == "archived"
    listed = {s["id"] for s in c.get(f"/organizations/{org}/custom-skills", params={"q": tag}).json()["data"]}
    assert listed == {a["id"]}
    params = {"q": tag, "include_archived": "true"}
    listed = {s["id"] for s in c.get(f"/organizations/{org}/custom-skills", params=params).json()["data"]}
    assert listed == {a["id"], b["id"]}


def test_patch_description_is_tri_state(c: httpx.Client) -> None:
    skill = new_skill(c, description="first")
    url = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    assert c.patch(url, json={"display_name": "Renamed"}).json()["data"]["description"] == "first"
    got = c.patch(url, json={}).json()["data"]
    assert got["description"] == "first" and got["display_name"] == "Renamed"
    assert c.patch(url, json={"description": None}).json()["data"]["description"] is None
    assert c.patch(url, json={"description": "again"}).json()["data"]["description"] == "again"
    assert c.patch(url, json={"status": "paused"}).status_code == 422
    missing = c.patch(url.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000", json={})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_default_is_not_an_org_id_on_custom_skill_paths(c: httpx.Client) -> None:
    assert c.get("/organizations/default/custom-skills").status_code == 404
    members = c.get("/organizations/default/members")
    assert members.status_code == 200 and members.json()["data"][0]["role"] == "owner"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with serve_app(create_app(db, tokens=["t1"])) as url, client(url) as c:
        skill = new_skill(c)
    with serve_app(create_app(db)) as url, client(url) as c:  # token already known to the database
        org = skill["organization_id"]
        got = c.get(f"/organizations/{org}/custom-skills/{skill['id']}").json()["data"]
        assert got["latest_revision_id"] == skill["latest_revision_id"]
        assert len(c.get("/organizations").json()["data"]) == 1  # no second personal org
        assert _bundle(c, skill, skill["latest_revision_id"])


def test_concurrent_uploads_never_lose_or_duplicate_a_revision_number(c: httpx.Client, server: str) -> None:
    skill = new_skill(c)
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    results: list[int] = []
    errors: list[BaseException] = []

    def push(i: int) -> None:
        try:
            with client(server) as own:
                r = own.post(base + "/revisions", json={"files": files({"n.txt": str(i)})})
                assert r.status_code == 200, r.text
                results.append(r.json()["data"]["revision_number"])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == list(range(2, 14))
    listed = [r["revision_number"] for r in c.get(base + "/revisions").json()["data"]]
    assert sorted(listed) == list(range(1, 14))
    assert c.get(base).json()["data"]["latest_revision"]["revision_number"] == max(results)


def test_files_larger_than_one_decode_slice_round_trip(c: httpx.Client) -> None:
    big = bytes(range(256)) * (5 * 4096 + 7)  # > 4 MiB of base64, not a multiple of 3 bytes
    skill = new_skill(c, initial_revision={"files": files({"big.bin": big})})
    rev = skill["latest_revision"]
    base = f"/organizations/{skill['organization_id']}/custom-skills/{skill['id']}"
    got = c.get(base + f"/revisions/{rev['id']}/file", params={"path": "big.bin"}).json()["data"]
    assert got["sha256"] == hashlib.sha256(big).hexdigest() and got["size_bytes"] == len(big)
    padded_in_middle = b64(b"ab") + b64(big)  # "YWI=" then more data: padding inside the stream
    r = c.post(
        base + "/revisions",
        json={"files": [*files(), {"relative_path": "x", "content_base64": padded_in_middle}]},
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_base64"


def test_oversized_body_is_413_before_parsing(tmp_path: Path) -> None:
    app = create_app(tmp_path / "r.db", tokens=["t1"], limits={"max_total_bytes": 100, "max_files": 2})
    with serve_app(app) as url, client(url) as c:
        org = org_of(c)
        body = {
            "slug": "ab",
            "display_name": "x",
            "initial_revision": {"files": files({"a": "x" * 3_000_000})},
        }
        r = c.post(f"/organizations/{org}/custom-skills", json=body)
        assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
