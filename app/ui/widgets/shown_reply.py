"""What a streaming reply's body shows once an inline (data:) image is in it."""

from __future__ import annotations

from typing import Any

from app.core.links import shown_text


class ShownReply:
    """Keeps the length of the shown text (the reply without base64 payloads) a body has.

    `shown_text` of a growing text only grows, so each step appends the new end of it.
    """

    def __init__(self) -> None:
        self.active = False
        """True once the reply may carry an inline image (then every step goes through here)."""
        self.length = 0
        """Characters of shown text the body has."""

    def wants(self, before: str, text: str) -> bool:
        """True when the step adding `text` to `before` must be shown without payloads."""
        return self.active or "data:" in before[-8:] + text

    def new_part(self, before: str, after: str) -> str:
        """What the body must append when the reply grows from `before` to `after`."""
        if not self.active:
            self.active, self.length = True, len(before)
        shown = shown_text(after)
        new, self.length = shown[self.length:], len(shown)
        return new

    def of(self, text: str) -> str:
        """The shown text of a whole reply (a body being replaced or set gets this)."""
        shown = shown_text(text)
        self.length = len(shown)
        return shown

    async def step(self, view: Any, body: Any, text: str) -> bool:
        """One rendering step of `view` (a `MessageView`) adding `text`, without payloads.

        False (and nothing done) while the reply has no sign of an inline image.
        """
        if not self.wants(view._text, text):
            return False
        from app.ui.widgets.chat_markdown import ChatMarkdown
        from app.ui.widgets.message_view import MARKDOWN_LIMIT

        new = self.new_part(view._text, view._text + text)
        view._text += text
        if isinstance(body, ChatMarkdown) and self.length > MARKDOWN_LIMIT:
            await view._replace_body(view._text)  # too long for Markdown, as any reply
            view._refresh_header()
        elif isinstance(body, ChatMarkdown) and new:
            await body.append(new)
        elif body is not None and new:
            body.append(new)
        return True
