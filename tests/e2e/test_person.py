"""As a person would: the installed `asi-chat` in tmux, driven by keystrokes, against the simulator.

Launch, type, send, read the answer and the reasoning; ask for an image, watch the wait,
copy the link with ctrl+y (tmux keeps OSC 52 copies as paste buffers); quit; relaunch on
the same history, find the conversation in the list and open it.
"""

from __future__ import annotations

import re

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env, read_db, wait_for


def _terminal_given_back(term: Tmux, target: str) -> None:
    """After the app quits: the normal screen, no mouse reporting, the cursor visible."""
    flags = term.display(target, "#{alternate_on} #{mouse_any_flag} #{mouse_button_flag} "
                                 "#{mouse_sgr_flag} #{cursor_flag}")
    assert flags == "0 0 0 0 1", flags


def test_a_person_chats_waits_for_an_image_copies_it_and_comes_back(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=3, chunk_delay=0.005) as sim:
        term = Tmux(app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="0.25"))
        try:
            # Under a shell, so the terminal can be inspected after the app quits.
            app = term.start("sh", "-c", '"$0"; echo "asi-chat exited with $?"; exec sleep 60',
                             *app_command())
            term.wait_for(app, "Message ASI:One")
            term.type(app, "hello there")
            term.send(app, "Enter")
            screen = term.wait_for(app, "Ask a follow-up to continue the conversation.")
            assert "Hello there" in screen  # the answer, rendered
            assert "The user is asking about" in screen  # the reasoning pane
            assert "hello there" in screen.split("Conversations")[1]  # listed, titled

            term.type(app, "draw a monkey on a mountain")
            term.send(app, "Enter")
            screen = term.wait_for(app, "⏳ waiting for")  # (the agent, once its name is known)
            assert "I've sent the message" in screen
            term.wait_for(app, re.compile(r"poll [1-9] of 24").search)
            term.wait_for(app, "c copy · o open")  # the image card
            with read_db(db_path) as conn:
                (url,) = conn.execute("SELECT url FROM images").fetchone()
            assert url.startswith(sim.origin + "/agentverse/production/storage/")
            assert term.buffers() == []
            term.send(app, "C-y")
            wait_for(term.buffers, what="the OSC 52 copy")
            assert term.buffers() == [url]

            term.send(app, "C-q")
            term.wait_for(app, "asi-chat exited with 0")
            _terminal_given_back(term, app)

            again = term.start(*app_command())
            screen = term.wait_for(again, "1 conversation")
            assert "hello there" in screen  # found in the list
            term.open_conversation(again, "c copy · o open")
            screen = term.wait_for(again, "asi-chat — hello there")  # the open conversation's title
            assert "draw a monkey on a mountain" in screen and "Here is your image" in screen
        finally:
            term.close()
