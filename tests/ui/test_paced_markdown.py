"""The paced stream of streamed Markdown, and the input activity that paces it."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.widgets import Markdown

from app.ui.input_activity import KEY_PRIORITY, TYPING_WINDOW, InputActivity
from app.ui.widgets.chat_markdown import ChatMarkdown
from app.ui.widgets.paced_markdown import PacedMarkdownStream


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_typing_counts_only_keys_after_since_and_within_the_window() -> None:
    clock = Clock()
    activity = InputActivity(clock=clock)
    assert not activity.typing_recently()  # never typed
    activity.typed()  # a key of the prompt
    clock.now += 0.06
    turn_started = clock.now  # Enter
    assert activity.typing_recently() and not activity.typing_recently(since=turn_started)
    assert not activity.key_just_typed(since=turn_started)
    clock.now += 0.2
    activity.typed()  # typed while the reply comes in
    assert activity.typing_recently(since=turn_started) and activity.key_just_typed(since=turn_started)
    clock.now += KEY_PRIORITY
    assert not activity.key_just_typed(since=turn_started) and activity.typing_recently(since=turn_started)
    clock.now += TYPING_WINDOW
    assert not activity.typing_recently(since=turn_started)


def test_echo_listeners_are_told_until_forgotten() -> None:
    activity = InputActivity()
    heard: list[str] = []
    listener = lambda: heard.append("echo")  # noqa: E731
    activity.listen(listener)
    activity.listen(listener)  # once is enough
    activity.echoed()
    activity.forget(listener)
    activity.forget(listener)  # again is fine
    activity.echoed()
    assert heard == ["echo"]


class OneDocument(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatMarkdown()


async def test_keys_typed_before_the_stream_started_never_slow_it() -> None:
    activity = InputActivity()
    app = OneDocument()
    async with app.run_test() as pilot:
        markdown = app.query_one(ChatMarkdown)
        activity.typed()  # the prompt's last key, just before Enter
        stream = PacedMarkdownStream(markdown, activity)
        assert not stream.typing  # the prompt does not count
        activity.typed()  # a key while the reply streams in
        assert stream.typing
        await pilot.pause()


async def test_the_stream_renders_everything_fed_and_stop_can_drop_the_rest() -> None:
    app = OneDocument()
    async with app.run_test() as pilot:
        markdown = app.query_one(Markdown)
        stream = PacedMarkdownStream(markdown, transform=str.upper)
        stream.start()
        text = "".join(f"word{i} " for i in range(3000))
        for start in range(0, len(text), 7):
            stream.feed(text[start:start + 7])  # only buffered
        assert markdown.source == "" and stream.pending == text.upper()
        await stream.stop()  # renders the rest, in steps
        assert markdown.source == text.upper() and stream.pending == ""

        await markdown.update("")
        dropped = PacedMarkdownStream(markdown)
        dropped.start()
        dropped.feed("never shown")
        await dropped.stop(render_rest=False)
        await pilot.pause()
        assert markdown.source == ""


async def test_the_rest_rendered_by_stop_still_goes_on_key_echoes() -> None:
    # While the user types, each step waits for a key's echo: stop() renders the rest of
    # a long reply the same way, so it must go on hearing them until the rest is drawn.
    activity = InputActivity()
    app = OneDocument()
    async with app.run_test() as pilot:
        markdown = app.query_one(Markdown)
        stream = PacedMarkdownStream(markdown, activity)
        stream.start()
        stream.feed("".join(f"word{i} " for i in range(600)))
        activity.typed()  # the user types while the reply comes in
        heard_while_finishing: list[bool] = []

        async def keep_typing() -> None:
            while not stopped.done():
                heard_while_finishing.append(stream._key_echoed in activity._echo_listeners)
                activity.typed()
                activity.echoed()
                await pilot.pause(0.03)

        stopped = asyncio.ensure_future(stream.stop())
        await keep_typing()
        await stopped
        assert heard_while_finishing and all(heard_while_finishing)
        assert markdown.source.endswith("word599 ")
        assert stream._key_echoed not in activity._echo_listeners  # forgotten once done
