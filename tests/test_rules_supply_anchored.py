"""The supply scans' shortcuts find exactly what a plain scan finds (issue 16, speed).

``_anchored`` tries a pattern only where one of its first words is; the invisible-Unicode scan
first looks at the file without its ASCII bytes. Random text built from the words the patterns
look for (and near misses) must give the same matches as ``finditer`` over every byte.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync.rules import supply as sup

WORDS = [
    b"exec", b"eval", b"Function", b"compile", b"(", b")", b" ", b"\n", b"\t", b"x = ", b"base64",
    b"base64.b64decode", b" -d ", b"| ", b"sh", b"bash", b"xxd -r -p", b"PowerShell", b"pOwErShElL",
    b" -enc ", b"QUFBQUFBQUFBQUFBQUFB", b"atob", b"Buffer.from", b"zlib.decompress", b"(\"...\")",
    b"developer", b"god", b"mode ", b"enabled", b"hide", b"it", b"from the user", b"reveal your",
    b"system prompt", b"\xe2\x80\x8b", b"\xe2\x80\x94", b"\xef\xbb\xbf", b"\xf3\xa0\x80\x81", b"\xc3",
]  # fmt: skip
TEXT = st.lists(st.sampled_from(WORDS), max_size=40).map(b"".join)


def _spans(it: object) -> list[tuple[int, int]]:
    return [m.span() for m in it]  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_anchored_decode_scan_is_finditer(d: bytes) -> None:
    anchors = [*sup._CALL_ANCHORS, b"base64", b"xxd"]
    got = _spans(sup._anchored(sup._DECODE_EXEC, d, anchors, ci=(b"powershell",)))
    assert got == _spans(sup._DECODE_EXEC.finditer(d))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_anchored_override_rows_are_finditer(d: bytes) -> None:
    low = d.lower()
    for _, rx, starts in sup._OVERRIDE:
        if starts:
            assert _spans(sup._anchored(rx, low, list(starts))) == _spans(rx.finditer(low))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_non_ascii_gate_never_hides_a_candidate(d: bytes) -> None:
    if sup._INVISIBLE.search(d) is not None:
        assert sup._INVISIBLE.search(d.translate(None, sup._ASCII)) is not None


# Issue 12: the gates test their rarest literal first and PowerShell once on the lower-cased
# bytes. Each must say exactly what the plain tests said before (a gate that says "no" where the
# old one said "yes" would hide a finding; one that says "yes" where it said "no" would add one).
GATE_WORDS = [
    b"curl", b"wget", b"iex", b"Invoke-Expression", b"DownloadString", b"<(", b"sh -c", b"$(",
    b"exec", b"eval", b"Function", b"requests.get(", b"urlopen(", b"fetch(", b"await", b"decode",
    b"base64", b" -d", b" --decode", b" -D", b"xxd", b" -r", b" -p", b"PowerShell", b"powershell",
    b"POWERSHELL", b"owershell", b"OWERSHELL", b"pOwErShElL", b"|", b" ", b"\n", b"x",
]  # fmt: skip
GATE_TEXT = st.lists(st.sampled_from(GATE_WORDS), max_size=30).map(b"".join)
OLD_FETCH_NEEDS = (  # _FETCH_EXEC's gates as they were, row by row
    (b"DownloadString",),
    (b"iex",),
    (b"<(", (b"curl", b"wget")),
    (b"sh -c", b"$(", (b"curl", b"wget")),
    (b"exec", b"requests.get("),
    ((b"exec", b"eval"), b"urlopen("),
    ((b"eval", b"Function"), b"fetch(", b"await"),
)


def _all_in(needs: tuple[bytes | tuple[bytes, ...], ...], d: bytes) -> bool:
    return all(n in d if isinstance(n, bytes) else any(x in d for x in n) for n in needs)


@settings(max_examples=400, deadline=None)
@given(GATE_TEXT)
def test_fetch_rows_open_exactly_as_before(d: bytes) -> None:
    has = sup._Has(d)
    assert len(sup._FETCH_EXEC) == len(OLD_FETCH_NEEDS)
    for (needs, _), old in zip(sup._FETCH_EXEC, OLD_FETCH_NEEDS, strict=True):
        new = all(has[n] if isinstance(n, bytes) else has.any(n) for n in needs)
        assert new == _all_in(old, d)


@settings(max_examples=400, deadline=None)
@given(GATE_TEXT)
def test_shell_decode_gate_is_the_plain_tests(d: bytes) -> None:
    old = any(g in d and any(w in d for w in ws) for g, ws in sup._SHELL_DECODE_GATES)
    # ... and PowerShell in any case (the two spellings above missed `PowerShell -enc`)
    assert sup._shell_decode(sup._Has(d), d.lower()) == (old or b"owershell" in d.lower())


VENDOR_WORDS = [
    "Official", "officially", "verified", "Authorised", "built", "by", "BY", "Anthropic", "claude",
    "SerenDB", "GitHub's", "aws", "meta", "skill", "plugins", " ", "  ", "\n", "-", "x", "'s",
]  # fmt: skip
VENDOR_TEXT = st.lists(st.sampled_from(VENDOR_WORDS), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(VENDOR_TEXT)
def test_impersonation_gate_never_hides_a_claim(text: str) -> None:
    value = text.encode()
    if sup._IMPERSONATE.search(value) is not None:
        assert sup._may_impersonate(value.lower())
