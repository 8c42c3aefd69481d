"""Unit tests of the pure sync decisions: state file, classification, push decisions, file diffs."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.digest import tree_digest
from skillsync.sync.plan import BLOCKED, STATES, RemoteView, adopt_pending, classify, decide, gate
from skillsync.sync.skill_meta import parse_meta
from skillsync.sync.state import Base, RevisionInfo, SkillState, SyncState, merge_learned
from skillsync.sync.tree_diff import compare, is_text, unified
from skillsync.workspace import open_workspace

SHA_A = "a" * 64
SHA_B = "b" * 64
D1 = tree_digest([("SKILL.md", 1, SHA_A)])
D2 = tree_digest([("SKILL.md", 2, SHA_B)])
D3 = tree_digest([("SKILL.md", 3, SHA_A)])


def view(
    latest: str | None = "r2", number: int | None = 2, *, status: str = "active", published: str | None = None
) -> RemoteView:
    return RemoteView(
        id="s1",
        slug="x",
        status=status,
        display_name="X",
        description=None,
        latest_revision_id=latest,
        latest_number=number,
        latest_status="draft",
        published_revision_id=published,
        published_number=None,
    )


def entry(base_id: str | None = "r2", base_digest: str = D1, **revs: str) -> SkillState:
    e = SkillState()
    if base_id:
        e.base = Base(revision_id=base_id, number=2, digest=base_digest)
    e.revisions = {rid: RevisionInfo(digest=d, bytes=1, files=1) for rid, d in revs.items()}
    return e


def test_classify_every_state() -> None:
    assert classify(D1, None, None, None) == "new"
    assert classify(D1, view(status="archived"), D1, None) == "archived"
    assert classify(D1, view(), D1, entry()) == "unchanged"
    # base r2 == latest, local moved
    assert classify(D2, view(), D1, entry()) == "modified"
    # remote moved to r3 (digest D2), local still equals base
    assert classify(D1, view("r3", 3), D2, entry()) == "remote-ahead"
    # both moved
    assert classify(D3, view("r3", 3), D2, entry()) == "conflict"
    # no base: modified, unless local equals an older known revision
    assert classify(D2, view(), D1, entry(base_id=None)) == "modified"
    assert classify(D3, view("r3", 3), D2, entry(None, r2=D3)) == "remote-ahead"


def test_adopt_pending_after_crash() -> None:
    e = entry()
    e.pending = D2
    assert not adopt_pending(e, view("r3", 3), D3)  # some other content: not ours
    assert e.pending == D2
    assert adopt_pending(e, view("r3", 3), D2)
    assert e.base == Base("r3", 3, D2) and e.pending is None
    assert classify(D2, view("r3", 3), D2, e) == "unchanged"


def test_decide_guards() -> None:
    v = view()
    common = {"publish": False, "force": False, "meta_changed": False, "blocked": False}
    assert decide("modified", v, seen_revision_id="r2", **common).action == "revision"
    stale = decide("modified", v, seen_revision_id="r1", **common)
    assert stale.action == "refuse" and "remote moved since diff" in stale.reason
    assert decide("modified", v, seen_revision_id="r1", **{**common, "force": True}).action == "revision"
    assert decide("conflict", v, seen_revision_id=None, **common).action == "refuse"
    assert decide("remote-ahead", v, seen_revision_id=None, **common).action == "skip"
    assert decide("archived", v, seen_revision_id=None, **{**common, "force": True}).action == "refuse"
    assert decide("unchanged", v, seen_revision_id=None, **common).action == "skip"
    assert decide("unchanged", v, seen_revision_id=None, **{**common, "publish": True}).action == "publish"
    published = view(published="r2")
    assert (
        decide("unchanged", published, seen_revision_id=None, **{**common, "publish": True}).action == "skip"
    )
    assert (
        decide("unchanged", v, seen_revision_id=None, **{**common, "meta_changed": True}).action == "update"
    )
    assert decide("new", None, seen_revision_id=None, **{**common, "blocked": True}).action == "blocked"
    assert decide("new", None, seen_revision_id=None, **{**common, "publish": True}).publish


def test_state_roundtrip_and_corruption(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path)
    s = SyncState.load(ws)
    e = s.skill("local", "org1", "x")
    e.skill_id, e.base, e.seen_revision_id, e.pending = "s1", Base("r1", 1, D1), "r1", D2
    e.revisions["r1"] = RevisionInfo(D1, 10, 1)
    s.save()
    again = SyncState.load(ws).peek("local", "org1", "x")
    assert again == e
    text = (ws.state_dir / "state.json").read_text()
    assert "seren_" not in text and "token" not in text
    for junk in ("{", "[]", json.dumps({"format": "other"}), "\xff"):
        (ws.state_dir / "state.json").write_text(junk, errors="surrogateescape")
        assert SyncState.load(ws).scopes == {}


def test_merge_learned_moves_base_forward_only() -> None:
    disk = entry("r3", D2)
    disk.base = Base("r3", 3, D2)
    mem = entry("r2", D1, r9=D3)
    merge_learned(disk, mem)
    assert disk.base == Base("r3", 3, D2) and "r9" in disk.revisions


entries = st.dictionaries(
    st.text("abc/", min_size=1, max_size=4),
    st.tuples(st.integers(0, 3), st.sampled_from([SHA_A, SHA_B])),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(entries, entries)
def test_compare_reconstructs_new_tree(
    old: dict[str, tuple[int, str]], new: dict[str, tuple[int, str]]
) -> None:
    changes = compare(old, new)
    rebuilt = dict(old)
    for c in changes:
        if c.change == "removed":
            del rebuilt[c.path]
        else:
            assert c.new is not None
            rebuilt[c.path] = c.new
    assert rebuilt == new
    assert (not changes) == (old == new)


def test_unified_and_binary_detection() -> None:
    patch = unified("SKILL.md", b"a\nb\n", b"a\nc")
    assert "--- a/SKILL.md" in patch and "+++ b/SKILL.md" in patch
    assert "-b\n" in patch and "+c\n\\ No newline at end of file" in patch
    assert unified("new.txt", None, b"x\n").startswith("--- /dev/null")
    assert not is_text(b"\x00abc") and not is_text(b"\xff\xfe") and is_text("é".encode())


def test_unified_splits_lines_on_newline_only() -> None:
    # Form feeds, lone CRs and U+2028 are inside a line (as for git and patch), not line ends:
    # no bogus "No newline at end of file" markers, and the changed line is the whole line.
    patch = unified("x.txt", b"a\x0cb\nc\n", b"a\x0cb\nd\n")
    assert patch == "--- a/x.txt\n+++ b/x.txt\n@@ -1,2 +1,2 @@\n a\x0cb\n-c\n+d\n"
    patch = unified("y.txt", "p\u2028q\n".encode(), "p\u2028r\n".encode())
    assert "-p\u2028q\n+p\u2028r\n" in patch
    patch = unified("mac.txt", b"a\rb\r", b"a\rc\r")
    assert patch.count("No newline") == 2 and "-a\rb\r\n\\ No newline" in patch
    crlf = unified("w.txt", b"a\r\nb\r\n", b"a\r\nc\r\n")
    assert "-b\r\n+c\r\n" in crlf and "No newline" not in crlf


def test_parse_meta() -> None:
    meta = parse_meta("---\nname: x\ndescription: Does it.\n---\n```\n# not this\n```\n# Real Title\n", "x")
    assert meta.display_name == "Real Title" and meta.description == "Does it."
    assert parse_meta("no frontmatter", "my-slug").display_name == "my-slug"
    assert parse_meta("---\nname: nice\n---\nbody", "s").display_name == "nice"


def test_parse_meta_reads_frontmatter_as_the_validator_does() -> None:
    # YAML 1.1 would turn these into a bool, a date and an int, and push would clear the description
    for value in ("yes", "2024-01-01", "12"):
        assert parse_meta(f"---\nname: x\ndescription: {value}\n---\n# T\n", "x").description == value


# ------------------------------------------------------------------ properties of classify and decide

DIGESTS = st.sampled_from([D1, D2, D3])
REV_IDS = st.sampled_from(["r1", "r2", "r3"])


@st.composite
def remote_views(draw: st.DrawFn) -> RemoteView | None:
    if draw(st.booleans()):
        return None
    latest = draw(st.none() | REV_IDS)
    return RemoteView(
        id="s1",
        slug="x",
        status=draw(st.sampled_from(["active", "archived"])),
        display_name="X",
        description=None,
        latest_revision_id=latest,
        latest_number=None if latest is None else int(latest[1:]),
        latest_status=draw(st.sampled_from(["draft", "published"])),
        published_revision_id=draw(st.none() | REV_IDS),
        published_number=None,
    )


@st.composite
def entries(draw: st.DrawFn) -> SkillState | None:
    if draw(st.booleans()):
        return None
    e = SkillState()
    if draw(st.booleans()):
        rid = draw(REV_IDS)
        e.base = Base(revision_id=rid, number=int(rid[1:]), digest=draw(DIGESTS))
    e.revisions = {
        rid: RevisionInfo(digest=d, bytes=1, files=1)
        for rid, d in draw(st.dictionaries(REV_IDS, DIGESTS, max_size=3)).items()
    }
    return e


@settings(max_examples=100, deadline=None)
@given(DIGESTS, remote_views(), st.none() | DIGESTS, entries())
def test_classify_properties(
    local: str, remote: RemoteView | None, latest: str | None, e: SkillState | None
) -> None:
    state = classify(local, remote, latest, e)
    assert state in STATES
    assert (state == "new") == (remote is None)
    if remote is None:
        return
    assert (state == "archived") == (remote.status == "archived")
    if state == "archived":
        return
    if remote.latest_revision_id is not None and latest is not None:
        assert (state == "unchanged") == (local == latest)  # equal content is never a conflict
    else:
        assert state == "modified"
    if state in ("conflict", "remote-ahead") and e is not None and e.base is not None:
        assert remote.latest_revision_id != e.base.revision_id  # only a moved remote is ahead
    if state == "conflict":
        assert e is not None and e.base is not None and local != e.base.digest


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(STATES),
    remote_views(),
    st.none() | REV_IDS,
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_decide_properties(
    state: str,
    remote: RemoteView | None,
    seen: str | None,
    publish: bool,
    force: bool,
    meta_changed: bool,
    blocked: bool,
) -> None:
    if (state == "new") != (remote is None):
        return  # classify never pairs these (test_classify_properties)
    d = decide(
        state,  # type: ignore[arg-type]
        remote,
        seen_revision_id=seen,
        publish=publish,
        force=force,
        meta_changed=meta_changed,
        blocked=blocked,
    )
    if blocked:
        assert d == BLOCKED
        return
    if d.publish:
        assert publish  # never publishes unasked
    if state == "archived":
        assert d.action == "refuse"  # --force does not lift it
    elif state == "new":
        assert d.action == "create"
    elif state == "unchanged":
        assert d.action in ("publish", "update", "skip")  # no upload without a content change
    elif force:
        assert d.action == "revision"  # --force lifts conflict, remote-ahead and a stale plan
    else:
        assert d.action in ("revision", "refuse", "skip")
        if d.action == "revision":  # only over the revision the last status/diff showed
            assert state == "modified"
            assert seen is None or remote is None or seen == remote.latest_revision_id
    # the validation gate only ever blocks content about to ship
    gated = gate(d, ["SKILL.md:1: spec.name: bad"])
    assert gated == (BLOCKED if d.action in ("create", "revision") else d)
    assert gate(d, []) == d


def test_push_summary_counts_a_push_refused_at_apply_time_as_blocked() -> None:
    """A planned revision that the stale-plan guard or a conflict refused created nothing: blocked."""
    from types import SimpleNamespace

    from skillsync.sync.sync_text import push_counts

    def item(action: str, result: str | None, state: str = "modified") -> SimpleNamespace:
        return SimpleNamespace(
            decision=SimpleNamespace(action=action), result=result, status=SimpleNamespace(state=state)
        )

    counts = push_counts(
        [
            item("revision", "refused"),
            item("revision", "revised"),
            item("create", "created", "new"),
            item("skip", "skipped", "unchanged"),
        ]
    )
    assert counts == {"created": 1, "updated": 1, "unchanged": 1, "blocked": 1, "failed": 0, "skipped": 0}


def test_meta_cache_round_trip_and_bad_files(tmp_path: Path) -> None:
    from skillsync.sync.skill_meta import META_CACHE_FILE, MetaCache, SkillMeta

    cache = MetaCache.load(tmp_path)
    assert cache.get("s", "a" * 64) is None
    cache.put("s", "a" * 64, SkillMeta("Title", None))
    cache.save()
    again = MetaCache.load(tmp_path)
    assert again.get("s", "a" * 64) == SkillMeta("Title", None)
    assert again.get("s", "b" * 64) is None and again.get("s", None) is None
    for text in (
        "{",
        "[]",
        '{"format": "x", "version": 1, "skills": {}}',
        '{"format": "skillsync-skill-meta"}',
    ):
        (tmp_path / META_CACHE_FILE).write_text(text)
        assert MetaCache.load(tmp_path).get("s", "a" * 64) is None
    (tmp_path / META_CACHE_FILE).write_text(
        '{"format": "skillsync-skill-meta", "version": 1, "skills": {"s": ["' + "a" * 64 + '", 5, null]}}'
    )
    assert MetaCache.load(tmp_path).get("s", "a" * 64) is None
