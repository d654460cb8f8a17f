"""The agent browser's sort and category controls."""

from __future__ import annotations

from textual import on
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Select

from app.core.agents.agentverse import CATEGORIES

SORT_LABELS = (("Best match", "relevancy"), ("Most used", "interactions"),
               ("Newest", "created-at"), ("Recently updated", "last-modified"))


class AgentFilters(Horizontal):
    """Two selects; posts `Changed(sort, category)` when either changes.

    The selects are mounted by `build()`, which the browser calls once its first results
    are on screen: two Selects cost ~50 ms to mount, the first results come first.
    """

    DEFAULT_CSS = """
    AgentFilters {
        height: 3;
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

    def build(self) -> None:
        """Mount the two selects (once)."""
        if not self.children:
            self.mount(Select(SORT_LABELS, value="relevancy", allow_blank=False, id="agent-sort"),
                       Select([(c, c) for c in CATEGORIES], prompt="All categories", id="agent-category"))

    def _value(self, selector: str) -> object:
        found = self.query(selector)
        return found.first(Select).value if found else None

    @property
    def sort(self) -> str:
        """The chosen sort order."""
        value = self._value("#agent-sort")
        return value if isinstance(value, str) else "relevancy"

    @property
    def category(self) -> str | None:
        """The chosen category, or None for all."""
        value = self._value("#agent-category")
        return value if isinstance(value, str) else None

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.sort, self.category))
