"""Text that grows by many small appends, in time linear in its length.

`reply.content += piece` copies the whole text on every append when `reply.content` is
an attribute or a dict item (CPython grows a string in place only for local variables):
a 20,000-token reply gathered that way copied gigabytes. A `GrowingText` keeps the
pieces and joins them when the text is read.
"""

from __future__ import annotations


class GrowingText:
    """A string under construction: `append` pieces, read it with `str()`."""

    __slots__ = ("_parts", "_length")

    def __init__(self, text: str = "") -> None:
        self._parts: list[str] = [text] if text else []
        self._length = len(text)

    def append(self, piece: str) -> None:
        if piece:
            self._parts.append(piece)
            self._length += len(piece)

    def __len__(self) -> int:
        return self._length

    def __str__(self) -> str:
        parts = self._parts
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GrowingText):
            return str(self) == str(other)
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        return f"GrowingText({str(self)!r})"


class GrowingReply:
    """Mixin: a reply's `content` and `reasoning`, kept as `GrowingText`, read as strings."""

    __slots__ = ()
    _content: GrowingText
    _reasoning: GrowingText

    @property
    def content(self) -> str:
        return str(self._content)

    @property
    def reasoning(self) -> str:
        return str(self._reasoning)
