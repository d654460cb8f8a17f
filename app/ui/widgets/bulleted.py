"""A simple list item drawn as one widget: its bullet (or number), a hanging indent and
its paragraph (see `ChatMarkdown`: Textual uses four widgets per item)."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content, Span
from textual.css.styles import RulesMap
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownParagraph

BULLET_CLASS = "chat-list--bullet"


class Bulleted(Visual):
    """A visual with a bullet (or number) before its first line and an indent before the rest."""

    def __init__(self, visual: Visual, symbol: str) -> None:
        self._visual = visual
        self._symbol = symbol
        self._width = cell_len(symbol)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self._visual.get_optimal_width(rules, container_width - self._width) + self._width

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self._visual.get_minimal_width(rules) + self._width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._visual.get_height(rules, width - self._width)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        indent = self._width
        if width <= indent:
            return []
        strips = self._visual.render_strips(width - indent, height, style, options)
        # Textual draws the bullet as a widget as tall as the item: the column under the
        # bullet is blank cells in the bullet's style.
        first, blank = (self._column(text, indent, style, options) for text in (self._symbol, " " * indent))
        return [Strip.join([first if index == 0 else blank, strip]) for index, strip in enumerate(strips)]

    @staticmethod
    def _column(text: str, width: int, style: Style, options: RenderOptions) -> Strip:
        content = Content(text, spans=[Span(0, len(text), f".{BULLET_CLASS}")])
        strips = content.render_strips(width, 1, style, options)
        return Strip.join(strips[:1]).extend_cell_length(width, style.rich_style)


class ChatListItem(MarkdownParagraph):
    """One item of a simple list: its paragraph, drawn after its bullet."""

    def __init__(self, markdown: Markdown, paragraph: MarkdownParagraph, symbol: str) -> None:
        super().__init__(markdown, paragraph._token)
        self.symbol = symbol
        self._inline_token = paragraph._inline_token
        self.set_content(paragraph._content)

    def render(self) -> Visual:
        return Bulleted(self.visual, self.symbol)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        # As Textual's list: the bullet (when the selection starts at the item), then the text.
        text = selection.extract(str(self.visual))
        from_start = selection.start is None or tuple(selection.start) == (0, 0)
        return (f"{self.symbol} {text}" if from_start else text), "\n"
