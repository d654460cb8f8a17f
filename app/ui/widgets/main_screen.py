"""The app's main screen: Textual's `Screen` with a compositor that keeps the map it builds,
and the garbage-collector settings that keep a long session responsive."""

from __future__ import annotations

import gc

from textual._compositor import Compositor, ReflowResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

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
