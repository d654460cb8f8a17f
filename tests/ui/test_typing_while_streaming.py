"""Typing while a long reply streams in: the keys go first, the reply still arrives whole.

A fast model outruns the screen, and rendering the backlog back to back left each key
waiting for a rendering step and the frame after it. While the user types, a step
starts only after a key's echo has been drawn, and no more often than TYPING_INTERVAL.
"""

from __future__ import annotations

import asyncio
import time

from textual import events
from textual.widgets import Markdown

from app.ui.widgets.render_pacing import TYPING_INTERVAL, TYPING_MAX_GAP
from tests.ui.helpers import build_app, idle, turns, until, view

# A fast typist (a key every 40 ms) for longer than the longest gap between steps.
TYPED = ("whatcomesnextafterthis" * 4)[:int((TYPING_MAX_GAP + 1.0) / 0.04)]


def type_key(app, letter: str) -> None:
    app.post_message(events.Key(letter, letter))


async def test_keys_pace_a_streaming_reply_which_still_completes(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view(app).composer.text = "!sim:tokens=30000 go"
        app.post_message(events.Key("enter", None))  # (Pilot's press would wait for the whole reply)
        while not (len(view(app).chat_pane.message_views()) == 2
                   and view(app).chat_pane.message_views()[-1].query_one(Markdown).source):
            await asyncio.sleep(0.005)
        shown = view(app).chat_pane.message_views()[-1]
        steps: list[float] = []
        stream = shown._stream
        render_step = stream._step

        async def counted() -> None:
            steps.append(time.perf_counter())
            await render_step()

        type_key(app, TYPED[0])
        stream._step = counted
        started = time.perf_counter()
        for letter in TYPED[1:]:
            await asyncio.sleep(0.04)  # a fast typist, as the terminal delivers the keys
            type_key(app, letter)
        await asyncio.sleep(0.04)
        typing = time.perf_counter() - started
        assert shown.status == "streaming" or steps, "the reply was still coming in"
        assert view(app).composer.text == TYPED  # every key arrived, in order
        during = [t for t in steps if t <= started + typing]
        gaps = [later - earlier for earlier, later in zip(during, during[1:])]
        assert during, "the reply kept coming in while the user typed"
        assert all(gap >= TYPING_INTERVAL * 0.9 for gap in gaps), gaps
        assert len(during) <= typing / TYPING_INTERVAL + 1
        await idle(app, pilot)  # and once the user stops, the rest comes at full speed
        assert shown.status == "complete"
        assert shown.query_one(Markdown).source.rstrip() == shown.content.rstrip()
        assert app.store.messages(view(app).conversation_id)[-1].content == shown.content
        assert TYPING_MAX_GAP > TYPING_INTERVAL
        # Finished: keys no longer call into the reply's stream.
        assert shown._stream is None and not app.input_activity._echo_listeners
        type_key(app, "x")
        await idle(app, pilot)
        assert view(app).composer.text == TYPED + "x"


async def test_enter_while_the_last_lines_are_drawn_sends_right_after(sim, db_path) -> None:
    """The next message, typed and sent while the stored reply is still being drawn (keys
    slow the drawing down), is sent as soon as it is drawn: not refused, not lost."""
    app = build_app(sim, db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view(app).composer.text = "!sim:tokens=30000 go"
        app.post_message(events.Key("enter", None))
        while not turns(app):
            await asyncio.sleep(0.005)
        while turns(app):  # the reply is stored whole; its last lines may still be drawn
            await asyncio.sleep(0.005)
        for letter in "next":
            type_key(app, letter)
            await asyncio.sleep(0.04)
        app.post_message(events.Key("enter", None))
        deadline = time.monotonic() + 15
        while len(sim.requests) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await idle(app, pilot)
        assert view(app).composer.text == ""
        assert [m.content for m in app.store.messages(view(app).conversation_id) if m.role == "user"] == [
            "!sim:tokens=30000 go", "next"]
        assert [v.status for v in view(app).chat_pane.message_views()] == ["complete"] * 4


async def test_the_prompts_own_keys_never_pace_its_reply(sim, db_path) -> None:
    """Typing the prompt then pressing Enter: the reply renders at full speed (the keys
    typed before the turn started are not "the user is typing")."""
    app = build_app(sim, db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view(app).composer.text = "!sim:tokens=3000 "
        view(app).composer.action_cursor_line_end()
        for letter in "go":
            type_key(app, letter)
        await pilot.pause()
        assert view(app).composer.text == "!sim:tokens=3000 go"
        app.post_message(events.Key("enter", None))
        while not (len(view(app).chat_pane.message_views()) == 2
                   and view(app).chat_pane.message_views()[-1]._stream is not None):
            await asyncio.sleep(0.002)
        shown = view(app).chat_pane.message_views()[-1]
        assert app.input_activity.typing_recently()  # the prompt's keys were just typed...
        assert not shown._stream.typing  # ...but not during this turn
        await until(pilot, lambda: shown.status == "complete", timeout=30)
        assert shown.query_one(Markdown).source.rstrip() == shown.content.rstrip()
