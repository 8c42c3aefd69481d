"""Every TOML example in docs/ is applied to the skillsync.toml that `init` writes, as a person
would apply it, and must parse and mean what the docs say.

"Applying" an example: a `[table]` the file already has gets the example's keys set in place (a
commented `# key = ...` line is replaced); a table it lacks, and every `[[array.of.tables]]`
entry, is appended at the end (an array of tables the file already lists is replaced). That is
what `init`'s comments tell users to do, so `init` must write nothing such an edit clashes with
(e.g. an `allow = []` that a `[[validate.allow]]` entry then redefines).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from skillsync.config import DEFAULT_LAYOUTS, Config, load_config_file
from skillsync.template_catalog import load_template
from skillsync.workspace_init import COMMENTS, render_config

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^```toml\n(.*?)^```", re.S | re.M)
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r'^\s*(#\s*)?("[^"]*"|[A-Za-z0-9_.-]+)\s*=')


def toml_examples() -> list[tuple[str, str]]:
    """(id, text) of every ```toml block under docs/, the id being file#ordinal."""
    out = []
    for doc in sorted(DOCS.glob("*.md")):
        for n, m in enumerate(_FENCE.finditer(doc.read_text("utf-8"))):
            out.append((f"{doc.name}#{n}", m.group(1)))
    return out


def _sections(text: str) -> list[tuple[str, str, list[str]]]:
    """(kind "[" or "[[", name, lines) per header of ``text``; keys before any header: ("", "")."""
    out: list[tuple[str, str, list[str]]] = [("", "", [])]
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            out.append((m.group(1), m.group(2), [line]))
        else:
            out[-1][2].append(line)
    return [s for s in out if s[1] or any(ln.strip() for ln in s[2])]


def _key(line: str) -> tuple[bool, str] | None:
    m = _KEY.match(line)
    return (m.group(1) is not None, m.group(2)) if m else None


def apply_example(base: str, example: str) -> str:
    sections = _sections(base)
    appended: list[str] = []
    replaced_arrays: set[str] = set()
    for kind, name, lines in _sections(example):
        if kind == "[[":
            if name not in replaced_arrays:  # the example's entries replace the file's list
                replaced_arrays.add(name)
                sections = [s for s in sections if not (s[0] == "[[" and s[1] == name)]
            appended += ["", *lines]
            continue
        target = next((s for s in sections if s[0] == kind and s[1] == name), None)
        if target is None:
            appended += ["", *lines]
            continue
        for line in lines[1:] if kind else lines:
            key = _key(line)
            if key is None or key[0]:
                continue
            spot = [i for i, old in enumerate(target[2]) if (k := _key(old)) is not None and k[1] == key[1]]
            if spot:
                target[2][spot[0]] = line
            else:
                target[2].insert(1 if kind else 0, line)
    text = "\n".join(ln for _, _, lines in sections for ln in lines)
    return text + "\n" + "\n".join(appended) + "\n"


def _layouts(cfg: Config) -> list[tuple[str, str]]:
    return [(lay.glob, lay.slug) for lay in cfg.workspace.layouts]


# What each example means, checked on the loaded config. A new example needs an entry here.
MEANS: dict[str, Callable[[Config], bool]] = {
    "config.md#0": lambda c: _layouts(c) == [(lay.glob, lay.slug) for lay in DEFAULT_LAYOUTS],
    "config.md#1": lambda c: (
        c.workspace.slugs == {"legacy/My_Skill": "my-skill"}
        and c.selection.exclude == ("tests/", "*.draft.md")
        and c.selection.allow == ("certs/ca.pem",)
        and c.validate_.limits.max_files == 1000
    ),
    "remotes.md#0": lambda c: (
        c.remote.default == "staging"
        and c.remote.org == "my-team"
        and c.remotes["staging"].url == "https://staging.example.com"
        and c.remotes["staging"].org == "qa-team"
        and c.remotes["staging"].timeout == 30
        and c.remotes["staging"].retries == 4
    ),
    "rules.md#0": lambda c: (
        c.validate_.rules == {"spec.unknown-field": "warning", "files.exec-bit": "off"}
        and [(o.paths, o.rules) for o in c.validate_.overrides]
        == [(("legacy/**",), {"seren.display-name": "off"})]
        and [(a.rule, a.paths) for a in c.validate_.allow]
        == [("security.generic-secret", ("skills/demo/references/fake-keys.md",))]
        and (c.validate_.body_max_lines, c.validate_.body_max_tokens) == (500, 5000)
        and (c.validate_.limits.max_file_bytes, c.validate_.limits.max_total_bytes) == (52428800, 209715200)
        and c.validate_.limits.max_files == 5000
    ),
    "rules.md#1": lambda c: (
        [(p.id, p.severity, p.files, p.require) for p in c.validate_.policy]
        == [("trading.dry-run", "error", ("trading-*/scripts/*.py",), ("DRY_RUN",))]
    ),
    "selection.md#0": lambda c: (
        c.selection.allow == ("certs/ca.pem",)
        and c.selection.exclude == ("tests/", "*.draft.md")
        and c.selection.gitignore is True
    ),
    "templates.md#0": lambda c: c.templates.path == "../skill-templates",
}
TEMPLATE_MANIFESTS = {"templates.md#1"}  # template.toml examples, not skillsync.toml
WAIVER_FILES = {"rules.md#2"}  # skillsync-waivers.toml examples


def test_every_example_is_known() -> None:
    ids = {i for i, _ in toml_examples()}
    assert ids == set(MEANS) | TEMPLATE_MANIFESTS | WAIVER_FILES, "add what a new docs/ TOML example means"


@pytest.mark.parametrize(("ident", "example"), [e for e in toml_examples() if e[0] in WAIVER_FILES])
def test_waivers_example_loads(tmp_path: Path, ident: str, example: str) -> None:
    from skillsync.rules import waivers

    (tmp_path / "skillsync-waivers.toml").write_text(example)
    (w,) = waivers.load(tmp_path, "skillsync-waivers.toml")
    assert w.rule == "supply.download-exec" and w.expires is not None and w.reason


@pytest.mark.parametrize(("ident", "example"), [e for e in toml_examples() if e[0] in MEANS])
def test_example_applied_to_the_init_config_means_what_the_docs_say(
    tmp_path: Path, ident: str, example: str
) -> None:
    text = apply_example(render_config(), example)
    tomllib.loads(text)  # parses
    path = tmp_path / "skillsync.toml"
    path.write_text(text)
    assert MEANS[ident](load_config_file(path)), text


def test_examples_together_still_parse(tmp_path: Path) -> None:
    """All skillsync.toml examples applied one after another (the last value of a key wins)."""
    text = render_config()
    for ident, example in toml_examples():
        if ident in MEANS:
            text = apply_example(text, example)
    path = tmp_path / "skillsync.toml"
    path.write_text(text)
    cfg = load_config_file(path)
    assert len(cfg.validate_.allow) == 1 and cfg.remote.default == "staging"


def test_validate_allow_appended_as_the_comment_says(tmp_path: Path) -> None:
    """The issue's case, without the applier: append the entry to the end of the file init wrote."""
    path = tmp_path / "skillsync.toml"
    path.write_text(
        render_config() + '\n[[validate.allow]]\nrule = "security.generic-secret"\npaths = ["a/b.md"]\n'
    )
    assert [a.rule for a in load_config_file(path).validate_.allow] == ["security.generic-secret"]


@pytest.mark.parametrize(("ident", "example"), [e for e in toml_examples() if e[0] in TEMPLATE_MANIFESTS])
def test_template_manifest_example_loads(tmp_path: Path, ident: str, example: str) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "template.toml").write_text(example)
    tpl = load_template(folder, "user")
    team = tpl.variable("team")
    assert tpl.description == "What this template makes"
    assert team is not None and team.default == "core" and team.help == "Owning team"
    assert team.pattern == "[a-z]+" and team.problem("core") is None and team.problem("Core") is not None


@pytest.mark.parametrize("key", [k for k, v in COMMENTS.items() if "Example:" in v])
def test_examples_in_the_init_comments_apply_too(tmp_path: Path, key: str) -> None:
    example = "\n".join(
        ln for ln in COMMENTS[key].split("Example:", 1)[1].splitlines() if "=" in ln or ln.startswith("[")
    )
    path = tmp_path / "skillsync.toml"
    path.write_text(apply_example(render_config(), example))
    cfg = load_config_file(path)
    assert cfg != Config(), example  # it changed something
