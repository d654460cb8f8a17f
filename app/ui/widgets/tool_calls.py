"""The tool calls of the reply on show, one line each, above its reasoning."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from app.core.tool_display import call_line


class ToolCallList(Static):
    """`🔧 web_search: query → result…` lines; hidden while there are none.

    The text is third-party (tool names, queries, results): it is already sanitised and
    is only ever shown as plain `Content`, never as markup.
    """

    DEFAULT_CSS = """
    ToolCallList { height: auto; color: $text-muted; padding: 0 1 1 1; }
    ToolCallList.-empty { display: none; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", markup=False, name=name, id=id, classes=classes)
        self._calls: dict[str, tuple[str, str, str | None]] = {}
        self.add_class("-empty")

    @property
    def lines(self) -> list[str]:
        """The lines shown, in call order."""
        return [call_line(name, args, result, width=120) for name, args, result in self._calls.values()]

    def show_call(self, call_id: str, name: str, args: str, result: str | None) -> None:
        """Add a call, or update it in place when its result arrives."""
        known = self._calls.get(call_id)
        if known is not None and result is None:
            result = known[2]
        self._calls[call_id] = (name, args, result)
        self._render_calls()

    def clear(self) -> None:
        """Forget every call (another reply is on show)."""
        if self._calls:
            self._calls.clear()
            self._render_calls()

    def _render_calls(self) -> None:
        self.set_class(not self._calls, "-empty")
        self.update(Content("\n".join(self.lines)))
