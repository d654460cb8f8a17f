"""ChatMarkdown (a fork of Textual's Markdown with fewer widgets) draws what Markdown draws.

The same document is drawn by Textual's own `Markdown` and by `ChatMarkdown`, each alone
on a tall screen, and every line of the screen compared: text and styles. Once whole,
and once streamed in small chunks (as a reply arrives), also through the chat's
`PacedMarkdownStream`. The document is long enough for sections (`SECTION_SIZE`).
"""

from __future__ import annotations

import re

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Markdown

from app.ui.widgets.chat_markdown import ChatMarkdown, MarkdownSection
from app.ui.widgets.paced_markdown import PacedMarkdownStream

SIZE = (90, 420)

PARTS = [
    "# A title\n\nOpening paragraph with **bold**, *em*, `code`, ~~struck~~ and a [link](https://example.com).\n",
    "## Lists\n\n- one\n- two with **bold**\n- three, long enough to wrap across the width of the column "
    "so the hanging indent shows up on the second line of the item\n",
    "1. first\n2. second\n3. third\n\n3. starts at three\n4. four\n",
    "- outer\n  - nested item\n  - another\n- back out\n\n- item with two paragraphs\n\n  second paragraph\n",
    "```python\ndef f(x):\n    return x * 2\n```\n",
    "> a quote\n> over two lines\n\n---\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n| three | four |\n",
]
DOCUMENT = "\n".join(PARTS) + "\n" + "\n".join(
    f"### Section {i}\n\nParagraph {i} with some words to wrap, and `inline code` here and there, "
    f"enough of them for two lines at this width at least, **bold {i}** too.\n\n- a {i}\n- b {i}\n"
    for i in range(30))


class One(App[None]):
    """Shows one document widget (Markdown or ChatMarkdown) alone."""

    def __init__(self, widget: Markdown) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def visible(style, text: str) -> tuple:
    """What a person sees of a segment's style: on blanks only the background (and lines)."""
    if style is None:
        return ()
    seen = (style.bgcolor, style.underline, style.strike, style.reverse)
    if text.strip():
        seen += (style.color, style.bold, style.italic, style.dim)
    return seen


def drawn(app: App) -> list[list[tuple[str, tuple]]]:
    """Every line of the screen as (text, visible style) runs."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        merged: list[tuple[str, tuple]] = []
        for segment in strip:
            for part in re.split(r"( +)", segment.text):
                if not part:
                    continue
                seen = visible(segment.style, part)
                if merged and merged[-1][1] == seen:
                    merged[-1] = (merged[-1][0] + part, seen)
                else:
                    merged.append((part, seen))
        lines.append(merged)
    return lines


def text_of(lines) -> list[str]:
    return ["".join(text for text, _ in line).rstrip() for line in lines]


async def draw_static(widget: Markdown):
    app = One(widget)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        return drawn(app), len(widget.query(MarkdownSection))


async def draw_streamed(widget: Markdown, *, paced: bool = False, chunk: int = 9):
    app = One(widget)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if paced:
            stream = PacedMarkdownStream(widget)
            stream.start()
            for start in range(0, len(DOCUMENT), chunk):
                stream.feed(DOCUMENT[start:start + chunk])
                if start % (chunk * 40) == 0:
                    await pilot.pause()
            await stream.stop()
        else:
            for start in range(0, len(DOCUMENT), chunk):
                await widget.append(DOCUMENT[start:start + chunk])
        await pilot.pause()
        await pilot.pause()
        assert widget.source == DOCUMENT
        return drawn(app), len(widget.query(MarkdownSection))


def assert_same(mine, theirs) -> None:
    assert text_of(mine) == text_of(theirs)
    assert mine == theirs  # the styles too


async def test_static_document_draws_as_textual_markdown() -> None:
    theirs, _ = await draw_static(Markdown(DOCUMENT))
    mine, sections = await draw_static(ChatMarkdown(DOCUMENT))
    assert any("Section 29" in line for line in text_of(theirs))  # all of it is on the screen
    assert sections >= 2  # the fork's sections are in play (more than SECTION_SIZE blocks)
    assert_same(mine, theirs)


@pytest.mark.parametrize("paced", [False, True], ids=["appended", "paced stream"])
async def test_streamed_document_draws_as_textual_markdown(paced: bool) -> None:
    theirs, _ = await draw_streamed(Markdown())
    mine, sections = await draw_streamed(ChatMarkdown(), paced=paced)
    assert any("Section 29" in line for line in text_of(theirs))
    assert sections >= 2
    assert_same(mine, theirs)
