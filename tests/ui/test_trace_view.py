"""`TraceView` on its own, in a tiny app: lines per step, live updates, Enter on an agent, speed."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult

from app.core.trace import TraceBuilder, trace_from
from app.core.wire.events import (
    AgentProgress,
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    ToolCall,
    TurnFinal,
    TurnToolCall,
    Usage,
)
from app.ui.widgets.trace_view import TraceView
from tests.ui.helpers import until

ACK = "I've sent the message"
T0 = 1_700_000_000.0
HOSTILE = "\x1b]0;pwned\x07[@click=app.quit]quit[/] [bold]x[/bold]\u202e"


def wait_events() -> list:
    return [AgentWaiting(ACK, 0, 24, 0.0),
            AgentsContacted((AgentRef("Image Generation HiDream-I1", "image-gen-hidream", "agent1qabc"),)),
            AgentProgress("Generating…", 1), AgentWaiting(ACK, 1, 24, 5.0),
            AgentProgress("Still working on it", 2), AgentWaiting(ACK, 2, 24, 10.0),
            TurnFinal("![generated-image](https://api.asi1.ai/agentverse/production/storage/x)", "",
                      Usage(10, 20, 30), deferred=True)]


class TraceApp(App):
    """Just the view, as whoever places it will."""

    def __init__(self, steps=()) -> None:
        super().__init__()
        self.view = TraceView(steps)
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield self.view

    def on_trace_view_agent_selected(self, message: TraceView.AgentSelected) -> None:
        self.selected.append(message.handle)


def lines(app: TraceApp) -> list[str]:
    """The view's lines as drawn (its visible rows)."""
    return [app.view.render_line(y).text for y in range(app.view.size.height)]


async def test_one_line_per_step_with_icon_offset_kind_title_and_agent() -> None:
    steps = trace_from(wait_events(), [T0 + 5 * i for i in range(7)])
    app = TraceApp(steps)
    async with app.run_test(size=(100, 20)) as pilot:
        await until(pilot, lambda: app.view.step_count == len(steps))
        shown = lines(app)
        assert shown[0].startswith("✓ +  0.0s ack") and ACK in shown[0]
        assert "agent    Image Generation HiDream-I1 (@image-gen-hidream)" in shown[1]
        assert "+ 10.0s progress Generating… · @image-gen-hidream" in shown[2]
        assert "poll 1/24: progress" in shown[3]
        assert any("delivery delivered 1 image" in line for line in shown)


async def test_live_updates_change_a_line_in_place() -> None:
    app = TraceApp()
    builder = TraceBuilder()
    async with app.run_test(size=(100, 10)) as pilot:
        app.view.show_steps(builder.add(TurnToolCall(ToolCall("c1", "web_search", '{"query": "paris weather"}')), T0))
        await until(pilot, lambda: app.view.step_count == 1)
        assert lines(app)[0].startswith("◐ +  0.0s tool     web_search: paris weather")
        app.view.show_steps(builder.add(TurnToolCall(ToolCall("c1", "web_search", '{"query": "paris weather"}',
                                                              "12°C, cloudy")), T0 + 2))
        await until(pilot, lambda: lines(app)[0].startswith("✓"))
        assert app.view.step_count == 1 and "→ 12°C, cloudy" in lines(app)[0]


async def test_enter_on_an_agent_step_posts_its_handle() -> None:
    app = TraceApp(trace_from(wait_events(), [T0 + i for i in range(7)]))
    async with app.run_test(size=(100, 20)) as pilot:
        app.view.focus()
        await until(pilot, lambda: app.view.step_count > 2)
        app.view.cursor = 1  # the agent
        await pilot.press("enter")
        await until(pilot, lambda: app.selected == ["image-gen-hidream"])
        app.view.cursor = 3  # a poll names no agent: nothing
        await pilot.press("enter")
        await pilot.press("up", "enter")  # a progress message names its agent
        await until(pilot, lambda: len(app.selected) == 2)
        assert app.selected == ["image-gen-hidream", "image-gen-hidream"]


async def test_hostile_step_text_is_inert() -> None:
    steps = trace_from([AgentProgress(HOSTILE, 1), AgentsContacted((AgentRef(HOSTILE, "evil"),))])
    app = TraceApp(steps)
    async with app.run_test(size=(120, 6)) as pilot:
        await until(pilot, lambda: app.view.step_count == 2)
        shown = "\n".join(lines(app))
        assert "[@click=app.quit]quit[/] [bold]x[/bold]" in shown
        assert "\x1b" not in shown and "\u202e" not in shown and app.is_running


async def test_five_hundred_steps_render_fast() -> None:
    events = [TurnToolCall(ToolCall(f"c{i}", "web_search", f'{{"query": "q{i}"}}', f"r{i}")) for i in range(500)]
    steps = trace_from(events, [T0 + i * 0.1 for i in range(500)])
    app = TraceApp()
    async with app.run_test(size=(100, 40)) as pilot:
        started = time.perf_counter()
        app.view.set_steps(steps)
        given = time.perf_counter() - started
        await pilot.pause()
        assert "q0" in lines(app)[0]
        shown = time.perf_counter() - started
        app.view.focus()
        await pilot.press("end")
        await until(pilot, lambda: any("q499" in line for line in lines(app)))
        print(f"500 steps: set {given * 1000:.0f} ms, on screen {shown * 1000:.0f} ms,"
              f" scrolled to the end {(time.perf_counter() - started) * 1000:.0f} ms")
        # Target 0.3 s on screen; asserted loosely: the machine is shared (see the printed figures).
        assert shown < 1.0


def test_snapshot_trace_of_a_wait_with_progress(snap_compare) -> None:
    steps = trace_from(wait_events(), [T0 + 5 * i for i in range(7)])
    assert snap_compare(TraceApp(steps), terminal_size=(90, 12))


async def test_sync_follows_a_live_trace_however_far_behind() -> None:
    builder = TraceBuilder()
    app = TraceApp()
    async with app.run_test(size=(100, 12)) as pilot:
        events = wait_events()
        for i, event in enumerate(events[:3]):
            builder.add(event, T0 + i)
        app.view.sync(builder.steps)
        await until(pilot, lambda: app.view.step_count == 3)
        assert lines(app)[1].startswith("◐")  # the agent at work
        for i, event in enumerate(events[3:], 3):
            builder.add(event, T0 + i)
        app.view.sync(builder.steps)
        await until(pilot, lambda: app.view.step_count == len(builder.steps) and lines(app)[1].startswith("✓"))
        assert app.view.steps == builder.steps
