"""Bringing JSON exports back into the history: every branch, session ids, tool calls, images.

A conversation's identity is its conversation session id: a uuid4 made once when it was
started, never changed, unique in a history and carried by both export versions. An export
without one (edited by hand) gets a stable uuid from its content instead, so importing the
same file twice still gives one conversation. A mixin of `Store`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid

from app.core.errors import AsiChatError
from app.core.store.records import IMAGE_COLUMNS, WAIT_COLUMNS, Conversation, import_rows

# Names the uuids made from an export's content (uuid5), so they never collide with uuid4s.
_CONTENT_NAMESPACE = uuid.UUID("6f1c3f0e-2a47-4d59-9a4e-1d3c2b8e5a70")


class NotAnExport(AsiChatError):
    """Export `number` (from 1) of those given is not an asi-chat conversation export, for
    `reason`; nothing was imported."""

    exit_code = 2

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(f"export {number} is not a valid asi-chat conversation export ({reason});"
                         " nothing was imported.")
        self.number, self.reason = number, reason


def export_identity(data: dict) -> str:
    """The session id that names the exported conversation: its own, else one made from its
    messages (role, text, time), the same for every copy of the file."""
    conversation = data.get("conversation") if isinstance(data, dict) else None
    session_id = conversation.get("session_id") if isinstance(conversation, dict) else None
    if isinstance(session_id, str) and session_id.strip():
        return session_id
    messages = data.get("messages") if isinstance(data, dict) else None
    content = [[m.get("role"), m.get("content"), m.get("created_at")] for m in messages or []
               if isinstance(m, dict)]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return str(uuid.uuid5(_CONTENT_NAMESPACE, digest))


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class ImportStore:
    """The import methods of `Store`."""

    def import_conversation(self, data: dict) -> Conversation:
        """Re-create an exported conversation under a new id, keeping its session id; one already
        in the history (the same session id) is returned as it is."""
        return self.import_conversations([data])[0][0]

    def import_conversations(self, exports: list[dict]) -> list[tuple[Conversation, bool]]:
        """Import each export in one transaction: all or nothing. For each, the conversation
        and whether it was new (False: it was already in the history and is left as it is).
        Raises NotAnExport (naming the export's position, from 1) when one is not an export."""
        parsed = []
        for number, data in enumerate(exports, 1):
            try:
                if not isinstance(data, dict) or not isinstance(data.get("conversation"), dict):
                    raise ValueError("no conversation in it")
                data = {**data, "conversation": {**data["conversation"], "session_id": export_identity(data)}}
                parsed.append((data, import_rows(data)))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise NotAnExport(number, _why(exc)) from None
        done: list[tuple[int, bool]] = []
        with self._write() as conn:
            for number, (data, rows) in enumerate(parsed, 1):
                existing = conn.execute("SELECT id FROM conversations WHERE session_id = ?",
                                        (rows[0][2],)).fetchone()
                if existing is not None:
                    done.append((existing[0], False))
                    continue
                try:
                    done.append((self._insert_export(conn, data, rows), True))
                except (sqlite3.IntegrityError, KeyError, TypeError, ValueError) as exc:
                    # Leaving the block by this error rolls back every export before it too.
                    raise NotAnExport(number, _why(exc)) from None
        return [(self.get_conversation(cid), new) for cid, new in done]

    def _insert_export(self, conn: sqlite3.Connection, data: dict, rows: tuple) -> int:
        conversation, active, messages, images, waits = rows
        new_id = conn.execute("INSERT INTO conversations (title, model, session_id, created_at,"
                              " updated_at, archived) VALUES (?, ?, ?, ?, ?, ?)", conversation).lastrowid
        ids: dict[int, int] = {}
        for old, parent, values, session_id in messages:  # oldest first: parents come first
            ids[old] = conn.execute(
                "INSERT INTO messages (conversation_id, role, content, reasoning, status, model,"
                " prompt_tokens, completion_tokens, total_tokens, error, created_at, updated_at,"
                f" parent_id, session_id) VALUES ({_marks(14)})",
                (new_id, *values, ids.get(parent), session_id)).lastrowid
        conn.execute("UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                     (ids.get(active, max(ids.values(), default=None)), new_id))
        conn.executemany(f"INSERT OR IGNORE INTO images ({IMAGE_COLUMNS[4:]}) VALUES (?, ?, ?, ?)",
                         [(new_id, ids[old], *values) for old, *values in images])
        conn.executemany(f"INSERT INTO agent_waits ({WAIT_COLUMNS[4:]}) VALUES ({_marks(12)})",
                         [(new_id, ids.get(old), *values) for old, values in waits])
        self._import_tool_data(conn, data, new_id, ids)
        self._import_traces(conn, data, ids)
        return new_id


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing"
    return " ".join(str(exc).split()) or type(exc).__name__
