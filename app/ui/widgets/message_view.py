"""One chat message: a header line, the body, and a card per delivered image."""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress

from rich.text import Text
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.message import Message as TextualMessage
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import MountError, Widget
from textual.widgets import Markdown, Static

from app.core.links import image_sources, shown_text
from app.core.records import Message, MessageStatus, Role
from app.ui.widgets.chat_markdown import ChatMarkdown
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.main_screen import GcTuning
from app.ui.widgets.plain_text import PlainText
from app.ui.widgets.shown_reply import ShownReply
from app.ui.widgets.render_pacing import (
    FLUSH_INTERVAL,
    SLOW_FRAME,
    TYPING_INTERVAL,
    TYPING_MAX_GAP,
    StepSizer,
    key_waiting,
    user_typing,
)

MARKDOWN_LIMIT = 200_000
"""Characters beyond which a reply is shown as plain text. Textual's Markdown renders
about 25 KB a second here and keeps a widget per block: a 5 MB reply would take minutes
and the layout of its blocks would slow every frame after. Plain text of any length is
wrapped once and drawn a line at a time (`PlainText`); the reply is stored as received."""

_ROLE_NAMES = {Role.USER: "You", Role.ASSISTANT: "ASI:One", Role.SYSTEM: "System"}
_STATUS_MARKS = {
    MessageStatus.INTERRUPTED: "⚠ interrupted",
    MessageStatus.ERROR: "✖ error",
    MessageStatus.AWAITING_AGENT: "⏳ waiting for agent",
}


class MessageView(Widget, can_focus=True):
    """A message in the chat pane, either stored or streaming in.

    Assistant bodies are `Markdown(open_links=False)`: link clicks bubble up as
    `Markdown.LinkClicked` for the app to handle. Other roles are plain text. No
    server text is ever parsed as Textual markup.
    """

    class Selected(TextualMessage):
        """The message got focus; the app shows its reasoning."""

        def __init__(self, message_view: MessageView) -> None:
            super().__init__()
            self.message_view = message_view
            """The focused message."""

        @property
        def control(self) -> MessageView:
            """Alias of `message_view`, for `@on(..., selector)`."""
            return self.message_view

    status: reactive[str] = reactive(MessageStatus.COMPLETE, init=False)
    """One of `MessageStatus`; drives the header marker and a `-<status>` CSS class."""

    error: reactive[str | None] = reactive(None, init=False)
    """Error text shown after the error marker (server text: rendered literally)."""

    def __init__(self, message: Message | None = None, *, role: str = Role.ASSISTANT,
                 model: str | None = None, content: str = "", message_id: int | None = None,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            message: A stored message; None for a new one (then `role`, `model`,
                `content` and `message_id` describe it).
            role: The role of a new message.
            model: The model answering a new assistant message.
            content: Initial text of a new message.
            message_id: Id of a new message, if it is already stored.
        """
        if message is not None:
            role, model, content, message_id = message.role, message.model, message.content, message.id
        status = (message.status if message else
                  MessageStatus.STREAMING if role == Role.ASSISTANT else MessageStatus.COMPLETE)
        # Classes given to the constructor cost nothing; add_class() would restyle the
        # whole subtree. The status class lives on the one-line header for that reason:
        # changing it must not restyle the hundreds of blocks of a long reply.
        state_classes = f"-{role}"
        super().__init__(name=name, id=id, classes=f"{classes} {state_classes}" if classes else state_classes)
        self.role = role
        """The message's role (`Role`)."""
        self.model = model
        """The model that wrote an assistant message, if known."""
        self.message_id = message_id
        """The stored message's id, once known."""
        # `_text` is what the body shows; tokens land in `_pending` until the next flush.
        self._text = content
        self._pending: list[str] = []
        self._reasoning: list[str] = [message.reasoning] if message and message.reasoning else []
        self._sizer = StepSizer()
        self._step_due = False  # a step is scheduled to run after the next frame
        self._frame_cost = 0.0  # seconds the frame after the last step took
        self._last_flush = 0.0
        self._steps = asyncio.Lock()  # one rendering step at a time
        self._key_echoed = asyncio.Event()  # set when a typed key has been drawn
        self._timer: Timer | None = None
        self._image_urls: list[str] = []
        self._shown = ShownReply()  # the body never gets inline images' base64
        self.set_reactive(MessageView.status, status)
        self.set_reactive(MessageView.error, message.error if message else None)

    # -- state ---------------------------------------------------------------

    @property
    def content(self) -> str:
        """The full text so far, including what has not been rendered yet."""
        return self._text + "".join(self._pending) if self._pending else self._text

    @property
    def reasoning(self) -> str:
        """The reasoning text so far."""
        if len(self._reasoning) > 1:
            self._reasoning[:] = ["".join(self._reasoning)]
        return self._reasoning[0] if self._reasoning else ""

    @property
    def image_urls(self) -> list[str]:
        """URLs of the image cards shown under the body, in order."""
        return list(self._image_urls)

    @property
    def _live(self) -> bool:
        # Mounted and still in the DOM: a view can outlive its place in the pane.
        return self.is_mounted and self.is_attached

    # -- composing -------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._header(), classes=f"message--header -{self.status}")
        text = self._text = self.content
        self._pending.clear()
        body = self._body_for(text)
        if isinstance(body, ChatMarkdown):
            body.parking = self.status == MessageStatus.STREAMING
        yield body
        if self.status in MessageStatus.SETTLED and self.role == Role.ASSISTANT:
            self._image_urls = image_sources(text)
            yield from (ImageCard(url) for url in self._image_urls)

    def on_mount(self) -> None:
        if self.status == MessageStatus.STREAMING:
            self._timer = self.set_interval(FLUSH_INTERVAL, self._tick, name="message-flush")
            GcTuning.stream_started(self)
            if (key_echoed := getattr(self.app, "key_echoed", None)) is not None:
                key_echoed.subscribe(self, self._on_key_echo, immediate=True)

    def unpark(self) -> None:
        """Bring back into layout what streaming parked (the user scrolls up to read it)."""
        if self._live:
            body = self.query_one(".message--body")
            if isinstance(body, ChatMarkdown):
                body.unpark_all()

    def on_focus(self) -> None:
        self.unpark()  # it scrolls into view
        self.post_message(self.Selected(self))

    def _plain(self, text: str) -> bool:
        return self.role != Role.ASSISTANT or len(shown_text(text)) > MARKDOWN_LIMIT

    def _body_for(self, text: str) -> ChatMarkdown | PlainText:
        shown = self._shown.of(text)
        if self._plain(text):
            return PlainText(shown, classes="message--body")
        return ChatMarkdown(shown, open_links=False, classes="message--body")

    @property
    def shown_as_plain_text(self) -> bool:
        """An assistant reply too long for Markdown (see `MARKDOWN_LIMIT`)."""
        return self.role == Role.ASSISTANT and self._plain(self.content)

    def _header(self) -> Text:
        name = _ROLE_NAMES.get(self.role, self.role.title())
        header = Text(name, style="bold")
        if self.role == Role.ASSISTANT and self.model:
            header.append(f" · {self.model}", style="dim")
        if self.shown_as_plain_text:
            header.append("  long reply: plain text", style="dim")
        if mark := _STATUS_MARKS.get(self.status):
            header.append("  ")
            header.append(mark, style="bold")
            if self.status == MessageStatus.ERROR and self.error:
                header.append(f": {self.error}")
        return header

    def _refresh_header(self) -> None:
        if self._live:
            self.query_one(".message--header", Static).update(self._header())

    def watch_status(self, old: str, new: str) -> None:
        if self._live:
            header = self.query_one(".message--header", Static)
            header.remove_class(f"-{old}")
            header.add_class(f"-{new}")
        self._refresh_header()

    def watch_error(self) -> None:
        self._refresh_header()

    # -- streaming -------------------------------------------------------------

    def append(self, text: str) -> None:
        """Add streamed content; cheap, rendered by the next flush."""
        self._pending.append(text)

    def append_reasoning(self, text: str) -> None:
        """Add streamed reasoning; cheap, only buffered."""
        self._reasoning.append(text)

    async def _tick(self) -> None:
        if self._step_due:
            return
        since = time.perf_counter() - self._last_flush
        if user_typing(self.app):
            if since < TYPING_MAX_GAP:
                return  # keys pace the steps now (`_on_key_echo`); this only keeps it going
        elif self._frame_cost > SLOW_FRAME and since < 2 * FLUSH_INTERVAL:
            return
        await self._flush()

    def _on_key_echo(self, _: object) -> None:
        """A typed key is on screen: the next key is furthest away, the time for a step."""
        self._key_echoed.set()
        if (self._timer is not None and self._pending and not self._step_due
                and time.perf_counter() - self._last_flush >= TYPING_INTERVAL):
            self.call_next(self._flush, after_key=True)

    def _frame_done(self, started: float) -> None:
        self._frame_cost = time.perf_counter() - started

    def _step_after_frame(self) -> None:
        self._step_due = True
        self.call_after_refresh(self._flush)

    async def _flush(self, *, after_key: bool = False) -> None:
        """Render (a step of) the content that arrived since the last flush."""
        self._step_due = False
        if not self._pending or self._steps.locked():
            return
        if key_waiting(self.app) and not after_key:
            self._step_after_frame()
            return
        self._last_flush = time.perf_counter()
        async with self._steps:
            await self._render_step()
        self.call_after_refresh(self._frame_done, time.perf_counter())
        if self._pending and self._timer is not None and not user_typing(self.app):
            # A backlog: the next step goes right after the next frame, not a tick later.
            self._step_after_frame()

    async def _typing_pause(self) -> None:
        """While the user types, wait for a key's echo (`TYPING_INTERVAL` after the last
        step at least), or `TYPING_MAX_GAP` at most."""
        deadline = self._last_flush + TYPING_MAX_GAP
        while user_typing(self.app) and (left := deadline - time.perf_counter()) > 0:
            self._key_echoed.clear()
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._key_echoed.wait(), left)
            if self._key_echoed.is_set() and time.perf_counter() - self._last_flush >= TYPING_INTERVAL:
                return

    async def _render_step(self) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        live = self._live  # the pane may have dropped this view (another conversation was opened)
        body = self.query_one(".message--body") if live else None
        if await self._shown.step(self, body, text):  # an inline image: never its base64
            return
        if isinstance(body, ChatMarkdown) and len(self._text) + len(text) > MARKDOWN_LIMIT:
            # Too long for Markdown: the whole reply as plain text, from now on.
            self._text += text
            await self._replace_body(self._text)
            self._refresh_header()
            return
        if isinstance(body, PlainText):  # cheap at any length: all of it, now
            self._text += text
            body.append(text)
            return
        fragment = text if body is None else text[:self._sizer.size(typing=user_typing(self.app))]
        if len(fragment) < len(text):
            self._pending.append(text[len(fragment):])
        self._text += fragment
        if not fragment or body is None:
            return
        started = time.perf_counter()
        try:
            await body.append(fragment)
        except MountError:
            if self._live:
                raise  # else: dropped mid-append; its text is kept in `_text`
        self._sizer.measured(len(fragment), time.perf_counter() - started)

    async def _stop_streaming(self, *, render_rest: bool = True) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        async with self._steps:
            while self._pending:
                if not render_rest:
                    self._text, self._pending[:] = self.content, []
                    break
                if user_typing(self.app):  # paced by keys, as while streaming
                    await self._typing_pause()
                self._last_flush = time.perf_counter()
                await self._render_step()
                if self._pending:  # (none after the last: the final state shares its frame)
                    await asyncio.sleep(0)  # keys, and frames when due, between steps
        if (key_echoed := getattr(self.app, "key_echoed", None)) is not None:
            key_echoed.unsubscribe(self)  # the last step is drawn: keys pace nothing here now
        GcTuning.stream_stopped(self)

    async def finish(self, status: str, *, message_id: int | None = None, error: str | None = None,
                     content: str | None = None) -> None:
        """End streaming: render the rest, set the final state, show image cards.

        Args:
            status: The final `MessageStatus`.
            message_id: The stored message's id, if known now.
            error: Error text to show with an error status.
            content: The final text, when it differs from what streamed.
        """
        await self._stop_streaming()
        if self._live and isinstance(body := self.query_one(".message--body"), ChatMarkdown):
            body.parking = False  # what is parked stays so until the user scrolls up
        if content is not None and content != self.content:
            self._text = content
            await self._set_body(content)
        if message_id is not None:
            self.message_id = message_id
        self.error = error
        self.status = status
        await self._show_images(self.content)

    def set_message(self, message: Message) -> AwaitComplete:
        """Show a stored message at once: body, image cards and status (no stream).

        Returns:
            An optionally awaitable object that completes when everything is mounted.
        """
        async def apply() -> None:
            await self._stop_streaming(render_rest=False)  # the body is replaced below
            self.remove_class(f"-{self.role}").add_class(f"-{message.role}")
            self.role, self.model, self.message_id = message.role, message.model, message.id
            self._text = message.content
            self._reasoning[:] = [message.reasoning] if message.reasoning else []
            await self._set_body(message.content)
            self.error = message.error
            self.status = message.status
            self._refresh_header()
            if message.status in MessageStatus.SETTLED:
                await self._show_images(message.content)

        return AwaitComplete(apply())

    async def _set_body(self, text: str) -> None:
        if not self._live:
            return
        body = self.query_one(".message--body")
        if isinstance(body, PlainText) != self._plain(text):
            await self._replace_body(text)
        elif isinstance(body, Markdown):
            await body.update(self._shown.of(text))
        else:
            body.update(self._shown.of(text))

    async def _replace_body(self, text: str) -> None:
        """Show `text` in a body of the kind it needs (Markdown or plain), replacing the old one."""
        old = self.query_one(".message--body")
        await old.remove()
        await self.mount(self._body_for(text), after=self.query_one(".message--header"))

    async def _show_images(self, text: str) -> None:
        urls = image_sources(text) if self.role == Role.ASSISTANT else []
        if not self._live:
            self._image_urls = urls
            return
        if urls == self._image_urls and len(self.query_children(ImageCard)) == len(urls):
            return
        await self.query_children(ImageCard).remove()
        self._image_urls = urls
        if urls:
            await self.mount_all([ImageCard(url) for url in urls])
