"""Agent browser: ctrl+g → first marketplace results rendered, and key echo in its search box.

The real app, headless (`run_test`), against the simulator (its marketplace on the same
127.0.0.1 server). Opening: from the key press to the first frame showing marketplace
results (median over repeats, each on a fresh app). Key echo: letters typed 30-80 ms
apart into the search box while the debounced searches run and redraw the results; the
clock stops at the first frame showing the letter.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import common
from common import PaintClock, build_app, median, percentile, row

WORDS = "image generation flight finder weather forecast market watch research paper"


async def one_run(db: Path, sim, rng: random.Random) -> tuple[float, list[float]]:
    from app.ui.screens.agent_browser import AgentBrowserScreen

    app = build_app(db, sim.base_url, agentverse_url=sim.origin)
    async with app.run_test(size=common.SIZE) as pilot:
        clock = PaintClock(app)
        await pilot.pause(0.3)

        def results_shown() -> bool:
            screen = app.screen
            return (isinstance(screen, AgentBrowserScreen) and screen.page is not None
                    and screen.results.option_count > 0)

        frame = clock.expect(results_shown)
        started = time.perf_counter()
        await pilot.press("ctrl+g")
        opened = (await frame - started) * 1000
        box = app.screen.search_box
        echoes = []
        for letter in WORDS[:40]:
            typed = box.value + letter
            frame = clock.expect(lambda t=typed: box.value == t)
            sent = time.perf_counter()
            await pilot.press("space" if letter == " " else letter)
            echoes.append((await frame - sent) * 1000)
            await asyncio.sleep(rng.uniform(0.03, 0.08))
        await pilot.pause(0.3)
    return opened, echoes


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def run(quick: bool) -> list[dict]:
    from app.simulator import Simulator

    repeat = 3 if quick else 7
    rng = random.Random(11)
    opens, echoes = [], []
    with tempfile.TemporaryDirectory() as name, Simulator(api_key=common.KEY) as sim:
        for _ in range(repeat):
            opened, keys = asyncio.run(one_run(common.fresh_db(Path(name)), sim, rng))
            opens.append(opened)
            echoes += keys
            print(f"  agent browser: opened in {opened:.0f} ms; key echo p50 {percentile(keys, 50):.1f} ms,"
                  f" p95 {percentile(keys, 95):.1f} ms", file=sys.stderr, flush=True)
    note = (f"{repeat} opens, fastest {min(opens):.0f} ms; {len(echoes)} keys; max echo {max(echoes):.0f} ms;"
            f" load average {_load()}")
    return [
        row("agent browser", "ctrl+g → first results rendered", median(opens), "ms", 300, note=note),
        row("agent browser", "key echo in its search box, p50", percentile(echoes, 50), "ms", None),
        row("agent browser", "key echo in its search box, p95", percentile(echoes, 95), "ms", 50),
    ]


if __name__ == "__main__":
    common.main(run, __doc__)
