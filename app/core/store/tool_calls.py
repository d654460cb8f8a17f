"""The store's part for turn options, tool calls and raw reply extras.

A mixin of `Store` (kept apart so store.py stays readable): it uses the store's `_q`,
`_write` and `_change_conversation`, and the tables of migrations m120-m122.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from app.core.errors import StoreError
from app.core.store.database import ranked_matches
from app.core.wire.events import ToolCall, merge_extras

TOOL_CALL_COLUMNS = "id, message_id, call_id, name, args, result, position, server, status, duration_ms"


@dataclass(frozen=True, slots=True)
class StoredToolCall:
    """One stored tool call of an assistant message, in reply order (`position`)."""

    id: int
    message_id: int
    call_id: str
    name: str
    args: str
    result: str | None
    position: int
    server: str | None = None
    """The MCP server of a client-side tool (None for the server's own tools)."""
    status: str | None = None
    duration_ms: int | None = None

    def as_export(self) -> dict[str, Any]:
        """The JSON export form (and `ask --json`'s); MCP calls add server, status and time."""
        data = {"id": self.call_id, "name": self.name, "args": self.args, "result": self.result}
        if self.server is not None:
            data.update(server=self.server, status=self.status, duration_ms=self.duration_ms)
        return data


class ToolStore:
    """`set_web_search`, `set_system_prompt`, tool calls and extras of `Store`."""

    # -- per-conversation options ------------------------------------------------------

    def set_web_search(self, conversation_id: int, enabled: bool) -> None:
        """Turn web search on or off for the conversation's next turns."""
        self._change_conversation(conversation_id, "UPDATE conversations SET web_search = ? WHERE id = ?",
                                  int(bool(enabled)))

    def set_system_prompt(self, conversation_id: int, text: str | None) -> None:
        """Give the conversation its own system prompt (None or blank: use the default)."""
        self._change_conversation(conversation_id, "UPDATE conversations SET system_prompt = ? WHERE id = ?",
                                  (text or "").strip() or None)

    # -- tool calls ----------------------------------------------------------------------

    def add_tool_call(self, message_id: int, call: ToolCall) -> None:
        """Store a tool call of a message; the same call id again updates it in place
        (a result arrives later), keeping its position."""
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO tool_calls (message_id, call_id, name, args, result, position, server, status,"
                    " duration_ms) VALUES (?, ?, ?, ?, ?, (SELECT coalesce(max(position), -1) + 1 FROM tool_calls"
                    " WHERE message_id = ?), ?, ?, ?) ON CONFLICT (message_id, call_id) DO UPDATE SET"
                    " name = excluded.name, args = excluded.args,"
                    " result = coalesce(excluded.result, tool_calls.result),"
                    " server = coalesce(excluded.server, tool_calls.server),"
                    " status = coalesce(excluded.status, tool_calls.status),"
                    " duration_ms = coalesce(excluded.duration_ms, tool_calls.duration_ms)",
                    (message_id, call.id, call.name, call.args, call.result, message_id,
                     getattr(call, "server", None), getattr(call, "status", None),
                     getattr(call, "duration_ms", None)))
            except sqlite3.IntegrityError:
                raise StoreError(f"No message with id {message_id}.") from None

    def tool_calls(self, message_id: int) -> list[StoredToolCall]:
        """The message's tool calls in reply order."""
        return [StoredToolCall(*row) for row in self._q(
            f"SELECT {TOOL_CALL_COLUMNS} FROM tool_calls WHERE message_id = ? ORDER BY position",
            (message_id,))]

    def conversation_tool_calls(self, conversation_id: int) -> dict[int, list[StoredToolCall]]:
        """Every tool call of the conversation, by message id, each list in reply order."""
        found: dict[int, list[StoredToolCall]] = {}
        for row in self._q(f"SELECT {', '.join('t.' + c for c in TOOL_CALL_COLUMNS.split(', '))}"
                           " FROM tool_calls t JOIN messages m ON m.id = t.message_id"
                           " WHERE m.conversation_id = ? ORDER BY t.message_id, t.position",
                           (conversation_id,)):
            found.setdefault(row[1], []).append(StoredToolCall(*row))
        return found

    # -- MCP tools: allowances and structured output ------------------------------------

    def allow_tool(self, conversation_id: int, tool: str) -> None:
        """Let `tool` run without asking in this conversation from now on ("always")."""
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO tool_allowances (conversation_id, tool) VALUES (?, ?)",
                         (conversation_id, tool))

    def allowed_tools(self, conversation_id: int) -> set[str]:
        """The tools this conversation always allows."""
        return {row[0] for row in self._q("SELECT tool FROM tool_allowances WHERE conversation_id = ?",
                                           (conversation_id,))}

    def set_server_off(self, conversation_id: int, server: str, off: bool) -> None:
        """Switch an MCP server off (or on again) for this conversation's turns."""
        with self._write() as conn:
            if off:
                conn.execute("INSERT OR IGNORE INTO servers_off (conversation_id, server) VALUES (?, ?)",
                             (conversation_id, server))
            else:
                conn.execute("DELETE FROM servers_off WHERE conversation_id = ? AND server = ?",
                             (conversation_id, server))

    def servers_off(self, conversation_id: int) -> set[str]:
        """The MCP servers this conversation switched off."""
        return {row[0] for row in self._q("SELECT server FROM servers_off WHERE conversation_id = ?",
                                           (conversation_id,))}

    def set_response_schema(self, conversation_id: int, schema: dict | None) -> None:
        """Give the conversation a structured-output schema (`{"name", "schema"}`), or None."""
        text = None if schema is None else json.dumps(schema, ensure_ascii=False)
        self._change_conversation(conversation_id, "UPDATE conversations SET response_schema = ? WHERE id = ?",
                                  text)

    def response_schema(self, conversation_id: int) -> dict | None:
        """The conversation's structured-output schema, or None."""
        rows = self._q("SELECT response_schema FROM conversations WHERE id = ?", (conversation_id,))
        return (_loads(rows[0][0]) or None) if rows else None

    # -- raw extras ----------------------------------------------------------------------

    def merge_extras(self, message_id: int, data: dict) -> None:
        """Fold a reply's raw extras into what the message already keeps."""
        with self._write() as conn:
            row = conn.execute("SELECT extras FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise StoreError(f"No message with id {message_id}.")
            merged = merge_extras(_loads(row[0]), data)
            conn.execute("UPDATE messages SET extras = ? WHERE id = ?",
                         (json.dumps(merged, ensure_ascii=False), message_id))

    def message_extras(self, message_id: int) -> dict | None:
        """The message's raw extras, or None."""
        rows = self._q("SELECT extras FROM messages WHERE id = ?", (message_id,))
        return (_loads(rows[0][0]) or None) if rows else None

    # -- export and import ---------------------------------------------------------------

    def _add_tool_data(self, data: dict) -> dict:
        """Add each message's `tool_calls` and `extras` to an export."""
        calls = self.conversation_tool_calls(data["conversation"]["id"])
        extras = dict(self._q("SELECT id, extras FROM messages WHERE conversation_id = ?"
                              " AND extras IS NOT NULL", (data["conversation"]["id"],)))
        for message in data.get("messages", []):
            message["tool_calls"] = [c.as_export() for c in calls.get(message["id"], [])]
            if extras.get(message["id"]):
                message["extras"] = _loads(extras[message["id"]])
        return data

    @staticmethod
    def _import_tool_data(conn: sqlite3.Connection, data: dict, conversation_id: int,
                          ids: dict[Any, int]) -> None:
        """Re-create the options, tool calls and extras of an export (inside its transaction)."""
        c = data["conversation"]
        prompt = c.get("system_prompt")
        conn.execute("UPDATE conversations SET web_search = ?, system_prompt = ? WHERE id = ?",
                     (int(bool(c.get("web_search"))), prompt if isinstance(prompt, str) and prompt else None,
                      conversation_id))
        for message in data["messages"]:
            new_id = ids[message["id"]]
            for position, call in enumerate(message.get("tool_calls") or []):
                result = call.get("result")
                duration = call.get("duration_ms")
                conn.execute("INSERT OR IGNORE INTO tool_calls (message_id, call_id, name, args, result,"
                             " position, server, status, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (new_id, str(call["id"]), str(call["name"]), str(call.get("args") or "{}"),
                              None if result is None else str(result), position,
                              _text_or_none(call.get("server")), _text_or_none(call.get("status")),
                              duration if isinstance(duration, int) and not isinstance(duration, bool) else None))
            if isinstance(message.get("extras"), dict):
                conn.execute("UPDATE messages SET extras = ? WHERE id = ?",
                             (json.dumps(message["extras"], ensure_ascii=False), new_id))

    # -- search --------------------------------------------------------------------------

    def _tool_call_hits(self, conn: sqlite3.Connection, match: str, limit: int) -> list[tuple]:
        """(message id, bm25, snippet) of the best tool calls matching an FTS query."""
        found = self._ranked(conn, "tool_calls_fts", match, limit,
                             "'🔧 ' || name || ': ' || snippet(tool_calls_fts, -1, '«', '»', '…', 12)")
        owners = dict(conn.execute(f"SELECT id, message_id FROM tool_calls WHERE id IN"
                                   f" ({', '.join('?' * len(found))})", [f[0] for f in found]))
        return [(owners[rowid], rank, snippet) for rowid, rank, snippet in found if rowid in owners]

    def _tool_call_conversations(self, conn: sqlite3.Connection, match: str | None, limit: int,
                                 found: list[int]) -> list[int]:
        """Conversations (not in `found`) whose tool calls match, best first, at most `limit`."""
        if match is None or limit <= 0:
            return []
        ranked = ranked_matches(conn, "tool_calls_fts", match, -1, self.LIST_CANDIDATES)
        if not ranked:
            return []
        owner = dict(conn.execute(
            "SELECT t.id, m.conversation_id FROM tool_calls t JOIN messages m ON m.id = t.message_id"
            f" WHERE t.id IN ({', '.join('?' * len(ranked))})", [rowid for rowid, _ in ranked]))
        extra: list[int] = []
        for rowid, _ in ranked:
            cid = owner.get(rowid)
            if cid is not None and cid not in found and cid not in extra:
                extra.append(cid)
                if len(extra) >= limit:
                    break
        return extra


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _loads(text: str | None) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
