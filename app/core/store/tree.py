"""Conversations as trees of messages: the branch on screen, siblings, switching, forking.

Every message has a parent (None for a conversation's first ones) and the x-session-id
of its branch. A conversation shows one path, from a root to its `active_leaf_id`.
Children are always newer than their parent, so a path in id order is a path in time
order. A mixin of `Store`: it uses the store's `_q`, `_write` and `_snapshot`.
"""

from __future__ import annotations

import sqlite3
import time
import uuid

from app.core.errors import ConversationNotFound, StoreError
from app.core.store.records import MESSAGE_SELECT, Conversation, Message, Role, message_from_row

_PATH = """WITH RECURSIVE path(id) AS (
    SELECT ? UNION ALL
    SELECT m.parent_id FROM messages m JOIN path ON m.id = path.id WHERE m.parent_id IS NOT NULL)"""
_SUBTREE = """WITH RECURSIVE sub(id) AS (
    SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)"""


def new_session_id() -> str:
    """A fresh x-session-id (a new branch starts a new server session)."""
    return str(uuid.uuid4())


class TreeStore:
    """The branch methods of `Store`."""

    def _leaf(self, conversation_id: int) -> int | None:
        rows = self._q("SELECT active_leaf_id FROM conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise ConversationNotFound(f"No conversation with id {conversation_id}.")
        return rows[0][0]

    def branch(self, conversation_id: int, leaf_id: int | None = None) -> list[Message]:
        """The messages from the root to `leaf_id` (default: the active branch), oldest first."""
        leaf = leaf_id if leaf_id is not None else self._leaf(conversation_id)
        if leaf is None:
            return []
        rows = self._q(f"{_PATH} SELECT {MESSAGE_SELECT} FROM messages WHERE id IN (SELECT id FROM path)"
                       " AND conversation_id = ? ORDER BY id", (leaf, conversation_id))
        return [message_from_row(row) for row in rows]

    def messages(self, conversation_id: int) -> list[Message]:
        """The messages of the branch on screen (the active path), oldest first."""
        return self.branch(conversation_id)

    def all_messages(self, conversation_id: int) -> list[Message]:
        """Every message of every branch of the conversation, oldest first."""
        rows = self._q(f"SELECT {MESSAGE_SELECT} FROM messages WHERE conversation_id = ? ORDER BY id",
                       (conversation_id,))
        return [message_from_row(row) for row in rows]

    def messages_page(self, conversation_id: int, before_id: int | None = None,
                      limit: int = 50) -> list[Message]:
        """The `limit` messages of the active path just before `before_id` (default: the newest),
        oldest first."""
        leaf = self._leaf(conversation_id)
        if leaf is None:
            return []
        rows = self._q(f"{_PATH} SELECT {MESSAGE_SELECT} FROM messages WHERE id IN (SELECT id FROM path)"
                       " AND conversation_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                       (leaf, conversation_id, before_id or 2**63 - 1, limit))
        return [message_from_row(row) for row in reversed(rows)]

    def message_count(self, conversation_id: int) -> int:
        """How many messages the conversation has, in all its branches."""
        return self._q("SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,))[0][0]

    def siblings(self, message: Message) -> list[int]:
        """Ids of the messages that share `message`'s parent (itself included), oldest first."""
        rows = self._q("SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
                       (message.conversation_id, message.parent_id))
        return [row[0] for row in rows]

    def branch_marks(self, messages: list[Message]) -> dict[int, tuple[int, int]]:
        """For each of `messages` that has siblings: (its 1-based position, how many there are)."""
        if not messages:
            return {}
        parents = {m.parent_id for m in messages}
        known = [p for p in parents if p is not None]
        where = f"parent_id IN ({', '.join('?' * len(known))})" if known else "0"
        if None in parents:
            where += " OR parent_id IS NULL"
        rows = self._q(f"SELECT parent_id, id FROM messages WHERE conversation_id = ? AND ({where})"
                       " ORDER BY id", (messages[0].conversation_id, *known))
        children: dict[int | None, list[int]] = {}
        for parent, child in rows:
            children.setdefault(parent, []).append(child)
        marks = {}
        for m in messages:
            ids = children.get(m.parent_id, [])
            if len(ids) > 1 and m.id in ids:
                marks[m.id] = (ids.index(m.id) + 1, len(ids))
        return marks

    def newest_leaf(self, message_id: int) -> int:
        """The newest message under `message_id` (itself when it has no children): always a leaf,
        since a message's children are newer than it."""
        return self._q(f"{_SUBTREE} SELECT max(id) FROM sub", (message_id,))[0][0]

    def set_active_leaf(self, conversation_id: int, leaf_id: int) -> None:
        """Show the branch that ends at `leaf_id` (remembered across launches)."""
        with self._write() as conn:
            if conn.execute("UPDATE conversations SET active_leaf_id = ? WHERE id = ? AND EXISTS (SELECT 1"
                            " FROM messages WHERE id = ? AND conversation_id = ?)",
                            (leaf_id, conversation_id, leaf_id, conversation_id)).rowcount == 0:
                raise StoreError(f"No message {leaf_id} in conversation {conversation_id}.")

    def switch_branch(self, message: Message, step: int) -> int | None:
        """Show the sibling `step` places from `message` (newest branch under it); returns the
        new leaf id, or None when there is no sibling that way."""
        ids = self.siblings(message)
        target = ids.index(message.id) + step if message.id in ids else -1
        if not 0 <= target < len(ids):
            return None
        leaf = self.newest_leaf(ids[target])
        self.set_active_leaf(message.conversation_id, leaf)
        return leaf

    def branch_session(self, parent_id: int | None, conversation: Conversation) -> str:
        """The session id a message added under `parent_id` continues with."""
        if parent_id is None:
            return conversation.session_id
        rows = self._q("SELECT session_id FROM messages WHERE id = ?", (parent_id,))
        return (rows[0][0] if rows else None) or conversation.session_id

    def prompt_of(self, message: Message) -> Message | None:
        """The user message a reply answers: its nearest user ancestor (itself for a user message)."""
        if message.role == Role.USER:
            return message
        for earlier in reversed(self.branch(message.conversation_id, message.id)):
            if earlier.role == Role.USER:
                return earlier
        return None

    def fork_conversation(self, message: Message, title: str | None = None) -> Conversation:
        """A new conversation (new session id) holding a copy of the path up to `message`."""
        source = self.get_conversation(message.conversation_id)
        path = self.branch(message.conversation_id, message.id)
        now, session_id = time.time(), new_session_id()
        name = title or f"{source.title or 'untitled'} (fork)"
        with self._write() as conn:
            new_id = conn.execute("INSERT INTO conversations (title, model, session_id, created_at, updated_at)"
                                  " VALUES (?, ?, ?, ?, ?)", (name, source.model, session_id, now, now)).lastrowid
            parent = None
            for m in path:
                parent = self._copy_message(conn, m, new_id, parent, session_id, now)
            conn.execute("UPDATE conversations SET active_leaf_id = ? WHERE id = ?", (parent, new_id))
        return self.get_conversation(new_id)

    def _copy_message(self, conn: sqlite3.Connection, m: Message, conversation_id: int,
                      parent: int | None, session_id: str, now: float) -> int:
        usage = m.usage or {}
        status = "awaiting-agent" if m.status == "wait-stopped" else m.status
        if status == "awaiting-agent":
            status = "complete"  # the fork does not wait for the original's agent
        new_id = conn.execute(
            "INSERT INTO messages (conversation_id, role, content, reasoning, status, model, prompt_tokens,"
            " completion_tokens, total_tokens, error, created_at, updated_at, parent_id, session_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (conversation_id, m.role, m.content, m.reasoning, status, m.model, usage.get("prompt_tokens"),
             usage.get("completion_tokens"), usage.get("total_tokens"), m.error, m.created_at, now,
             parent, session_id)).lastrowid
        self._record_images(conn, conversation_id, new_id, m.content, now)
        return new_id
