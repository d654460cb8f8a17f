"""The right-hand area: the reasoning of the reply being written or selected (and, with
the agent-trace work, the turn's trace above it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from app.ui.input_activity import InputActivity
from app.ui.widgets.reasoning_pane import ReasoningPane


class RightPane(Vertical):
    """Beside the chat from 120 columns; narrower, ctrl+b shows it over the chat."""

    def __init__(self, *, activity: InputActivity, id: str | None = None) -> None:
        super().__init__(id=id)
        self._activity = activity

    def compose(self) -> ComposeResult:
        yield ReasoningPane(id="reasoning", activity=self._activity)

    @property
    def reasoning_pane(self) -> ReasoningPane:
        return self.query_one(ReasoningPane)
