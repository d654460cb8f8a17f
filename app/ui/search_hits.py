"""Search that finds the message: a conversation opened from the search results shows the
matching message, and n / N (in the chat) or F3 / shift+F3 (anywhere) step through the
conversation's other hits.

A mixin of `AsiChatApp`; it uses the app's store, chat pane and `current_id`.
"""

from __future__ import annotations

from app.core.errors import AsiChatError
from app.core.store.search import message_hits
from app.ui.widgets.message_view import MessageView


class SearchHits:
    """`open_at_hit` and `action_search_hit` of `AsiChatApp`."""

    hit_query: str = ""
    """The last search a conversation was opened from: what n / N / F3 look for."""

    async def open_at_hit(self, message_id: int, query: str) -> bool:
        """In the open conversation, show the message a search found; False if it is gone."""
        self.hit_query = query
        return await self.chat_pane.reveal(message_id) is not None

    def _current_message_id(self) -> int | None:
        focused = self.focused
        if isinstance(focused, MessageView):
            return focused.message_id
        marked = self.chat_pane.query_children(".-search-hit")
        return marked.first().message_id if marked else None

    async def action_search_hit(self, step: int) -> None:
        """Show the next (1) or previous (-1) message of this conversation matching the search."""
        query = self.hit_query or self.conversation_list.filter_query
        if not query:
            self.notify("Search first (ctrl+f), then n / N or F3 / shift+F3 step through the hits.",
                        markup=False)
            return
        if self.current_id is None:
            return
        try:
            hits = message_hits(self.store, query, self.current_id)
        except AsiChatError as exc:
            self.notify(str(exc), title="Search", severity="error", markup=False)
            return
        if not hits:
            self.notify(f"No message here matches “{query}”.", markup=False)
            return
        current = self._current_message_id()
        if current is None:
            target = hits[-1] if step > 0 else hits[0]  # from nowhere: the newest (n) / oldest (N)
        else:
            later = [mid for mid in hits if (mid > current if step > 0 else mid < current)]
            if later:
                target = later[0] if step > 0 else later[-1]
            else:
                target = hits[0] if step > 0 else hits[-1]
                self.notify("Search wrapped around.", markup=False)
        self.hit_query = query
        await self.chat_pane.reveal(target)
