"""Keys in a real terminal through Textual's driver: a lone Esc is a key once nothing
follows it, and Ctrl+Q quits."""

from __future__ import annotations

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env, messages, wait_for


def test_esc_alone_cancels_a_reply_and_ctrl_q_quits(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.05) as slow:
        term = Tmux(app_env(slow.base_url, db_path))
        try:
            app = term.start("sh", "-c", '"$0"; echo "asi-chat exited with $?"; exec sleep 60', *app_command())
            term.wait_for(app, "Message ASI:One")
            term.type(app, "tell me a long story !sim:tokens=40000")
            term.send(app, "Enter")
            wait_for(lambda: db_path.exists() and any(m["role"] == "assistant" and m["content"]
                                                      for m in messages(db_path)), what="the reply to start")
            term.send(app, "Escape")
            wait_for(lambda: [m["status"] for m in messages(db_path) if m["role"] == "assistant"] != ["streaming"],
                     what="the reply to settle")
            (reply,) = [m for m in messages(db_path) if m["role"] == "assistant"]
            assert reply["status"] == "interrupted", reply
            term.send(app, "C-q")
            term.wait_for(app, "asi-chat exited with 0")
        finally:
            term.close()
