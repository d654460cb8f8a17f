"""5. Opening a 2,000-message conversation: the real app headless (`run_test`) on the
10,000-conversation database; Enter on the conversation in the list, until the frame
showing its newest messages (and the composer focused again) has been composed.
Between runs a 50-message conversation is opened, so each run replaces a full pane.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time

import common
from common import PaintClock, build_app, median, row, seeded_db, until
from ptyapp import SimulatorProcess


def long_and_short(db) -> tuple[int, int, int]:
    """(id of the longest conversation, its newest message id, id of a 50-message one)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        long_id, _ = conn.execute("SELECT conversation_id, count(*) FROM messages GROUP BY conversation_id"
                                  " ORDER BY count(*) DESC LIMIT 1").fetchone()
        newest = conn.execute("SELECT max(id) FROM messages WHERE conversation_id = ?", (long_id,)).fetchone()[0]
        short = conn.execute("SELECT id FROM conversations WHERE id != ? ORDER BY updated_at DESC LIMIT 1",
                             (long_id,)).fetchone()[0]
        return long_id, newest, short
    finally:
        conn.close()


async def open_by_enter(app, pilot, conversation_id: int) -> None:
    conversations = app.chat_screen.sidebar.conversation_list
    conversations.focus()
    assert conversations.select_conversation(conversation_id)
    await pilot.pause(0.05)
    await pilot.press("enter")


async def measure(quick: bool) -> list[dict]:
    repeat = 3 if quick else 9
    db = seeded_db("history-10k")
    long_id, newest, short = long_and_short(db)
    runs = []
    with SimulatorProcess() as sim:
        app = build_app(db, sim.base_url)
        async with app.run_test(size=common.SIZE) as pilot:
            clock = PaintClock(app)
            await until(lambda: app.chat_screen.sidebar.conversation_list.option_count > 0)
            for _ in range(repeat + 1):
                await open_by_enter(app, pilot, short)
                await until(lambda: app.chat_screen.conversation_view.conversation_id == short)
                await pilot.pause(0.2)
                conversations = app.chat_screen.sidebar.conversation_list
                conversations.focus()
                conversations.select_conversation(long_id)
                await pilot.pause(0.1)

                def shown() -> bool:
                    views = app.chat_screen.conversation_view.chat_pane.message_views()
                    return (app.chat_screen.conversation_view.conversation_id == long_id and bool(views) and views[-1].message_id == newest
                            and app.focused is app.chat_screen.conversation_view.composer)

                frame = clock.expect(shown)
                started = time.perf_counter()
                await pilot.press("enter")
                runs.append((await frame - started) * 1000)
                await pilot.pause(0.2)
            shown_views = len(app.chat_screen.conversation_view.chat_pane.message_views())
    runs = runs[1:]  # the first open also warms caches (sqlite pages, CSS)
    print("  open: " + " ".join(f"{r:.0f}" for r in runs) + " ms", file=sys.stderr, flush=True)
    return [row("5 open conversation", "2,000 messages (newest page shown)", median(runs), "ms", 300,
                note=f"{shown_views} messages mounted; runs {min(runs):.0f}-{max(runs):.0f} ms")]


def run(quick: bool) -> list[dict]:
    return asyncio.run(measure(quick))


if __name__ == "__main__":
    common.main(run, __doc__)
