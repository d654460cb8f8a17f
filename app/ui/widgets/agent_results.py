"""The agent browser's results: one line per agent (name, handle, rating, uses, success)."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from app.core.agents.records import AgentListing

PIN_MARK = "📌"
NEAR_END = 5
"""Rows from the end at which the next page is asked for."""


def listing_prompt(listing: AgentListing, pinned: bool) -> Content:
    """The row for one agent. Third-party text goes in as plain text, never as markup."""
    rating = "–" if listing.rating is None else f"{listing.rating:.1f}"
    success = "–" if listing.recent_success_rate is None else f"{listing.recent_success_rate * 100:.0f}%"
    return Content.assemble(
        f"{PIN_MARK} " if pinned else "   ",
        (listing.name, "bold"),
        "  ",
        (listing.shown_handle, "$text-accent"),
        "\n   ",
        (f"★ {rating} · {listing.total_interactions:,} uses · {success} success"
         + (f" · {listing.category}" if listing.category else ""), "dim"),
    )


class AgentResults(OptionList):
    """The listings shown, in order; posts `NearEnd` when the user nears the last one."""

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
        self.add_options([Option(listing_prompt(a, a.key in self._pinned)) for a in fresh])
        if not append and self.listings:
            self.highlighted = 0

    def mark_pinned(self, key: str, pinned: bool) -> None:
        """Redraw one agent's row with or without the pin mark."""
        (self._pinned.add if pinned else self._pinned.discard)(key)
        for index, listing in enumerate(self.listings):
            if listing.key == key:
                self.replace_option_prompt_at_index(index, listing_prompt(listing, pinned))

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
