"""Shows running turns: applies the engine's turn events to the widgets of the open
conversation, and keeps each running turn's state so switching away and back loses
nothing. Turns keep running (in workers) whether or not their conversation is open.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.core.errors import AgentWaitExhausted, AsiChatError, RequestTimedOut, StreamCutOff
from app.core.events import (
    AgentWaiting,
    TurnContent,
    TurnEvent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnRetrying,
    TurnToolCall,
)
from app.core.growing_text import GrowingText
from app.core.records import MessageStatus

if TYPE_CHECKING:
    from app.ui.app import AsiChatApp
    from app.ui.widgets.message_view import MessageView


@dataclass
class LiveTurn:
    """What the UI knows of one running turn."""

    conversation_id: int
    model: str
    content: GrowingText = field(default_factory=GrowingText)
    reasoning: GrowingText = field(default_factory=GrowingText)
    waiting: bool = False
    acknowledgement: str = ""
    attempt: int = 0
    attempts: int = 0
    started_at: float = field(default_factory=time.time)
    last_error: str | None = None
    view: "MessageView | None" = None
    ack_view: "MessageView | None" = None
    finishing: bool = False
    """The reply is in and stored; only its last lines are still being drawn."""
    tool_calls: dict = field(default_factory=dict)
    """The reply's tool calls so far, by id (shown again when the conversation is reopened)."""


class TurnPresenter:
    """Applies turn events to the app's panes; one instance per app."""

    def __init__(self, app: "AsiChatApp") -> None:
        self.app = app
        self.live: dict[int, LiveTurn] = {}

    def is_open(self, turn: LiveTurn) -> bool:
        """True while the turn's conversation is the one on screen."""
        return self.app.current_id == turn.conversation_id

    async def attach(self, turn: LiveTurn) -> None:
        """Show a running turn in the (just opened) chat pane."""
        pane = self.app.chat_pane
        if turn.waiting:
            turn.view = None
            views = pane.message_views()
            turn.ack_view = views[-1] if views and views[-1].status == MessageStatus.AWAITING_AGENT else None
            await pane.show_wait(turn.acknowledgement, attempt=turn.attempt, attempts=turn.attempts,
                                 started_at=turn.started_at, last_error=turn.last_error)
            return
        turn.view = await pane.add_reply(turn.model)
        turn.view.append_reasoning(str(turn.reasoning))
        turn.view.append(str(turn.content))
        await self.app.reasoning_pane.start_live()
        self.app.reasoning_pane.append(str(turn.reasoning))
        for call in turn.tool_calls.values():
            self.app.reasoning_pane.show_tool_call(call.id, call.name, call.args, call.result)

    async def consume(self, turn: LiveTurn, events: AsyncIterator[TurnEvent]) -> None:
        """Run a turn's events to the end, updating whatever of it is on screen."""
        self.live[turn.conversation_id] = turn
        try:
            async for event in events:
                await self._apply(turn, event)
        except AsiChatError as exc:
            # The history could not be written (read-only, damaged, busy): say so.
            self.app.notify(str(exc), title="History", severity="error", markup=False, timeout=10)
            if turn.view is not None and self.is_open(turn):
                await turn.view.finish(MessageStatus.ERROR, error=str(exc))
        except BaseException:
            # Cancelled (Esc or quit) or a crash: the service has stored the partial reply.
            if turn.view is not None and self.is_open(turn):
                await turn.view.finish(MessageStatus.INTERRUPTED, error="Cancelled")
            raise
        finally:
            self.live.pop(turn.conversation_id, None)
            if self.is_open(turn):  # (an agent's reply has no view of its own: `turn.view` is None)
                self.app.reasoning_pane.end_live()  # runs in order after what is queued
            self.app.turn_ended(turn.conversation_id)

    async def _apply(self, turn: LiveTurn, event: TurnEvent) -> None:
        app = self.app
        open_now = self.is_open(turn)
        match event:
            case TurnContent(text):
                turn.content.append(text)
                if open_now and turn.view is not None:
                    turn.view.append(text)
            case TurnReasoning(text):
                turn.reasoning.append(text)
                if open_now and turn.view is not None:
                    turn.view.append_reasoning(text)
                    app.reasoning_pane.append(text)
            case TurnToolCall(call):
                turn.tool_calls[call.id] = call
                if open_now and turn.view is not None:
                    app.reasoning_pane.show_tool_call(call.id, call.name, call.args, call.result)
            case TurnRetrying(attempt, retries, delay, reason):
                app.notify(f"{reason} Retrying in {delay:.1f} s ({attempt}/{retries}).",
                           title="Retrying", severity="warning", markup=False, timeout=max(3.0, delay))
            case AgentWaiting(ack, attempt, attempts, elapsed, last_error):
                if not turn.waiting:
                    turn.waiting, turn.acknowledgement = True, ack
                    turn.started_at = time.time() - elapsed
                    app.conversation_list.mark_waiting(turn.conversation_id, True)
                    if open_now and turn.view is not None:
                        await turn.view.finish(MessageStatus.AWAITING_AGENT, content=ack)
                    turn.ack_view, turn.view, turn.content = turn.view, None, GrowingText()
                turn.attempt, turn.attempts, turn.last_error = attempt, attempts, last_error
                # Asked again: the user may have opened another conversation during finish().
                if self.is_open(turn):
                    await app.chat_pane.show_wait(ack, attempt=attempt, attempts=attempts,
                                                  started_at=turn.started_at, last_error=last_error)
            case TurnFinal(content, _reasoning, _usage, deferred):
                turn.finishing = True
                if deferred:
                    app.conversation_list.mark_waiting(turn.conversation_id, False)
                    if open_now:
                        await app.chat_pane.clear_wait()
                        if turn.ack_view is not None:
                            turn.ack_view.status = MessageStatus.COMPLETE
                        if self.is_open(turn):  # still, after the await
                            view = await app.chat_pane.add_reply(turn.model)
                            await view.finish(MessageStatus.COMPLETE, content=content)
                    else:
                        app.notify(f"An agent replied in “{app.title_of(turn.conversation_id)}”.",
                                   title="Agent reply", markup=False)
                elif open_now and turn.view is not None:
                    await turn.view.finish(MessageStatus.COMPLETE, content=content)
            case TurnFailed(error, partial):
                await self._failed(turn, error, partial.content, open_now)

    async def _failed(self, turn: LiveTurn, error: Exception, partial: str, open_now: bool) -> None:
        app = self.app
        if isinstance(error, AgentWaitExhausted):
            app.notify(str(error), title="Agent still busy", severity="warning", markup=False)
            if open_now:
                await app.chat_pane.clear_wait()
            return  # the wait stays pending (the list keeps its badge); `resume` goes on
        app.notify(str(error), title="Reply failed", severity="error", markup=False, timeout=8)
        if turn.waiting:
            if open_now:
                await app.chat_pane.clear_wait()
            return
        status = (MessageStatus.INTERRUPTED if isinstance(error, (StreamCutOff, RequestTimedOut))
                  else MessageStatus.ERROR)
        if open_now and turn.view is not None:
            await turn.view.finish(status, error=str(error), content=partial)
