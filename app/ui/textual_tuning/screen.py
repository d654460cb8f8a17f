"""The chat screen's base: Textual's `Screen` with a compositor that keeps the map it builds
and renders only what a partial update meets; and what lets removed widgets go.

Guarded by tests/ui/test_textual_internals.py."""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor, ReflowResult
from textual._styles_cache import StylesCache
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer


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


class TunedScreen(Screen):
    """A `Screen` with `_Compositor`, and the footer's old key watchers pruned."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = _Compositor()

    def on_mount(self) -> None:
        # (Textual calls each class's `on_mount` in turn: a subclass's own does not replace this.)
        self.bindings_updated_signal.subscribe(self, self._forget_old_footer_keys)

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


