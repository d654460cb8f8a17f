"""`kill -9` of the real program, mid-reply and mid-wait: nothing is lost, nothing is stuck.

After the kill the database must pass `PRAGMA integrity_check` and hold the user's message
and the answer text the server sent up to about a second before the kill. The next start
marks the cut reply interrupted, and a pending agent wait is finished by the next
`asi-chat resume` or app launch, with the conversation's own session id.
"""

from __future__ import annotations

import signal
import subprocess
import time

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import (
    ASI_CHAT,
    SentLog,
    app_env,
    asi,
    integrity,
    messages,
    pending_waits,
    read_db,
    wait_for,
)

PROMPT = "hello, please show me some python code"  # a long generic answer (~70 pieces)
CHUNK_DELAY = 0.05


def _reply_row(db) -> dict | None:
    rows = [m for m in messages(db) if m["role"] == "assistant"] if db.exists() else []
    return rows[-1] if rows else None


def _check_after_kill(db, sent: SentLog, killed_at: float) -> dict:
    """Sound file, the prompt kept, the reply kept up to about a second before the kill."""
    assert integrity(db) == "ok"
    user, reply = messages(db)
    assert (user["role"], user["content"]) == ("user", PROMPT)
    assert reply["status"] == "streaming"  # nobody has looked at it since
    assert sent.text().startswith(reply["content"])  # nothing made up
    assert reply["content"].startswith(sent.text(until=killed_at - 1.0))  # at most ~1 s missing
    assert len(sent.text(until=killed_at - 1.0)) > 20  # (the test did cut a long stream)
    return reply


def _kill_when_streaming(kill, db, sent: SentLog) -> float:
    """`kill()` once the answer has streamed for a while and is partly stored; the time of the kill."""
    wait_for(lambda: len(sent.text()) > 150 and (_reply_row(db) or {}).get("content"), what="the answer")
    time.sleep(0.3)
    killed_at = time.monotonic()
    kill()
    return killed_at


def test_kill_9_of_ask_mid_stream(monkeypatch, db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=CHUNK_DELAY) as sim:
        sent = SentLog(monkeypatch, CHUNK_DELAY)
        env = app_env(sim.base_url, db_path)
        proc = subprocess.Popen([str(ASI_CHAT), "ask", PROMPT], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed_at = _kill_when_streaming(proc.kill, db_path, sent)  # SIGKILL
        assert proc.wait(timeout=10) == -signal.SIGKILL
        reply = _check_after_kill(db_path, sent, killed_at)
        # The next start (any command) marks it interrupted; the text stays.
        shown = asi(env, "show", "1")
        assert shown.returncode == 0 and "## assistant (interrupted)" in shown.stdout
        (after,) = [m for m in messages(db_path) if m["role"] == "assistant"]
        assert after["status"] == "interrupted" and after["content"] == reply["content"]
        # and the conversation goes on
        sim.chunk_delay = 0
        again = asi(env, "ask", "-c", "--no-reasoning", "hello again")
        assert again.returncode == 0 and "## Hello again" in again.stdout


def test_kill_9_of_the_app_mid_stream(monkeypatch, db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=CHUNK_DELAY) as sim:
        sent = SentLog(monkeypatch, CHUNK_DELAY)
        term = Tmux(app_env(sim.base_url, db_path))
        try:
            first = term.start(*app_command())
            term.wait_for(first, "Message ASI:One")
            term.type(first, PROMPT)
            term.send(first, "Enter")
            killed_at = _kill_when_streaming(lambda: term.kill9(first), db_path, sent)
            reply = _check_after_kill(db_path, sent, killed_at)
            # The next launch marks it interrupted and shows it so.
            second = term.start(*app_command())
            term.wait_for(second, "1 conversation")
            wait_for(lambda: _reply_row(db_path)["status"] == "interrupted", what="the interrupted mark")
            assert _reply_row(db_path)["content"] == reply["content"]
            term.open_conversation(second, "⚠ interrupted")
        finally:
            term.close()


def _polled(db) -> bool:
    return any(made >= 1 for _, _, made in pending_waits(db))


def _finished_with_one_session(db, sim: Simulator) -> None:
    assert pending_waits(db) == []
    assert "![generated-image](" in messages(db)[-1]["content"]
    with read_db(db) as conn:
        (session,) = conn.execute("SELECT session_id FROM conversations").fetchone()
    assert {r.session_id for r in sim.requests} == {session}


def test_kill_9_of_ask_while_waiting_then_resume(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=10_000) as sim:
        env = app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="0.1")
        proc = subprocess.Popen([str(ASI_CHAT), "ask", "draw a heron"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _polled(db_path), what="a poll of the wait")
        proc.kill()
        proc.wait(timeout=10)
        assert integrity(db_path) == "ok"
        assert [m["status"] for m in messages(db_path)] == ["complete", "awaiting-agent"]
        sim.scenarios.agent_polls = 0  # the agent is done: the next poll gets the image
        started = time.monotonic()
        resumed = asi(env, "resume")
        assert resumed.returncode == 0, resumed.stderr
        assert time.monotonic() - started < 10  # no waiting out the dead process's lease
        assert "![generated-image](" in resumed.stdout
        _finished_with_one_session(db_path, sim)


def test_kill_9_of_the_app_while_waiting_then_relaunch(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=10_000) as sim:
        term = Tmux(app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="0.1"))
        try:
            first = term.start(*app_command())
            term.wait_for(first, "Message ASI:One")
            term.type(first, "draw a heron")
            term.send(first, "Enter")
            term.wait_for(first, "⏳ waiting for")  # (the agent, once its name is known)
            wait_for(lambda: _polled(db_path), what="a poll of the wait")
            term.kill9(first)
            assert integrity(db_path) == "ok"
            sim.scenarios.agent_polls = 0
            second = term.start(*app_command())
            wait_for(lambda: not pending_waits(db_path), timeout=15, what="the resumed wait to finish")
            _finished_with_one_session(db_path, sim)
            term.wait_for(second, "1 conversation")
            term.open_conversation(second, "generated-image")
        finally:
            term.close()


def test_kill_9_of_the_app_during_a_regenerate_keeps_both_branches(db_path) -> None:
    with Simulator(api_key=TEST_KEY) as sim:
        term = Tmux(app_env(sim.base_url, db_path))
        try:
            first = term.start(*app_command())
            term.wait_for(first, "Message ASI:One")
            term.type(first, PROMPT)
            term.send(first, "Enter")
            term.wait_for(first, "Ask a follow-up")
            (original,) = [m for m in messages(db_path) if m["role"] == "assistant"]
            sim.chunk_delay = CHUNK_DELAY  # the new answer streams slowly
            term.send(first, "C-t")  # the chat: the newest message (the reply) is selected
            time.sleep(0.3)  # (a key in the same read as ctrl+t can reach the composer first)
            term.send(first, "r")
            wait_for(lambda: len([m for m in messages(db_path) if m["role"] == "assistant"]) == 2
                     and messages(db_path)[-1]["content"], what="the regenerated reply to start")
            time.sleep(0.3)
            term.kill9(first)
            assert integrity(db_path) == "ok"
            sim.chunk_delay = 0
            second = term.start(*app_command())
            term.wait_for(second, "1 conversation")
            wait_for(lambda: messages(db_path)[-1]["status"] == "interrupted", what="the partial marked")
            old, partial = [m for m in messages(db_path) if m["role"] == "assistant"]
            assert (old["content"], old["status"]) == (original["content"], "complete")
            assert partial["content"] and partial["parent_id"] == old["parent_id"]
            term.open_conversation(second, "⚠ interrupted")  # the partial branch is the one shown
        finally:
            term.close()
