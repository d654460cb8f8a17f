"""The search-as-you-type box above the conversation list."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class SearchBar(Input):
    """An input that reports every change of the query.

    Its own `Input.Changed` is translated into `QueryChanged` (and stopped);
    Enter posts `SearchBar.Submitted` in place of `Input.Submitted`; Escape
    clears it and posts `Closed`. Visibility is the app's: styles/sidebar.tcss
    hides a SearchBar with the `-hidden` class, which the app adds and removes.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close search", show=False)]

    class QueryChanged(Message):
        """The query text changed (on every keystroke, and when cleared)."""

        def __init__(self, search_bar: SearchBar, query: str) -> None:
            super().__init__()
            self.search_bar = search_bar
            self.query = query
            """The whole query as typed (not stripped)."""

        @property
        def control(self) -> SearchBar:
            """The search bar that sent the message."""
            return self.search_bar

    class Submitted(Input.Submitted):
        """Enter was pressed: the user is done typing (the app focuses the list).

        A subclass of `Input.Submitted`, because `Input.action_submit` posts
        `self.Submitted`: naming this class so replaces what Input posts.
        """

        @property
        def query(self) -> str:
            """The query as typed."""
            return self.value

        @property
        def search_bar(self) -> SearchBar:
            """The search bar that sent the message."""
            return self.input

    class Closed(Message):
        """Escape was pressed: the query was cleared and the search is over."""

        def __init__(self, search_bar: SearchBar) -> None:
            super().__init__()
            self.search_bar = search_bar

        @property
        def control(self) -> SearchBar:
            """The search bar that sent the message."""
            return self.search_bar

    def __init__(
        self,
        value: str | None = None,
        *,
        placeholder: str = "Search conversations…",
        id: str | None = None,
        name: str | None = None,
        classes: str | None = None,
    ) -> None:
        """
        Args:
            value: Initial query.
            placeholder: Shown while the box is empty.
            id: The ID of the widget in the DOM.
            name: The name of the widget.
            classes: Initial CSS classes (add `-hidden` to start hidden).
        """
        super().__init__(value, placeholder=placeholder, id=id, name=name, classes=classes)

    def _on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.QueryChanged(self, event.value))

    def action_close(self) -> None:
        """Clear the query (posting QueryChanged('')) and post Closed, in that order."""
        if self.value:
            # Posted here rather than via Input.Changed, which would arrive after Closed.
            with self.prevent(Input.Changed):
                self.clear()
            self.post_message(self.QueryChanged(self, ""))
        self.post_message(self.Closed(self))
