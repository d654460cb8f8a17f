"""A link shown whole: wrapped after path separators, one hyperlink however many lines it takes."""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

_PIECES = re.compile(r"[^/?&#=]*[/?&#=]*")
"""A URL's pieces, each ending after a run of separators ("/", "?", "&", "#", "=")."""


def link_lines(url: str, width: int) -> list[str]:
    """`url` cut into lines of at most `width` cells, each break after a separator.

    A piece wider than a whole line (a long file name, say) is folded; a UUID or other
    piece that fits on a line is never cut.
    """
    if width <= 0 or len(url) <= width:
        return [url]
    lines: list[str] = []
    line = ""
    for piece in (p for p in _PIECES.findall(url) if p):
        if len(line) + len(piece) <= width:
            line += piece
            continue
        if line:
            lines.append(line)
        while len(piece) > width:
            lines.append(piece[:width])
            piece = piece[width:]
        line = piece
    if line:
        lines.append(line)
    return lines


class LinkText(Widget):
    """The text of one http(s) link (server text: never markup).

    The whole text carries the link as its hyperlink style, so a terminal that supports
    hyperlinks (OSC 8) treats the wrapped lines as one link to click or copy.
    """

    DEFAULT_CSS = """
    LinkText {
        height: auto;
    }
    """

    def __init__(self, url: str, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.url = url

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(link_lines(self.url, width))

    def render(self) -> Text:
        lines = link_lines(self.url, self.content_size.width)
        return Text("\n".join(lines), style=Style(link=self.url), no_wrap=True, overflow="ignore")
