"""The agent browser's sort and category controls."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Select

from app.core.agentverse import CATEGORIES

SORT_LABELS = (("Best match", "relevancy"), ("Most used", "interactions"),
               ("Newest", "created-at"), ("Recently updated", "last-modified"))


class AgentFilters(Horizontal):
    """Two selects; posts `Changed(sort, category)` when either changes."""

    DEFAULT_CSS = """
    AgentFilters {
        height: auto;
        & > Select { width: 1fr; }
    }
    """

    class Changed(Message):
        """The sort order or the category filter changed."""

        def __init__(self, sort: str, category: str | None) -> None:
            super().__init__()
            self.sort = sort
            self.category = category
            """None: every category."""

    def compose(self) -> ComposeResult:
        yield Select(SORT_LABELS, value="relevancy", allow_blank=False, id="agent-sort")
        yield Select([(c, c) for c in CATEGORIES], prompt="All categories", id="agent-category")

    @property
    def sort(self) -> str:
        """The chosen sort order."""
        value = self.query_one("#agent-sort", Select).value
        return value if isinstance(value, str) else "relevancy"

    @property
    def category(self) -> str | None:
        """The chosen category, or None for all."""
        value = self.query_one("#agent-category", Select).value
        return value if isinstance(value, str) else None

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.sort, self.category))
