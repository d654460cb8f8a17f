"""Turn events -> ACP `session/update` payloads, one `match` arm per event kind.

A `TurnUpdates` follows one turn (a prompt's, or a resumed wait's): the answer streams as
`agent_message_chunk`, reasoning as `agent_thought_chunk`, each ASI:One tool call (web
search, …) as a `tool_call` that goes in_progress -> completed, and an agent wait as one
`tool_call` (pending, in_progress once the agent is named, one `tool_call_update` per poll,
completed or failed). New event kinds slot in as one more arm in `updates`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from acp import (
    start_tool_call,
    text_block,
    tool_content,
    update_agent_message_text,
    update_agent_thought_text,
    update_tool_call,
    update_user_message_text,
)

from app.core.errors import AgentWaitExhausted, TurnCancelled, WaitStopped
from app.core.sanitize import clean
from app.core.store.records import Message
from app.core.tool_display import args_summary, shorten
from app.core.wire.events import (
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    TurnContent,
    TurnEvent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnToolCall,
    agents_label,
)

_KINDS = {"web_search": "search", "search": "search", "fetch": "fetch", "browse": "fetch"}


def _text(text: str) -> list:
    return [tool_content(text_block(text))]


def _json_or_text(args: str):
    try:
        return json.loads(args)
    except ValueError:
        return args


def wait_title(agents: list[AgentRef]) -> str:
    """The wait's title in the editor: the agent named when known."""
    label = ", ".join(a.label for a in agents) if agents else None
    return f"Waiting for {label}" if label else "Waiting for an Agentverse agent"


@dataclass
class TurnUpdates:
    """The ACP updates of one turn, in order; remembers its tool calls' states."""

    wait_id: str
    """The tool call id of this turn's agent wait (stable for the acknowledgement)."""
    agents: list[AgentRef] = field(default_factory=list)
    max_tokens: int | None = None
    stop_reason: str = "end_turn"
    error: Exception | None = None
    """The turn's failure, when it is one the editor should see as an error."""
    answered: bool = False
    """Text of this reply is already in the editor's message (streamed, or replayed by a load):
    the agent's result then starts on a paragraph of its own."""
    _calls: set[str] = field(default_factory=set)
    _running: set[str] = field(default_factory=set)
    """Tool calls without a result yet: they end with the turn (completed, or failed)."""
    _wait_open: bool = False

    def updates(self, event: TurnEvent) -> list:
        """The `session/update` payloads `event` makes (often one, sometimes none)."""
        match event:
            case TurnReasoning(text):
                return [update_agent_thought_text(clean(text))] if text else []
            case TurnContent(text):
                self.answered = self.answered or bool(text)
                return [update_agent_message_text(clean(text))] if text else []
            case TurnToolCall(call):
                return [self._tool_call(call.id, clean(call.name), clean(call.args), call.result)]
            case AgentWaiting(ack, attempt, attempts, elapsed, last_error):
                return self._waiting(clean(ack), attempt, attempts, elapsed, last_error)
            case AgentsContacted(agents):
                return self._contacted(list(agents))
            case TurnFinal(content, _, usage, deferred):
                return self._final(clean(content), usage, deferred)
            case TurnFailed(error):
                return self._failed(error)
            case _:
                return []  # retries, raw extras: nothing the editor shows

    # -- one method per kind of thing the editor sees --------------------------------

    def _tool_call(self, call_id: str, name: str, args: str, result: str | None) -> object:
        tool_id = f"tool-{call_id}"
        raw_output = clean(result) if result is not None else None
        content = _text(shorten(raw_output, 2000)) if raw_output else None
        status = "in_progress" if result is None else "completed"
        (self._running.add if result is None else self._running.discard)(tool_id)
        if tool_id in self._calls:
            return update_tool_call(tool_id, status=status, content=content, raw_output=raw_output)
        self._calls.add(tool_id)
        summary = args_summary(args)
        title = f"{name}: {shorten(summary, 80)}" if summary else name
        return start_tool_call(tool_id, title, kind=_KINDS.get(name, "other"), status=status,
                               raw_input=_json_or_text(args), content=content, raw_output=raw_output)

    def _open_wait(self, ack: str, status: str) -> object:
        self._wait_open = True
        return start_tool_call(self.wait_id, wait_title(self.agents), kind="other", status=status,
                               content=_text(ack), raw_input={"acknowledgement": ack})

    def _waiting(self, ack: str, attempt: int, attempts: int, elapsed: float, last_error: str | None) -> list:
        if attempt == 0 and not self._wait_open:
            return [self._open_wait(ack, "pending")]
        out = [] if self._wait_open else [self._open_wait(ack, "in_progress")]  # a resumed wait
        note = f"poll {attempt}/{attempts}, {elapsed:.0f} s"
        if last_error:
            note += f" (last poll failed: {clean(last_error)})"
        out.append(update_tool_call(self.wait_id, status="in_progress", content=_text(f"{ack}\n\n{note}")))
        return out

    def _contacted(self, agents: list[AgentRef]) -> list:
        known = {a.key for a in self.agents}
        self.agents += [a for a in agents if a.key not in known]
        if self._wait_open:
            return [update_tool_call(self.wait_id, title=wait_title(self.agents), status="in_progress")]
        label = agents_label(agents) or "an Agentverse agent"
        call_id = f"agents-{len(self._calls)}"
        self._calls.add(call_id)
        return [start_tool_call(call_id, f"Asked {label}", kind="other", status="completed")]

    def _end_calls(self, status: str) -> list:
        ended = [update_tool_call(tool_id, status=status) for tool_id in sorted(self._running)]
        self._running.clear()
        return ended

    def _final(self, content: str, usage, deferred: bool) -> list:
        ended = self._end_calls("completed")
        if usage is not None and self.max_tokens and usage.completion_tokens >= self.max_tokens:
            self.stop_reason = "max_tokens"
        if not deferred:
            # The answer streamed already; a reply given whole (a non-streaming fallback) did not.
            return ended + ([] if self.answered else [update_agent_message_text(content)])
        out = ended + ([] if self._wait_open else [self._open_wait("", "in_progress")])
        out.append(update_tool_call(self.wait_id, status="completed", content=_text(shorten(content, 2000)),
                                    raw_output=content))
        # The agent's reply is the answer: a message of its own after the acknowledgement.
        out.append(update_agent_message_text(("\n\n" if self.answered else "") + content))
        return out

    def _failed(self, error: Exception) -> list:
        message = clean(str(error))
        if isinstance(error, TurnCancelled | WaitStopped):
            self.stop_reason = "cancelled"
        elif isinstance(error, AgentWaitExhausted):
            pass  # the wait is kept: an ordinary end of the turn, said in the thread
        else:
            self.error = error
        out = self._end_calls("failed")
        if self._wait_open:
            out.append(update_tool_call(self.wait_id, status="failed", content=_text(message)))
        if self.stop_reason != "cancelled":
            out.append(update_agent_message_text(f"\n\n⚠ {message}"))
        return out


def replay(messages: list[Message]) -> list:
    """A stored branch as the updates `session/load` sends: the user's turns and the replies
    (with their reasoning), in order."""
    out, previous = [], None
    for message in messages:
        if message.role == "user":
            out.append(update_user_message_text(message.content))
        elif message.role == "assistant":
            if message.reasoning:
                out.append(update_agent_thought_text(message.reasoning))
            if message.content:
                # An agent's result follows its acknowledgement: the editor joins them into one
                # message, so it starts a paragraph of its own.
                gap = "\n\n" if previous == "assistant" else ""
                out.append(update_agent_message_text(gap + message.content))
        previous = message.role
    return out
