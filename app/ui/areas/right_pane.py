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

    def show_trace(self, steps: list[TraceStep]) -> None:
        """A reply's trace (a running turn's so far)."""
        self.trace_view.set_steps(steps)
        self._fit(steps)

    def sync_trace(self, steps: list[TraceStep]) -> None:
        """A running turn's trace, caught up."""
        self.trace_view.sync(steps)
        self._fit(steps)

    def _fit(self, steps: list[TraceStep]) -> None:
        # A plain answer's trace (its delivery and usage) says nothing the chat does not: the
        # reasoning keeps the room. Tools, agents, waits, errors: the trace is shown.
        self.set_class(not any(step.kind not in ("delivery", "usage") for step in steps), "-no-trace")
