"""The agent browser in a real terminal: ctrl+g from the composer, a hostile listing stays inert."""

from __future__ import annotations

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env


def test_ctrl_g_opens_the_browser_and_hostile_listing_is_inert(db_path) -> None:
    with Simulator(api_key=TEST_KEY) as sim:
        term = Tmux(app_env(sim.base_url, db_path, ASI_CHAT_AGENTVERSE_URL=sim.origin))
        try:
            app = term.start(*app_command())
            term.wait_for(app, "Message ASI:One")
            title = term.display(app, "#{pane_title}")
            term.send(app, "C-g")  # the composer has focus: the key must reach the app
            term.wait_for(app, "Agentverse agents")
            term.type(app, "totally safe")
            screen = term.wait_for(app, "[bold red]Totally")  # markup shown literally (name shortened)
            assert "Enter address the agent" in screen  # the screen was not cleared by CSI 2J
            assert term.buffers() == []  # the OSC 52 in the readme wrote no clipboard
            assert term.display(app, "#{pane_title}") == title
            term.send(app, "Enter")
            screen = term.wait_for(app, lambda s: "Agentverse agents" not in s)
            assert "@totally-safe-agent" in screen and not term.dead(app)  # in the composer
        finally:
            term.close()
