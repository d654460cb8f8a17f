"""The reasoning pane: live reasoning as it streams, a message's stored reasoning."""

from __future__ import annotations

from app.ui.widgets.reasoning_pane import ParagraphBreaker, ReasoningPane
from tests.ui.helpers import until
from tests.ui.test_chat_widgets import FLUSHED, hosted, record, screen_text


async def test_reasoning_pane_live_and_stored() -> None:
    app, pane = hosted(ReasoningPane())
    async with app.run_test(size=(60, 20)) as pilot:
        pane.start_live()  # not awaited: appends right after it still count
        pane.append("step 0 ")
        await pilot.pause()
        assert pane.border_title == "Reasoning · live" and pane.is_live
        for i in range(1, 2_000):
            pane.append(f"step {i} ")
        pane.append("\n\nlast [b]words[/b]")
        await pilot.pause(FLUSHED)
        await until(pilot, lambda: "last [b]words[/b]" in screen_text(app))  # (paced steps: later under load)
        assert "last [b]words[/b]" in screen_text(app) and pane.text.startswith("step 0 step 1")
        await pane.show_message(record(1, reasoning="stored *why*"))
        await pilot.pause()
        assert pane.border_title == "Reasoning · message"
        assert "stored why" in screen_text(app) and "step 0" not in screen_text(app)
        pane.append("ignored: not live")
        await pane.clear()
        assert pane.text == "" and pane.border_title == "Reasoning" and not pane.is_live
        # Short live text, then a stored message: it must show from the top.
        await pane.start_live()
        pane.append("short")
        await pilot.pause(FLUSHED)
        await pane.show_message(record(2, reasoning="stored again"))
        await pilot.pause()
        assert "stored again" in screen_text(app).splitlines()[1]
        await pane.show_message(record(3, reasoning=""))
        await pilot.pause()
        assert "No reasoning for this message." in screen_text(app) and pane.text == ""


def test_paragraph_breaker_splits_long_paragraphs_but_not_code() -> None:
    text = "".join(f"Sentence number {i}. " for i in range(20))
    shown = ParagraphBreaker(limit=40).feed(text)
    assert all(len(paragraph) <= 80 for paragraph in shown.split("\n\n"))
    assert shown.replace("\n\n", " ").split() == text.split()
    code = "```\n" + "x = 1. y = 2. " * 20 + "\n```\n"
    table = "| a | b |\n|---|---|\n" + "| 1. 2. 3 | 4. 5 |\n" * 10
    assert ParagraphBreaker(limit=40).feed(code) == code and ParagraphBreaker(limit=40).feed(table) == table


async def test_short_live_reasoning_reads_from_the_top() -> None:
    """Live reasoning shorter than the pane starts at its top line (as a stored one does);
    once it is longer, the pane follows its end."""
    app, pane = hosted(ReasoningPane())
    async with app.run_test(size=(60, 20)) as pilot:
        await pane.start_live()
        pane.append("short thought")
        await pilot.pause(FLUSHED)
        await pilot.pause()
        assert "short thought" in screen_text(app).splitlines()[1]
        for i in range(300):
            pane.append(f"step {i} ")
        pane.append("\n\nlast words")
        await pilot.pause(FLUSHED)
        await pilot.pause()
        assert "last words" in screen_text(app) and "short thought" not in screen_text(app)
        pane.scroll_home(animate=False)  # the user scrolls up to read: more text leaves the view there
        await pilot.pause()
        pane.append(" more")
        await pilot.pause(FLUSHED)
        await pilot.pause()
        assert "short thought" in screen_text(app) and pane.text.endswith("last words more")
