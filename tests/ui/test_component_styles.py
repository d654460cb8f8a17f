"""The component-class style cache gives every Markdown block exactly the styles Textual
computes without it, in every theme, and computes them once per node path."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock

from app.ui import component_styles
from app.ui.component_styles import ComponentStyleCache

DOCUMENT = "\n\n".join(f"Paragraph {i} with *em*, **strong**, ~~s~~ and `code`." for i in range(40))
COMPONENTS = ("em", "strong", "s", "code_inline")


class Doc(App):
    CSS = "Markdown .code_inline { color: $accent; }"  # an app rule on a component class, themed

    def __init__(self, cached: bool) -> None:
        super().__init__()
        if cached:
            self.stylesheet = ComponentStyleCache(variables=self.get_css_variables())

    def compose(self) -> ComposeResult:
        yield Markdown(DOCUMENT)


async def component_styles_by_theme(cached: bool) -> dict[str, list[tuple]]:
    app = Doc(cached)
    seen: dict[str, list[tuple]] = {}
    async with app.run_test() as pilot:
        for theme in ("textual-dark", "textual-light", "nord"):
            app.theme = theme
            await pilot.pause()
            blocks = app.query(MarkdownBlock)
            assert len(blocks) == 40
            seen[theme] = [tuple(str(block.get_component_rich_style(name)) for name in COMPONENTS)
                           for block in blocks]
    return seen


async def test_cached_component_styles_equal_textuals_in_every_theme() -> None:
    cached, plain = await component_styles_by_theme(True), await component_styles_by_theme(False)
    assert cached == plain
    assert cached["textual-dark"] != cached["textual-light"]  # a theme change restyles them
    assert cached["nord"][0][3] != cached["textual-dark"][0][3]  # $accent differs


async def test_component_styles_are_computed_once_per_path(monkeypatch) -> None:
    computed: list[str] = []
    original = component_styles.Stylesheet._process_component_classes

    def counting(self, node) -> None:
        computed.append(type(node).__name__)
        original(self, node)

    monkeypatch.setattr(component_styles.Stylesheet, "_process_component_classes", counting)
    app = Doc(cached=True)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert computed.count("MarkdownParagraph") == 1  # 40 paragraphs, one path
