"""Turns on stored conversations: the engine's events written to the store as they happen.

Every front end (the `ask` command, the TUI) runs turns through `ChatService`, so the
same guarantees hold everywhere: the user's message is stored before the request goes
out; the reply is stored from its first byte, updated while it streams (throttled) and
finalised with its status; a deferral becomes a pending wait that survives the process.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import AsyncIterator

from app.core.agent_store import AgentStore
from app.core.engine import TurnEngine
from app.core.errors import RequestTimedOut, StreamCutOff
from app.core.events import (
    AgentsContacted,
    AgentWaiting,
    TurnContent,
    TurnEvent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
)
from app.core.growing_text import GrowingReply, GrowingText
from app.core.history import build_history
from app.core.records import AgentWait, Message, MessageStatus
from app.core.request import TurnRequest
from app.core.store import Store

FLUSH_SECONDS = 0.5
FLUSH_BYTES = 2048


def process_owner() -> str:
    """Who holds a wait's claim: host and pid, unique among running processes."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_gone(owner: str) -> bool:
    """True when `owner` (a `process_owner()`) is a process of this host that has ended."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its lease can tell
    try:
        os.kill(int(pid), 0)  # signal 0: existence check only
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, but belongs to someone else
    return False


class _ReplyRecorder(GrowingReply):
    """Writes one assistant reply to the store, throttled while it streams."""

    def __init__(self, store: Store, conversation_id: int, model: str, message: Message | None = None) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.model = model
        self.message = message
        self._content = GrowingText(message.content if message else "")
        self._reasoning = GrowingText(message.reasoning if message else "")
        self._flushed_at = time.monotonic()
        self._unflushed = 0
        self.closed = False

    def _ensure(self) -> Message:
        if self.message is None:
            self.message = self.store.add_message(
                self.conversation_id, "assistant", self.content,
                reasoning=self.reasoning, status=MessageStatus.STREAMING, model=self.model,
            )
            self._flushed_at = time.monotonic()
            self._unflushed = 0
        return self.message

    def restart(self) -> None:
        """Start a new message (the agent's reply after an acknowledgement)."""
        self.message, self.closed = None, False
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


class ChatService:
    """Runs turns and agent waits for the conversations in one store."""

    def __init__(self, store: Store, engine: TurnEngine, *, owner: str | None = None) -> None:
        self.store = store
        self.engine = engine
        self.owner = owner or process_owner()

    async def send(self, conversation_id: int, prompt: str, *, model: str | None = None,
                   agent_handle: str | None = None) -> AsyncIterator[TurnEvent]:
        """Store `prompt`, run the turn, and store the reply as it arrives.

        `agent_handle` (else the first `@handle` in the prompt) is the agent addressed.
        """
        conversation = self.store.get_conversation(conversation_id)
        model = model or conversation.model
        user = self.store.add_message(conversation.id, "user", prompt, model=model)
        handles = AgentStore(self.store).record_handles(user.id, prompt)  # the @handles addressed
        history = build_history(self.store.messages(conversation.id), model)
        recorder = _ReplyRecorder(self.store, conversation.id, model)
        request = TurnRequest(model=model, session_id=conversation.session_id,
                              agent_handle=agent_handle or (handles[0] if handles else None))
        events = self.engine.run(history, request)
        async for event in self._recorded(events, recorder, history, conversation.id, model):
            yield event

    async def resume(self, wait: AgentWait, *, fresh_budget: bool = False) -> AsyncIterator[TurnEvent]:
        """Go on polling a wait left pending (by this run or an earlier one).

        Yields nothing when another running process holds the wait.
        """
        claimed_by = (self.store.get_wait(wait.id) or wait).claimed_by
        if claimed_by and claimed_by != self.owner and owner_gone(claimed_by):
            # Its poller was killed (kill -9, a crash) before its lease ran out: take over now.
            self.store.release_wait(wait.id, claimed_by)
        if not self.store.claim_wait(wait.id, self.owner, self._lease()):
            return
        conversation = self.store.get_conversation(wait.conversation_id)
        ack_message = self.store.get_message(wait.message_id)
        earlier = [m for m in self.store.messages(conversation.id) if m.id < ack_message.id]
        history = build_history(earlier, ack_message.model or conversation.model)
        history.append({"role": "assistant", "content": wait.acknowledgement})
        attempts_made, attempts = wait.attempts_made, wait.attempts_total
        started = wait.started_at
        if fresh_budget:
            attempts_made, attempts, started = 0, self.engine.poll_attempts, time.time()
            self.store.update_wait(wait.id, attempts_made=0, attempts_total=attempts)
        recorder = _ReplyRecorder(self.store, conversation.id, ack_message.model or conversation.model)
        events = self.engine.wait_for_agent(
            history, TurnRequest(model=recorder.model, session_id=conversation.session_id),
            attempts_made=attempts_made, attempts=attempts, started_at=started,
            reasoning=ack_message.reasoning,
        )
        async for event in self._recorded(events, recorder, history, conversation.id, recorder.model, wait=wait):
            yield event

    def _lease(self) -> float:
        return max(30.0, self.engine.poll_interval * 3)

    async def _recorded(self, events: AsyncIterator[TurnEvent], recorder: _ReplyRecorder,
                        history: list[dict[str, str]], conversation_id: int, model: str,
                        wait: AgentWait | None = None) -> AsyncIterator[TurnEvent]:
        try:
            async for event in events:
                wait = self._record(event, recorder, conversation_id, model, wait)
                yield event
        finally:
            # Cancelled, or the consumer stopped listening: keep what arrived.
            if not recorder.closed and wait is None:
                recorder.finish(MessageStatus.INTERRUPTED, error="Cancelled before the reply was complete.")
            if wait is not None and self.store.get_wait(wait.id) is not None:
                self.store.release_wait(wait.id, self.owner)

    def _record(self, event: TurnEvent, recorder: _ReplyRecorder, conversation_id: int,
                model: str, wait: AgentWait | None) -> AgentWait | None:
        store = self.store
        match event:
            case TurnContent(text):
                recorder.add(content=text)
            case TurnReasoning(text):
                recorder.add(reasoning=text)
            case AgentWaiting(ack, 0, attempts, _) if wait is None:
                message = recorder.finish(MessageStatus.AWAITING_AGENT, content=ack)
                now = time.time()
                wait = store.add_wait(
                    conversation_id, message.id, ack, attempts,
                    next_poll_at=now + self.engine.poll_interval,
                    deadline=now + self.engine.poll_interval * attempts,
                )
                store.claim_wait(wait.id, self.owner, self._lease())
                recorder.restart()
            case AgentWaiting(_, attempt, _, _, last_error) if wait is not None:
                store.update_wait(wait.id, attempts_made=attempt, last_error=last_error,
                                  next_poll_at=time.time() + self.engine.poll_interval)
                store.claim_wait(wait.id, self.owner, self._lease())
            case AgentsContacted(agents):
                message_id = wait.message_id if wait is not None else recorder._ensure().id
                AgentStore(store).record_agents(message_id, agents)
            case TurnFinal(content, reasoning, usage, deferred):
                usage_dict = usage.as_dict() if usage else None
                if deferred and wait is not None:
                    recorder.finish(MessageStatus.COMPLETE, content=content, reasoning=reasoning, usage=usage_dict)
                    store.update_message(wait.message_id, status=MessageStatus.COMPLETE)
                    store.clear_wait(wait.id)
                    return None
                recorder.finish(MessageStatus.COMPLETE, content=content, reasoning=reasoning, usage=usage_dict)
            case TurnFailed(error, partial):
                if wait is not None:
                    # The wait stays in the database: `resume` or the next launch goes on.
                    store.update_wait(wait.id, last_error=str(error))
                    recorder.closed = True
                    return wait
                status = (MessageStatus.INTERRUPTED if isinstance(error, (StreamCutOff, RequestTimedOut))
                          else MessageStatus.ERROR)
                recorder.finish(status, content=partial.content, reasoning=partial.reasoning, error=str(error))
            case _:
                pass
        return wait
