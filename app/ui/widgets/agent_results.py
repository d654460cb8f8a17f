"""The agent browser's results: one line per agent (name, handle, rating, uses, success)."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from app.core.agents.records import AgentListing

PIN_MARK = "📌"
NEAR_END = 5
"""Rows from the end at which the next page is asked for."""


MIN_NAME = 10
"""Cells of a name below which the handle moves to the second line instead."""


def _cut(text: str, room: int) -> str:
    """`text` in at most `room` cells, ending in "…" when shortened."""
    if cell_len(text) <= room:
        return text
    while text and cell_len(text) > room - 1:
        text = text[:-1]
    return text.rstrip() + "…" if room > 0 else ""


def listing_prompt(listing: AgentListing, pinned: bool, width: int | None = None) -> Content:
    """The row for one agent. A row wider than `width` cells loses the end of the name,
    never the handle (how an agent is addressed): in a narrow list the handle leads the
    second line. Third-party text goes in as plain text, never as markup."""
    rating = "–" if listing.rating is None else f"{listing.rating:.1f}"
    success = "–" if listing.recent_success_rate is None else f"{listing.recent_success_rate * 100:.0f}%"
    stats = (f"★ {rating} · {listing.total_interactions:,} uses · {success} success"
             + (f" · {listing.category}" if listing.category else ""))
    handle, name = listing.shown_handle, listing.name
    room = None if width is None else width - 3 - 2 - cell_len(handle)
    first: list = [(name if room is None else _cut(name, room), "bold"), "  ", (handle, "$text-accent")]
    second: list = [(stats, "dim")]
    if room is not None and room < min(MIN_NAME, cell_len(name)):
        first = [(name, "bold")]
        second = [(handle, "$text-accent"), (f" · {stats}", "dim")]
    return Content.assemble(f"{PIN_MARK} " if pinned else "   ", *first, "\n   ", *second)


class AgentResults(OptionList):
    """The listings shown, in order; posts `NearEnd` when the user nears the last one."""

    # Wide enough for a whole handle (up to 20 cells, plus "@", indent, padding and the
    # scrollbar) even in an 80-column terminal: the handle is what the user picks by.
    DEFAULT_CSS = """
    AgentResults { min-width: 31; }
    """

    class NearEnd(Message):
        """The highlight or the scroll reached the last rows: time for the next page."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.listings: list[AgentListing] = []
        self._pinned: set[str] = set()

    def show(self, listings: list[AgentListing], pinned: set[str], *, append: bool = False) -> None:
        """Replace the rows (or add to them), skipping agents already listed."""
        if not append:
            self.listings = []
            self.clear_options()
        self._pinned = set(pinned)
        seen = {a.key for a in self.listings}
        fresh = [a for a in listings if a.key not in seen and not seen.add(a.key)]
        self.listings.extend(fresh)
        width = self._row_width()
        self.add_options([Option(listing_prompt(a, a.key in self._pinned, width)) for a in fresh])
        if not append and self.listings:
            self.highlighted = 0

    def mark_pinned(self, key: str, pinned: bool) -> None:
        """Redraw one agent's row with or without the pin mark."""
        (self._pinned.add if pinned else self._pinned.discard)(key)
        for index, listing in enumerate(self.listings):
            if listing.key == key:
                self.replace_option_prompt_at_index(index, listing_prompt(listing, pinned, self._row_width()))

    def _row_width(self) -> int | None:
        """Cells a row's text has (None before the first layout: names are not cut then)."""
        width = self.scrollable_content_region.width
        return width - 2 if width > 2 else None  # an option's own padding

    def on_resize(self, event: events.Resize) -> None:
        width = self._row_width()
        if width != getattr(self, "_laid_out_width", None):
            self._laid_out_width = width
            for index, listing in enumerate(self.listings):
                self.replace_option_prompt_at_index(
                    index, listing_prompt(listing, listing.key in self._pinned, width))

    @property
    def current(self) -> AgentListing | None:
        """The highlighted agent."""
        index = self.highlighted
        return self.listings[index] if index is not None and 0 <= index < len(self.listings) else None

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if highlighted is not None and highlighted >= len(self.listings) - NEAR_END:
            self.post_message(self.NearEnd())

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.listings and new >= self.max_scroll_y - 2 and new > old:
            self.post_message(self.NearEnd())
