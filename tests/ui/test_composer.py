"""The composer: Enter sends, the newline keys do not, a huge paste is taken whole."""

from __future__ import annotations

import time

from textual import events

from app.ui.widgets.composer import Composer
from tests.ui.test_chat_widgets import hosted


async def test_composer_enter_sends_and_newline_keys_do_not() -> None:
    app, composer = hosted(Composer())
    async with app.run_test() as pilot:
        composer.focus()
        await pilot.press("enter", "space", "space", "enter")  # empty / whitespace: nothing
        await pilot.press("h", "i", "ctrl+j", "y", "o", "shift+enter", "space", "enter")
        await pilot.pause()
        assert [m.text for m in app.of(Composer.Submitted)] == ["  hi\nyo"] and composer.text == ""


async def test_composer_takes_a_one_megabyte_paste() -> None:
    big = "\n".join(f"line {i} " + "x" * 90 for i in range(10_500))
    assert len(big) > 1_000_000
    app, composer = hosted(Composer())
    async with app.run_test() as pilot:
        composer.focus()
        start = time.perf_counter()
        app.post_message(events.Paste(big))  # as a terminal does: the app forwards it to the focus
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert time.perf_counter() - start < 3  # ~0.7 s here
        assert [m.text for m in app.of(Composer.Submitted)] == [big] and composer.text == ""
