"""Plain text of any length, drawn a line at a time.

`Static` wraps its whole text again on every layout: a 1 MB paste (11,000 lines) froze
the app for seconds each time the chat pane was laid out. `PlainText` wraps each line
once per width, keeps the rows, and draws only the rows on screen (Textual's line API).
Appending wraps only what is new. Lines that fit are not wrapped at all.

Wrapping is Textual's own (`Content.wrap`; for plain ASCII, the same word wrap done
faster), so rows look exactly as `Static` drew them.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

_WORD = re.compile(r"\s*\S+\s*")


def _cuts(line: str, width: int) -> list[int]:
    """Where the rows of `line` start: rich's `divide_line(line, width, fold=True)`, which
    `Content.wrap` uses, for text of one cell per character (3x faster)."""
    cuts: list[int] = []
    offset = 0  # cells used on the current row
    for word in _WORD.finditer(line):
        start, text = word.start(), word.group()
        length = len(text.rstrip())
        if width - offset >= length:
            offset += len(text)
        elif length > width:  # longer than a row: folded
            for piece in range(0, len(text), width):
                if start:
                    cuts.append(start)
                if piece + width >= len(text):
                    offset = len(text) - piece
                else:
                    start += width
        elif offset and start:
            cuts.append(start)
            offset = len(text)
    return cuts


def wrap_line(line: str, width: int) -> list[str]:
    """The rows `line` takes at `width` cells (at least one, maybe empty)."""
    if line.isascii() and line.isprintable():  # one cell per character, nothing to expand
        if len(line) <= width:
            return [line]  # it fits as it is
        # As `Content.wrap` does, without its styled copy of every row: every row but the
        # last loses its trailing spaces, and the last is cut at the width.
        cuts = _cuts(line, width)
        rows = [line[start:end] for start, end in zip([0, *cuts], [*cuts, len(line)])]
        return [row.rstrip(" ") for row in rows[:-1]] + [rows[-1][:width]]
    return [row.plain for row in Content(line).wrap(width)] or [""]


class PlainText(Widget):
    """Text shown literally (never parsed as markup), wrapped to the widget's width."""

    DEFAULT_CSS = """
    PlainText {
        height: auto;
    }
    """

    def __init__(self, text: str = "", *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines = text.split("\n")
        self._width = 0  # the width `_rows` are wrapped to; 0: not wrapped yet
        self._rows: list[str] = []
        self._row_counts: list[int] = []  # rows of each line, at `_width`

    @property
    def text(self) -> str:
        """The whole text."""
        return "\n".join(self._lines)

    @property
    def row_count(self) -> int:
        """Rows the text takes at the current width."""
        return len(self._rows)

    def update(self, text: str) -> None:
        """Show `text` instead."""
        self._lines = text.split("\n")
        self._width, self._rows, self._row_counts = 0, [], []
        self.refresh(layout=True)

    def append(self, text: str) -> None:
        """Add `text` at the end; only the last line and the new ones are wrapped."""
        if not text:
            return
        first, *rest = text.split("\n")
        last = len(self._lines) - 1
        self._lines[last] += first
        self._lines.extend(rest)
        if self._width:
            if drop := self._row_counts.pop():
                del self._rows[-drop:]
            self._wrap_from(last)
        self.refresh(layout=True)

    def _wrap_from(self, index: int) -> None:
        width = self._width
        for line in self._lines[index:]:
            rows = wrap_line(line, width)
            self._rows.extend(rows)
            self._row_counts.append(len(rows))

    def _wrap_to(self, width: int) -> None:
        if width != self._width and width > 0:
            self._width, self._rows, self._row_counts = width, [], []
            self._wrap_from(0)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._wrap_to(width)
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._wrap_to(width)
        style = self.rich_style
        if not 0 <= y < len(self._rows) or width <= 0:
            return Strip.blank(width, style)
        return Strip([Segment(self._rows[y], style)]).extend_cell_length(width, style).crop(0, width)
