"""What keeps the app responsive and small: its main screen (Textual's `Screen` with a
compositor that keeps the map it builds), the garbage-collector settings, and what lets
removed widgets go. (Start-up and key timing: `app.ui.quick_start`.)"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import ClassVar

from textual import events
from textual._compositor import Compositor, ReflowResult
from textual._styles_cache import StylesCache
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer

GC_THRESHOLDS = (20_000, 20, 20)
"""The collector's thresholds while a turn's reply comes in (see `GcTuning`). Python's default
(700, 10, 10) ran ~1,400 collections while a 20,000-token reply streamed in, 1.4-1.7 s of
it, and full collections of a heap of widgets paused the app for up to 280 ms each."""


class _Compositor(Compositor):
    def reflow(self, parent: Widget, size: Size) -> ReflowResult:
        result = super().reflow(parent, size)
        # reflow() has just arranged every widget into the full map, but leaves the map
        # marked stale when it was marked so before; the next region lookup (every
        # widget whose size changed makes one) then arranged all widgets a second time:
        # 90 ms instead of 34 ms per layout with a 20,000-token reply on screen.
        self._full_map_invalidated = False
        return result

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        # Textual renders, for a partial update, every widget whose *clip* (its container)
        # overlaps the updated area, each over its whole visible height: a wait card's
        # one-line clock tick rendered ~250 lines of 17 widgets (the panes beside it, the
        # composer, every ancestor). Only the rows drawn are written to the terminal
        # (`ChopsUpdate` draws `spans`, within `crop`), and in each cut of a row the front
        # widget's strip wins (`_render_chops`): so render only the widgets whose visible
        # part meets `crop`, over its rows, front to back, and none behind one that covers
        # all of `crop` (the tick: the one line that changed, and nothing else).
        if crop is None or crop == self.size.region:
            yield from super()._get_renders(crop)
            return
        rows = Region(0, crop.y, self.size.width, crop.height)
        overlaps, intersection, contains = crop.overlaps, Region.intersection, Region.contains_region
        for widget, (region, clip) in self.visible_widgets.items():  # (front to back)
            visible = intersection(region, clip)
            if not overlaps(visible):
                continue
            shown = intersection(visible, rows)
            if shown.area:
                yield region, intersection(clip, rows), widget.render_lines(
                    Region(shown.x - region.x, shown.y - region.y, shown.width, shown.height))
            if contains(visible, crop):
                return


class MainScreen(Screen):
    """The default screen of `AsiChatApp` (see `_Compositor`)."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = _Compositor()

    def on_mount(self) -> None:
        self.bindings_updated_signal.subscribe(self, self._forget_old_footer_keys)

    def on_resize(self, event: events.Resize) -> None:
        # The panes are re-arranged for the new width here, in the same layout pass as
        # the screen's resize (from the app's own Resize, one frame would pair the old
        # width with the new arrangement: a chat column of 0 and a crash in TextArea).
        apply_layout = getattr(self.app, "apply_layout", None)
        if apply_layout is not None:
            apply_layout(event.size.width)

    def _forget_old_footer_keys(self, screen: Screen) -> None:
        """Drop the footer's watchers of the keys it removed (Textual issue #6666).

        The footer recomposes its keys whenever the bindings change (every focus change),
        and each key watches the footer's `compact` through an entry in the footer's
        watcher list, which Textual prunes only when `compact` changes: never, here. So
        every key ever shown stayed alive, 24 widgets per conversation opened.
        """
        for footer in self.query_children(Footer):
            for watchers in getattr(footer, "__watchers", {}).values():
                watchers[:] = [(node, callback) for node, callback in watchers if not node._closing]


def release_widgets(widgets: Iterable[Widget]) -> None:
    """After the chat pane removed `widgets`: let go of the lines they drew.

    Textual caches `StylesCache.get_inner_outer` with `lru_cache` on the method, so the
    cache holds the last 1,024 widgets' style caches, each with the lines it last drew
    (Textual issue #6665): the lines of the conversations closed before. Refilling the
    cache costs two `Style`s per widget drawn.
    """
    del widgets  # (the lines are in a process-wide cache, whichever widgets drew them)
    StylesCache.get_inner_outer.cache_clear()


class GcTuning:
    """The collector's settings: start-up objects frozen, high thresholds while turns run.

    Only from a turn's start to its end (`turn_started` .. `turn_ended`, called by the
    app where a turn starts and ends) are the thresholds `GC_THRESHOLDS`. At other times
    they are Python's: the widgets of a closed conversation are cyclic garbage, and with
    the high thresholds kept for the whole run, those of dozens of conversations piled up
    before a full collection ran (50 large conversations opened: 217 MB resident instead
    of about 90). A resumed agent wait (nothing streams in) keeps Python's thresholds.

    Only the first app of a process freezes: a later one (tests, benchmarks) would
    freeze the garbage its predecessor left, and it would never be collected.
    """

    _froze_once = False
    _turns: ClassVar[set[tuple[int, object]]] = set()
    """The turns running now, in any app of the process (the thresholds are process-wide)."""
    _saved: ClassVar[tuple[int, int, int] | None] = None
    """The thresholds to restore when the last turn ends."""

    def __init__(self) -> None:
        self._frozen = False

    def start(self) -> None:
        """The app's first frame is out: freeze what start-up made (the first app of a
        process only), and collect again: `asi-chat` pauses the collector for its launch,
        as the imports and the first compose make ~80,000 tracked objects that live on and
        the collector walked them over and over (~50 ms of a 0.4 s launch)."""
        if not GcTuning._froze_once:
            GcTuning._froze_once = self._frozen = True
            gc.freeze()
        gc.enable()

    def stop(self) -> None:
        """The app stops: its turns are over, and what start-up froze is collectable again."""
        for turn in [turn for turn in GcTuning._turns if turn[0] == id(self)]:
            self.turn_ended(turn[1])
        if self._frozen:
            self._frozen = False
            gc.unfreeze()

    def turn_started(self, key: object, *, waiting: bool = False) -> None:
        """A turn (`key`: its conversation) starts: high thresholds until `turn_ended(key)`.

        `waiting`: the turn only waits on an agent (resumed): nothing streams in.
        """
        if waiting:
            return
        if not GcTuning._turns:
            GcTuning._saved = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
        GcTuning._turns.add((id(self), key))

    def turn_ended(self, key: object) -> None:
        """The turn `key` is over (again, or never started, is fine); the last one restores
        the thresholds."""
        GcTuning._turns.discard((id(self), key))
        if not GcTuning._turns and GcTuning._saved is not None:
            gc.set_threshold(*GcTuning._saved)
            GcTuning._saved = None

    @classmethod
    def streaming(cls) -> bool:
        """True while any turn runs (the thresholds are high)."""
        return bool(cls._turns)
