"""Draws one running turn in the open conversation: its reply (or its agent's wait card and
answer) in the chat pane, its reasoning and tool calls in the reasoning pane.

It replays the turn's log and then follows it live (`Turn.follow`), so a conversation
opened mid-turn is drawn exactly as one watched from the first byte. It runs in a worker of
the conversation view, which cancels it when it shows something else: nothing here asks
whether the conversation is still open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.errors import AgentWaitExhausted, WaitStopped
from app.core.store.records import MessageStatus
from app.core.turn import Turn
from app.core.wire.events import (
    AgentProgress,
    AgentsContacted,
    AgentWaiting,
    TurnContent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnToolCall,
)
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.message_view import MessageView
from app.ui.widgets.reasoning_pane import ReasoningPane

if TYPE_CHECKING:
    from app.ui.areas.right_pane import RightPane


class TurnFollower:
    """Replays and follows `turn` onto `chat` and `reasoning` (see the module docstring)."""

    def __init__(self, turn: Turn, chat: ChatPane, reasoning: ReasoningPane, reply: MessageView | None = None,
                 on_reply: Callable[[MessageView], object] | None = None, trace: RightPane | None = None) -> None:
        """`reply`: the view already added for a turn just sent (else one is added, and
        handed to `on_reply`)."""
        self.turn = turn
        self.chat = chat
        self.reasoning = reasoning
        self.reply = reply
        """The view the reply streams into (None while an agent is waited on)."""
        self.ack: MessageView | None = None
        """The acknowledgement's view while an agent works."""
        self._waiting = False
        self._on_reply = on_reply
        self.trace = trace

    async def run(self) -> None:
        turn, start = self.turn, 0
        if turn.wait is not None and self.reply is None:
            # Its acknowledgement is stored and on screen already: follow from the wait on.
            start = next((i for i, e in enumerate(turn.log) if isinstance(e, AgentWaiting)), len(turn.log))
            self.ack = self.chat.view_of(turn.ack_id) if turn.ack_id is not None else None
            if self.ack is not None and turn.agent_label:
                self.ack.set_agents(turn.agent_label)
            self.reply, self._waiting = None, True
        elif self.reply is None:
            self.reply = await self.chat.add_reply(turn.model)
            if self._on_reply is not None:
                self._on_reply(self.reply)
        if self.reply is not None:
            self.reasoning.start_live()  # (queued: what is appended next comes after it)
        try:
            async for event in turn.follow(start=start):
                await self._apply(event)
                if self.trace is not None and not isinstance(event, TurnContent | TurnReasoning):
                    self.trace.sync_trace(turn.trace)  # (text does not change the trace)
        finally:
            if self.reply is not None:
                if self.reply.status == MessageStatus.STREAMING:  # cut short (the app closing)
                    await self.reply.finish(turn.status, message_id=turn.message_id)
                self.reasoning.end_live()

    async def _apply(self, event: object) -> None:
        turn, reply = self.turn, self.reply
        match event:
            case TurnContent(text):
                if reply is not None:
                    reply.append(text)
            case TurnReasoning(text):
                if reply is not None:
                    reply.append_reasoning(text)
                    self.reasoning.append(text)
            case TurnToolCall(call):
                self.reasoning.show_tool_call(call.id, call.name, call.args, call.result)
            case AgentWaiting(ack, attempt, attempts, _elapsed, last_error):
                if not self._waiting:
                    self._waiting = True
                    if reply is not None:  # the wait begins: the reply was the acknowledgement
                        await reply.finish(MessageStatus.AWAITING_AGENT, content=ack, message_id=turn.ack_id)
                        self.ack, self.reply = reply, None
                        self.reasoning.end_live()
                await self._show_wait(ack, attempt, attempts, last_error)
            case AgentProgress(text):
                card = self.chat.wait_card
                if card is not None:
                    card.set_progress(text)
            case AgentsContacted() if self._waiting:
                if self.ack is not None:
                    self.ack.set_agents(turn.agent_label)
                if turn.wait is not None:
                    wait = turn.wait
                    await self._show_wait(wait.acknowledgement, wait.attempt, wait.attempts, wait.last_error)
            case TurnFinal(content, deferred=True):
                await self.chat.clear_wait()
                if self.ack is not None:
                    self.ack.status = MessageStatus.COMPLETE
                answer = await self.chat.add_reply(turn.model)
                await answer.finish(MessageStatus.COMPLETE, content=content, message_id=turn.message_id)
            case TurnFinal(content):
                if reply is not None:
                    await reply.finish(MessageStatus.COMPLETE, content=content, message_id=turn.message_id)
            case TurnFailed(error, partial):
                await self._failed(event, error, partial.content)

    async def _show_wait(self, ack: str, attempt: int, attempts: int, last_error: str | None) -> None:
        wait = self.turn.wait
        started_at = wait.started_at if wait is not None else 0.0
        card = await self.chat.show_wait(ack, attempt=attempt, attempts=attempts, started_at=started_at,
                                         last_error=last_error, agent=self.turn.agent_label)
        if wait is not None and wait.progress:
            card.set_progress(wait.progress)

    async def _failed(self, event: TurnFailed, error: Exception, partial: str) -> None:
        if self._waiting:
            await self.chat.clear_wait()
            if self.ack is not None:
                if isinstance(error, WaitStopped):
                    self.ack.status = MessageStatus.WAIT_STOPPED
                elif getattr(error, "ends_wait", False):  # AgentWaitLost: the wait is over
                    self.ack.status, self.ack.error = MessageStatus.ERROR, str(error)
            return
        if isinstance(error, AgentWaitExhausted | WaitStopped):
            return
        if self.reply is not None:
            status = event.status if event.status != MessageStatus.STREAMING else MessageStatus.ERROR
            await self.reply.finish(status, error=str(error), content=partial, message_id=self.turn.message_id)
