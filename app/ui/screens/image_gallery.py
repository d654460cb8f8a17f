"""Every image in the history, newest first: thumbnail, prompt, conversation; Enter jumps there."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from app.core.images.fetcher import ImageOk, is_data_url
from app.core.images.files import HistoryImage
from app.ui.links import copy_link, copy_text, open_link
from app.ui.relative_time import relative_time
from app.ui.screens.image_viewer import ImageViewer
from app.ui.widgets.image_preview import ImagePreview

THUMB_ROWS = 5


class GalleryItem(Widget, can_focus=True):
    """One image of the gallery; Enter asks to jump to its message."""

    DEFAULT_CSS = """
    GalleryItem { height: auto; padding: 0 1; margin: 0 0 1 0; border: round $secondary 50%; }
    GalleryItem:focus { border: round $accent; background: $boost; }
    GalleryItem > Horizontal { height: auto; }
    GalleryItem ImagePreview { width: 24; }
    GalleryItem .gallery--text { width: 1fr; height: auto; padding-left: 1; }
    GalleryItem .gallery--prompt { text-style: bold; }
    GalleryItem .gallery--about { color: $text-muted; }
    """

    def __init__(self, image: HistoryImage, source: str | None) -> None:
        super().__init__()
        self.image = image
        self.source = source

    def compose(self) -> ComposeResult:
        image = self.image
        prompt = " ".join(image.prompt.split()) or "(no prompt)"
        title = " ".join((image.title or "").split())
        # A conversation is titled after its first prompt: the card would say it twice.
        shown_title = "" if not title or prompt.startswith(title.rstrip("…").rstrip()) else f"{title} · "
        about = f"{shown_title}{relative_time(image.created_at)} · #{image.id}"
        with Horizontal():
            if self.source is not None:
                yield ImagePreview(self.source, rows=THUMB_ROWS)
            else:
                yield Static(Text("no preview: image not found in its message"))
            with Vertical(classes="gallery--text"):
                yield Static(Text(prompt[:300]), classes="gallery--prompt")
                yield Static(Text(about), classes="gallery--about")


class ImageGallery(Screen[tuple[int, int] | None]):
    """The gallery screen. Enter dismisses it with the image's (conversation id, message id)."""

    DEFAULT_CSS = """
    ImageGallery #gallery { height: 1fr; padding: 0 1; }
    ImageGallery .gallery--heading { padding: 0 2; text-style: bold; }
    ImageGallery .gallery--empty { padding: 1 2; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("enter", "jump", "Go to message"),
        Binding("v", "view", "View"),
        Binding("c", "copy", "Copy link"),
        Binding("o", "open", "Open"),
        Binding("up,k", "move(-1)", "Previous", show=False),
        Binding("down,j", "move(1)", "Next", show=False),
    ]

    def __init__(self, images: list[tuple[HistoryImage, str | None]]) -> None:
        """
        Args:
            images: Newest first, each with the URL to fetch it from (None: not found).
        """
        super().__init__()
        self.images = images

    def compose(self) -> ComposeResult:
        count = len(self.images)
        heading = (f"🖼 {count} image{'s' if count != 1 else ''}, newest first · enter go to its message"
                   " · v view · c copy link · o open · esc back")
        yield Static(Text(heading), classes="gallery--heading")
        with VerticalScroll(id="gallery"):
            if not self.images:
                yield Static(Text("No images yet: ask an agent for one."), classes="gallery--empty")
            for image, source in self.images:
                yield GalleryItem(image, source)
        yield Footer()

    def on_mount(self) -> None:
        items = self.query(GalleryItem)
        if items:
            items.first().focus()

    def action_move(self, step: int) -> None:
        """Focus the previous / next image."""
        items = list(self.query(GalleryItem))
        if not items:
            return
        index = items.index(self.focused) if self.focused in items else -1
        target = items[max(0, min(len(items) - 1, index + step))]
        target.focus()
        target.scroll_visible()

    def action_jump(self) -> None:
        """Go to the focused image's message."""
        if isinstance(self.focused, GalleryItem):
            image = self.focused.image
            self.dismiss((image.conversation_id, image.message_id))

    def _focused_source(self) -> tuple[GalleryItem, str] | None:
        item = self.focused
        if not isinstance(item, GalleryItem):
            return None
        if item.source is None:
            self.notify("This image is no longer in its message.", severity="warning", markup=False)
            return None
        return item, item.source

    def action_view(self) -> None:
        """Open the focused image in the viewer."""
        if focused := self._focused_source():
            item, source = focused
            self.app.push_screen(ImageViewer(source, item.image.prompt))

    def action_copy(self) -> None:
        """Copy the focused image's link (an inline image: its saved file's path)."""
        if not (focused := self._focused_source()):
            return
        item, source = focused
        if not is_data_url(source):
            copy_link(self.app, source)
            return
        result = item.query_one(ImagePreview).result if item.query(ImagePreview) else None
        if isinstance(result, ImageOk):
            copy_text(self.app, str(result.path), "image file path")
        else:
            self.notify("An inline image has no link: v views it, s there saves it.", markup=False)

    def action_open(self) -> None:
        """Open the focused image's link in the browser (http(s) only)."""
        if focused := self._focused_source():
            _, source = focused
            if is_data_url(source):
                self.notify("An inline image has no link to open: v views it.", markup=False)
            else:
                open_link(self.app, source)

    def action_back(self) -> None:
        """Back to the chat."""
        self.dismiss(None)
