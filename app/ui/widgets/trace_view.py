"""`TraceView`: a turn's trace, one line per step (the agent network at work).

Self-contained: give it steps (`set_steps`), then live changes (`add_step`, `update_step`,
`show_steps` for what `TraceBuilder.add` returned, or `sync(turn.trace)` after each event). Each line reads
`✓ +12.3s progress  Generating… · @image-gen`: status icon, time since the first step, kind,
title, and the agent the step concerns. Enter on a step that names an agent posts
`TraceView.AgentSelected(handle)`, for whoever places the view to open that agent's card.

Lines are an `OptionList`'s: only the visible ones are rendered, so a 500-step trace
(`asi1-ultra` allows 500 tool calls a turn) opens at once. All step text is third-party:
it goes into `rich.text.Text` (never parsed as markup) after the core sanitised it.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from app.core.sanitize import clean
from app.core.trace import COMPLETED, FAILED, ICONS, IN_PROGRESS, PENDING, TraceStep

_STATUS_STYLE = {PENDING: "dim", IN_PROGRESS: "bold yellow", COMPLETED: "green", FAILED: "bold red"}
_KIND_WIDTH = 8


class TraceView(ScrollView, can_focus=True):
    """One line per trace step; Enter on a step naming an agent posts `AgentSelected`."""

    DEFAULT_CSS = """
    TraceView {
        height: 1fr;
    }
    TraceView > .trace-view--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    """
    COMPONENT_CLASSES = {"trace-view--cursor"}
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open agent", show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False)
    """The highlighted step."""

    class AgentSelected(Message):
        """The user chose a step's agent (Enter): `handle` is without the `@`."""

        def __init__(self, handle: str) -> None:
            super().__init__()
            self.handle = handle

    def __init__(self, steps: Iterable[TraceStep] = (), *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._steps: list[TraceStep] = []
        self._texts: list[Text] = []
        self._start: float | None = None
        self.set_steps(steps)

    # -- downward: what to show ---------------------------------------------------------

    @property
    def steps(self) -> list[TraceStep]:
        """The steps shown, in order."""
        return list(self._steps)

    @property
    def step_count(self) -> int:
        return len(self._steps)

    def set_steps(self, steps: Iterable[TraceStep]) -> None:
        """Show these steps instead (another turn's trace)."""
        self._steps = list(steps)
        self._start = next((s.time for s in self._steps if s.time), None)
        self._texts = [self._line(s) for s in self._steps]
        self.set_reactive(TraceView.cursor, 0)
        self._resized()

    def add_step(self, step: TraceStep) -> None:
        """Append a new step (live); the view follows it when the cursor was on the last one."""
        if self._start is None and step.time:
            self._start = step.time
        following = self.cursor >= len(self._steps) - 1
        self._steps.append(step)
        self._texts.append(self._line(step))
        self._resized()
        if following and len(self._steps) > 1:
            self.cursor = len(self._steps) - 1

    def update_step(self, step: TraceStep) -> None:
        """Redraw a step whose status or text changed (matched by its index)."""
        if 0 <= step.index < len(self._steps):
            self._steps[step.index] = step
            self._texts[step.index] = self._line(step)
            self.refresh_line(step.index)

    def show_steps(self, changed: Iterable[TraceStep]) -> None:
        """Add or update each step `TraceBuilder.add` returned."""
        for step in changed:
            if step.index < len(self._steps):
                self.update_step(step)
            else:
                self.add_step(step)

    def sync(self, steps: list[TraceStep]) -> None:
        """Catch up with a live trace (`Turn.trace`): add the new steps, redraw the changed ones.
        Whoever follows a turn's events can call this after each one, however far behind it is."""
        if len(steps) < len(self._steps):  # another turn's trace
            self.set_steps(steps)
            return
        for index, step in enumerate(steps):
            if index >= len(self._steps):
                self.add_step(step)
            elif step is not self._steps[index] and step != self._steps[index]:
                self.update_step(step)

    def _resized(self) -> None:
        width = max((t.cell_len for t in self._texts), default=0)
        self.virtual_size = Size(width, len(self._steps))
        self.refresh()

    def _line(self, step: TraceStep) -> Text:
        offset = f"+{max(0.0, step.time - self._start):5.1f}s" if self._start and step.time else " " * 7
        line = Text(no_wrap=True, end="")
        line.append(ICONS.get(step.status, "·"), _STATUS_STYLE.get(step.status, ""))
        line.append(f" {offset} ", "dim")
        line.append(f"{step.kind:<{_KIND_WIDTH}} ", "bold")
        # Third-party text: already sanitised by the core, cleaned again because a view may be
        # given any steps; a `Text`, so never read as markup.
        line.append(" ".join(clean(step.title).split()))
        if step.agent and step.kind != "agent":
            line.append(f" · @{clean(step.agent)}", "italic")
        return line

    # -- drawing (only the visible lines: a 500-step trace costs what 40 do) -------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._texts):
            return Strip.blank(width, base)
        text = self._texts[index]
        if index == self.cursor and self.has_focus:
            text = text.copy()
            text.stylize(self.get_component_rich_style("trace-view--cursor"))
        segments = list(text.render(self.app.console))
        strip = Strip(Segment.apply_style(segments, base), text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def refresh_line(self, index: int) -> None:
        """Redraw one step's line if it is on screen."""
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # -- moving and choosing ------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._steps) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        if new < self.scroll_offset.y:
            self.scroll_to(y=new, animate=False)
        elif new >= self.scroll_offset.y + self.scrollable_content_region.height:
            self.scroll_to(y=new - self.scrollable_content_region.height + 1, animate=False)

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor)

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_jump(self, index: int) -> None:
        self.cursor = index if index >= 0 else len(self._steps) - 1

    def action_select(self) -> None:
        if 0 <= self.cursor < len(self._steps) and self._steps[self.cursor].agent:
            self.post_message(self.AgentSelected(self._steps[self.cursor].agent))

    def on_click(self, event: events.Click) -> None:
        self.cursor = self.scroll_offset.y + event.y
