"""A desktop notification through the terminal: OSC 9 (iTerm2, WezTerm, ghostty, kitty) or
OSC 777 (foot, urxvt, Konsole), the bell elsewhere.

Textual has no public way to write an escape sequence, so this writes through the app's
driver the way `App.bell` does (`App._driver`, guarded by a test).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from app.core.sanitize import clean

_OSC9 = {"iTerm.app", "WezTerm", "ghostty"}


def notification_sequence(text: str, env: Mapping[str, str] | None = None) -> str | None:
    """The escape sequence that shows `text` as a notification in this terminal, or None
    when it is not known to support one (then the bell is rung)."""
    env = os.environ if env is None else env
    # Third-party text: no control characters, and none of the separators of the sequence.
    safe = " ".join(clean(text).replace(";", ",").split())[:200]
    if env.get("TERM_PROGRAM") in _OSC9 or env.get("KITTY_WINDOW_ID"):
        return f"\x1b]9;{safe}\x07"
    term = env.get("TERM", "")
    if term.startswith(("foot", "rxvt")) or env.get("KONSOLE_VERSION"):
        return f"\x1b]777;notify;asi-chat;{safe}\x07"
    return None


def notify_terminal(app, text: str, mode: str) -> None:
    """Tell the user outside the app: `auto` a notification where supported, else (and for
    `bell`) the bell; `off` nothing."""
    if mode == "off":
        return
    sequence = notification_sequence(text) if mode == "auto" else None
    driver = getattr(app, "_driver", None)
    if sequence is None or app.is_headless or driver is None:
        app.bell()
        return
    driver.write(sequence)
