"""`QuickStart`, the part of `AsiChatApp` that keeps it quick: the default screen, the
runtime built after the first frame, and the user's typing a streaming reply is paced by."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.screen import Screen

from app.core.errors import AsiChatError
from app.ui.input_activity import InputActivity
from app.ui.widgets.main_screen import MainScreen

if TYPE_CHECKING:
    from app.core.runtime import Runtime


class QuickStart:
    """Mixin of `AsiChatApp`: the default screen, key times, and the runtime built late.

    Uses the app's `runtime`, `_runtime_factory`, `runtime_error`, `resume_waits` and
    `watch_turn`; resumes the agent waits an earlier run left pending.
    """

    _input_activity: InputActivity | None = None

    @property
    def input_activity(self) -> InputActivity:
        """The user's typing: stamped on each key (other than Enter), told when its echo is
        on screen; handed to the panes whose streamed text it paces."""
        if self._input_activity is None:
            self._input_activity = InputActivity()
        return self._input_activity

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.key != "enter":
            # While the user types, a reply renders in short steps and lets each key's echo
            # go first (MessageView). Enter sends: the reply should then come at full speed.
            self.input_activity.typed()
            self.call_after_refresh(self._key_reached_widget)
        await super().on_event(event)

    def _key_reached_widget(self) -> None:
        # The focused widget has handled the key by now; the frame after shows it.
        self.call_after_refresh(self.input_activity.echoed)

    def _after_first_frame(self) -> None:
        if self.runtime is None and self._runtime_factory is not None:
            # The HTTP client's imports (~70 ms) happen in a thread, after the first frame.
            self.run_worker(self._import_runtime, thread=True, name="runtime imports", exit_on_error=False)
            return
        self._refresh_models()
        if self.resume_waits:
            self._resume_pending_waits()

    def _refresh_models(self) -> None:
        """Ask the server for its model list in the background (at most daily; silent)."""
        if self.runtime is None:
            return  # no key: nothing to ask with
        from app.core.models import refresh_models

        self.run_worker(refresh_models(self.settings), name="model list", exit_on_error=False)

    def _import_runtime(self) -> None:
        import app.core.chat  # noqa: F401 - what make_runtime imports: engine, client, httpx

        self.call_from_thread(self._runtime_ready)

    def _runtime_ready(self) -> None:
        if self._ensure_runtime() is not None:
            self._refresh_models()
            if self.resume_waits:
                self._resume_pending_waits()

    def _ensure_runtime(self) -> Runtime | None:
        """The runtime, built now if it was left to `runtime_factory` and not built yet."""
        if self.runtime is None and self._runtime_factory is not None:
            factory, self._runtime_factory = self._runtime_factory, None
            try:
                self.runtime = factory()
            except AsiChatError as exc:
                self.runtime_error = exc.message
                self.notify(exc.message, title="Cannot send yet", severity="warning", markup=False, timeout=10)
        return self.runtime

    def _resume_pending_waits(self) -> None:
        if self._ensure_runtime() is None:
            return
        try:
            turns = self.runtime.chat.resume_pending()
        except AsiChatError as exc:  # e.g. a read-only or damaged history: say so, keep running
            self.notify(str(exc), title="History", severity="error", markup=False, timeout=10)
            return
        for turn in turns:
            self.watch_turn(turn)
