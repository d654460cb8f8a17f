"""The live card shown while asi-chat polls for a deferred agent reply."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK = 1.0
"""Seconds between clock / spinner updates: each one draws a frame, and with ten agents
waiting the app should stay under 1% of a core; once a second, with the clock, still reads as alive."""


def format_elapsed(seconds: float) -> str:
    """Elapsed time as m:ss (minutes keep counting past an hour)."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _replace_line(static: Static, text: Content) -> None:
    """Show `text` in `static`, re-laying out the screen only if its length changed.

    The spinner ticks once a second: a layout of the whole screen per tick was most
    of the CPU an idle wait used. Same length means same height, so a repaint suffices.
    (`Content`, not a rich `Text`: Static would convert a `Text` on every tick.)
    """
    old = static.content
    same = isinstance(old, Content) and old.cell_length == text.cell_length
    static.update(text, layout=not same)


class AgentWaitCard(Widget):
    """Spinner, acknowledgement, poll count, elapsed clock and last poll error.

    Ten of these may be alive at once, so the only periodic work is one timer
    that rewrites a one-line Static, and it is paused while the card is hidden
    (scrolled away, not displayed) and stopped when it is removed.
    """

    acknowledgement: reactive[str] = reactive("", init=False)
    """The agent's acknowledgement text (server text: shown literally)."""

    def __init__(self, acknowledgement: str, *, attempt: int, attempts: int, started_at: float,
                 clock: Callable[[], float] = time.time, agent: str | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            acknowledgement: What the agent said while it works.
            attempt: Polls made so far.
            attempts: Polls that will be made at most.
            started_at: When the wait began, as a `time.time()` value.
            clock: Returns the current time; tests pass a fixed one.
            agent: The agent's name, when known (sanitised text, shown literally): the
                status line then reads "waiting for <agent> · poll 3/24 · 0:15" (else
                "waiting for agent · poll 3/24 · 0:15"); after a progress message (`set_progress`)
                "<agent>: Generating…  · poll 7/24 · 0:35".
        """
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(AgentWaitCard.acknowledgement, acknowledgement)
        self.attempt = attempt
        self.attempts = attempts
        self.last_error: str | None = None
        self.started_at = started_at
        self.agent = agent
        self.progress: str | None = None
        """The agent's latest progress message ("Generating…"), shown in place of "waiting for"."""
        self._clock = clock
        self._timer: Timer | None = None
        self._status = self._progress = Static()  # (the two lines that change: made in compose)

    @property
    def _live(self) -> bool:
        # Mounted and still in the DOM: a view can outlive its place in the pane.
        return self.is_mounted and self.is_attached

    def compose(self) -> ComposeResult:
        self._status = Static(self._status_line(), classes="wait-card--status")
        self._progress = Static(self._progress_line(), classes="wait-card--progress")
        yield self._status
        yield Static(Text(self.acknowledgement), classes="wait-card--ack")
        yield self._progress
        yield Static(Text("esc cancel"), classes="wait-card--hint")

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK, self._tick, name="wait-clock", pause=True)

    def on_show(self) -> None:
        # Shown (mounted, scrolled into view, displayed again): catch up and tick.
        self._tick()
        if self._timer is not None:
            self._timer.resume()

    def on_hide(self) -> None:
        # Scrolled away, not displayed, or removed: nothing to animate.
        if self._timer is not None:
            self._timer.pause()

    def stop_clock(self) -> None:
        """Freeze the clock (it stays frozen until the card is shown again)."""
        if self._timer is not None:
            self._timer.pause()

    @property
    def elapsed(self) -> float:
        """Seconds since the wait started."""
        return self._clock() - self.started_at

    def _status_line(self) -> Content:
        elapsed = self.elapsed
        frame = SPINNER[int(elapsed / TICK) % len(SPINNER)]
        polls = f" · poll {self.attempt}/{self.attempts} · "
        # (names and progress are literal third-party text: Content parses no markup in them)
        if self.progress:  # "Image Generation HiDream-I1: Generating…  · poll 7/24 · 0:35"
            who = (f"{self.agent}: ", "bold") if self.agent else ""
            return Content.assemble((frame, "bold"), " ", who, self.progress, " ", polls, format_elapsed(elapsed))
        return Content.assemble((frame, "bold"), " waiting for ", (self.agent or "agent", "bold"),
                                polls, format_elapsed(elapsed))

    def _progress_line(self) -> Content:
        line = f"poll {self.attempt} of {self.attempts}"
        return Content(f"{line} · last error: {self.last_error}" if self.last_error else line)

    def _tick(self) -> None:
        if self._live:
            _replace_line(self._status, self._status_line())

    def update_progress(self, attempt: int, attempts: int, last_error: str | None = None) -> None:
        """Show a new poll count and the last poll error (None clears it)."""
        self.attempt, self.attempts, self.last_error = attempt, attempts, last_error
        self.set_class(bool(last_error), "-error")
        if self._live:
            _replace_line(self._progress, self._progress_line())
            self._tick()  # its status line shows the poll count too

    def set_progress(self, text: str | None) -> None:
        """Show the agent's latest progress message (None: back to "waiting for")."""
        self.progress = " ".join(text.split()) if text else None
        self._tick()

    def set_agent(self, agent: str | None) -> None:
        """Name the agent being waited for (None: the default status line)."""
        self.agent = agent
        self._tick()

    def watch_acknowledgement(self, text: str) -> None:
        if self._live:
            self.query_one(".wait-card--ack", Static).update(Text(text))
