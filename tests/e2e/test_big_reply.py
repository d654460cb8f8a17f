"""A 5 MB answer in the real app (in tmux, so a frozen app can still be killed)."""

from __future__ import annotations

from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env, messages, wait_for


def _reply(db) -> dict:
    rows = [m for m in messages(db) if m["role"] == "assistant"] if db.exists() else []
    return rows[-1] if rows else {}


def test_a_five_megabyte_reply_keeps_the_app_responsive(sim, db_path) -> None:
    term = Tmux(app_env(sim.base_url, db_path))
    try:
        app = term.start(*app_command())
        term.wait_for(app, "Message ASI:One")
        term.type(app, "hello !sim:big=5000000")
        term.send(app, "Enter")
        wait_for(lambda: _reply(db_path).get("content"), what="the reply to start")
        term.type(app, "still here")  # typing goes on while the reply streams
        term.wait_for(app, "still here", timeout=3)
        wait_for(lambda: _reply(db_path).get("status") == "complete", timeout=60, what="the whole reply")
        assert len(_reply(db_path)["content"]) >= 5_000_000
        term.wait_for(app, "Part 24022", timeout=6)  # and its end is on screen soon after
        assert not term.dead(app)
    finally:
        term.close()
