"""The store's part for turn traces (migration m150): each reply's steps as JSON.

A mixin of `Store`, like `ToolStore`. A reply's trace is written while its turn runs
(under the acknowledgement while an agent works, moved to the agent's reply when it
comes). Replies stored before traces existed get one made from what was stored: their
tool calls, agents, acknowledgement and wait, by the same fold a live turn uses.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence

from app.core.store.records import Message, MessageStatus, Role
from app.core.trace import TraceStep, steps_from_json, steps_to_json, trace_from
from app.core.wire.deferral import is_acknowledgement
from app.core.wire.events import AgentRef, AgentsContacted, AgentWaiting, ToolCall, TurnFinal, TurnToolCall, Usage


class TraceStore:
    """`save_trace`, `trace`, `move_trace`, `conversation_usage` of `Store`."""

    def save_trace(self, message_id: int, steps: Sequence[TraceStep]) -> None:
        """Store (replace) the trace of a reply."""
        with self._write() as conn:
            conn.execute("INSERT INTO traces (message_id, steps, updated_at) VALUES (?, ?, ?)"
                         " ON CONFLICT(message_id) DO UPDATE SET steps = excluded.steps,"
                         " updated_at = excluded.updated_at", (message_id, steps_to_json(steps), time.time()))

    def move_trace(self, from_id: int, to_id: int) -> None:
        """Give the trace kept under an acknowledgement to the agent's reply."""
        with self._write() as conn:
            conn.execute("DELETE FROM traces WHERE message_id = ? AND EXISTS"
                         " (SELECT 1 FROM traces WHERE message_id = ?)", (to_id, from_id))
            conn.execute("UPDATE traces SET message_id = ? WHERE message_id = ?", (to_id, from_id))

    def stored_trace(self, message_id: int) -> list[TraceStep] | None:
        """The trace written for a reply, or None when there is none."""
        rows = self._q("SELECT steps FROM traces WHERE message_id = ?", (message_id,))
        return steps_from_json(rows[0][0]) if rows else None

    def trace(self, message_id: int) -> list[TraceStep]:
        """A reply's trace: the stored one, else one made from what its turn stored."""
        stored = self.stored_trace(message_id)
        return stored if stored is not None else self._legacy_trace(self.get_message(message_id))

    def conversation_traces(self, conversation_id: int) -> dict[int, list[TraceStep]]:
        """Every assistant reply's trace, by message id (replies with an empty trace left out)."""
        stored = {mid: steps_from_json(text) for mid, text in self._q(
            "SELECT t.message_id, t.steps FROM traces t JOIN messages m ON m.id = t.message_id"
            " WHERE m.conversation_id = ?", (conversation_id,))}
        found = {}
        messages = self.all_messages(conversation_id)
        acks = {m.id for m in messages if m.role == Role.ASSISTANT and is_acknowledgement(m.content)}
        # An acknowledgement answered by an agent's reply: that reply's trace tells its story.
        answered = {m.parent_id for m in messages if m.role == Role.ASSISTANT and m.parent_id in acks}
        for message in messages:
            if message.role != Role.ASSISTANT or (message.id in answered and message.id not in stored):
                continue
            steps = stored[message.id] if message.id in stored else self._legacy_trace(message)
            if steps:
                found[message.id] = steps
        return found

    def conversation_usage(self, conversation_id: int) -> Usage:
        """The tokens the conversation's turns used so far (acknowledgements and polls included
        where a trace counted them)."""
        usage = {mid: json.loads(text) for mid, text in self._q(
            "SELECT t.message_id, json_extract(value, '$.data') FROM traces t JOIN messages m"
            " ON m.id = t.message_id, json_each(t.steps) WHERE m.conversation_id = ?"
            " AND json_extract(value, '$.kind') = 'usage'", (conversation_id,))}
        totals = [0, 0, 0]
        for mid, prompt, completion, total in self._q(
                "SELECT id, prompt_tokens, completion_tokens, total_tokens FROM messages"
                " WHERE conversation_id = ? AND role = 'assistant'", (conversation_id,)):
            counted = usage.get(mid)
            values = ((counted.get("prompt_tokens", 0), counted.get("completion_tokens", 0),
                       counted.get("total_tokens", 0)) if isinstance(counted, dict)
                      else (prompt or 0, completion or 0, total or 0))
            totals = [a + int(b or 0) for a, b in zip(totals, values)]
        return Usage(*totals)

    def _legacy_trace(self, message: Message) -> list[TraceStep]:
        """A trace made from what a reply stored before traces were kept."""
        from app.core.agents.store import AgentStore

        events: list = []
        waiting = message.status in (MessageStatus.AWAITING_AGENT, MessageStatus.WAIT_STOPPED)
        ack = message if waiting or is_acknowledgement(message.content) else None
        parent = self.get_message(message.parent_id) if message.parent_id else None
        if ack is None and parent is not None and parent.role == Role.ASSISTANT and is_acknowledgement(parent.content):
            ack = parent
        events += [TurnToolCall(ToolCall(c.call_id, c.name, c.args, c.result)) for c in self.tool_calls(message.id)]
        agents = AgentStore(self).agents_for_message(ack.id if ack else message.id)
        if ack is not None:
            waits = [w for w in self.waits_of(message.conversation_id) if w.message_id == ack.id]
            total = waits[0].attempts_total if waits else 0
            events.append(AgentWaiting(ack.content.strip(), 0, total, 0.0))
            if waits and waits[0].attempts_made:
                events.append(AgentWaiting(ack.content.strip(), waits[0].attempts_made, total, 0.0,
                                           waits[0].last_error))
        if agents:
            events.append(AgentsContacted(tuple(AgentRef(a.name, a.handle, a.address) for a in agents)))
        if message is not ack and message.status == MessageStatus.COMPLETE:
            usage = Usage(*(int(v or 0) for v in message.usage.values())) if message.usage else None
            events.append(TurnFinal(message.content, "", usage, deferred=ack is not None))
        return trace_from(events)

    @staticmethod
    def _import_traces(conn: sqlite3.Connection, data: dict, ids: dict[int, int]) -> None:
        for message in data.get("messages", []):
            steps = message.get("trace")
            if isinstance(steps, list) and message.get("id") in ids:
                conn.execute("INSERT OR REPLACE INTO traces (message_id, steps, updated_at) VALUES (?, ?, ?)",
                             (ids[message["id"]], json.dumps(steps, ensure_ascii=False), time.time()))

    def _add_traces(self, data: dict) -> dict:
        """Add each assistant reply's `trace` (a list of step objects) to an export."""
        traces = self.conversation_traces(data["conversation"]["id"])
        for message in data.get("messages", []):
            if message.get("id") in traces:
                message["trace"] = [s.as_dict() for s in traces[message["id"]]]
        return data
