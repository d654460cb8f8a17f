"""The message input: Enter sends, Ctrl+J / Shift+Enter add a newline."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

PLACEHOLDER = "Message ASI:One — Enter to send, Ctrl+J for newline"



class Composer(TextArea, inherit_bindings=False):
    """A soft-wrapping TextArea that posts `Composer.Submitted` on Enter.

    Empty or whitespace-only text is never sent. Height grows with the text
    between the CSS `min-height` and `max-height`.
    """

    # TextArea's keys, but F6 / F7 (select line / all): free for the user's [keymap]
    # (`new-conversation = "f6"`), which a key the composer binds itself would never reach.
    BINDINGS = [binding for binding in TextArea.BINDINGS
                if not (isinstance(binding, Binding) and binding.key in ("f6", "f7"))]

    class Submitted(Message):
        """The user sent a message."""

        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            """The composer the text came from."""
            self.text = text
            """The text, without trailing whitespace."""

        @property
        def control(self) -> Composer:
            """Alias of `composer`, for `@on(..., selector)`."""
            return self.composer

    def __init__(self, text: str = "", *, placeholder: str = PLACEHOLDER, name: str | None = None,
                 id: str | None = None, classes: str | None = None, disabled: bool = False) -> None:
        """
        Args:
            text: Initial text.
            placeholder: Shown while the composer is empty.
        """
        super().__init__(text, soft_wrap=True, tab_behavior="focus", show_line_numbers=False,
                         highlight_cursor_line=False, placeholder=placeholder, name=name, id=id,
                         classes=classes, disabled=disabled)
        # A steady cursor: blinking redraws the screen twice a second for as long as the
        # app is open, half of its idle CPU and a steady trickle of bytes over SSH.
        self.cursor_blink = False
        self.confirm_send: Callable[[str], bool] | None = None
        """Asked before sending (the app warns of a message too long to fit): False keeps the text."""
        self._burst: list[str] | None = None
        """Characters typed since the last frame while a burst is on (None: no burst)."""

    def _rewrap_and_refresh_virtual_size(self) -> None:
        # TextArea re-wraps the whole document on every resize and scrollbar toggle,
        # even when the wrap width is unchanged; after a 1 MB paste (which grows the
        # height and shows the scrollbar) that is two extra full re-wraps, ~0.5 s each.
        # Edits keep the wrapping current, so skip the re-wrap when nothing it depends on changed.
        wrapped = self.wrapped_document
        if (wrapped._width == self.wrap_width and wrapped._tab_width == self.indent_width
                and len(wrapped._line_index_to_offsets) == self.document.line_count):
            self._line_cache.clear()
            self._refresh_size()
            return
        super()._rewrap_and_refresh_virtual_size()

    async def _on_key(self, event: events.Key) -> None:
        # Handled before TextArea's own _on_key, which would insert "\n" for Enter.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            # (An Enter within a burst still sends: keys are stamped when read, so one typed
            # right after text is indistinguishable from a pasted line break.)
            self.submit()
        elif event.key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            if not self.read_only:
                self._flush_burst()
                self.replace("\n", *self.selection, maintain_selection_offset=False)
        elif event.is_printable and event.character and not self.read_only:
            event.stop()
            event.prevent_default()
            self._typed(event.character)
        else:
            self._flush_burst()  # before the key moves or deletes: keys act in their order

    def _typed(self, text: str) -> None:
        """Insert typed `text`: at once for the first key, and keys arriving before the
        next frame is drawn (a burst) together, in one edit at the end of the frame."""
        if self._burst is None:
            self._burst = []
            self.replace(text, *self.selection, maintain_selection_offset=False)
            self.call_after_refresh(self._end_of_frame)
        else:
            self._burst.append(text)

    def _end_of_frame(self) -> None:
        """A frame was drawn: insert what the burst brought meanwhile, in one edit.

        A terminal without bracketed paste delivers a paste as keystrokes, many per
        frame; one edit per key re-wraps and redraws the growing text each time
        (quadratic: 20,000 characters took over three minutes)."""
        if self._burst:
            self._flush_burst()
            self._burst = []
            self.call_after_refresh(self._end_of_frame)  # still coming: keep gathering
        else:
            self._burst = None

    def _flush_burst(self) -> None:
        if self._burst:
            text, self._burst = "".join(self._burst), []
            if not self.read_only:
                self.replace(text, *self.selection, maintain_selection_offset=False)

    def submit(self) -> bool:
        """Send the current text (as Enter does); returns False when there was nothing to send."""
        self._flush_burst()
        text = self.text.rstrip()
        if not text.strip():
            return False
        if self.confirm_send is not None and not self.confirm_send(text):
            return False
        self.clear()
        self.post_message(self.Submitted(self, text))
        return True
