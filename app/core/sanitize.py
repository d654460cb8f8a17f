"""Make untrusted server text inert before anyone stores or prints it.

Removes C0 controls except newline and tab, DEL, C1 controls (U+0080-U+009F) and the
Unicode bidi embedding/override/isolate characters. With ESC and the 8-bit CSI gone, an
OSC 52 or CSI payload is left as harmless printable text.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def clean(text: str) -> str:
    """Return `text` without terminal control characters or bidi overrides."""
    if not text:
        return text
    return _UNSAFE.sub("", text)


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of `secret` (an API key) in `text`."""
    if secret and len(secret) >= 4 and secret in text:
        return text.replace(secret, "[redacted]")
    return text
