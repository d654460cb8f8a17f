"""Shows running turns: observes each core `Turn` (in a worker) and applies its events to
the panes of the open conversation. The text lives in the turn; switching away and back
re-reads it from there. Turns run in the chat service whether or not anything shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.core.errors import AgentWaitExhausted, StoreError, TurnCancelled, WaitStopped
from app.core.store.records import MessageStatus
from app.core.turn import Turn
from app.core.wire.events import (
    AgentsContacted,
    AgentWaiting,
    TurnContent,
    TurnEvent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnRetrying,
    TurnToolCall,
)

if TYPE_CHECKING:
    from textual.await_complete import AwaitComplete

    from app.ui.widgets.chat_pane import ChatPane
    from app.ui.widgets.conversation_list import ConversationList
    from app.ui.widgets.message_view import MessageView
    from app.ui.widgets.reasoning_pane import ReasoningPane


class Notify(Protocol):
    def __call__(self, message: str, *, title: str = "", severity: str = "information",
                 timeout: float | None = None, markup: bool = True) -> None: ...


@dataclass
class Panes:
    """What the presenter draws on, and the few facts it needs from the app."""

    chat: ChatPane
    reasoning: ReasoningPane
    conversations: ConversationList
    notify: Notify
    open_id: Callable[[], int | None]
    """The conversation on screen (None: a new one)."""
    title_of: Callable[[int], str]
    ended: Callable[[int], None]
    """Told when a turn is over, however it ended."""
    alert: Callable[[str], None] = lambda _text: None
    """An agent answered in a conversation not on screen (the app may ring the terminal)."""


@dataclass
class _Shown:
    """The widgets showing one turn while its conversation is open."""

    view: MessageView | None = None
    ack_view: MessageView | None = None
    attached: bool = False
    """The chat pane shows this turn (it was attached since the pane last changed)."""
    synced: int = 0
    """Events up to this number are already in what the widgets show (`len(Turn.log)`)."""


class TurnPresenter:
    """Applies turn events to the panes; one instance per app."""

    def __init__(self, panes: Panes) -> None:
        self.panes = panes
        self._shown: dict[Turn, _Shown] = {}

    @property
    def observing(self) -> bool:
        """True while some turn's events are still being drawn."""
        return bool(self._shown)

    def is_open(self, turn: Turn) -> bool:
        """True while the turn's conversation is the one on screen."""
        return self.panes.open_id() == turn.conversation_id

    def detach_all(self) -> None:
        """The chat pane is about to show something else: forget its widgets."""
        for shown in self._shown.values():
            shown.view = shown.ack_view = None
            shown.attached = False

    def view_of(self, turn: Turn) -> MessageView | None:
        """The view streaming the turn's reply, if it is on screen."""
        shown = self._shown.get(turn)
        return shown.view if shown else None

    async def attach(self, turn: Turn, view: MessageView | None = None) -> bool:
        """Show a running turn in the (just opened) chat pane, drawn from its state as it is
        now; `view` is a reply view already added for it (a turn just sent). Events the state
        already includes are skipped when they come. False when the turn is over and no
        longer followed: then the store has all of it, and that is what to show."""
        pane, made = self.panes.chat, False
        if view is None and turn.wait is None and (turn.running or turn in self._shown):
            view, made = await pane.add_reply(turn.model), True  # (the state is read after this)
        if not turn.running and turn not in self._shown:
            if view is None or made or turn.ack_id is not None:
                return False
            await self._draw_over(turn, view)  # sent, and over before it could be drawn
            return True
        # Nothing awaits from here until the state is handed to the widgets: what came up to
        # `synced` is drawn from it, what comes later (even the turn's end) through consume.
        shown = self._shown.setdefault(turn, _Shown())
        shown.attached, shown.synced = True, len(turn.log)
        if turn.wait is not None:
            shown.view = None
            if view is not None:  # it was the acknowledgement, by now
                view.append_reasoning(turn.reasoning)
                await self._hand_over(turn)
                await view.finish(MessageStatus.AWAITING_AGENT, content=turn.wait.acknowledgement,
                                  message_id=turn.ack_id)
                shown.ack_view = view
            else:
                views = pane.message_views()
                shown.ack_view = next((v for v in reversed(views) if v.message_id == turn.ack_id), None)
            if shown.ack_view is not None:
                shown.ack_view.set_agents(turn.agent_label)
            if turn.running:
                wait = turn.wait
                await pane.show_wait(wait.acknowledgement, attempt=wait.attempt, attempts=wait.attempts,
                                     started_at=wait.started_at, last_error=wait.last_error,
                                     agent=turn.agent_label)
            return True
        shown.view = view
        view.append_reasoning(turn.reasoning)
        view.append(turn.content)
        await self._hand_over(turn)
        return True

    def _hand_over(self, turn: Turn) -> AwaitComplete:
        """Start the reasoning pane's live view with what the turn has so far (reasoning, tool
        calls), handed over at once: whatever comes later, even the turn's end and the pane's
        `end_live`, comes after it, however long the pane takes to clear."""
        reasoning = self.panes.reasoning
        live = reasoning.start_live()
        reasoning.append(turn.reasoning)
        for call in turn.tool_calls.values():
            reasoning.show_tool_call(call.id, call.name, call.args, call.result)
        return live

    async def _draw_over(self, turn: Turn, view: MessageView) -> None:
        view.append_reasoning(turn.reasoning)
        view.append(turn.content)
        await self._hand_over(turn)
        status = turn.status if turn.status != MessageStatus.STREAMING else MessageStatus.ERROR
        await view.finish(status, message_id=turn.message_id, content=turn.content,
                          error=str(turn.error) if turn.error else None)
        self.panes.reasoning.end_live()

    def track(self, turn: Turn) -> None:
        """Begin following a turn (before `consume` runs in its worker, so that a view attached
        meanwhile is drawn even when the turn is over by then)."""
        self._shown.setdefault(turn, _Shown())

    async def consume(self, turn: Turn) -> None:
        """Observe a turn to its end, updating whatever of it is on screen."""
        self.track(turn)
        try:
            number = 0
            async for event in turn.follow():
                number += 1
                await self._apply(turn, event, number)
        finally:
            shown = self._shown.pop(turn, None)
            if self.is_open(turn) and shown is not None and shown.attached:  # (an agent's reply has no view)
                self.panes.reasoning.end_live()  # runs in order after what is queued
                if shown and shown.view is not None and shown.view.status == MessageStatus.STREAMING:
                    await shown.view.finish(turn.status, message_id=turn.message_id)
            self.panes.ended(turn.conversation_id)

    async def _apply(self, turn: Turn, event: TurnEvent, number: int) -> None:
        panes, shown = self.panes, self._shown.setdefault(turn, _Shown())
        open_now = self.is_open(turn) and shown.attached
        view = shown.view if open_now else None
        if number <= shown.synced and isinstance(event, (TurnContent, TurnReasoning)):
            return  # already drawn from the turn's state
        match event:
            case TurnContent(text):
                if view is not None:
                    view.append(text)
            case TurnReasoning(text):
                if view is not None:
                    view.append_reasoning(text)
                    panes.reasoning.append(text)
            case TurnToolCall(call):
                if view is not None:
                    panes.reasoning.show_tool_call(call.id, call.name, call.args, call.result)
            case TurnRetrying(attempt, retries, delay, reason):
                panes.notify(f"{reason} Retrying in {delay:.1f} s ({attempt}/{retries}).",
                             title="Retrying", severity="warning", markup=False, timeout=max(3.0, delay))
            case AgentWaiting(ack, attempt, attempts, _elapsed, last_error):
                if shown.ack_view is None and view is not None:  # the wait begins: the reply was the ack
                    await view.finish(MessageStatus.AWAITING_AGENT, content=ack, message_id=turn.ack_id)
                    shown.ack_view, shown.view = view, None
                if attempt == 0:
                    panes.conversations.mark_waiting(turn.conversation_id, True, turn.agent_label)
                if self.is_open(turn) and shown.attached:  # the user may have moved during finish()
                    await panes.chat.show_wait(ack, attempt=attempt, attempts=attempts,
                                               started_at=turn.wait.started_at, last_error=last_error,
                                               agent=turn.agent_label)
            case AgentsContacted():
                label = turn.agent_label
                if turn.wait is not None:
                    panes.conversations.mark_waiting(turn.conversation_id, True, label)
                    if open_now:
                        if shown.ack_view is not None:
                            shown.ack_view.set_agents(label)
                        await panes.chat.show_wait(turn.wait.acknowledgement, attempt=turn.wait.attempt,
                                                   attempts=turn.wait.attempts, started_at=turn.wait.started_at,
                                                   last_error=turn.wait.last_error, agent=label)
            case TurnFinal(content, _reasoning, _usage, deferred):
                if deferred:
                    await self._agent_replied(turn, shown, content, open_now)
                elif view is not None:
                    await view.finish(MessageStatus.COMPLETE, content=content, message_id=turn.message_id)
            case TurnFailed(error, partial):
                await self._failed(turn, shown, error, partial.content, open_now)

    async def _agent_replied(self, turn: Turn, shown: _Shown, content: str, open_now: bool) -> None:
        panes = self.panes
        panes.conversations.mark_waiting(turn.conversation_id, False)
        if not self.is_open(turn):
            title = panes.title_of(turn.conversation_id)
            who = turn.agent_label or "An agent"
            panes.notify(f"{who} replied in “{title}”.", title="Agent reply", markup=False)
            panes.conversations.mark_replied(turn.conversation_id, True)
            panes.alert(f"{who} replied in “{title}”")
            return
        if not open_now:
            return
        await panes.chat.clear_wait()
        if shown.ack_view is not None:
            shown.ack_view.status = MessageStatus.COMPLETE
        if self.is_open(turn) and shown.attached:  # still, after the await
            reply = await panes.chat.add_reply(turn.model)
            await reply.finish(MessageStatus.COMPLETE, content=content, message_id=turn.message_id)

    async def _failed(self, turn: Turn, shown: _Shown, error: Exception, partial: str, open_now: bool) -> None:
        panes = self.panes
        if isinstance(error, AgentWaitExhausted):
            panes.notify(str(error), title="Agent still busy", severity="warning", markup=False)
            if open_now:
                await panes.chat.clear_wait()
            return  # the wait stays pending (the list keeps its badge); F5 or `resume` goes on
        if isinstance(error, WaitStopped):
            panes.conversations.mark_waiting(turn.conversation_id, False)
            panes.notify("Stopped waiting for the agent. F5 waits again.", markup=False)
            if open_now:
                await panes.chat.clear_wait()
                if shown.ack_view is not None:
                    shown.ack_view.status = MessageStatus.WAIT_STOPPED
            return
        if isinstance(error, TurnCancelled):
            if turn.wait is None:
                panes.notify("Reply cancelled; the partial text is kept.", markup=False)
        elif isinstance(error, StoreError):
            panes.notify(str(error), title="History", severity="error", markup=False, timeout=10)
        else:
            panes.notify(str(error), title="Reply failed", severity="error", markup=False, timeout=8)
        if turn.wait is not None:
            if getattr(error, "ends_wait", False):  # AgentWaitLost: the service ended the wait
                panes.conversations.mark_waiting(turn.conversation_id, False)
                ack = shown.ack_view or next((v for v in panes.chat.message_views() if v.message_id == turn.ack_id),
                                             None) if self.is_open(turn) else None
                if ack is not None:
                    ack.status, ack.error = MessageStatus.ERROR, str(error)
            if open_now:
                await panes.chat.clear_wait()
            return
        if open_now and shown.view is not None:
            await shown.view.finish(turn.status if turn.status != MessageStatus.STREAMING else MessageStatus.ERROR,
                                    error=str(error), content=partial, message_id=turn.message_id)
