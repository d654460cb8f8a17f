"""The runtime (HTTP client, chat service, engine) built after the app's first frame.

Its imports (httpx, its TLS context, the image previews' textual-image and Pillow: ~100 ms)
happen in a thread a moment after the first frame: started at once, they would hold the
interpreter lock while Textual's writer thread still sends that frame (in 4 KB writes, each
waiting for the lock: +60 ms to the screen). A message sent sooner builds it on the spot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.errors import AsiChatError

if TYPE_CHECKING:
    from textual.app import App

    from app.core.runtime import Runtime

DELAY = 0.15
"""Seconds after the first frame before the runtime's imports start."""


class LateRuntime:
    """Holds the app's runtime, or what builds it; `ready` runs once it is there."""

    def __init__(self, app: App, runtime: Runtime | None, factory: Callable[[], Runtime] | None,
                 error: str | None, ready: Callable[[], object]) -> None:
        self.app = app
        self.runtime = runtime
        self.error = error
        """Why there is no runtime (no key, a bad setting), to say when the user sends."""
        self._factory = factory
        self._ready = ready
        self._started = False

    def after_first_frame(self) -> None:
        """The first frame is out: build the runtime soon, in a thread."""
        if self.runtime is None and self._factory is not None:
            self.app.set_timer(DELAY, self._build_in_thread)
        else:
            self._start()

    def _build_in_thread(self) -> None:
        if self.runtime is None and self._factory is not None:
            self.app.run_worker(self._build, thread=True, name="runtime", exit_on_error=False)
        else:
            self._start()  # built on the spot already (a message sent at once)

    def _build(self) -> None:
        """(In a thread.) Import and build the runtime, and the image previews' modules."""
        from app.ui.image_renderer import load_previews

        load_previews()
        factory = self._factory
        if factory is None:
            return
        try:
            built: Runtime | AsiChatError = factory()
        except AsiChatError as exc:
            built = exc
        self.app.call_from_thread(self._built, factory, built)

    def _built(self, factory: object, built: Runtime | AsiChatError) -> None:
        if self._factory is factory:  # (else built on the spot meanwhile)
            self._factory = None
            self._install(built)
        self._start()

    def ensure(self) -> Runtime | None:
        """The runtime, built now if it was left for later and is not built yet."""
        if self.runtime is None and self._factory is not None:
            factory, self._factory = self._factory, None
            try:
                self._install(factory())
            except AsiChatError as exc:
                self._install(exc)
            self._start()
        return self.runtime

    def _install(self, built: Runtime | AsiChatError) -> None:
        if isinstance(built, AsiChatError):
            self.error = built.message
            self.app.notify(built.message, title="Cannot send yet", severity="warning", markup=False, timeout=10)
        else:
            self.runtime = built

    def _start(self) -> None:
        if self.runtime is not None and not self._started:
            self._started = True
            self._ready()
