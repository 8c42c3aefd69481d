"""SKILL.md parser: line numbers, hostile input (never a crash or a hang), fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsync import skillmd
from skillsync.skillmd import parse


def kinds(text: str) -> list[str]:
    return [p.kind for p in parse(text).problems]


def test_fields_carry_their_lines_and_body_start() -> None:
    md = parse("---\nname: a\n\ndescription: >-\n  long\n  text\nlicense: MIT\n---\n# Title\n")
    assert {k: f.line for k, f in md.fields.items()} == {"name": 2, "description": 4, "license": 7}
    assert md.data["description"] == "long text"
    assert md.closed_line == 8 and md.body_line == 9 and md.body == "# Title\n"
    assert md.fields["name"].plain and not md.fields["description"].plain


def test_scalars_stay_text() -> None:
    md = parse("---\nname: 123\ndescription: yes\nlicense: null\n---\n")
    assert md.data == {"name": "123", "description": "yes", "license": "null"}


@pytest.mark.parametrize(
    ("text", "kind", "line"),
    [
        ("", skillmd.MISSING, 1),
        ("# no frontmatter\n", skillmd.MISSING, 1),
        ("---\nname: a\n", skillmd.UNCLOSED, 1),
        ("---", skillmd.UNCLOSED, 1),
        ("---\nname: a\nname: b\n---\n", skillmd.DUPLICATE, 3),
        ("---\na: &x 1\nb: *x\n---\n", skillmd.ALIAS, 2),
        ("---\nname: !!python/object x\n---\n", skillmd.TAG, 2),
        ("---\nname: a\nmetadata: {a: b}\n---\n", skillmd.FLOW, 3),
        ("---\n- a\n---\n", skillmd.NOT_MAPPING, 2),
        ("---\njust text\n---\n", skillmd.NOT_MAPPING, 2),
        ("---\n---\n", skillmd.NOT_MAPPING, 2),
        ("---\nname:\tx\n---\n", skillmd.YAML, 2),
        ("---\nmetadata:\n\tk: v\n---\n", skillmd.YAML, 3),
        ("---\nname: a\n- x\n---\n", skillmd.YAML, 3),
        ("---\nname: a\ndescription: Use when: asked\n---\n", skillmd.NEEDS_QUOTES, 3),
        ("---\nname: a\ndescription: Use this\n  when: asked\n---\n", skillmd.NEEDS_QUOTES, 3),
        ("---\nname: a\ndescription: `tool` does x\n---\n", skillmd.NEEDS_QUOTES, 3),
        ("---\nname: a\ndescription: [beta] does x\n---\n", skillmd.NEEDS_QUOTES, 3),
        ("---\nname: a\ndescription: *really* good\n---\n", skillmd.NEEDS_QUOTES, 3),
        ("---\nname: a\ndescription: @here\n---\n", skillmd.NEEDS_QUOTES, 3),
    ],
)
def test_problems_have_kind_and_line(text: str, kind: str, line: int) -> None:
    problems = parse(text).problems
    assert [(p.kind, p.line) for p in problems] == [(kind, line)]


def test_failed_yaml_leaves_no_partial_fields() -> None:
    assert parse("---\nname: a\ndescription: x: y\n---\n").fields == {}


def test_bom_crlf_and_frontmatter_only() -> None:
    md = parse("\ufeff---\r\nname: a\r\ndescription: b\r\n---")
    assert md.bom and md.data == {"name": "a", "description": "b"} and md.problems == []
    assert md.body == ""


def test_closing_line_must_be_exactly_dashes() -> None:
    md = parse("---\nname: a\ndescription: x --- y\n---\nbody\n")
    assert md.data["description"] == "x --- y" and md.body == "body\n"


def test_alias_bomb_is_refused_quickly() -> None:
    bomb = "---\na: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(20)
    )
    problems = parse(bomb + "---\n").problems
    assert problems[0].kind in (skillmd.ALIAS, skillmd.FLOW)
    block_bomb = "---\na: &a\n  - x\nb: *a\n---\n"
    assert kinds(block_bomb) == [skillmd.ALIAS]


def test_huge_file_is_capped() -> None:
    big = "---\n" + "k: v\n" * (skillmd.MAX_FRONTMATTER_CHARS // 4)
    assert kinds(big) == [skillmd.TOO_LARGE]
    fine = "---\nname: a\ndescription: b\n---\n" + "x" * (50 * 1024 * 1024)
    md = parse(fine)
    assert md.problems == [] and len(md.body) == 50 * 1024 * 1024


def test_binary_and_control_bytes_do_not_crash() -> None:
    md = parse("---\nname: a\x00b\x07\ndescription: \udcff\n---\n")
    assert [p.kind for p in md.problems] == [skillmd.YAML]


def test_deep_nesting_does_not_recurse() -> None:
    text = "---\n" + "".join(" " * i + "k:\n" for i in range(300)) + " " * 300 + "k: v\n---\n"
    md = parse(text)
    assert md.problems == [] and isinstance(md.data["k"], dict)


def test_split_lines_keeps_endings() -> None:
    assert skillmd.split_lines("a\r\nb\nc") == ["a\r\n", "b\n", "c"]
    assert "".join(skillmd.split_lines("x\n\n")) == "x\n\n"


_PIECES = st.sampled_from(
    [
        "---",
        "\n",
        "\r\n",
        "name",
        "description",
        ":",
        ": ",
        " ",
        "  ",
        "\t",
        "-",
        "- ",
        "'",
        '"',
        "&a",
        "*a",
        "!!str",
        "[",
        "]",
        "{",
        "}",
        "#",
        "|",
        ">-",
        "?",
        "\ufeff",
        "\x00",
        "é",
        "x",
        "a: b",
        "\\",
        "%",
        "@",
        "`",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_fuzz_never_raises(text: str) -> None:
    md = parse(text)
    for p in md.problems:
        assert p.line is None or p.line >= 1
    if not md.problems and md.has_frontmatter:
        assert all(isinstance(f.value, str | list | dict) for f in md.fields.values())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text(text: str) -> None:
    parse("---\n" + text + "\n---\n")
    parse(text)


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85", "\r"])
def test_yaml_only_line_breaks_do_not_shift_line_numbers(brk: str) -> None:
    """YAML also breaks lines at NEL, U+2028/9 and a lone CR; SKILL.md lines are split on \\n."""
    md = parse(f'---\nname: a\ndescription: "x{brk}y"\nlicense: MIT\nname: b\n---\n')
    assert [(p.kind, p.line) for p in md.problems] == [(skillmd.DUPLICATE, 5)]
    md = parse(f'---\nname: a\ndescription: "x{brk}y"\nlicense: MIT\n---\n')
    assert {k: f.line for k, f in md.fields.items()} == {"name": 2, "description": 3, "license": 4}
    md = parse(f"---\nname: a # {brk}\ndescription: Use: it\n---\n")
    assert [(p.kind, p.line) for p in md.problems] == [(skillmd.NEEDS_QUOTES, 3)]


# Issue 12 (speed): frontmatter of one-line `key: value` pairs is read without PyYAML. On any
# frontmatter, what that shortcut reads must be what PyYAML reads (fields, lines, plain or quoted,
# problems), and where it declines, PyYAML decides.
_FM_KEYS = ["name", "description", "license", "x-y", "a.b", "1", "_k"]
_FM_SEPS = [": ", ":  ", ":", " : "]
_FM_VALUES = [
    "foo", "Foo bar", "a: b", "a #b", "a#b", "x:", "a:b", '"q"', "'s'", "\"a'b\"", "'a\"b'", '"a\\tb"',
    "'it''s'", '""', "''", '"x" # c', "-x", "[a]", "{a}", "&a", "*a", "!t", "|", ">", "2001-02-30", "123",
    "ü", "é x", "null", "~", "@x", "`x`", "%x", "x\t", "\u00a0x", "a\u2028b", "a\u0085b", "a\rb", "x ",
    "https://x.y", "a, b", "yes", "on", "a [b] {c}", "x\ufeff", "Ab: ", "ok #", "ok#", '"a \\"b\\" c"',
    '"back\\\\slash"', '"end\\"', '"\\n"', "'a''b'",
]  # fmt: skip
_FM_OTHER = [
    "", "# c", "  indented", "- item", "...", "  ", "name", "metadata:", "metadata:  ", "k: |", "k: |-",
    "k: >", "k: >-", "k: |+", "k: >2", "  a: b", "  a: 'q'", "  b: x: y", "    deep: x", "   c: d", "  - x",
    "  text", "  more: text #x", "   odd", '  "q"', "  # c", "  a: |", "  t\tx", "  \u00a0x",
]  # fmt: skip
_FM_LINE = st.one_of(
    st.tuples(st.sampled_from(_FM_KEYS), st.sampled_from(_FM_SEPS), st.sampled_from(_FM_VALUES)).map("".join),
    st.sampled_from(_FM_OTHER),
)
_FM = st.tuples(st.lists(_FM_LINE, min_size=1, max_size=7), st.sampled_from(["\n", "\r\n"])).map(
    lambda p: "---\n" + "".join(x + p[1] for x in p[0]) + "---\nbody\n"
)


def _summary(md: skillmd.SkillMd) -> tuple[object, ...]:
    fields = [(f.key, f.value, f.line, f.plain) for f in md.fields.values()]
    return fields, [(p.kind, p.message, p.line, p.key) for p in md.problems], md.body, md.body_line


def _same_as_pyyaml(text: str) -> None:
    fast = parse(text)
    original = skillmd._simple_fields
    skillmd._simple_fields = lambda lines: None  # PyYAML for everything
    try:
        slow = parse(text)
    finally:
        skillmd._simple_fields = original
    assert _summary(fast) == _summary(slow)


@pytest.mark.parametrize("value", _FM_VALUES)
def test_each_value_reads_as_pyyaml_reads_it(value: str) -> None:
    _same_as_pyyaml(f"---\nname: {value}\ndescription: ok\n---\n")


@settings(max_examples=300, deadline=None)
@given(_FM)
def test_one_line_frontmatter_reads_as_pyyaml_reads_it(text: str) -> None:
    _same_as_pyyaml(text)


def test_simple_frontmatter_does_not_import_pyyaml() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from skillsync.skillmd import parse\n"
        "md = parse('---\\nname: a-b\\ndescription: \"Use it: when\"\\n# c\\n\\nlicense: MIT\\n---\\n')\n"
        "assert md.data == {'name': 'a-b', 'description': 'Use it: when', 'license': 'MIT'}, md\n"
        "assert 'yaml' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "fm",
    [
        "metadata:\n  a: b\n  c: 'd'\n",
        "metadata:\n  a: b\n\n  c: d\n",
        "metadata:\n  a: b\n  a: c\n",
        "metadata:\n    a: b\n  c: d\n",
        "metadata:\n  version: 1.0\n",
        "d: |\n  line one\n  line: two # x\n",
        "d: >-\n  a\n  b\n\nname: x\n",
        "d: >\n  a\n   b\n",
        "d: |-\n  a\n\n  b\n",
        "d: >\n  x\nname: y\n",
        "d: >\n  a\n  b c\n",
        "d: |\n  x  \n  y\n\n\n",
        "d: >\n",
        'd: "say \\"hi\\" \\\\ ok"\n',
    ],
)
def test_structures_read_as_pyyaml_reads_them(fm: str) -> None:
    _same_as_pyyaml("---\n" + fm + "---\n")


# Review findings (issue 12): shapes the shortcut once read differently from PyYAML. Each hid a
# key or a finding (a comment ending in a YAML-only line break, a blank line of non-ASCII spaces,
# a date or huge integer as a key, a key over YAML's 1024 characters) or changed a block's value.
@pytest.mark.parametrize(
    "fm",
    [
        "name: x\n# note\rdescription: evil\n",
        "name: x\n# note\x85description: evil\n",
        "name: x\n# note\u2028description: evil\n",
        "name: x\n# c\x01\n",
        "name: x\n# c\ufffe\n",
        "name: x\n\xa0\ndescription: y\n",
        "name: x\n\u3000\ndescription: y\n",
        "name: x\n\x0c\ndescription: y\n",
        "name: x\n\x1c\ndescription: y\n",
        "name: x\ndescription: |\n  line1\n    \nlicense: y\n",
        "name: x\ndescription: |\n  line1\n \t\n",
        "name: x\n2001-02-30: y\n",
        "name: x\n123456789012345678901234567890123: y\n",
        "name: x\n0b_: y\n",
        "name: x\nmetadata:\n  2001-02-30: y\n",
        "name: x\n" + "k" * 1100 + ": y\n",
        "name: x\nmetadata:\n  " + "k" * 1100 + ": y\n",
    ],
)
def test_review_shapes_read_as_pyyaml_reads_them(fm: str) -> None:
    _same_as_pyyaml(f"---\n{fm}---\nbody\n")
