"""A card for one image an agent delivered: its preview, its link, and keys to view, copy, open."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from app.core.images.fetcher import ImageOk, is_data_url, megabytes
from app.ui.widgets.image_preview import ImagePreview
from app.ui.widgets.link_text import LinkText

PREVIEW_ROWS = 10


def link_text(url: str) -> str:
    """The link as shown: a data: URL by its type and size, never its megabytes of base64."""
    if not is_data_url(url):
        return url
    kind = url[5:url.find(";")] if ";" in url else "image"
    return f"inline {kind}, {megabytes(len(url) * 3 // 4)} (data: URL, kept in the message)"


class ImageCard(Widget, can_focus=True):
    """Shows an image's preview and its URL in full (never as markup), with keys.

    The card does not touch the clipboard, a browser or the screen stack itself: it
    posts `CopyRequested` / `OpenRequested` / `ViewRequested` (and, for an inline image,
    `CopyPathRequested` with its saved file) and the app decides what to do.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_url", "Copy URL"),
        Binding("o", "open_url", "Open URL"),
        Binding("enter,v", "view", "View"),
    ]

    class CopyRequested(Message):
        """The user asked to copy the card's URL."""

        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url
            """The image URL."""

    class OpenRequested(Message):
        """The user asked to open the card's URL in a browser."""

        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url
            """The image URL."""

    class ViewRequested(Message):
        """The user asked to see the image in the viewer."""

        def __init__(self, card: ImageCard) -> None:
            super().__init__()
            self.card = card
            """The card (its `url`, and `result` once fetched)."""

    class CopyPathRequested(Message):
        """The user asked to copy an inline image: its saved file is what can be pasted."""

        def __init__(self, card: ImageCard) -> None:
            super().__init__()
            self.card = card
            """The card (its `result` holds the file, when the image decoded)."""

    def __init__(self, url: str, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """
        Args:
            url: The image URL (server text: shown literally), http(s) or data:.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.url = url

    @property
    def result(self) -> ImageOk | None:
        """The fetched image, once the preview has it."""
        result = self.query_one(ImagePreview).result if self.is_mounted else None
        return result if isinstance(result, ImageOk) else None

    def compose(self) -> ComposeResult:
        yield Static(Text("🖼 image"), classes="image-card--title")
        yield ImagePreview(self.url, rows=PREVIEW_ROWS)
        # Server text: shown as Text, never markup; a link breaks after "/" only (LinkText),
        # an inline image shows its type and size, never its megabytes of base64.
        if is_data_url(self.url):
            yield Static(Text(link_text(self.url)), classes="image-card--url")
        else:
            yield LinkText(self.url, classes="image-card--url")
        hint = "enter view · c copy file path" if is_data_url(self.url) else "enter view · c copy · o open"
        yield Static(Text(hint), classes="image-card--hint")

    @on(ImagePreview.Loaded)
    def _loaded(self, event: ImagePreview.Loaded) -> None:
        if isinstance(event.result, ImageOk):
            r = event.result
            self.query_one(".image-card--title", Static).update(
                Text(f"🖼 image · {r.width} × {r.height} · {megabytes(r.size)} · {r.format}"), layout=False)

    def action_copy_url(self) -> None:
        """Ask the app to copy the URL (an inline image: its saved file's path)."""
        if is_data_url(self.url):
            self.post_message(self.CopyPathRequested(self))
        else:
            self.post_message(self.CopyRequested(self.url))

    def action_open_url(self) -> None:
        """Ask the app to open the URL (an inline image has none: the viewer shows it)."""
        if is_data_url(self.url):
            self.post_message(self.ViewRequested(self))
        else:
            self.post_message(self.OpenRequested(self.url))

    def action_view(self) -> None:
        """Ask the app to open the viewer on this image."""
        self.post_message(self.ViewRequested(self))
