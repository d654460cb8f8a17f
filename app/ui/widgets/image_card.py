"""A card for one image link an agent delivered; the app copies or opens it on request."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from app.ui.widgets.link_text import LinkText


class ImageCard(Widget, can_focus=True):
    """Shows an image URL in full (never as markup) with copy / open keys.

    The card does not touch the clipboard or a browser itself: it posts
    `CopyRequested` / `OpenRequested` and the app decides what to do.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_url", "Copy URL"),
        Binding("o", "open_url", "Open URL"),
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

    def __init__(self, url: str, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """
        Args:
            url: The image URL (server text: shown literally).
        """
        super().__init__(name=name, id=id, classes=classes)
        self.url = url

    def compose(self) -> ComposeResult:
        yield Static(Text("🖼 image"), classes="image-card--title")
        # Server text: LinkText shows it as Text, never markup, broken after "/" only.
        yield LinkText(self.url, classes="image-card--url")
        yield Static(Text("c copy · o open"), classes="image-card--hint")

    def action_copy_url(self) -> None:
        """Ask the app to copy the URL."""
        self.post_message(self.CopyRequested(self.url))

    def action_open_url(self) -> None:
        """Ask the app to open the URL."""
        self.post_message(self.OpenRequested(self.url))
