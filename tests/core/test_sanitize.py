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
        ("\x1b]52;c;aGVsbG8=\x07", ""),  # OSC 52 clipboard write
        ("\x1b]52;c;aGVsbG8=\x1b\\after", "after"),  # ... ended by ST
        ("\x1b]0;pwned\x07title", "title"),  # OSC 0 window title
        ("\x1b]2;pwned\x9ctitle", "title"),  # OSC 2, ended by the 8-bit ST
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("\x1b[2J\x1b[1;31mred\x1b[0m", "red"),  # CSI with parameters
        ("\x1b[?1049h\x1b[>4;2m\x1b[1 qx", "x"),  # private parameters, intermediates
        ("\x9b31mred", "red"),  # 8-bit CSI
        ("\x9d0;t\x9cok", "ok"),  # 8-bit OSC and ST
        ("\x1bP1$r0m\x1b\\ok", "ok"),  # DCS
        ("\x90q#0;2;0;0;0\x9cok", "ok"),  # 8-bit DCS (sixel)
        ("\x1b_Gf=100;AAAA\x1b\\ok", "ok"),  # APC (kitty graphics)
        ("\x1b^pm\x1b\\\x1bXsos\x1b\\ok", "ok"),  # PM, SOS
        ("\x1bcreset\x1b7\x1b(Bok", "resetok"),  # ESC c, ESC 7, ESC ( B
        ("text\x1b]0;never ended", "text"),  # an unterminated OSC swallows the rest
        ("cut\x1b[31", "cut"),  # a CSI cut short
        ("a lone \x1b", "a lone "),
        ("before\x1b]52;c;cHduZWQ=\x07\x1b]0;PWNED\x07\x1b[2J\x1b[31mRED\x1b[0m", "beforeRED"),
        ("a\x00b\x08c\x7fd\x85e\x07f", "abcdef"),  # NUL, BS, DEL, NEL, BEL
        ("carriage\rreturn", "carriagereturn"),
        ("abc\u202eevil\u202c", "abcevil"),  # right-to-left override
        ("\u2066\u2067\u2068x\u2069\u200e\u200f\u061c", "x"),  # isolates and marks
        ("quote \u00e2\u20ac\u009d kept", "quote \u00e2\u20ac kept"),  # mojibake: lone C1 only
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


# Text made mostly of the characters that build sequences, so hypothesis finds the
# edge cases (nested, cut short, 8-bit forms) rather than only random letters.
_HOSTILE = st.text(alphabet=st.sampled_from(
    list("\x1b\x07\x9b\x9c\x9d\x90\x98\x9e\x9f[]P^_X\\;0123?m ( Ba\n\t\r\x00\x7f\u202e\u2066é🦒")
))


@given(st.one_of(st.text(), _HOSTILE))
def test_clean_output_never_holds_esc_c1_or_bel(text):
    cleaned = clean(text)
    assert not any(ch == "\x1b" or ch == "\x07" or "\x80" <= ch <= "\x9f" for ch in cleaned)
    assert is_inert(cleaned)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs"))
               | st.sampled_from(["\n", "\t", "\u200d"])))
def test_text_without_controls_is_unchanged(text):
    assert clean(text) == text


@given(st.lists(st.one_of(st.text(), _HOSTILE), max_size=5))
def test_every_chunk_cleaned_alone_is_inert(chunks):
    # Streamed text is cleaned a batch at a time; a sequence cut between two batches
    # may leave printable debris, never a control.
    assert is_inert("".join(clean(chunk) for chunk in chunks))


def test_redact_replaces_every_occurrence():
    key = "sk-asi-1234567890"
    assert redact(f"key {key} and again {key}.", key) == "key [redacted] and again [redacted]."


@pytest.mark.parametrize("secret", [None, "", "abc"])
def test_redact_ignores_missing_or_tiny_secrets(secret):
    assert redact("abc def", secret) == "abc def"


def test_redact_without_occurrence_returns_text_unchanged():
    assert redact("nothing here", "sk-secret") == "nothing here"
