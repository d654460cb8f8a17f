"""Long text: `PlainText` draws what `Static` draws, at any length, and replies too long
for Markdown switch to it without losing a character."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Markdown, Static

from app.core.store.records import MessageStatus
from app.ui.widgets import plain_text
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.message_view import FLUSH_INTERVAL, MARKDOWN_LIMIT
from app.ui.widgets.plain_text import PlainText, wrap_line
from tests.ui.test_chat_widgets import hosted, record, screen_text

SAMPLE = ("short line\n\n" + "a long line of words that will not fit in thirty cells at all " * 3
          + "\n\ttabbed\tcolumns\n" + "漢字かな交じり文 " * 8 + "\nunbroken" + "x" * 70
          + "\n[b]not bold[/b] [@click=app.quit]x[/]\n")


class SideBySide(App):
    CSS = "Horizontal { height: auto; } Static, PlainText { width: 30; height: auto; }"

    def __init__(self, text: str) -> None:
        super().__init__()
        self.static = Static(text, markup=False)
        self.plain = PlainText(text)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield self.static
            yield self.plain


def lines(widget) -> list[str]:
    return [strip.text for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))]


async def test_plain_text_wraps_exactly_as_static() -> None:
    app = SideBySide(SAMPLE)
    async with app.run_test(size=(80, 60)) as pilot:
        await pilot.pause()
        assert app.plain.size == app.static.size and app.plain.size.height > 10
        assert lines(app.plain) == lines(app.static)
        shown = [row.rstrip() for row in lines(app.plain)]
        assert "[b]not bold[/b]" in shown and "[@click=app.quit]x[/]" in shown  # literal, inert


def test_plain_ascii_lines_wrap_as_textual_wraps_them() -> None:
    """The fast word wrap of plain ASCII lines gives Content.wrap's rows, at any width:
    runs of spaces, words longer than a row, trailing spaces past the width."""
    rng = random.Random(4)
    words = ["a", "lorem", "ipsum", "x" * 30, "", " ", "  ", "dolor-sit", "https://example.com/a?b=c",
             "y" * 90, "~!@#$%^&*()"]
    for _ in range(3000):
        line = "".join(rng.choice(words) + rng.choice(["", " ", "   "]) for _ in range(rng.randint(0, 30)))
        width = rng.randint(1, 100)
        assert wrap_line(line, width) == ([row.plain for row in Content(line).wrap(width)] or [""]), (line, width)


async def test_appending_wraps_only_the_new_text_and_matches_a_fresh_wrap() -> None:
    app = SideBySide("")
    async with app.run_test(size=(80, 60)) as pilot:
        await pilot.pause()
        for start in range(0, len(SAMPLE), 7):  # pieces that cut lines and words anywhere
            app.plain.append(SAMPLE[start:start + 7])
        app.static.update(SAMPLE)
        await pilot.pause()
        assert app.plain.text == SAMPLE
        assert lines(app.plain) == lines(app.static)


async def test_a_megabyte_of_text_is_wrapped_once_per_width(monkeypatch) -> None:
    text = "".join(f"line {i:05d} " + "lorem ipsum dolor sit amet " * 3 + "\n" for i in range(11_000))
    wrapped: list[str] = []

    def counting(line: str, width: int) -> list[str]:
        wrapped.append(line)
        return wrap_line(line, width)

    monkeypatch.setattr(plain_text, "wrap_line", counting)
    app = SideBySide("")
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        wrapped.clear()
        app.plain.update(text)
        await pilot.pause()
        assert app.plain.row_count == 44_001 and len(wrapped) == 11_001  # each line wrapped once
        for _ in range(5):  # layouts at the same width reuse the rows
            app.plain.refresh(layout=True)
            await pilot.pause()
        app.plain.append("one more line")
        await pilot.pause()
        assert len(wrapped) == 11_002  # only the last line again
        assert [row.rstrip() for row in lines(app.plain)[:4]] == [
            "line 00000 lorem ipsum dolor", "sit amet lorem ipsum dolor sit", "amet lorem ipsum dolor sit", "amet"]
        app.plain.styles.width = 60  # a new width: wrapped again, once
        await pilot.pause()
        assert len(wrapped) == 11_002 + 11_001 and app.plain.row_count == 22_001


async def test_a_reply_longer_than_markdown_can_take_streams_on_as_plain_text() -> None:
    part = "## Part {}\n\nSome words in a paragraph, **bold** here.\n\n- point one\n- point two\n\n"
    parts = MARKDOWN_LIMIT // 60 + 200
    text = "".join(part.format(i) for i in range(parts))
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(100, 40)) as pilot:
        view = await pane.add_reply("asi1-agentic")
        view.append(text[:2_000])
        await pilot.pause(FLUSH_INTERVAL * 4)
        assert view.query_one(".message--body").__class__ is not PlainText  # Markdown while short
        for start in range(2_000, len(text), 65_536):
            view.append(text[start:start + 65_536])
        await view.finish(MessageStatus.COMPLETE, message_id=1)
        await pilot.pause()
        pane.scroll_end(animate=False)
        await pilot.pause()
        body = view.query_one(".message--body")
        assert isinstance(body, PlainText) and body.text == text == view.content
        shown = [row.strip() for row in screen_text(app).splitlines()]
        assert "long reply: plain text" in view.query_one(".message--header").render().plain
        # its end is on screen, as written (plain: the Markdown marks show)
        assert f"## Part {parts - 1}" in shown and "Some words in a paragraph, **bold** here." in shown

        await view.set_message(record(2, content="back to **markdown**"))  # a short one: Markdown again
        await pilot.pause()
        assert isinstance(view.query_one(".message--body"), Markdown)
        assert "back to markdown" in screen_text(app)
