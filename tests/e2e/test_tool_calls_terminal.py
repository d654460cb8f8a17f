"""Hostile tool calls (name and result full of terminal escapes) in a real terminal: the
reasoning pane shows them as inert text; no clipboard write, no title change, no crash."""

from __future__ import annotations

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env


def test_hostile_tool_calls_stay_inert_in_a_real_terminal(db_path) -> None:
    with Simulator(api_key=TEST_KEY) as sim:
        term = Tmux(app_env(sim.base_url, db_path))
        try:
            app = term.start(*app_command())
            term.wait_for(app, "Message ASI:One")
            title, name = term.display(app, "#{pane_title}"), term.display(app, "#{window_name}")
            term.type(app, "hello !sim:websearch=hostile")
            term.send(app, "Enter")
            # (the reply's end and the reasoning pane's tool call can be drawn in separate frames)
            screen = term.wait_for(app, lambda s: ("Ask a follow-up" in s and "🔧" in s) or term.buffers())
            assert "🔧 web_search[@click" in screen and "52;c;" not in screen  # sequences removed whole
            assert term.buffers() == [] and not term.dead(app)  # no OSC 52 clipboard write
            assert term.display(app, "#{pane_title}") == title and term.display(app, "#{window_name}") == name
            assert "pwned" not in title + name
            screen = term.wait_for(app, "The user wants fresh facts")  # the reasoning, below the calls
            assert "web_search[@click" in screen and "52;c;" not in screen
        finally:
            term.close()
