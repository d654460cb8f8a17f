"""One chat message: a header line, the body, and a card per delivered image."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.message import Message as TextualMessage
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Markdown, Static

from app.core.links import image_sources, shown_text
from app.core.store.records import Message, MessageStatus, Role
from app.ui.input_activity import InputActivity
from app.ui.widgets.chat_markdown import ChatMarkdown
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.paced_markdown import PacedMarkdownStream
from app.ui.widgets.plain_text import PlainText
from app.ui.widgets.render_pacing import FLUSH_INTERVAL

__all__ = ["FLUSH_INTERVAL", "MARKDOWN_LIMIT", "MessageView"]
from app.ui.widgets.shown_reply import ShownReply

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
    MessageStatus.WAIT_STOPPED: "⏹ agent wait stopped (F5 waits again)",
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
                 branch: tuple[int, int] | None = None, agents: str | None = None,
                 activity: InputActivity | None = None, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """
        Args:
            message: A stored message; None for a new one (then `role`, `model`,
                `content` and `message_id` describe it).
            role: The role of a new message.
            model: The model answering a new assistant message.
            content: Initial text of a new message.
            message_id: Id of a new message, if it is already stored.
            branch: (position, count) among its sibling branches, when it has any.
            agents: Who an acknowledgement handed its task to, when known (sanitised names).
            activity: The user's typing, which paces a streaming reply (see `PacedMarkdownStream`).
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
        self.branch = branch
        """(position, count) among the message's sibling branches, or None."""
        self.agents = agents
        """Who works on this acknowledgement's task, when known (sanitised names)."""
        # The text as received; a streaming body gets it through `_stream`.
        self._content: list[str] = [content] if content else []
        self._length = len(content)
        self._reasoning: list[str] = [message.reasoning] if message and message.reasoning else []
        self._activity = activity
        self._stream: PacedMarkdownStream | None = None
        self._given = 0  # characters of the content the body was given (composed with, or fed)
        self._body: ChatMarkdown | PlainText | None = None
        self._body_lock = asyncio.Lock()  # one body change at a time (stop, switch to plain text)
        self._image_urls: list[str] = []
        self._shown = ShownReply()  # the body never gets inline images' base64
        self.set_reactive(MessageView.status, status)
        self.set_reactive(MessageView.error, message.error if message else None)

    # -- state ---------------------------------------------------------------

    @property
    def content(self) -> str:
        """The full text so far, including what has not been rendered yet."""
        if len(self._content) > 1:
            self._content[:] = ["".join(self._content)]
        return self._content[0] if self._content else ""

    def _set_content(self, text: str) -> None:
        self._content[:] = [text] if text else []
        self._length = len(text)

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
        text = self.content
        self._given = len(text)
        body = self._body = self._body_for(text)
        if isinstance(body, ChatMarkdown):
            body.parking = self.status == MessageStatus.STREAMING
        yield body
        if self.status in MessageStatus.SETTLED and self.role == Role.ASSISTANT:
            self._image_urls = image_sources(text)
            yield from (ImageCard(url) for url in self._image_urls)

    def on_mount(self) -> None:
        if self.status == MessageStatus.STREAMING:
            body = self.query_one(".message--body")
            if isinstance(body, ChatMarkdown):
                self._stream = PacedMarkdownStream(body, self._activity)
                self._stream.start()
            self._give_body()  # what came between compose and mount

    def on_unmount(self) -> None:
        # Removed while streaming (another conversation was opened): the stream's task goes.
        stream, self._stream = self._stream, None
        if stream is not None:
            self.app.call_later(stream.stop, render_rest=False)

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
        if self.branch is not None:
            header.append(f"  ◀ {self.branch[0]}/{self.branch[1]} ▶", style="dim")
        if self.shown_as_plain_text:
            header.append("  long reply: plain text", style="dim")
        if mark := _STATUS_MARKS.get(self.status):
            if self.status == MessageStatus.AWAITING_AGENT and self.agents:
                mark = f"⏳ waiting for {self.agents}"
            elif self.status == MessageStatus.WAIT_STOPPED and self.agents:
                mark = f"⏹ wait for {self.agents} stopped (F5 waits again)"
            header.append("  ")
            header.append(mark, style="bold")
            if self.status == MessageStatus.ERROR and self.error:
                header.append(f": {self.error}")
        return header

    def set_agents(self, agents: str | None) -> None:
        """Name who works on the task this acknowledgement handed over."""
        if agents != self.agents:
            self.agents = agents
            self._refresh_header()

    def set_branch(self, branch: tuple[int, int] | None) -> None:
        """Show the message's place among its sibling branches (None: it has none)."""
        if branch != self.branch:
            self.branch = branch
            self._refresh_header()

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
        """Add streamed content; cheap, rendered by the stream's next step."""
        if not text:
            return
        if self._shown.active or self._shown.wants(self._tail(), text):
            # An inline (data:) image: its base64 is never drawn. What comes before it is;
            # the rest shows, without payloads, when the reply is complete.
            if not self._shown.active:
                self._shown.active = True
                self._feed(text[:max(0, text.find("data:"))] if "data:" in text else "")
            self._content.append(text)
            self._length += len(text)
            return
        caught_up = self._given == self._length
        self._content.append(text)
        self._length += len(text)
        if caught_up and not self._body_lock.locked():  # the common case: straight on, cheaply
            if self._stream is not None and self._length <= MARKDOWN_LIMIT:
                self._stream.feed(text)
                self._given = self._length
                return
            if isinstance(self._body, PlainText) and self._live:
                self._body.append(text)
                self._given = self._length
                return
        self._give_body()

    def _tail(self) -> str:
        return self._content[-1][-8:] if self._content else ""

    def _feed(self, text: str) -> None:
        if text and self._stream is not None:
            self._stream.feed(text)

    def append_reasoning(self, text: str) -> None:
        """Add streamed reasoning; cheap, only buffered."""
        self._reasoning.append(text)

    def _give_body(self) -> None:
        """Hand the body what it was not given yet: to the stream, or to plain text (cheap
        at any length); a reply grown too long for Markdown changes to plain text."""
        if self._given >= self._length or not self._live or self._body_lock.locked() or self._shown.active:
            return
        body = self.query_one(".message--body")
        if isinstance(body, PlainText):
            body.append(self.content[self._given:])
            self._given = self._length
        elif self._stream is not None:
            if self._length > MARKDOWN_LIMIT:
                self.call_next(self._to_plain_text)
                return
            self._stream.feed(self.content[self._given:])
            self._given = self._length

    async def _to_plain_text(self) -> None:
        """Too long for Markdown: the whole reply as plain text, from now on."""
        async with self._body_lock:
            if self._stream is None:
                return
            await self._stop_streaming(render_rest=False)
            if self._live:
                await self._replace_body(self.content)
                self._given = self._length
                self._refresh_header()
        self._give_body()

    async def _stop_streaming(self, *, render_rest: bool = True) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.stop(render_rest=render_rest)

    async def finish(self, status: str, *, message_id: int | None = None, error: str | None = None,
                     content: str | None = None) -> None:
        """End streaming: render the rest, set the final state, show image cards.

        Args:
            status: The final `MessageStatus`.
            message_id: The stored message's id, if known now.
            error: Error text to show with an error status.
            content: The final text, when it differs from what streamed.
        """
        async with self._body_lock:
            too_long = self._length > MARKDOWN_LIMIT  # plain text: what Markdown still has to do is moot
            await self._stop_streaming(render_rest=not too_long)
            if too_long or self._given < self._length:  # not all handed to the body yet
                await self._set_body(self.content)
        if self._live and isinstance(body := self.query_one(".message--body"), ChatMarkdown):
            body.parking = False  # what is parked stays so until the user scrolls up
        if content is not None and content != self.content:
            self._set_content(content)
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
            async with self._body_lock:
                await self._stop_streaming(render_rest=False)  # the body is replaced below
            self.remove_class(f"-{self.role}").add_class(f"-{message.role}")
            self.role, self.model, self.message_id = message.role, message.model, message.id
            self._set_content(message.content)
            self._reasoning[:] = [message.reasoning] if message.reasoning else []
            await self._set_body(message.content)
            self.error = message.error
            self.status = message.status
            self._refresh_header()
            if message.status in MessageStatus.SETTLED:
                await self._show_images(message.content)

        return AwaitComplete(apply())

    async def _set_body(self, text: str) -> None:
        self._given = len(text)
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
        self._body = self._body_for(text)
        await self.mount(self._body, after=self.query_one(".message--header"))

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
