"""How the three panes share the terminal's width, re-arranged live on every resize.

At `WIDE` columns and more, list | chat | reasoning side by side. Below it the reasoning
pane steps aside (ctrl+b brings it back as a layer over the chat); below `COMPACT` the
conversation list steps aside too, and comes back as a layer whenever focus is in it
(ctrl+l, ctrl+f). The chat screen carries the classes (`-narrow`, `-compact`,
`-show-reasoning`, `-hide-reasoning`, `-show-list`) that styles/app.tcss turns into looks;
the widths are computed here because they follow the terminal's width.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDE = 120
"""From this many columns the reasoning pane sits beside the chat."""
COMPACT = 90
"""Below this many columns the conversation list steps aside too."""
CHAT_MIN = 60
"""Columns the chat keeps whenever the terminal has them."""
LIST_MIN, LIST_MAX = 24, 64
"""Bounds of the conversation list's width."""
LIST_STEP = 4
"""Columns one "Wider list" / "Narrower list" moves the list's edge."""
REASONING_MIN, REASONING_MAX = 28, 70


def auto_list_width(columns: int) -> int:
    """The list's width when the user has not chosen one: a quarter of the terminal, 28..64
    (64 shows a whole 60-character title)."""
    return max(28, min(LIST_MAX, columns // 4))


def list_width(columns: int, preferred: int | None = None) -> int:
    """The list's width at `columns`: the user's choice (or the automatic one), leaving the
    chat `CHAT_MIN` columns where the terminal has them."""
    width = preferred if preferred is not None else auto_list_width(columns)
    room = columns - CHAT_MIN if columns >= COMPACT else LIST_MAX
    return max(LIST_MIN, min(LIST_MAX, width, room))


def reasoning_width(columns: int, list_columns: int) -> int:
    """The reasoning pane's width beside the chat (what is left over, within bounds)."""
    spare = columns - list_columns - CHAT_MIN
    return max(REASONING_MIN, min(REASONING_MAX, int(columns * 0.3), spare))


def overlay_width(columns: int, wanted: int) -> int:
    """A pane drawn as a layer over the chat: `wanted` columns, never the whole terminal."""
    return max(min(REASONING_MIN, columns), min(wanted, columns - 8))


@dataclass(frozen=True)
class Layout:
    """How the areas share a terminal's width: the screen's classes and two widths."""

    narrow: bool
    """Below `WIDE`: the right pane steps aside (ctrl+b shows it over the chat)."""
    compact: bool
    """Below `COMPACT`: the list steps aside too (shown over the chat while focused)."""
    sidebar: int
    right: int

    @classmethod
    def for_width(cls, columns: int, preferred_list: int | None = None) -> Layout:
        side = list_width(columns, preferred_list)
        sidebar = overlay_width(columns, side + 8) if columns < COMPACT else side
        if columns < WIDE:
            right = overlay_width(columns, max(REASONING_MIN, min(REASONING_MAX, columns // 2)))
        else:
            right = reasoning_width(columns, side)
        return cls(narrow=columns < WIDE, compact=columns < COMPACT, sidebar=sidebar, right=right)
