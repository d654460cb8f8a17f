"""Several asi-chat processes on one history at once: two full-screen apps and a crowd of
`ask`s, all writing while they stream. No "database is locked" reaches anyone, no write
is lost, and the file stays sound.
"""

from __future__ import annotations

import subprocess
import sys
import time

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import ASI_CHAT, app_env, integrity, messages, pending_waits, read_db, wait_for

ASKS = 6
TOKENS = 12_000  # ~80 KB answers sent at once: a store write every 2 KB, for every `ask`
LOCKED = ("locked", "busy", "Reply failed", "Traceback")


def test_two_apps_and_six_asks_on_one_history(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.01) as sim:
        env = app_env(sim.base_url, db_path)
        assert subprocess.run([str(ASI_CHAT), "list"], env=env).returncode == 0  # create the file
        term = Tmux(env)
        try:
            apps = [term.start(*app_command()), term.start(*app_command())]
            for app in apps:
                term.wait_for(app, "Message ASI:One")
            asks = [subprocess.Popen([str(ASI_CHAT), "ask", "--no-reasoning", f"ask {i} !sim:tokens={TOKENS}"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for i in range(ASKS)]
            seen: list[str] = []
            for turn in (1, 2):  # both apps send at the same moment, twice, while the asks write
                for n, app in enumerate(apps):
                    term.type(app, f"app {n} turn {turn}")
                    term.send(app, "Enter")
                for n, app in enumerate(apps):
                    wait_for(lambda: _done(db_path, f"app {n} turn {turn}"), timeout=30, what="a reply")
                    seen.append(term.screen(app))
            results = [proc.communicate(timeout=60) for proc in asks]
            seen += [term.screen(app) for app in apps]
            assert not any(term.dead(app) for app in apps)
        finally:
            term.close()
    for proc, (out, err) in zip(asks, results):
        assert proc.returncode == 0, err
        assert not any(word in err for word in LOCKED), err
    for screen in seen:
        assert not any(word in screen for word in LOCKED), screen
    # every write is there: 6 + 2 conversations, each prompt with its whole answer
    assert integrity(db_path) == "ok"
    with read_db(db_path) as conn:
        conversations = [r[0] for r in conn.execute("SELECT session_id FROM conversations")]
    assert len(conversations) == len(set(conversations)) == ASKS + 2
    rows = messages(db_path)
    assert len(rows) == ASKS * 2 + 2 * 4 and all(m["status"] == "complete" for m in rows)
    for i, (out, _) in enumerate(results):
        (prompt,) = [m for m in rows if m["content"] == f"ask {i} !sim:tokens={TOKENS}"]
        (answer,) = [m for m in rows if m["conversation_id"] == prompt["conversation_id"] and m["role"] == "assistant"]
        assert answer["content"].strip() == out.strip() and len(out) > 50_000
    for n in (0, 1):
        conversation = [m for m in rows if m["content"] == f"app {n} turn 1"][0]["conversation_id"]
        own = [m["content"] for m in rows if m["conversation_id"] == conversation]
        assert own[0] == f"app {n} turn 1" and own[2] == f"app {n} turn 2"
        assert all(text.startswith(f"## App {n} turn") for text in own[1::2])


def _done(db, prompt: str) -> bool:
    """The reply to `prompt` is stored complete."""
    rows = messages(db)
    for index, row in enumerate(rows):
        if row["content"] == prompt:
            later = [m for m in rows[index + 1:] if m["conversation_id"] == row["conversation_id"]]
            return bool(later) and later[0]["status"] == "complete"
    return False


def test_a_long_write_elsewhere_only_delays_a_turn(db_path, sim) -> None:
    """Another process holding the write lock for 2 s: the turn waits for it, then goes on."""
    env = app_env(sim.base_url, db_path)
    assert subprocess.run([str(ASI_CHAT), "list"], env=env).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
         " c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(2); c.execute('COMMIT')",
         str(db_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    result = subprocess.run([str(ASI_CHAT), "ask", "--no-reasoning", "hello"], env=env,
                            capture_output=True, text=True, timeout=60)
    holder.wait(timeout=10)
    assert result.returncode == 0 and result.stdout.startswith("## Hello"), result.stderr
    assert time.monotonic() - started >= 1.0  # it did wait
    assert [m["status"] for m in messages(db_path)] == ["complete", "complete"]


def test_resume_leaves_a_wait_to_the_process_already_polling_it(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=10_000) as sim:
        env = app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="0.1")
        waiting = subprocess.Popen([str(ASI_CHAT), "ask", "draw a heron"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: any(made >= 1 for _, _, made in pending_waits(db_path)), what="a poll")
            resumed = subprocess.run([str(ASI_CHAT), "resume"], env=env, capture_output=True, text=True,
                                     timeout=30)
        finally:
            waiting.kill()
            waiting.wait()
    assert resumed.returncode == 0, resumed.stderr
    assert "another running asi-chat is already waiting for this agent" in resumed.stderr
    assert "Traceback" not in resumed.stderr and resumed.stdout == ""


def test_a_live_writer_is_never_taken_for_a_dead_one(db_path) -> None:
    """Each Store holds its own presence lock, as a process does: the recovery at one's
    start must not mark another's live reply interrupted, now or after a third arrives."""
    import gc

    from app.core.store.store import Store

    first, second = Store(db_path), Store(db_path)
    conversation = second.create_conversation("asi1-fast-agentic")
    assert second.recover_interrupted() == 0  # `first` is alive: not alone
    live = second.add_message(conversation.id, "assistant", "partial", status="streaming")
    del first
    gc.collect()  # `first` is gone; `second` still streams
    third = Store(db_path)
    assert third.recover_interrupted() == 0
    assert third.get_message(live.id).status == "streaming"
    del second
    gc.collect()  # now the writer is gone too
    assert third.recover_interrupted() == 1
    assert third.get_message(live.id).status == "interrupted"
