"""The turn engine: send history -> stream the reply -> detect a deferral -> poll the agent.

It knows nothing of storage or widgets: it turns a client's stream events into turn
events (`app.core.wire.events`) that any front end consumes with `match`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from app.core.agents.names import contacted_agents
from app.core.client import AsiOneClient
from app.core.errors import AgentWaitExhausted, AgentWaitLost, ApiError, AuthenticationError, EmptyReply
from app.core.request import TurnRequest
from app.core.tools.events import ToolCallsWanted
from app.core.wire.deferral import ANY_UPDATE, agent_finished, is_acknowledgement, is_progress, nothing_pending
from app.core.wire.events import (
    AgentProgress,
    AgentsContacted,
    AgentWaiting,
    Completion,
    ContentDelta,
    ExecutableData,
    Extras,
    ReasoningDelta,
    Retrying,
    ToolCall,
    TurnContent,
    TurnEvent,
    TurnExtras,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnRetrying,
    TurnToolCall,
    TurnUsage,
)

Message = dict[str, str]


class TurnEngine:
    """Runs turns and agent waits against one client."""

    def __init__(
        self,
        client: AsiOneClient,
        *,
        poll_interval: float = 5.0,
        poll_attempts: int = 24,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.poll_interval = poll_interval
        self.poll_attempts = poll_attempts
        self._sleep = sleep
        self._clock = clock

    async def run(self, history: list[Message], request: TurnRequest) -> AsyncIterator[TurnEvent]:
        """Stream one reply to `history`; if it is a deferral, wait for the agent's result."""
        completion = Completion()
        manifests: list = []  # `executable_data` items: who the model called
        try:
            async for event in self.client.chat(history, request):
                match event:
                    case ExecutableData(items):
                        manifests.extend(items)
                    case ContentDelta(text):
                        completion.apply(event)
                        yield TurnContent(text)
                    case ReasoningDelta(text):
                        completion.apply(event)
                        yield TurnReasoning(text)
                    case Retrying(attempt, retries, delay, reason):
                        yield TurnRetrying(attempt, retries, delay, reason)
                    case ToolCall():
                        completion.apply(event)
                        yield TurnToolCall(event)
                    case Extras(data):
                        completion.apply(event)
                        yield TurnExtras(data)
                    case _:
                        completion.apply(event)
        except ApiError as err:
            if hasattr(err, "partial"):
                err.partial = completion
            yield TurnFailed(err, completion)
            return
        if completion.finish_reason == "tool_calls" and request.tools:
            yield ToolCallsWanted(completion)  # our tools to run: app.core.tools.loop goes on
            return
        if not completion.content.strip():
            # Nothing to show as an answer: say so rather than store a silent blank reply.
            detail = "reasoning but no answer" if completion.reasoning.strip() else "an empty reply"
            yield TurnFailed(EmptyReply(f"The server sent {detail}; try again."), completion)
            return
        if not is_acknowledgement(completion.content):
            if agents := contacted_agents(None, manifests):
                yield AgentsContacted(agents)
            yield TurnFinal(completion.content, completion.reasoning, completion.usage)
            return
        acknowledgement = completion.content.strip()
        if completion.usage is not None:
            yield TurnUsage(completion.usage)  # the acknowledgement's tokens count too
        yield AgentWaiting(acknowledgement, 0, self.poll_attempts, 0.0)
        if agents := contacted_agents(acknowledgement, manifests, request.agent_handle):
            yield AgentsContacted(agents)  # after the wait starts, so the ack message exists
        waited = [*history, {"role": "assistant", "content": acknowledgement}]
        async for event in self.wait_for_agent(
            waited, request, reasoning=completion.reasoning
        ):
            yield event

    async def wait_for_agent(
        self,
        history: list[Message],
        request: TurnRequest,
        *,
        attempts_made: int = 0,
        attempts: int | None = None,
        started_at: float | None = None,
        reasoning: str = "",
    ) -> AsyncIterator[TurnEvent]:
        """Poll with a transient "Any update?" until the reply is neither the acknowledgement
        nor a progress message ("Generating…": reported as `AgentProgress`, and the wait goes on).

        `history` ends with the assistant's acknowledgement. Resuming a wait left by an
        earlier run passes the attempts already made and the original start time.
        A failed poll is reported and counted, and the wait goes on; only a rejected key
        ends it early.
        """
        acknowledgement = history[-1]["content"]
        total = attempts or self.poll_attempts
        started = self._clock() if started_at is None else started_at
        last_error: str | None = None
        for attempt in range(attempts_made + 1, total + 1):
            await self._sleep(self.poll_interval)
            try:
                reply = await self.client.complete([*history, dict(ANY_UPDATE)], request)
            except AuthenticationError as err:
                yield TurnFailed(err, Completion(acknowledgement, reasoning))
                return
            except ApiError as err:
                last_error = err.message
                yield AgentWaiting(acknowledgement, attempt, total, self._clock() - started, last_error)
                continue
            if nothing_pending(reply.content):  # not the agent's result: never announce it as one
                yield TurnFailed(AgentWaitLost(
                    f"The agent's task is gone: ASI:One answered the poll with \u201c{reply.content.strip()}\u201d; "
                    "the wait has ended without a result (send the request again)."),
                    Completion(acknowledgement, reasoning))
                return
            if agent_finished(reply.content, acknowledgement) and not is_progress(reply.content):
                yield TurnFinal(
                    reply.content,
                    reasoning + reply.reasoning,
                    reply.usage,
                    deferred=True,
                    acknowledgement=acknowledgement,
                )
                return
            last_error = None
            if reply.extras:
                yield TurnExtras(reply.extras)
            if is_acknowledgement(reply.content) and reply.content.strip() != acknowledgement:
                # Handed over to another agent (two in sequence): say who works now.
                handover = contacted_agents(reply.content, reply.extras.get("executable_data") or [])
                if handover:
                    yield AgentsContacted(handover)
            if is_progress(reply.content):
                if reply.usage is not None:
                    yield TurnUsage(reply.usage)
                yield AgentProgress(reply.content.strip(), attempt)
            yield AgentWaiting(acknowledgement, attempt, total, self._clock() - started)
        waited_s = self._clock() - started
        yield TurnFailed(
            AgentWaitExhausted(
                f"The agent has not answered after {total} poll{'' if total == 1 else 's'} "
                f"({f'{waited_s:.0f} s' if waited_s < 60 else f'{waited_s / 60:.1f} min'}); "
                "the wait is kept and can be resumed later."
            ),
            Completion(acknowledgement, reasoning),
        )
