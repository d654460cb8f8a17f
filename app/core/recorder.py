"""`ReplyRecorder`: one assistant reply written to the store as it arrives."""

from __future__ import annotations

import time

from app.core.growing_text import GrowingReply, GrowingText
from app.core.store.records import Message, MessageStatus
from app.core.store.store import Store

FLUSH_SECONDS = 0.5
FLUSH_BYTES = 2048


class ReplyRecorder(GrowingReply):
    """Writes one assistant reply to the store, throttled while it streams.

    The reply goes under `parent_id` on the branch of `session_id`; `activate` makes the
    conversation show it even when its parent is not the end of the branch on screen
    (a regenerated reply).
    """

    def __init__(self, store: Store, conversation_id: int, model: str, *, parent_id: int | None,
                 session_id: str, activate: bool = False) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.model = model
        self.parent_id = parent_id
        self.session_id = session_id
        self.activate = activate
        self.message: Message | None = None
        self._content, self._reasoning = GrowingText(), GrowingText()
        self._flushed_at = time.monotonic()
        self._unflushed = 0
        self.closed = False

    def ensure(self) -> Message:
        """The stored reply, created (empty, streaming) if it is not yet."""
        return self._ensure()

    def _ensure(self) -> Message:
        if self.message is None:
            self.message = self.store.add_message(
                self.conversation_id, "assistant", self.content, reasoning=self.reasoning,
                status=MessageStatus.STREAMING, model=self.model, parent_id=self.parent_id,
                session_id=self.session_id, activate=self.activate,
            )
            self._flushed_at = time.monotonic()
            self._unflushed = 0
        return self.message

    def restart(self, parent_id: int) -> None:
        """Start a new message under `parent_id` (the agent's reply after its acknowledgement)."""
        self.message, self.closed, self.parent_id, self.activate = None, False, parent_id, False
        self._content, self._reasoning = GrowingText(), GrowingText()

    def add(self, content: str = "", reasoning: str = "") -> None:
        self._content.append(content)
        self._reasoning.append(reasoning)
        first = self.message is None
        self._ensure()
        if first:
            return
        self._unflushed += len(content) + len(reasoning)
        # Each write stores the whole text, so a fixed byte step made a 5 MB reply write
        # ~190 MB; a step growing with the text keeps that linear (time still bounds loss).
        step = max(FLUSH_BYTES, (len(self._content) + len(self._reasoning)) // 4)
        if self._unflushed >= step or time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
            self.store.update_message(self.message.id, content=self.content, reasoning=self.reasoning)
            self._flushed_at = time.monotonic()
            self._unflushed = 0

    def finish(self, status: str, *, content: str | None = None, reasoning: str | None = None,
               usage: dict | None = None, error: str | None = None) -> Message:
        if content is not None:
            self._content = GrowingText(content)
        if reasoning is not None:
            self._reasoning = GrowingText(reasoning)
        message = self._ensure()
        self.store.update_message(
            message.id, content=self.content, reasoning=self.reasoning,
            status=status, usage=usage, error=error,
        )
        self.closed = True
        return message
