"""`Conversations`: the changes front ends make to the history besides running turns —
create, rename, switch model, switch branch, fork, delete; the draft typed in one, and
whether an answer in it is still unread.

The TUI changes the store only through this and `ChatService` (turns), so the rules
(a running turn settles before its conversation goes; no branch switch under a running
reply) live in one place. It needs no API key: the history is usable without one.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.errors import TurnBusy
from app.core.store.records import Conversation, Message
from app.core.store.store import Store

Busy = Callable[[int], bool]


class Conversations:
    """History changes outside turns; `busy(conversation_id)` says a turn runs there."""

    def __init__(self, store: Store, busy: Busy | None = None) -> None:
        self.store = store
        self.busy: Busy = busy or (lambda _conversation_id: False)

    def create(self, model: str, title: str | None = None) -> Conversation:
        """A new, empty conversation with its own session id."""
        return self.store.create_conversation(model, title=title)

    def save_draft(self, conversation_id: int | None, text: str) -> None:
        """Keep what is typed in a conversation's message box (None: a new one's), as typed."""
        self.store.save_draft(conversation_id, text)

    def set_unread(self, conversation_id: int, unread: bool) -> None:
        """An agent answered while the conversation was not open (True), or it was opened."""
        self.store.set_unread(conversation_id, unread)

    def set_server_off(self, conversation_id: int, server: str, off: bool) -> None:
        """Offer an MCP server's tools to the conversation's turns, or not."""
        self.store.set_server_off(conversation_id, server, off)

    def set_response_schema(self, conversation_id: int, schema: dict | None) -> None:
        """Ask for structured output (`{"name", "schema"}`) on the conversation's turns, or not."""
        self.store.set_response_schema(conversation_id, schema)

    def rename(self, conversation_id: int, title: str) -> None:
        """Set the title (blank clears it)."""
        self.store.rename_conversation(conversation_id, title)

    def set_model(self, conversation_id: int, model: str) -> None:
        """The model the conversation continues with."""
        self.store.set_conversation_model(conversation_id, model)

    def set_web_search(self, conversation_id: int, enabled: bool) -> None:
        """Ask for web search on each turn of the conversation (or not)."""
        self.store.set_web_search(conversation_id, enabled)

    def set_system_prompt(self, conversation_id: int, text: str | None) -> None:
        """The conversation's own system prompt (None: the configured default)."""
        self.store.set_system_prompt(conversation_id, text)

    def switch_branch(self, message: Message, step: int) -> int | None:
        """Show the sibling branch `step` places from `message`; the new leaf id, or None when
        there is none that way. Refused while a reply runs in the conversation."""
        if self.busy(message.conversation_id):
            raise TurnBusy("A reply is still running here: switch branches once it is done, or press Esc.")
        return self.store.switch_branch(message, step)

    def fork(self, message: Message) -> Conversation:
        """A new conversation (new session id) from the path up to `message`."""
        return self.store.fork_conversation(message)

    def delete(self, conversation_id: int) -> None:
        """Delete a conversation with no running turn (use `ChatService.delete_conversation`
        when one may run)."""
        if self.busy(conversation_id):
            raise TurnBusy("A reply is still running in that conversation.")
        self.store.delete_conversation(conversation_id)
