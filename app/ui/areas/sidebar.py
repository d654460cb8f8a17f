"""The left area: the search box over the conversation list, and what acts on a listed
conversation (open, rename, delete)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.events import Key
from textual.message import Message

from app.ui.keys import SIDEBAR, bindings
from app.ui.widgets.conversation_list import ConversationList
from app.ui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from app.core.store.store import Store
    from app.ui.app import AsiChatApp


class Sidebar(Vertical):
    """Search as you type over the conversation list.

    Enter in the search box opens the highlighted (first) match at its message, ↓ moves
    into the matches, Esc ends the search and goes back to the message box. ctrl+r / ctrl+d
    in the list rename / delete the highlighted conversation.
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(SIDEBAR)

    app: AsiChatApp

    class Done(Message):
        """The user left the search (Esc): focus goes back to the message box."""

    class Deleted(Message):
        """A conversation was deleted from the list."""

        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, store: Store, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._store = store

    def compose(self) -> ComposeResult:
        bar = SearchBar(id="search")
        bar.display = False
        yield bar
        yield ConversationList(self._store, id="conversations")

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    # -- search ------------------------------------------------------------------------

    def start_search(self) -> None:
        """Show the search box and put the cursor in it."""
        bar = self.search_bar
        # Shown and focused at once (a class and `focus()` take effect a turn later): the
        # letters typed right after ctrl+f are the search's.
        bar.display = True
        self.screen.set_focus(bar)

    def clear_search(self) -> None:
        """End the search: the box hidden and emptied, the whole list shown again."""
        bar = self.search_bar
        if bar.value:
            with bar.prevent(SearchBar.QueryChanged):
                bar.value = ""
        bar.display = False
        self.conversation_list.set_filter("")

    @on(SearchBar.QueryChanged)
    def _query_changed(self, event: SearchBar.QueryChanged) -> None:
        event.stop()
        self.conversation_list.set_filter(event.query)

    @on(SearchBar.Submitted)
    def _submitted(self, event: SearchBar.Submitted) -> None:
        event.stop()
        found = self.conversation_list
        if not found.option_count:
            self.notify("Nothing matches yet." if event.query.strip() else "Type what to look for.", markup=False)
            return
        if found.highlighted is None:
            found.highlighted = 0
        found.action_select()  # posts ConversationList.Opened, with the match

    @on(SearchBar.Closed)
    def _closed(self, event: SearchBar.Closed) -> None:
        event.stop()
        self.clear_search()
        self.post_message(self.Done())

    def on_key(self, event: Key) -> None:
        if event.key == "down" and self.search_bar.has_focus and self.conversation_list.option_count:
            event.stop()
            found = self.conversation_list
            found.focus()
            if found.highlighted is None:
                found.highlighted = 0

    def action_end_search(self) -> None:
        """Esc in the list: the search ends and the message box has the keys again."""
        if self.conversation_list.filter_query or self.search_bar.display:
            self.clear_search()
        self.post_message(self.Done())

    # -- the highlighted conversation ------------------------------------------------

    def _highlighted(self) -> int | None:
        conversation_id = self.conversation_list.highlighted_conversation_id
        if conversation_id is None:
            self.notify("No conversation is highlighted.", markup=False)
        return conversation_id

    def action_rename(self) -> None:
        conversation_id = self._highlighted()
        if conversation_id is not None:
            from app.ui.areas.dialogs import rename_conversation

            rename_conversation(self.app, conversation_id, done=self.conversation_list.reload)

    def action_delete(self) -> None:
        conversation_id = self._highlighted()
        if conversation_id is None:
            return

        def deleted() -> None:
            self.conversation_list.reload()
            self.post_message(self.Deleted(conversation_id))

        from app.ui.areas.dialogs import delete_conversation

        delete_conversation(self.app, conversation_id, done=deleted)
