"""The right-hand area: the trace of the turn being written or selected (the agent network
at work: tool calls, agents, polls, progress, delivery, usage) above its reasoning."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from app.core.trace import TraceStep
from app.ui.input_activity import InputActivity
from app.ui.widgets.reasoning_pane import ReasoningPane
from app.ui.widgets.trace_view import TraceView


class RightPane(Vertical):
    """Beside the chat from 120 columns; narrower, ctrl+b shows it over the chat."""

    def __init__(self, *, activity: InputActivity, id: str | None = None) -> None:
        super().__init__(id=id, classes="-no-trace")
        self._activity = activity

    def compose(self) -> ComposeResult:
        trace = TraceView(id="trace")
        trace.border_title = "Trace"
        yield trace
        yield ReasoningPane(id="reasoning", activity=self._activity)

    @property
    def reasoning_pane(self) -> ReasoningPane:
        return self.query_one(ReasoningPane)

    @property
    def trace_view(self) -> TraceView:
        return self.query_one(TraceView)

    def show_trace(self, steps: list[TraceStep], *, live: bool = False) -> None:
        """A reply's trace: a past one's (hidden when it has none), or a running turn's so far."""
        self.trace_view.set_steps(steps)
        self.set_class(not steps and not live, "-no-trace")
