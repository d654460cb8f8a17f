"""What keeps the app quick to start and responsive: its main screen (Textual's `Screen`
with a compositor that keeps the map it builds), the garbage-collector settings, and
`QuickStart`, the part of the app that builds the runtime after the first frame and
tells a streaming reply when the user is typing."""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

from textual import events
from textual._compositor import Compositor, ReflowResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

from app.core.errors import AsiChatError

if TYPE_CHECKING:
    from app.core.runtime import Runtime

GC_THRESHOLDS = (20_000, 20, 20)
"""Python's default (700, 10, 10) ran ~1,400 collections while a 20,000-token reply
streamed in, 1.4-1.7 s of it, and full collections of a heap of widgets paused the app
for up to 280 ms each. Objects alive at start-up are frozen (never scanned again)."""


class _Compositor(Compositor):
    def reflow(self, parent: Widget, size: Size) -> ReflowResult:
        result = super().reflow(parent, size)
        # reflow() has just arranged every widget into the full map, but leaves the map
        # marked stale when it was marked so before; the next region lookup (every
        # widget whose size changed makes one) then arranged all widgets a second time:
        # 90 ms instead of 34 ms per layout with a 20,000-token reply on screen.
        self._full_map_invalidated = False
        return result


class MainScreen(Screen):
    """The default screen of `AsiChatApp` (see `_Compositor`)."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = _Compositor()


class GcTuning:
    """Raise the collector's thresholds while the app runs, and freeze start-up objects.

    Only the first app of a process freezes: a later one (tests, benchmarks) would
    freeze the garbage its predecessor left, and it would never be collected.
    """

    _froze_once = False

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._frozen = False

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
            if not GcTuning._froze_once:
                GcTuning._froze_once = self._frozen = True
                gc.freeze()

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        if self._frozen:
            self._frozen = False
            gc.unfreeze()


class QuickStart:
    """Mixin of `AsiChatApp`: the default screen, key times, and the runtime built late.

    Uses the app's `runtime`, `_runtime_factory`, `runtime_error`, `resume_waits` and
    `_resume_pending_waits`.
    """

    last_key_at = 0.0
    """When the last key (other than Enter) reached the app (see MessageView's pacing)."""

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.key != "enter":
            # While the user types, a reply renders in short steps and lets each key's echo
            # go first (MessageView). Enter sends: the reply should then come at full speed.
            self.last_key_at = time.perf_counter()
        await super().on_event(event)

    def _after_first_frame(self) -> None:
        if self.runtime is None and self._runtime_factory is not None:
            # The HTTP client's imports (~70 ms) happen in a thread, after the first frame.
            self.run_worker(self._import_runtime, thread=True, name="runtime imports", exit_on_error=False)
        elif self.resume_waits:
            self._resume_pending_waits()

    def _import_runtime(self) -> None:
        import app.core.chat  # noqa: F401 - what make_runtime imports: engine, client, httpx

        self.call_from_thread(self._runtime_ready)

    def _runtime_ready(self) -> None:
        if self._ensure_runtime() is not None and self.resume_waits:
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
