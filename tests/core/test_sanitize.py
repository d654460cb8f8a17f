"""`clean` makes server text inert for a terminal; `redact` hides the API key."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.sanitize import clean, redact

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def is_inert(text: str) -> bool:
    return not any(
        (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in BIDI for ch in text
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b]52;c;aGVsbG8=\x07", "]52;c;aGVsbG8="),  # OSC 52 clipboard write
        ("\x1b]52;c;aGVsbG8=\x1b\\", "]52;c;aGVsbG8=\\"),  # ... ended by ST
        ("\x1b]0;pwned\x07title", "]0;pwnedtitle"),  # OSC 0 window title
        ("\x1b[2J\x1b[1;31mred\x1b[0m", "[2J[1;31mred[0m"),  # CSI
        ("\x9b31mred", "31mred"),  # 8-bit CSI
        ("\x9d0;t\x9c", "0;t"),  # 8-bit OSC and ST
        ("a\x00b\x08c\x7fd\x85e", "abcde"),  # NUL, BS, DEL, NEL
        ("carriage\rreturn", "carriagereturn"),
        ("abc\u202eevil\u202c", "abcevil"),  # right-to-left override
        ("\u2066\u2067\u2068x\u2069\u200e\u200f\u061c", "x"),  # isolates and marks
    ],
)
def test_clean_removes_controls(raw, expected):
    assert clean(raw) == expected


@pytest.mark.parametrize(
    "text",
    ["", "plain", "line\nnext\ttab", "café 🦒 日本語", "\u00e2\ufffd\ufffd", "e\u0301",
     "\u200d zero-width joiner", "مرحبا", "<think>x</think>"],
)
def test_clean_keeps_ordinary_text(text):
    assert clean(text) == text


@given(st.text())
def test_clean_output_is_inert_and_idempotent(text):
    cleaned = clean(text)
    assert is_inert(cleaned)
    assert clean(cleaned) == cleaned


@given(st.text(), st.text())
def test_clean_is_chunk_independent(a, b):
    # The protocol parser relies on this to clean merged deltas once.
    assert clean(a + b) == clean(a) + clean(b)


def test_redact_replaces_every_occurrence():
    key = "sk-asi-1234567890"
    assert redact(f"key {key} and again {key}.", key) == "key [redacted] and again [redacted]."


@pytest.mark.parametrize("secret", [None, "", "abc"])
def test_redact_ignores_missing_or_tiny_secrets(secret):
    assert redact("abc def", secret) == "abc def"


def test_redact_without_occurrence_returns_text_unchanged():
    assert redact("nothing here", "sk-secret") == "nothing here"
