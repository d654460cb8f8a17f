"""In a real terminal (plain tmux: no sixel, no kitty graphics) a delivered image is drawn in
its card with coloured half-blocks, and an image that is not one says so."""

from __future__ import annotations

import re
import time

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env

# A foreground or background colour (256-colour or RGB) followed by half-block characters.
HALF_BLOCKS = re.compile(r"\x1b\[[0-9;]*[34]8;[25];[0-9;]*m[▀▄]+")


def _colour_screen(term: Tmux, target: str) -> str:
    return term.tmux("capture-pane", "-p", "-e", "-t", target)


def test_a_delivered_image_shows_as_half_blocks_in_tmux(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.005) as sim:
        term = Tmux(app_env(sim.base_url, db_path))
        try:
            app = term.start(*app_command())
            term.wait_for(app, "Message ASI:One")
            assert not HALF_BLOCKS.search(_colour_screen(term, app))
            term.type(app, "a monkey on a mountain !sim:image=png")
            term.send(app, "Enter")
            term.wait_for(app, "c copy · o open")  # the card is there: the image has arrived
            arrived = time.monotonic()
            screen = ""
            while time.monotonic() - arrived < 1.0 and len(HALF_BLOCKS.findall(screen)) < 5:
                screen = _colour_screen(term, app)
                time.sleep(0.05)
            assert len(HALF_BLOCKS.findall(screen)) >= 5, screen  # rows of the picture, in colour
            assert "96 × 64" in term.screen(app)  # its pixel size in the card's title
            assert sim.gets["/sim-images/png"] == 1

            term.type(app, "and this one? !sim:image=html")
            term.send(app, "Enter")
            term.wait_for(app, "no preview: not an image")
        finally:
            term.close()
