"""The chat screen's watch on every running turn, shown or not: the list's ⏳ and ✉ marks,
the notices (retries, failures, an agent's answer out of sight), the collector's settings,
and the end of the turn. One worker per turn follows the turn's log to its end; drawing the
turn in the chat is the conversation view's, which follows the same log while it shows it."""

from __future__ import annotations

import time
from contextlib import suppress
from typing import TYPE_CHECKING

from app.core.chat import owner_gone
from app.core.errors import AgentWaitExhausted, AsiChatError, StoreError, TurnCancelled, WaitStopped
from app.core.tools.events import ToolNotice
from app.core.wire.events import AgentsContacted, AgentWaiting, TurnFailed, TurnFinal, TurnRetrying

if TYPE_CHECKING:
    from app.core.turn import Turn
    from app.ui.screens.chat_screen import ChatScreen


LOOK_AROUND = 5.0
"""Seconds between looks at the waits other asi-chat processes hold (`look_around`)."""


class TurnWatch:
    """Follows each running turn for the chat screen (see the module docstring)."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.turns: set[Turn] = set()
        """The turns followed now."""
        self._elsewhere: set[int] = set()
        """Waits another live asi-chat held at the last look."""
        self._waiting: set[int] | None = None
        """The conversations with a pending wait at the last look."""

    def look_around(self) -> None:
        """Another asi-chat (the shell's `ask`/`resume`, another app) may hold waits: when one
        ends there, the list's ⏳ goes and the open conversation shows what it stored; when
        that process gives up or exits, this app takes the wait over (a fresh budget)."""
        screen = self.screen
        runtime = screen.app.late_runtime.runtime
        if runtime is None:
            return
        chat, store = runtime.chat, screen.app.store
        try:
            pending = store.pending_waits()
        except AsiChatError:
            return  # (a busy or damaged history: the next look may do)
        now = time.time()
        held = {w.id for w in pending if w.claimed_by and w.claimed_by != chat.owner
                and (w.claimed_until or 0) > now and not owner_gone(w.claimed_by)}
        for wait in pending:
            if wait.id in self._elsewhere and wait.id not in held and wait.conversation_id not in chat.turns:
                with suppress(AsiChatError):
                    turn = chat.start_resume(wait, fresh_budget=wait.attempts_made >= wait.attempts_total)
                    if turn is not None:
                        self.follow(turn)
                        if turn.conversation_id == screen.conversation_view.conversation_id:
                            screen.conversation_view.attach(turn)
        self._elsewhere = held
        waiting = {w.conversation_id for w in pending}
        if self._waiting is not None and waiting != self._waiting:
            screen.sidebar.conversation_list.reload()
            open_id = screen.conversation_view.conversation_id
            if open_id in (waiting ^ self._waiting) and open_id not in chat.turns:
                screen.run_worker(screen.conversation_view.show(open_id), exit_on_error=False)
        self._waiting = waiting

    def follow(self, turn: Turn) -> None:
        """Follow `turn` to its end (once, however often asked)."""
        if turn in self.turns:
            return
        self.turns.add(turn)
        screen = self.screen
        if turn.wait is not None:  # a resumed wait: the list names its agent
            screen.sidebar.conversation_list.mark_waiting(turn.conversation_id, True, turn.agent_label)
        screen.app.gc_tuning.turn_started(turn.conversation_id, waiting=turn.wait is not None)
        screen.run_worker(self._follow(turn), group=f"watch-{turn.conversation_id}", exit_on_error=False,
                          description="turn watch")

    async def _follow(self, turn: Turn) -> None:
        try:
            async for event in turn.follow():
                self._on_event(turn, event)
        finally:
            self.turns.discard(turn)
            self._ended(turn)

    def _on_event(self, turn: Turn, event: object) -> None:
        screen = self.screen
        marks = screen.sidebar.conversation_list
        match event:
            case TurnRetrying(attempt, retries, delay, reason):
                screen.notify(f"{reason} Retrying in {delay:.1f} s ({attempt}/{retries}).",
                              title="Retrying", severity="warning", markup=False, timeout=max(3.0, delay))
            case AgentWaiting(attempt=0):
                marks.mark_waiting(turn.conversation_id, True, turn.agent_label)
            case AgentsContacted() if turn.wait is not None:
                marks.mark_waiting(turn.conversation_id, True, turn.agent_label)
            case TurnFinal(deferred=True):
                marks.mark_waiting(turn.conversation_id, False)
                if screen.conversation_view.conversation_id != turn.conversation_id:
                    self._answered_elsewhere(turn)
            case TurnFailed(error):
                self._failed(turn, error)
            case ToolNotice(text):
                screen.notify(text, title="Tools", severity="warning", markup=False, timeout=8)

    def _answered_elsewhere(self, turn: Turn) -> None:
        screen = self.screen
        title = screen.app.title_of(turn.conversation_id)
        who = turn.agent_label or "An agent"
        screen.notify(f"{who} replied in “{title}”.", title="Agent reply", markup=False)
        screen.sidebar.conversation_list.mark_replied(turn.conversation_id, True)
        with suppress(AsiChatError):  # (kept for the next start: a read-only history cannot)
            screen.app.conversations.set_unread(turn.conversation_id, True)
        screen.app.alert(f"{who} replied in “{title}”")

    def _failed(self, turn: Turn, error: Exception) -> None:
        screen, marks = self.screen, self.screen.sidebar.conversation_list
        if isinstance(error, AgentWaitExhausted):
            screen.notify(str(error), title="Agent still busy", severity="warning", markup=False)
            return  # the wait stays pending (the list keeps its badge); F5 or `resume` goes on
        if isinstance(error, WaitStopped):
            marks.mark_waiting(turn.conversation_id, False)
            screen.notify("Stopped waiting for the agent. F5 waits again.", markup=False)
            return
        if isinstance(error, TurnCancelled):
            if turn.wait is None:
                screen.notify("Reply cancelled; the partial text is kept.", markup=False)
        elif isinstance(error, StoreError):
            screen.notify(str(error), title="History", severity="error", markup=False, timeout=10)
        else:
            screen.notify(str(error), title="Reply failed", severity="error", markup=False, timeout=8)
        if turn.wait is not None and getattr(error, "ends_wait", False):  # AgentWaitLost: the wait is over
            marks.mark_waiting(turn.conversation_id, False)

    def _ended(self, turn: Turn) -> None:
        screen = self.screen
        screen.app.gc_tuning.turn_ended(turn.conversation_id)
        if not screen.is_attached:
            return  # the app is closing
        screen.sidebar.conversation_list.reload()
