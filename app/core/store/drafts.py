"""Drafts in the history: what the user typed and has not sent, one per conversation and
one for the next new conversation, kept across quitting and crashes; and which
conversations an agent answered in while they were not open (unread).

A mixin of `Store`: it uses the store's `_q` and `_write`.
"""

from __future__ import annotations

import time

NEW_CONVERSATION = 0
"""The draft key of the conversation not made yet."""


class DraftStore:
    """The `drafts` methods of `Store`."""

    def draft(self, conversation_id: int | None) -> str:
        """The draft kept for a conversation (None: a new one), '' when there is none."""
        rows = self._q("SELECT text FROM drafts WHERE conversation_key = ?",
                       (conversation_id or NEW_CONVERSATION,))
        return rows[0][0] if rows else ""

    def save_draft(self, conversation_id: int | None, text: str) -> None:
        """Keep `text` as typed (an empty or blank one removes the draft)."""
        key = conversation_id or NEW_CONVERSATION
        with self._write() as conn:
            if text.strip():
                conn.execute("INSERT INTO drafts (conversation_key, text, updated_at) VALUES (?, ?, ?) "
                             "ON CONFLICT (conversation_key) DO UPDATE SET text = excluded.text, "
                             "updated_at = excluded.updated_at", (key, text, time.time()))
            else:
                conn.execute("DELETE FROM drafts WHERE conversation_key = ?", (key,))

    def set_unread(self, conversation_id: int, unread: bool) -> None:
        """Mark a conversation as answered while not open (True), or seen (False)."""
        with self._write() as conn:
            if unread:
                conn.execute("INSERT OR IGNORE INTO unread (conversation_id) VALUES (?)", (conversation_id,))
            else:
                conn.execute("DELETE FROM unread WHERE conversation_id = ?", (conversation_id,))

    def unread(self) -> list[int]:
        """The conversations an agent answered in that were not opened since."""
        return [row[0] for row in self._q("SELECT conversation_id FROM unread ORDER BY conversation_id")]
