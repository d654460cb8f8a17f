"""An image drawn in the terminal, fetched the first time it is on screen."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.containers import ScrollableContainer
from textual.errors import NoWidget
from textual.message import Message
from textual.widget import Widget

from app.core.images.fetcher import FetchResult, ImageOk, ImageRefused
from app.ui.image_renderer import previews_for, renderable_class, widget_class

LOAD_DELAY = 0.3
"""Seconds a preview must stay on screen before it loads."""


class ImagePreview(Widget):
    """Shows "loading…", then the image (or, when there is none, why in a few words).

    Nothing is fetched until the widget is first on screen, so a long conversation
    with many images opens and scrolls as fast as one without. `rows` fixes the height
    (the space is kept from the start, so nothing jumps); None fills the container.
    """

    DEFAULT_CSS = """
    ImagePreview { height: auto; width: 1fr; color: $text-muted; }
    """

    class Loaded(Message):
        """The fetch ended: `result` is an `ImageOk` or an `ImageRefused`."""

        def __init__(self, preview: ImagePreview, result: FetchResult) -> None:
            super().__init__()
            self.preview = preview
            self.result = result

        @property
        def control(self) -> ImagePreview:
            """The preview that loaded."""
            return self.preview

    def __init__(self, url: str, *, rows: int | None = 10, lazy: bool = True,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.url = url
        self.rows = rows
        self.lazy = lazy
        self.result: FetchResult | None = None
        """What the fetch gave, once it ended."""
        self.state = "waiting"
        """waiting (not on screen yet) · loading · shown · refused · off."""
        self._due: Any = None  # the timer that loads the preview soon after it is seen
        self._picture: Any = None  # a half-cell / unicode picture is drawn as this widget's content
        # The status is this widget's own content too (no child for it: a long conversation
        # has many cards, and every widget costs layout time when it opens).
        self.status = "loading…"
        """What the preview says instead of the picture ("" once it is drawn)."""

    def render(self) -> Any:
        return self._picture if self._picture is not None else Text(self.status)

    def on_mount(self) -> None:
        if self.rows is not None:
            # A third of the terminal at most: in a small one, the link must still show.
            self.rows = min(self.rows, max(3, self.app.size.height // 3))
            self.styles.height = self.rows
        else:
            self.styles.height = "1fr"
        if previews_for(self.app).renderer == "off" and self.lazy:
            self.state = "off"
            self._set_status("no preview: previews off")
            return
        if not self.lazy:
            self.load()
            return
        scroller = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None)
        if scroller is not None:
            # Checked after the next refresh: the screen's map has the new positions then.
            self.watch(scroller, "scroll_y", self._check_after_refresh, init=False)
        self.call_after_refresh(self._check_visible)

    def on_resize(self) -> None:
        self._check_after_refresh()

    def _check_after_refresh(self, *_: object) -> None:
        if self.state == "waiting":
            self.call_after_refresh(self._check_visible)

    def _check_visible(self, *_: object) -> None:
        if self.state != "waiting" or not self.is_attached:
            return
        try:
            geometry = self.screen.find_widget(self)
        except (NoWidget, Exception):  # noqa: BLE001 - not laid out yet, or no screen
            return
        if geometry.visible_region.area and self._due is None:
            # Seen: load in a moment if still seen then (a conversation being opened shows
            # its top for a frame before it settles at the bottom).
            self._due = self.set_timer(LOAD_DELAY, self._load_if_visible)

    def _load_if_visible(self) -> None:
        self._due = None
        try:
            geometry = self.screen.find_widget(self)
        except Exception:  # noqa: BLE001 - gone meanwhile
            return
        if geometry.visible_region.area:
            self.load()

    def load(self) -> None:
        """Fetch and show the image now (whether on screen or not)."""
        if self.state in ("waiting", "off"):
            self.state = "loading"
            self._set_status("loading…")
            self._load()

    @work(exclusive=True, group="image-preview", exit_on_error=False)
    async def _load(self) -> None:
        previews = previews_for(self.app)
        result = await previews.fetch(self.url)
        self.result = result
        if isinstance(result, ImageOk):
            renderer_class = widget_class(previews.renderer)
            if renderer_class is None:
                self.state = "off"
                self._set_status("no preview: previews off")
            else:
                await self._show(renderer_class, result)
        else:
            self.state = "refused"
            self._set_status(f"no preview: {result.reason}")
        self.post_message(self.Loaded(self, result))

    async def _show(self, renderer_class: type[Widget], result: ImageOk) -> None:
        previews = previews_for(self.app)
        try:
            if self.rows is None:
                # The viewer: as sharp as the whole terminal can show, never the full size.
                size = self.app.size
                image: Any = await previews.scaled(result.path, previews.screen_box(size.width, size.height))
            else:
                image = await previews.thumbnail(result.path, previews.thumbnail_box(self.rows))
        except Exception:  # noqa: BLE001 - the cached file vanished or changed
            self.state = "refused"
            self.result = ImageRefused("not an image")
            self._set_status("no preview: not an image")
            return
        drawn = renderable_class(previews.renderer) if self.rows is not None else None
        if drawn is not None:
            # Drawn as this widget's content, in the space kept for it: no widget mounted,
            # so no layout of the whole screen (which in a long conversation costs a lot).
            self._picture = drawn(image, "auto", self.rows)
            self.status, self.state = "", "shown"
            self.refresh()
            return
        picture = renderer_class(image, classes="image-preview--image")
        picture.styles.width = "auto"
        picture.styles.height = "100%"
        if not self.is_attached:
            return
        self.status = ""
        await self.mount(picture)
        self.state = "shown"

    def _set_status(self, text: str) -> None:
        if self.state in ("refused", "off") and self.rows is not None:
            self.styles.height = "auto"  # one line of why, not the image's space
        self.status = text
        self.refresh()
