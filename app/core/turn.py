"""`Turn`: one running reply, from the request to its stored rows.

The chat service creates a turn, runs it in its own asyncio task and registers it
while it runs. The turn is the one place the growing reply lives: its text, reasoning,
stored message ids, status and agent-wait progress. It is also a log: every typed event
it received is kept in order (`log`), each one appended after the service has stored it.
Front ends follow it: `follow()` replays the log from the start and then goes on live, so
a view that opens mid-turn sees exactly what one that watched from the first byte saw, with
no second copy of the text and no event numbers to skip. Any number of followers may
follow at once. Its trace (`trace`, the agent network at work as steps) is the same log
folded by `app.core.trace`, kept current as events arrive. `cancel()` stops it; `settled()` waits until everything it had has been
written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.core.growing_text import GrowingReply, GrowingText
from app.core.request import TurnRequest
from app.core.store.records import MessageStatus
from app.core.trace import TraceBuilder, TraceStep
from app.core.wire.events import (
    AgentProgress,
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    ToolCall,
    TurnContent,
    TurnEvent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnToolCall,
    agents_label,
)


@dataclass
class WaitProgress:
    """Where a turn's wait for an agent stands."""

    acknowledgement: str
    attempt: int
    attempts: int
    started_at: float
    last_error: str | None = None
    progress: str | None = None
    """The agent's latest progress message ("Generating…"), if it sent one."""


class Turn(GrowingReply):
    """One running reply (or agent wait) of one conversation."""

    def __init__(self, conversation_id: int, request: TurnRequest, *, prompt_id: int | None = None,
                 parent_id: int | None = None, wait: WaitProgress | None = None,
                 ack_id: int | None = None) -> None:
        self.conversation_id = conversation_id
        self.request = request
        self.prompt_id = prompt_id
        """The stored user message this turn answers (None when resuming a wait)."""
        self.parent_id = parent_id
        """What the reply is stored under: the prompt, or the acknowledgement during a wait."""
        self.message_id: int | None = None
        """The stored reply, from its first byte on."""
        self.ack_id = ack_id
        """The stored acknowledgement while an agent works."""
        self.status = MessageStatus.AWAITING_AGENT if wait else MessageStatus.STREAMING
        self.wait = wait
        self.error: Exception | None = None
        self.tool_calls: dict[str, ToolCall] = {}
        """The reply's tool calls so far, by id (a call's result may come in a later event)."""
        self.agents: list[AgentRef] = []
        """The Agentverse agents the turn involves (from the acknowledgement, manifests, @handles)."""
        self.stopping = False
        """Set by the service when the user stops the wait (rather than the app closing)."""
        self._content, self._reasoning = GrowingText(), GrowingText()
        self.log: list[TurnEvent] = []
        """Every event the turn received, in order (what `follow()` replays)."""
        self.times: list[float] = []
        """When each event of `log` arrived (unix time)."""
        self.tracer = TraceBuilder()
        """The log folded into trace steps; the service may seed it (a resumed wait's stored trace)."""
        self.saved_trace: tuple[int, int] = (0, 0)
        self.trace_saved_at = 0.0
        """What of the trace the service has stored, and when (it throttles the writes)."""
        self._grew = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._started = False
        self._cancel_requested = False
        self._done = asyncio.Event()

    @property
    def model(self) -> str:
        return self.request.model

    @property
    def agent_label(self) -> str | None:
        """Who is working, for a status line: "Ref Image Agent", "A, B" (None: not known)."""
        return agents_label(self.agents)

    @property
    def trace(self) -> list[TraceStep]:
        """The turn's trace so far (`app.core.trace`)."""
        return self.tracer.steps

    @property
    def waiting(self) -> bool:
        """True while an agent is being waited on."""
        return self.wait is not None and self.running

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    # -- the service's side -------------------------------------------------------

    def run(self, driver) -> None:
        """Start `driver` (a coroutine that drives and records this turn) in its own task.
        The driver calls `begin()` first, inside its try block."""
        self._task = asyncio.get_running_loop().create_task(driver)

    def begin(self) -> None:
        """Called by the driver as it starts: a cancel that came before it takes effect now
        (a task cancelled before its first step would never run its cleanup)."""
        self._started = True
        if self._cancel_requested:
            raise asyncio.CancelledError

    def apply(self, event: TurnEvent) -> None:
        """Fold an event into the turn's state (called once it is stored), then publish it."""
        match event:
            case TurnContent(text):
                self._content.append(text)
            case TurnReasoning(text):
                self._reasoning.append(text)
            case TurnToolCall(call):
                self.tool_calls[call.id] = call
            case AgentsContacted(agents):
                self.agents += [a for a in agents if a.key not in {b.key for b in self.agents}]
            case AgentWaiting(ack, attempt, attempts, elapsed, last_error):
                if self.wait is None:
                    self.wait = WaitProgress(ack, attempt, attempts, time.time() - elapsed, last_error)
                    self._content = GrowingText()  # the agent's reply is a message of its own
                    self.status = MessageStatus.AWAITING_AGENT
                else:
                    self.wait.attempt, self.wait.attempts, self.wait.last_error = attempt, attempts, last_error
            case AgentProgress(text):
                if self.wait is not None:
                    self.wait.progress = text
            case TurnFinal(content, reasoning):
                self._content, self._reasoning = GrowingText(content), GrowingText(reasoning)
                self.status = MessageStatus.COMPLETE
            case TurnFailed(error, partial):
                self.error = error
                self.status = event.status
                if self.wait is None:
                    self._content, self._reasoning = GrowingText(partial.content), GrowingText(partial.reasoning)
        now = time.time()
        self.tracer.add(event, now)
        self.log.append(event)
        self.times.append(now)
        self._wake()

    def close(self) -> None:
        """The turn is over and stored: no more events."""
        if not self._done.is_set():
            self._done.set()
            self._wake()

    def _wake(self) -> None:
        grew, self._grew = self._grew, asyncio.Event()
        grew.set()

    # -- the observers' side ------------------------------------------------------

    async def follow(self, start: int = 0) -> AsyncIterator[TurnEvent]:
        """The turn's events in order from `log[start]`: the ones logged so far, then each new
        one as it comes, until the turn is over."""
        index = start
        while True:
            grew = self._grew
            while index < len(self.log):
                index += 1
                yield self.log[index - 1]
            if self._done.is_set():
                return
            await grew.wait()

    async def events(self) -> AsyncIterator[TurnEvent]:
        """The turn's events from the start, until it is over (`follow()`)."""
        async for event in self.follow():
            yield event

    def cancel(self) -> None:
        """Stop the turn: what arrived is kept (marked interrupted); a wait stays pending."""
        if not self._started:
            self._cancel_requested = True
        elif self._task is not None and not self._task.done():
            self._task.cancel()

    async def settled(self) -> None:
        """Wait until the turn is over and everything it had is stored."""
        await self._done.wait()
