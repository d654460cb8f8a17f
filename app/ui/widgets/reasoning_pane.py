"""The right-hand pane: the model's reasoning, live or for a selected message."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from contextlib import suppress

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from app.core.store.records import Message
from app.ui.input_activity import InputActivity
from app.ui.widgets.message_view import MessageView
from app.ui.widgets.paced_markdown import PacedMarkdownStream
from app.ui.widgets.render_pacing import FLUSH_INTERVAL
from app.ui.widgets.tool_calls import ToolCallList

__all__ = ["FLUSH_INTERVAL", "ParagraphBreaker", "ReasoningPane"]

TITLE = "Reasoning"
LONG_PARAGRAPH = 1_500
"""Characters after which a paragraph is split where that is harmless (see ParagraphBreaker)."""

NO_REASONING = "*No reasoning for this message.*"
_FENCES = ("```", "~~~")


class ParagraphBreaker:
    """Splits over-long paragraphs of streamed Markdown for display.

    `MarkdownStream` re-parses and re-renders the last block on every flush, so
    reasoning that never leaves one paragraph (no blank line for 20,000 tokens)
    would cost more on every flush. Past `limit` characters, the next line break
    or sentence end (". ") outside code fences and tables becomes a blank line
    (past twice the limit, any space).
    """

    def __init__(self, limit: int = LONG_PARAGRAPH) -> None:
        self.limit = limit
        self._run = 0  # characters since the last blank line
        self._line = ""  # the start of the current line (enough to spot fences and tables)
        self._in_fence = False

    def _breakable(self) -> bool:
        line = self._line.lstrip()
        return not self._in_fence and not line.startswith(_FENCES) and not line.startswith("|")

    def feed(self, text: str) -> str:
        """The display form of the next piece of the stream."""
        out: list[str] = []
        for part in re.split(r"(\n)", text):
            if part == "\n":
                if self._line.lstrip().startswith(_FENCES):
                    self._in_fence = not self._in_fence
                if not self._line.strip():
                    self._run = 0
                elif self._run > self.limit and self._breakable():
                    out.append("\n")
                    self._run = 0
                self._line = ""
                out.append(part)
                continue
            while part:
                if len(self._line) < 8:
                    self._line = (self._line + part)[:8]
                if self._run + len(part) <= self.limit or not self._breakable():
                    break
                start = max(0, self.limit - self._run)
                cut, keep = part.find(". ", start), 1
                if cut < 0 and self._run + len(part) > 2 * self.limit:
                    # No sentence end for a long while: any space will do.
                    cut, keep = part.find(" ", max(0, 2 * self.limit - self._run)), 0
                if cut < 0:
                    break
                out.append(part[: cut + keep] + "\n\n")
                part = part[cut + keep + 1:]
                self._run, self._line = 0, ""
            self._run += len(part)
            out.append(part)
        return "".join(out)


class ReasoningPane(VerticalScroll):
    """Shows reasoning as Markdown (`open_links=False`; links bubble up as `Markdown.LinkClicked`).

    Live reasoning goes through a `PacedMarkdownStream` (as replies do), which re-parses
    only the last block on each step, so long streams stay cheap. The methods that change the
    document return an optionally awaitable object; they run in call order.
    """

    def __init__(self, *, activity: InputActivity | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """`activity`: the user's typing, which paces live reasoning (see `PacedMarkdownStream`)."""
        super().__init__(name=name, id=id, classes=classes)
        self._activity = activity
        self._pending: list[str] = []  # live text that came before its stream was made
        self._source: list[str] = []  # the text as received; the document may hold extra breaks
        self._following = False
        self._stream: PacedMarkdownStream | None = None
        # Document changes are async; the lock keeps them in the order they were asked for.
        self._lock = asyncio.Lock()
        self.border_title = TITLE

    def compose(self) -> ComposeResult:
        yield ToolCallList(classes="reasoning--tools")
        yield Markdown(open_links=False, classes="reasoning--body")

    def show_tool_call(self, call_id: str, name: str, args: str, result: str | None) -> None:
        """Show a tool call of the live reply (ignored when not live)."""
        if self._following:
            self.query_one(ToolCallList).show_call(call_id, name, args, result)

    async def on_unmount(self) -> None:
        # A live stream's task would be destroyed pending when the app exits (a warning
        # on every run); what it still holds has nowhere to go.
        stream, self._stream = self._stream, None
        if stream is not None:
            with suppress(Exception):
                await stream.stop(render_rest=False)

    @property
    def text(self) -> str:
        """The reasoning shown, as received, including live text not rendered yet."""
        if len(self._source) > 1:
            self._source[:] = ["".join(self._source)]
        return self._source[0] if self._source else ""

    @property
    def is_live(self) -> bool:
        """True between `start_live()` and the next `show_message()` / `clear()`."""
        return self._following

    def _set_source(self, text: str, *, live: bool) -> None:
        # Done synchronously, so an append() right after start_live() is kept.
        self._following = live
        self._pending.clear()
        self._source[:] = [text] if text else []
        for tools in self.query(ToolCallList):  # another reply: its calls are not these
            tools.clear()

    def _run(self, coroutine) -> AwaitComplete:
        async def locked() -> None:
            async with self._lock:
                await coroutine

        return AwaitComplete(locked())

    async def _replace(self, document: str, title: str, *, live: bool) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.stop(render_rest=False)  # the document is replaced
        markdown = self.query_one(Markdown)
        await markdown.update(document)
        self.border_title = title
        self.set_class(live, "-live")
        # Live text is followed once it fills the pane (`_follow_end`); until then it
        # reads from the top. (Anchoring leaves a negative scroll_y when the text is
        # shorter than the pane: it would sit at the bottom.)
        self.anchor(False)
        self.scroll_target_y = self.scroll_y = 0
        if live and self._following:
            self._stream = PacedMarkdownStream(markdown, self._activity, transform=ParagraphBreaker().feed)
            self._stream.start()
            self._stream.feed("".join(self._pending))
            self._pending.clear()

    def start_live(self) -> AwaitComplete:
        """Clear the pane and follow a reply's reasoning as it streams in."""
        self._set_source("", live=True)
        return self._run(self._replace("", f"{TITLE} · live", live=True))

    def append(self, text: str) -> None:
        """Add live reasoning; cheap, rendered by the next flush. Ignored when not live."""
        if self._following and text:
            self._source.append(text)
            if self._stream is not None:
                self._stream.feed(text)
            else:
                self._pending.append(text)

    def show_message(self, view_or_message: MessageView | Message,
                     tool_calls: Iterable[tuple[str, str, str, str | None]] = ()) -> AwaitComplete:
        """Show the stored reasoning of a message (a `MessageView` or a `Message`), and its
        stored tool calls as (id, name, args, result)."""
        reasoning = getattr(view_or_message, "reasoning", "") or ""
        self._set_source(reasoning, live=False)
        tools = self.query_one(ToolCallList)
        for call in tool_calls:
            tools.show_call(*call)
        document = ParagraphBreaker().feed(reasoning) if reasoning.strip() else NO_REASONING
        return self._run(self._replace(document, f"{TITLE} · message", live=False))

    def end_live(self) -> AwaitComplete:
        """The reply is over (or failed): its reasoning stays on show, no longer live."""
        async def end() -> None:
            if not self._following:
                return  # the user picked another message or conversation meanwhile
            self._following = False
            stream, self._stream = self._stream, None
            if stream is not None:
                await stream.stop()  # renders what is still buffered
            self.border_title = f"{TITLE} · message"
            self.set_class(False, "-live")
            self.anchor(False)
            if self.max_scroll_y == 0:  # short: it reads from the top
                self.scroll_target_y = self.scroll_y = 0
            if not self._source:
                await self.query_one(Markdown).update(NO_REASONING)

        return self._run(end())

    def clear(self) -> AwaitComplete:
        """Empty the pane and stop following live reasoning."""
        self._set_source("", live=False)
        return self._run(self._replace("", TITLE, live=False))

    def watch_virtual_size(self) -> None:
        if self._following and not self.is_anchored:
            self.call_later(self._follow_end)  # once the new size is in place

    def _follow_end(self) -> None:
        """Live text longer than the pane: follow its end (until the user scrolls up)."""
        if self._following and not self.is_anchored and self.max_scroll_y > 0:
            self.anchor()
