"""Keys never reach output or crash reports: the scrubbers on their own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from skillsync.redact import REDACTED, redact, redact_argv

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
SECRET_CHARS = st.text(alphabet=ALPHABET, min_size=8)


@given(secret=SECRET_CHARS, before=st.text(max_size=20), after=st.text(max_size=20))
def test_seren_keys_and_bearer_tokens_are_scrubbed(secret: str, before: str, after: str) -> None:
    key = f"seren_{secret}"
    text = f"{before} {key} {after} Authorization: Bearer {secret}"
    scrubbed = redact(text)
    assert key not in scrubbed
    assert f"Bearer {secret}" not in scrubbed


@given(secret=SECRET_CHARS)
def test_credential_option_values_are_scrubbed_from_argv(secret: str) -> None:
    argv = ["serve", "--token", secret, "--port", "0", f"--token={secret}", "--json"]
    out = redact_argv(argv)
    assert secret not in " ".join(out)
    assert out == ["serve", "--token", REDACTED, "--port", "0", f"--token={REDACTED}", "--json"]


def test_other_arguments_are_kept() -> None:
    argv = ["push", "--jobs", "4", "acme-hello", "--remote", "seren"]
    assert redact_argv(argv) == argv
