"""How the three panes share the terminal's width, re-arranged live on every resize.

At `WIDE` columns and more, list | chat | reasoning side by side. Below it the reasoning
pane steps aside (ctrl+b brings it back as a layer over the chat); below `COMPACT` the
conversation list steps aside too, and comes back as a layer whenever focus is in it
(ctrl+l, ctrl+f). The screen carries the classes (`-narrow`, `-compact`, `-show-reasoning`,
`-hide-reasoning`, `-show-list`) that styles/app.tcss turns into looks; the widths are
set here because they follow the terminal's width.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import SystemCommand
from textual.screen import Screen
from textual.widget import Widget

from app.core.config import save_setting
from app.core.errors import AsiChatError

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


class ResponsiveLayout:
    """App mixin: lays the panes out for the terminal's width (see the module docstring).

    Expects `#sidebar` and `#reasoning` in the screen and `settings` on the app.
    """

    _list_preference: int | None = None

    _columns: int | None = None

    @property
    def layout_columns(self) -> int:
        """The terminal's width as last laid out for."""
        return self._columns or self.size.width  # type: ignore[attr-defined]

    def apply_layout(self, columns: int | None = None) -> None:
        """Set the screen's layout classes and the panes' widths for `columns` (the terminal's width)."""
        screen: Screen = self.screen  # type: ignore[attr-defined]
        try:
            sidebar = screen.query_one("#sidebar", Widget)
            reasoning = screen.query_one("#reasoning", Widget)
        except Exception:  # another screen (a modal) is on top; the main one is laid out on return
            return
        columns = self.layout_columns if columns is None else columns
        self._columns = columns
        if self._list_preference is None:
            self._list_preference = getattr(self.settings, "list_width", None)  # type: ignore[attr-defined]
        screen.set_class(columns < WIDE, "-narrow")
        screen.set_class(columns < COMPACT, "-compact")
        side = list_width(columns, self._list_preference)
        if columns < COMPACT:
            sidebar.styles.width = overlay_width(columns, side + 8)
        else:
            sidebar.styles.width = side
        if columns < WIDE:
            reasoning.styles.width = overlay_width(columns, max(REASONING_MIN, min(REASONING_MAX, columns // 2)))
        else:
            reasoning.styles.width = reasoning_width(columns, side)

    def toggle_reasoning_pane(self) -> None:
        """ctrl+b: hide the reasoning pane beside the chat, or show it over a narrow chat."""
        screen: Screen = self.screen  # type: ignore[attr-defined]
        if screen.has_class("-narrow"):
            screen.toggle_class("-show-reasoning")
        else:
            screen.toggle_class("-hide-reasoning")

    def reasoning_visible(self) -> bool:
        """True when the reasoning pane is on screen (beside the chat or over it)."""
        screen: Screen = self.screen  # type: ignore[attr-defined]
        if screen.has_class("-narrow"):
            return screen.has_class("-show-reasoning")
        return not screen.has_class("-hide-reasoning")

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # In a compact layout the list is a layer shown while focus is in it (ctrl+l,
        # ctrl+f, a click); opening a conversation moves focus away and it steps aside.
        # (What is focused now decides, not the event's widget: these arrive late.)
        try:
            screen: Screen = self.screen  # type: ignore[attr-defined]
            sidebar = screen.query_one("#sidebar", Widget)
        except Exception:  # starting or closing (no screen yet or any more), or a modal on top
            return
        focused = screen.focused
        screen.set_class(focused is not None and sidebar in focused.ancestors_with_self, "-show-list")

    # -- the list's width, from the keyboard (palette) ----------------------------------

    def resize_list(self, step: int) -> None:
        """Move the list's edge `step` columns (negative: narrower) and remember it."""
        columns = self.layout_columns
        current = list_width(columns, self._list_preference)
        wanted = max(LIST_MIN, min(LIST_MAX, current + step))
        if list_width(columns, wanted) == current:
            self.notify(  # type: ignore[attr-defined]
                "The list cannot get any " + ("wider here." if step > 0 else "narrower."), markup=False)
            return
        self._list_preference = wanted
        self.apply_layout()
        config_file = getattr(self.settings, "config_file", None)  # type: ignore[attr-defined]
        if config_file is not None:
            try:
                save_setting(config_file, "list_width", wanted)
            except (OSError, AsiChatError, ValueError) as exc:
                self.notify(f"Could not save the list width: {exc}", severity="warning",  # type: ignore[attr-defined]
                            markup=False)

    def layout_commands(self) -> Iterable[SystemCommand]:
        """Palette entries of the layout."""
        yield SystemCommand("Wider list", "Widen the conversation list (remembered)",
                            lambda: self.resize_list(LIST_STEP))
        yield SystemCommand("Narrower list", "Narrow the conversation list (remembered)",
                            lambda: self.resize_list(-LIST_STEP))
