"""Make untrusted text inert before anyone prints it.

Whole escape sequences go, not only their control bytes, so nothing like "]52;c;…" or
"[2J" is left behind: CSI (parameters and intermediates included), OSC (ended by BEL or
ST), DCS/SOS/PM/APC (ended by ST), each also in its 8-bit C1 form, and ESC with the one
character that makes it a command. What is left of the C0 controls (except newline and
tab), DEL, the C1 controls and the Unicode bidi embedding/override/isolate characters
and marks is removed one by one. Everything else, all ordinary Unicode, is kept.
"""

from __future__ import annotations

import re

# Every sequence starts with one of these, so text without them (nearly every streamed
# chunk) is returned after one fast scan; the full pattern runs only where one is.
_CONTROLS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
_ANY_CONTROL = re.compile(_CONTROLS)

# The alternatives are tried in order, so a sequence's introducer is consumed with its
# whole body before the one-character fallback could take it alone. The lookahead lets
# the regex engine skip ordinary characters quickly.
_UNSAFE = re.compile(
    f"(?={_CONTROLS})(?:"
    # OSC, terminated by BEL or ST (ESC \ or 8-bit ST); an ESC that is not ST ends it,
    # as it does in a terminal, and starts the next match.
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    # DCS, SOS, PM, APC: terminated by ST only.
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)"
    # The 7-bit string sequences left unterminated: a terminal would swallow everything
    # after them, so they go to the end. (Not the 8-bit ones: a lone U+009D is far more
    # often mojibake of "”" than an attack, and dropping it alone makes it inert.)
    r"|\x1b[\]PX^_][^\x1b]*"
    # CSI: parameter bytes, intermediate bytes, final byte (missing when cut short).
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    # Any other escape: ESC, its intermediates (as in ESC ( B), and one final byte.
    r"|\x1b[ -/]*[0-~]?"
    # The single characters: C0 but newline and tab, DEL, C1, bidi controls and marks.
    f"|{_CONTROLS})"
)


def clean(text: str) -> str:
    """Return `text` without escape sequences, control characters or bidi overrides."""
    if not text or _ANY_CONTROL.search(text) is None:
        return text
    return _UNSAFE.sub("", text)


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of `secret` (an API key) in `text`."""
    if secret and len(secret) >= 4 and secret in text:
        return text.replace(secret, "[redacted]")
    return text
