"""7. CPU used while 10 conversations wait on agents (poll interval 5 s): the real app
on a pseudo-terminal. Ten image requests that the simulator's agent never finishes
(`!sim:never`) are typed, each in a new conversation. The app's own CPU time (user +
system, from /proc) is then read over 60 s (15 s with --quick), as a share of one core:
first with the last waiting conversation open, its wait card's spinner and clock ticking,
then with the user on a new conversation (composer focused, no wait card on screen).
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import common
from common import child_env, row
from ptyapp import PtyApp, SimulatorProcess, app_argv

WAITS = 10
PROMPT = "draw a picture of a lighthouse !sim:never"


def pending_waits(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM agent_waits").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def polls_made(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT coalesce(sum(attempts_made), 0) FROM agent_waits").fetchone()[0]
    finally:
        conn.close()


def run(quick: bool) -> list[dict]:
    seconds = 15.0 if quick else 60.0
    with tempfile.TemporaryDirectory() as name, SimulatorProcess() as sim:
        tmp = Path(name)
        db = common.fresh_db(tmp)
        # 24 polls (the default) of 5 s ran out two minutes in, in the middle of the 60-s
        # case without a card: ten "Agent still busy" notices, then no polls at all.
        argv = app_argv(db, sim.base_url, "--poll-interval", "5", "--poll-attempts", "1000")
        with PtyApp(argv, child_env(tmp, ASI_ONE_API_KEY=common.KEY)) as app:
            app.wait_for("Message ASI:One", timeout=20)
            for index in range(WAITS):
                app.chat_screen.conversation_view.send("\x0e")  # ctrl+n: a new conversation
                time.sleep(0.3)
                app.chat_screen.conversation_view.send(PROMPT)
                time.sleep(0.2)
                app.chat_screen.conversation_view.send("\r")
                deadline = time.monotonic() + 15
                while pending_waits(db) <= index:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"wait {index + 1} did not start: {app.tail()!r}")
                    time.sleep(0.1)
            app.wait_for("waiting for", since=time.monotonic() - 1)  # "… agent" or "… <its name>"
            results = []
            time.sleep(1.0)
            # First with the last conversation still open (its wait card on screen), then
            # on a new conversation (ctrl+n): no card, only the list's badges.
            for case, keys in (("a wait card on screen", []), ("no wait card on screen", ["\x0e"])):
                for key in keys:
                    time.sleep(0.5)
                    app.chat_screen.conversation_view.send(key)
                time.sleep(2.0)
                polls_before, cpu_before, sim_before = polls_made(db), app.cpu_seconds(), sim.cpu_seconds()
                started = time.monotonic()
                time.sleep(seconds)
                elapsed = time.monotonic() - started
                results.append((case, app.cpu_seconds() - cpu_before, elapsed, polls_made(db) - polls_before,
                                sim.cpu_seconds() - sim_before))
            rss = app.rss_mb()
            still = pending_waits(db)
    rows = []
    for case, cpu, elapsed, polls, sim_cpu in results:
        share = cpu / elapsed * 100
        note = (f"{cpu:.2f} s CPU in {elapsed:.0f} s; {still} waits, {polls} polls; simulator "
                f"{sim_cpu / elapsed * 100:.2f} %; app RSS {rss:.0f} MB")
        print(f"  waiting CPU, {case}: {share:.2f} % ({note})", file=sys.stderr, flush=True)
        rows.append(row("7 CPU while 10 agents wait", f"{case}, share of one core", share, "%", 0.5, note=note))
    return rows


if __name__ == "__main__":
    common.main(run, __doc__)
