"""The composer: Enter sends, the newline keys do not, a huge paste is taken whole."""

from __future__ import annotations

import time

from textual import events

from app.ui.widgets.composer import Composer
from tests.ui.helpers import until
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


def keystrokes(text: str) -> list[events.Key]:
    """`text` as a terminal without bracketed paste sends it: one key each, Enter for a newline."""
    return [events.Key("enter", "\r") if ch == "\n" else events.Key("space" if ch == " " else ch, ch)
            for ch in text]


async def test_a_paste_arriving_as_keystrokes_is_taken_as_a_paste() -> None:
    """Many keys a frame (no bracketed paste): one edit per frame, not one per key. (Before:
    each key re-wrapped the growing text: 20,000 characters took over 300 s.)"""
    text = " ".join(f"line {i}: " + "the quick brown fox " * 4 for i in range(240))  # ~21 KB
    app, composer = hosted(Composer())
    async with app.run_test() as pilot:
        composer.focus()
        edits = 0
        replace = composer.replace

        def counted(*args, **kwargs):
            nonlocal edits
            edits += 1
            return replace(*args, **kwargs)

        composer.replace = counted
        start = time.perf_counter()
        keys = keystrokes(text)
        for at in range(0, len(keys), 500):
            for key in keys[at : at + 500]:
                app.post_message(key)  # as the driver does: the app forwards them to the focus
            await pilot.pause()
        await until(pilot, lambda: composer.text == text, timeout=30)
        assert app.of(Composer.Submitted) == []
        print(f"{len(keys)} keys: {edits} edits, {time.perf_counter() - start:.2f} s")
        assert edits <= len(keys) // 50, edits
        assert time.perf_counter() - start < 30  # 2-6 s here; one edit a key: over 300 s
        await pilot.press("enter")  # the burst is over: Enter sends again, all of it
        await until(pilot, lambda: app.of(Composer.Submitted))
        assert app.of(Composer.Submitted)[0].text == text.rstrip()


async def test_typed_keys_go_in_at_once_and_in_order() -> None:
    app, composer = hosted(Composer())
    async with app.run_test() as pilot:
        composer.focus()
        await pilot.press("a", "b", "left", "x", "backspace", "c", "end", "d")
        assert composer.text == "acbd"
        await pilot.press(*"hi")
        app.post_message(events.Key("backspace", None))
        await until(pilot, lambda: composer.text == "acbdh")
