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

RUNTIME_DELAY = 0.15
"""Seconds after the first frame before the runtime's imports start (see `_after_first_frame`)."""


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
            # The HTTP client's and the image previews' imports (~100 ms) happen in a
            # thread, a moment after the first frame: started at once, they would hold the
            # interpreter lock while Textual's writer thread is still sending that frame to
            # the terminal (in 4 KB writes, each waiting for the lock: +60 ms to the screen).
            # Sending before then builds the runtime on the spot (`_ensure_runtime`).
            self.set_timer(RUNTIME_DELAY, self._start_runtime_imports)
            return
        self._start_background()

    def _refresh_models(self) -> None:
        """Ask the server for its model list in the background (at most daily; silent)."""
        if self.runtime is None:
            return  # no key: nothing to ask with
        from app.core.models import refresh_models

        self.run_worker(refresh_models(self.settings), name="model list", exit_on_error=False)

    def _start_runtime_imports(self) -> None:
        if self.runtime is None and self._runtime_factory is not None:
            self.run_worker(self._build_runtime, thread=True, name="runtime", exit_on_error=False)
        else:
            self._start_background()  # built on the spot already (a message sent at once)

    def _build_runtime(self) -> None:
        """(In a thread.) Import and build the runtime: httpx, its TLS context (~40 ms),
        the engine; and the image previews' textual-image and Pillow."""
        from app.ui.image_renderer import load_previews

        load_previews()
        factory = self._runtime_factory
        if factory is None:
            return
        try:
            built: Runtime | AsiChatError = factory()
        except AsiChatError as exc:
            built = exc
        self.call_from_thread(self._runtime_ready, factory, built)

    def _runtime_ready(self, factory: object, built: Runtime | AsiChatError) -> None:
        if self._runtime_factory is factory:  # (else built on the spot meanwhile)
            self._runtime_factory = None
            self._install_runtime(built)
        self._start_background()

    _background_started = False

    def _start_background(self) -> None:
        """Once there is a runtime: refresh the model list, resume the waits left pending."""
        if self.runtime is None or self._background_started:
            return
        self._background_started = True
        self._refresh_models()
        if self.resume_waits:
            self._resume_pending_waits()

    def _ensure_runtime(self) -> Runtime | None:
        """The runtime, built now if it was left to `runtime_factory` and not built yet."""
        if self.runtime is None and self._runtime_factory is not None:
            factory, self._runtime_factory = self._runtime_factory, None
            try:
                self._install_runtime(factory())
            except AsiChatError as exc:
                self._install_runtime(exc)
        return self.runtime

    def _install_runtime(self, built: Runtime | AsiChatError) -> None:
        if isinstance(built, AsiChatError):
            self.runtime_error = built.message
            self.notify(built.message, title="Cannot send yet", severity="warning", markup=False, timeout=10)
        else:
            self.runtime = built

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
            if turn.conversation_id == self.current_id:  # opened before its wait resumed
                self.call_later(self.open_conversation, turn.conversation_id)  # (attaches it)
