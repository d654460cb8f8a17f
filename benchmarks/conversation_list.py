"""4. The conversation list at 10,000 conversations: scroll to the end (End in the list:
the oldest conversation shown, then all 10,000 listed; Down within the list also timed) and
search as you type (ctrl+f, then "giraffe" one letter at a time, 120 ms apart).

The real app runs headless (`run_test`) on the seeded database; each time runs from the
key press until the frame showing the result has been composed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time

import common
from common import PYTHON, ROOT, PaintClock, build_app, median, percentile, row, seeded_db, until
from ptyapp import SimulatorProcess

QUERY = "giraffe"


def oldest_and_count(db) -> tuple[int, int]:
    """(id of the oldest conversation, how many there are)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        oldest = conn.execute("SELECT id FROM conversations ORDER BY updated_at, id LIMIT 1").fetchone()[0]
        return oldest, conn.execute("SELECT count(*) FROM conversations").fetchone()[0]
    finally:
        conn.close()


async def to_end(app, pilot, clock: PaintClock, last: int, total: int) -> tuple[float, float, list[float]]:
    """Seconds from End until the oldest conversation is highlighted and drawn, and until the
    frame with all `total` listed (read in a thread meanwhile), and the milliseconds of each of
    a few Down presses after Home (moving within what is loaded)."""
    conversations = app.chat_screen.sidebar.conversation_list
    conversations.focus()
    await pilot.press("home")
    await pilot.pause(0.2)
    moves = []
    for _ in range(5):
        index = conversations.highlighted + 1
        frame = clock.expect(lambda index=index: conversations.highlighted == index)
        started = time.perf_counter()
        await pilot.press("down")
        moves.append((await frame - started) * 1000)
    frame = clock.expect(lambda: conversations.highlighted_conversation_id == last)
    started = time.perf_counter()
    await pilot.press("end")
    shown = await frame
    if conversations.option_count >= total:  # in place already (the last frame drew it, or will)
        listed = clock.frames[-1]
    else:
        listed = await clock.expect(lambda: conversations.option_count >= total)
    return shown - started, listed - started, moves


async def search(app, pilot, clock: PaintClock) -> list[float]:
    """Latency (ms) of each keystroke of QUERY, from the key to the frame with its matches."""
    conversations = app.chat_screen.sidebar.conversation_list
    await pilot.press("ctrl+f")
    await pilot.pause(0.2)
    latencies = []
    for end in range(1, len(QUERY) + 1):
        typed = QUERY[:end]
        frame = clock.expect(lambda typed=typed: conversations.filter_query == typed and conversations._search_worker
                             is None and "searching" not in str(conversations.border_subtitle))
        started = time.perf_counter()
        await pilot.press(QUERY[end - 1])
        latencies.append((await frame - started) * 1000)
        await asyncio.sleep(0.12)
    await pilot.press("escape")
    await until(lambda: conversations.filter_query == "")
    await pilot.pause(0.2)
    return latencies


async def measure_one(base_url: str) -> dict:
    """One app on the seeded database: End, Down presses and search keys, in ms."""
    db = seeded_db("history-10k")
    last, total = oldest_and_count(db)
    app = build_app(db, base_url)
    async with app.run_test(size=common.SIZE) as pilot:
        clock = PaintClock(app)
        await until(lambda: app.chat_screen.sidebar.conversation_list.option_count > 0)
        await pilot.pause(0.3)
        keys = await search(app, pilot, clock)
        seconds, full, presses = await to_end(app, pilot, clock, last, total)
    return {"end": seconds * 1000, "full": full * 1000, "down": presses, "keys": keys, "total": total}


def measure(quick: bool) -> list[dict]:
    """Each app in a fresh process, as people run it: a process that already ran apps has
    their garbage to collect, and a full collection (100+ ms) then lands on some key."""
    repeat = 2 if quick else 5
    seeded_db("history-10k")  # built once, before the runs
    end_runs, full_runs, pages, keys = [], [], [], []
    with SimulatorProcess() as sim:
        for _ in range(repeat):
            out = subprocess.run([PYTHON, __file__, "--one", sim.base_url], capture_output=True, text=True,
                                 check=True, cwd=ROOT).stdout
            one = json.loads(out.strip().splitlines()[-1])
            end_runs.append(one["end"])
            full_runs.append(one["full"])
            pages += one["down"]
            keys += one["keys"]
            total = one["total"]
            print(f"  list: end {one['end']:.0f} ms, all listed {one['full']:.0f} ms; down "
                  + " ".join(f"{p:.0f}" for p in one["down"])
                  + " ms; search keys " + " ".join(f"{k:.0f}" for k in one["keys"]) + " ms",
                  file=sys.stderr, flush=True)
    return [
        row("4 conversation list (10k)", "End → oldest conversation shown", median(end_runs), "ms", 50,
            note="the last page, under a 'loading' row for the rest"),
        row("4 conversation list (10k)", "End → all conversations listed", median(full_runs), "ms", None,
            note=f"{total:,}, read in a thread meanwhile"),
        row("4 conversation list (10k)", "Down, per press", median(pages), "ms", 50),
        row("4 conversation list (10k)", "search as you type, per key p50", percentile(keys, 50), "ms", 50,
            note=f"'{QUERY}' typed {repeat}× ({len(keys)} keys)"),
        row("4 conversation list (10k)", "search as you type, per key p95", percentile(keys, 95), "ms", 50,
            note="a lone first letter ('g') is looked up in titles only"),
    ]


def run(quick: bool) -> list[dict]:
    return measure(quick)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(asyncio.run(measure_one(sys.argv[2]))))
    else:
        common.main(run, __doc__)
