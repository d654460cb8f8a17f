"""6. Resident memory after opening 50 large conversations (50 x 2,000 messages) one
after another in the real app (headless `run_test` in this process; the simulator runs
in its own). Reports VmRSS at the end and the peak (ru_maxrss), plus VmRSS after launch,
and the message views still in memory at the end (shown, or garbage not collected yet):
the widgets of a closed conversation are cyclic garbage, freed only by the collector.
"""

from __future__ import annotations

import gc
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import common
from common import PYTHON, build_app, row, seeded_db, until
from ptyapp import SimulatorProcess


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def open_all(db: Path) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ids = [r[0] for r in conn.execute("SELECT id FROM conversations ORDER BY updated_at DESC LIMIT 50")]
    conn.close()
    with SimulatorProcess() as sim:
        app = build_app(db, sim.base_url)
        async with app.run_test(size=common.SIZE) as pilot:
            await until(lambda: app.chat_screen.sidebar.conversation_list.option_count > 0)
            await pilot.pause(0.3)
            launched = vm_rss_mb()
            for conversation_id in ids:
                app.chat_screen.sidebar.conversation_list.focus()
                app.chat_screen.sidebar.conversation_list.select_conversation(conversation_id)
                await pilot.press("enter")
                await until(lambda wanted=conversation_id: app.chat_screen.conversation_view.conversation_id == wanted and app.focused is app.chat_screen.conversation_view.composer)
                await pilot.pause(0.05)
                # Scroll to the top once: the user reads back, and older pages load.
                app.chat_screen.conversation_view.chat_pane.scroll_home(animate=False)
                await pilot.pause(0.1)
            await pilot.pause(0.5)
            shown = len(app.chat_screen.conversation_view.chat_pane.message_views())
            final = vm_rss_mb()
            from app.ui.widgets.message_view import MessageView
            in_memory = sum(isinstance(obj, MessageView) for obj in gc.get_objects())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"launched": launched, "final": final, "peak": peak, "opened": len(ids), "shown": shown,
            "in_memory": in_memory}


def run(quick: bool) -> list[dict]:
    # A fresh process: nothing another benchmark allocated counts.
    db = seeded_db("large-50")
    code = ("import sys, json, asyncio; sys.path.insert(0, sys.argv[1]); import memory; "
            "print(json.dumps(asyncio.run(memory.open_all(memory.Path(sys.argv[2])))))")
    out = subprocess.run([PYTHON, "-c", code, str(Path(__file__).parent), str(db)], capture_output=True,
                         text=True, check=True, cwd=common.ROOT)
    result = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    note = (f"{result['opened']} opened; VmRSS {result['launched']:.0f} MB after launch, "
            f"{result['final']:.0f} MB at the end; {result['shown']} messages in the last pane, "
            f"{result['in_memory']} message views in memory")
    print(f"  memory: {note}; peak {result['peak']:.0f} MB", file=sys.stderr, flush=True)
    return [row("6 memory", "RSS after opening 50 × 2,000 messages (peak)", result["peak"], "MB", 150,
                note=note)]


if __name__ == "__main__":
    common.main(run, __doc__)
