"""One image as large as the terminal allows, with its link and sizes; save, copy, open."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from app.core.images.fetcher import ImageOk, ImageRefused, is_data_url, megabytes
from app.core.images.files import downloads_dir, file_stem, save_copy
from app.ui.links import copy_link, copy_text, open_link
from app.ui.widgets.image_card import link_text
from app.ui.widgets.image_preview import ImagePreview


class ImageViewer(Screen[None]):
    """The viewer: `s` saves to the downloads folder (never overwriting), `c` copies the
    link (an inline image: its saved file's path), `o` opens it, Esc goes back."""

    DEFAULT_CSS = """
    ImageViewer { layout: vertical; }
    ImageViewer ImagePreview { height: 1fr; width: 1fr; align: center middle; }
    ImageViewer .viewer--info { height: auto; padding: 0 1; color: $text-muted; }
    ImageViewer .viewer--link { height: auto; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("s", "save", "Save"),
        Binding("c", "copy", "Copy link"),
        Binding("o", "open", "Open"),
    ]

    def __init__(self, url: str, prompt: str = "", *, save_dir: Path | None = None,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            url: The image's http(s) or data: URL.
            prompt: The prompt that produced it (the saved file is named after it).
            save_dir: Where `s` saves; None: the user's downloads folder.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.url = url
        self.prompt = prompt
        self.save_dir = save_dir
        self.saved: Path | None = None
        """The file the last `s` wrote."""

    def compose(self) -> ComposeResult:
        yield ImagePreview(self.url, rows=None, lazy=False)
        yield Static(Text(link_text(self.url), overflow="fold"), classes="viewer--link")
        yield Static(Text("loading…"), classes="viewer--info", id="viewer-info")
        yield Footer()

    @property
    def result(self) -> ImageOk | ImageRefused | None:
        """What fetching the image gave, once it ended."""
        return self.query_one(ImagePreview).result

    @on(ImagePreview.Loaded)
    def _loaded(self, event: ImagePreview.Loaded) -> None:
        result = event.result
        if isinstance(result, ImageOk):
            info = (f"{result.width} × {result.height} px · {megabytes(result.size)} · {result.format}"
                    " · s save · c copy · o open · esc back")
        else:
            info = f"no image: {result.reason} · c copy · o open · esc back"
        self.query_one("#viewer-info", Static).update(Text(info))

    def action_back(self) -> None:
        """Back to where the viewer was opened from."""
        self.dismiss(None)

    async def action_save(self) -> None:
        """Save a copy of the image file (named after the prompt, never overwriting)."""
        result = self.result
        if result is None:
            self.notify("Still loading the image…", markup=False)
            return
        if isinstance(result, ImageRefused):
            self.notify(f"Nothing to save: {result.reason}.", severity="warning", markup=False)
            return
        directory = self.save_dir or downloads_dir()
        try:
            self.saved = await asyncio.to_thread(save_copy, result.path, directory, file_stem(self.prompt))
        except OSError as exc:
            self.notify(f"Could not save the image: {exc.strerror or exc}", severity="error", markup=False)
            return
        self.notify(str(self.saved), title="Image saved", markup=False)

    def action_copy(self) -> None:
        """Copy the link; an inline image has none worth pasting: its saved file instead."""
        if not is_data_url(self.url):
            copy_link(self.app, self.url)
        elif isinstance(self.result, ImageOk):
            copy_text(self.app, str(self.result.path), "image file path")
        else:
            self.notify("This inline image is not saved (it is not an image).", markup=False)

    def action_open(self) -> None:
        """Open the link in the browser (http(s) only)."""
        if is_data_url(self.url):
            self.notify("An inline image has no link to open: s saves it.", markup=False)
        else:
            open_link(self.app, self.url)
