"""The history store: conversations, messages, agent waits and image links in SQLite.

A `Store` may be shared by threads: each gets its own connection, as SQLite objects
must not cross threads. Processes share the file through WAL mode, a busy timeout
and `BEGIN IMMEDIATE` writes. Every failure reaches the caller as a one-line StoreError.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from app.core.errors import ConversationNotFound, StoreError
from app.core.links import hide_payload_runs, image_refs

# fts_query, message_query and title_from_text are this module's API too; presence: recover_interrupted.
from app.core.store.database import (  # noqa: F401
    best_conversations,
    check_read_only,
    connect,
    connect_read_only,
    describe,
    fts_query,
    message_query,
    prepare_file,
    presence_lock,
    ranked_matches,
    sole_user,
    unwritable,
)
from app.core.store.drafts import DraftStore
from app.core.store.importing import ImportStore
from app.core.store.records import (
    CONVERSATION_COLUMNS,
    IMAGE_COLUMNS,
    MESSAGE_SELECT,
    USAGE_KEYS,
    Conversation,
    ConversationSummary,
    ImageLink,
    Message,
    MessageStatus,
    SearchHit,
    conversation_from_row,
    export_data,
    message_from_row,
    summary_from_row,
    title_from_text,
)
from app.core.store.tool_calls import ToolStore
from app.core.store.traces import TraceStore
from app.core.store.tree import TreeStore
from app.core.store.waits import WaitStore

_WAITING = "EXISTS (SELECT 1 FROM agent_waits w WHERE w.conversation_id = c.id AND w.stopped_at IS NULL)"


def default_db_path() -> Path:
    """Where the history lives unless the user says otherwise."""
    return platformdirs.user_data_path("asi-chat") / "history.db"


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class Store(TreeStore, WaitStore, ToolStore, DraftStore, TraceStore, ImportStore):
    """The history database at `path`: created private, checked, and migrated on open.

    `read_only` (by default: when the file or its folder cannot be written) opens it to read
    only: it can be listed, searched, shown and exported, and every write is a StoreError
    saying "read-only". The app can show `store.read_only` as it starts.
    """

    #: Ranking looks at the newest this-many matches of a query: bm25 over every
    #: message containing a common word would walk its whole posting list.
    SEARCH_CANDIDATES = 5000
    #: The same for `search_conversations`, run on every key typed (bm25 costs ~1.5 µs a row):
    #: 2,000 recent matching messages still span dozens to hundreds of conversations.
    LIST_CANDIDATES = 2000

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 10.0,
                 read_only: bool | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self.read_only = unwritable(self.path) if read_only is None else read_only
        if self.read_only:
            prepare_file(self.path)  # vets the header; creates nothing for a file that exists
            self._local.conn = connect_read_only(self.path, busy_timeout)
            check_read_only(self._local.conn, self.path)
            self._presence = None  # nothing written, not even the lock file
            return
        prepare_file(self.path)
        self._local.conn = connect(self.path, busy_timeout, first=True)
        self._presence = presence_lock(self.path, busy_timeout)  # closed with the store

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = (connect_read_only(self.path, self.busy_timeout) if self.read_only
                                       else connect(self.path, self.busy_timeout))
        return conn

    # Every statement runs through _q, _write or _snapshot, which turn any SQLite
    # failure into a one-line StoreError.

    def _q(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise describe(exc, self.path, self.busy_timeout) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction; IMMEDIATE so it queues for the lock up front
        rather than failing later when a read would have to become a write."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise describe(exc, self.path, self.busy_timeout) from exc

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so several SELECTs see one state."""
        conn = self._conn()
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise describe(exc, self.path, self.busy_timeout) from exc

    def close(self) -> None:
        """Close this thread's connection (using the store again reopens it)."""
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def create_conversation(self, model: str, title: str | None = None) -> Conversation:
        """Start a conversation with a fresh uuid4 session id."""
        now, session_id, title = time.time(), str(uuid.uuid4()), title or None
        with self._write() as conn:
            new_id = conn.execute("INSERT INTO conversations (title, model, session_id, created_at, updated_at)"
                                  " VALUES (?, ?, ?, ?, ?)", (title, model, session_id, now, now)).lastrowid
        return Conversation(new_id, title, model, session_id, now, now, False, None)

    def get_conversation(self, conversation_id: int) -> Conversation:
        """The conversation, or ConversationNotFound."""
        rows = self._q(f"SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?", (conversation_id,))
        if not rows:
            raise ConversationNotFound(f"No conversation with id {conversation_id}.")
        return conversation_from_row(rows[0])

    def latest_conversation(self) -> Conversation | None:
        """The most recently updated conversation, if any."""
        rows = self._q(f"SELECT {CONVERSATION_COLUMNS} FROM conversations c"
                       " ORDER BY c.updated_at DESC, c.id DESC LIMIT 1")
        return conversation_from_row(rows[0]) if rows else None

    def list_conversations(self, limit: int = 50, offset: int = 0) -> list[ConversationSummary]:
        """A page of conversations, most recently updated first."""
        # The inner query pages on the updated_at index alone, so only the page's
        # own rows are read and checked for a pending wait.
        rows = self._q(f"SELECT {CONVERSATION_COLUMNS}, {_WAITING} FROM conversations c WHERE c.id IN"
                       " (SELECT id FROM conversations ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?)"
                       " ORDER BY c.updated_at DESC, c.id DESC", (limit, offset))
        return [summary_from_row(row) for row in rows]

    def count_conversations(self) -> int:
        """How many conversations exist."""
        return self._q("SELECT count(*) FROM conversations")[0][0]

    def _change_conversation(self, conversation_id: int, sql: str, *params: object) -> None:
        with self._write() as conn:
            if conn.execute(sql, (*params, conversation_id)).rowcount == 0:
                raise ConversationNotFound(f"No conversation with id {conversation_id}.")

    def move_links(self, old: str, new: str) -> int:
        """Point every link that starts with `old` (an origin, "http://host:port") at `new`
        instead, in message text and the image list; returns how many rows changed."""
        prefix = old.rstrip("/") + "/"
        target = new.rstrip("/") + "/"
        with self._write() as conn:
            changed = conn.execute("UPDATE messages SET content = replace(content, ?, ?)"
                                   " WHERE instr(content, ?) > 0", (prefix, target, prefix)).rowcount
            changed += conn.execute("UPDATE images SET url = ? || substr(url, ?) WHERE substr(url, 1, ?) = ?",
                                    (target, len(prefix) + 1, len(prefix), prefix)).rowcount
        return changed

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Set the title (blank clears it); the title search index follows by trigger."""
        self._change_conversation(conversation_id, "UPDATE conversations SET title = ? WHERE id = ?",
                                  " ".join(title.split()) or None)

    def set_conversation_model(self, conversation_id: int, model: str) -> None:
        """Remember which model the conversation continues with."""
        self._change_conversation(conversation_id, "UPDATE conversations SET model = ? WHERE id = ?", model)

    def touch_conversation(self, conversation_id: int) -> None:
        """Move the conversation to the top of the list."""
        self._change_conversation(conversation_id, "UPDATE conversations SET updated_at = ? WHERE id = ?",
                                  time.time())

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete the conversation and, by cascade, its messages, waits and images."""
        self._change_conversation(conversation_id, "DELETE FROM conversations WHERE id = ?")

    @staticmethod
    def _record_images(conn: sqlite3.Connection, conversation_id: int, message_id: int,
                       content: str, now: float) -> None:
        conn.executemany("INSERT OR IGNORE INTO images (conversation_id, message_id, url, created_at)"
                         " VALUES (?, ?, ?, ?)",
                         [(conversation_id, message_id, url, now) for url in image_refs(content)])

    def add_message(self, conversation_id: int, role: str, content: str = "", *, reasoning: str = "",
                    status: str = MessageStatus.COMPLETE, model: str | None = None,
                    parent_id: int | None | object = ..., session_id: str | None = None,
                    activate: bool = False) -> Message:
        """Add a message under `parent_id` (default: the end of the branch on screen).

        It continues its parent's session unless `session_id` starts a new branch. The
        conversation then shows it when its parent was the end of the branch on screen,
        or when `activate` says so (a new branch the user asked for). Touches the
        conversation and titles it from the first user message.
        """
        if status not in MessageStatus.ALL:
            raise ValueError(f"Unknown message status {status!r}.")
        now = time.time()
        with self._write() as conn:
            row = conn.execute("SELECT title, active_leaf_id, session_id FROM conversations WHERE id = ?",
                               (conversation_id,)).fetchone()
            if row is None:
                raise ConversationNotFound(f"No conversation with id {conversation_id}.")
            old_title, leaf, conversation_session = row
            parent = leaf if parent_id is ... else parent_id
            if session_id is None:
                found = conn.execute("SELECT session_id FROM messages WHERE id = ?", (parent,)).fetchone()
                session_id = (found[0] if found else None) or conversation_session
            title = (title_from_text(content) or None) if role == "user" and not old_title else None
            message_id = conn.execute(
                "INSERT INTO messages (conversation_id, role, content, reasoning, status, model, created_at,"
                " updated_at, parent_id, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, role, content, reasoning, status, model, now, now, parent,
                 session_id)).lastrowid
            shown = message_id if activate or leaf == parent else leaf
            conn.execute("UPDATE conversations SET updated_at = ?, title = coalesce(?, title),"
                         " active_leaf_id = ? WHERE id = ?", (now, title, shown, conversation_id))
            if status in MessageStatus.SETTLED:
                self._record_images(conn, conversation_id, message_id, content, now)
        return Message(message_id, conversation_id, role, content, reasoning, status, model,
                       None, None, now, now, parent, session_id)

    def update_message(self, message_id: int, *, content: str | None = None, reasoning: str | None = None,
                       status: str | None = None, usage: dict | None = None, error: str | None = None) -> None:
        """Change the given fields in one UPDATE; settling a message records its image links."""
        if status is not None and status not in MessageStatus.ALL:
            raise ValueError(f"Unknown message status {status!r}.")
        now = time.time()
        changes = {k: v for k, v in (("content", content), ("reasoning", reasoning), ("status", status),
                                     ("error", error)) if v is not None}
        if usage is not None:
            changes.update({key: usage.get(key) for key in USAGE_KEYS})
        sets = ", ".join(f"{column} = ?" for column in ("updated_at", *changes))
        with self._write() as conn:
            rows = conn.execute(f"UPDATE messages SET {sets} WHERE id = ? RETURNING conversation_id, content",
                                (now, *changes.values(), message_id)).fetchall()
            if not rows:
                raise StoreError(f"No message with id {message_id}.")
            if status in MessageStatus.SETTLED:
                self._record_images(conn, rows[0][0], message_id, rows[0][1], now)

    def get_message(self, message_id: int) -> Message:
        """The message, or StoreError if there is none."""
        rows = self._q(f"SELECT {MESSAGE_SELECT} FROM messages WHERE id = ?", (message_id,))
        if not rows:
            raise StoreError(f"No message with id {message_id}.")
        return message_from_row(rows[0])

    def recover_interrupted(self, stale_after: float | None = None) -> int:
        """Mark interrupted the streaming messages untouched for `stale_after` s; by default all when no
        other process has the history open (call before this one streams), else those idle for 30 s."""
        if self.read_only:  # said once, here, where the app and the shell first write
            raise StoreError(f"The history database {self.path} is read-only: it can be read and searched,"
                             " but nothing new is saved.")
        now, idle = time.time(), 30.0 if stale_after is None else stale_after
        with sole_user(self._presence if stale_after is None else None) as alone, self._write() as conn:
            rows = conn.execute("UPDATE messages SET status = 'interrupted', updated_at = ? WHERE status ="
                                " 'streaming' AND updated_at <= ? RETURNING id, conversation_id, content",
                                (now, now - (0.0 if alone else idle))).fetchall()
            for message_id, conversation_id, content in rows:
                self._record_images(conn, conversation_id, message_id, content, now)
        return len(rows)

    def images(self, conversation_id: int) -> list[ImageLink]:
        """Image links of the conversation, oldest first."""
        return [ImageLink(*row) for row in self._q(
            f"SELECT {IMAGE_COLUMNS} FROM images WHERE conversation_id = ? ORDER BY id", (conversation_id,))]

    def latest_image(self, conversation_id: int) -> ImageLink | None:
        """The newest image link of the conversation, if any."""
        rows = self._q(f"SELECT {IMAGE_COLUMNS} FROM images WHERE conversation_id = ? ORDER BY id DESC LIMIT 1",
                       (conversation_id,))
        return ImageLink(*rows[0]) if rows else None

    def _ranked(self, conn: sqlite3.Connection, table: str, match: str, limit: int,
                marked: str | None = None) -> list[tuple]:
        return ranked_matches(conn, table, match, limit, self.SEARCH_CANDIDATES, marked)

    def search_messages(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Messages and titles matching `query`, best bm25 first (see SEARCH_CANDIDATES), «marked»."""
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        with self._snapshot() as conn:
            found = self._ranked(conn, "messages_fts", match, limit,
                                 "snippet(messages_fts, 0, '«', '»', '…', 12)")
            found += self._tool_call_hits(conn, match, limit)  # a message found by its tool calls
            titled = self._ranked(conn, "conversations_fts", match, limit,
                                  "highlight(conversations_fts, 0, '«', '»')")
            about = {row[0]: row[1:] for row in conn.execute(
                "SELECT m.id, m.conversation_id, m.role, c.title FROM messages m JOIN conversations c"
                f" ON c.id = m.conversation_id WHERE m.id IN ({_marks(len(found))})", [f[0] for f in found])}
            titles = dict(conn.execute(f"SELECT id, title FROM conversations WHERE id IN"
                                       f" ({_marks(len(titled))})", [t[0] for t in titled]))
        hits = [SearchHit(cid, title, mid, role, hide_payload_runs(snippet), rank) for mid, rank, snippet in found
                for cid, role, title in [about[mid]]]
        hits += [SearchHit(cid, titles.get(cid), None, None, text, rank) for cid, rank, text in titled]
        return sorted(hits, key=lambda hit: hit.rank)[:limit]

    def search_conversations(self, query: str, limit: int = 200) -> list[ConversationSummary]:
        """Distinct conversations matching `query` by title or content, best match first; made for
        search as you type, so a lone letter matches titles only (`message_query`)."""
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        with self._snapshot() as conn:
            order = best_conversations(conn, match, message_query(query), limit, self.LIST_CANDIDATES)
            order += self._tool_call_conversations(conn, message_query(query), limit - len(order), order)
            rows = {row[0]: row for row in conn.execute(
                f"SELECT {CONVERSATION_COLUMNS}, {_WAITING} FROM conversations c"
                f" WHERE c.id IN ({_marks(len(order))})", order)}
        return [summary_from_row(rows[cid]) for cid in order if cid in rows]

    def export_conversation(self, conversation_id: int) -> dict:
        """Everything about a conversation as JSON-ready data (there is never a credential in it)."""
        with self._snapshot():
            return self._add_traces(self._add_tool_data(export_data(
                self.get_conversation(conversation_id), self.all_messages(conversation_id),
                self.images(conversation_id), self.waits_of(conversation_id))))
