"""`<think>...</think>` inside reply content: routed to reasoning, even when a tag is split."""

from __future__ import annotations

from typing import Any

from app.core.wire.events import ContentDelta, ReasoningDelta

_OPEN_TAG, _CLOSE_TAG = "<think>", "</think>"


class ThinkSplitter:
    """Routes content inside `<think>...</think>` to reasoning, the rest to content.

    A tag may be cut anywhere between chunks, so a suffix that could still become a tag
    is held back until the next chunk (or `flush`) shows what it is. Only a suffix
    starting at the last `<` can be a tag prefix, so this needs no character loop.
    """

    __slots__ = ("inside", "_held")

    def __init__(self) -> None:
        self.inside = False
        self._held = ""

    def feed(self, text: str, out: Any) -> None:
        if self._held:
            text, self._held = self._held + text, ""
        elif "<" not in text:  # fast path: almost every token
            out.text(ReasoningDelta if self.inside else ContentDelta, text)
            return
        while text:
            tag = _CLOSE_TAG if self.inside else _OPEN_TAG
            kind = ReasoningDelta if self.inside else ContentDelta
            at = text.find(tag)
            if at >= 0:
                out.text(kind, text[:at])
                text = text[at + len(tag) :]
                self.inside = not self.inside
                continue
            last = text.rfind("<")
            if last >= 0 and len(text) - last < len(tag) and tag.startswith(text[last:]):
                text, self._held = text[:last], text[last:]
            out.text(kind, text)
            return

    def flush(self, out: Any) -> None:
        """Release held-back text: nothing more is coming, so it was never a tag."""
        if self._held:
            out.text(ReasoningDelta if self.inside else ContentDelta, self._held)
            self._held = ""
