"""Time an N-token markdown reply, streamed from the simulator as fast as it can send,
until the real app has it fully rendered in the chat pane.

    python benchmarks/stream_render.py --tokens 1000 3000 20000 --repeat 3

The clock starts when Enter reaches the app (started and idle) and stops when the first
frame is composed that shows the turn over and the reply's Markdown widget holding the
whole text: the frame a user sees (`bare_markdown_stream.py` stops its clock the same
way). Prints the median time and tokens per second for each N, and the time per 1,000
tokens (linear growth keeps it flat).

The simulator runs in its own process (as `asi-chat simulator` does), as the real API runs on
its own machine: in the app's process its thread would spend the app's interpreter time
(the GIL) encoding and sending the 3,000 events, a cost no real server puts on the app.
`--in-process-simulator` measures that way too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import KEY, PaintClock
from ptyapp import SimulatorProcess
from textual import events
from textual.widgets import Markdown

from app.core.config import load_settings
from app.core.runtime import make_runtime
from app.core.store.store import Store
from app.simulator import Simulator
from app.ui.app import AsiChatApp


async def one_run(tokens: int, sim: Simulator | SimulatorProcess, tmp: Path) -> float:
    db = tmp / f"bench-{tokens}-{time.monotonic_ns()}.db"
    settings = load_settings({"db": db, "api_key": KEY, "base_url": sim.base_url},
                             env={}, config_file=tmp / "none.toml")
    store = Store(db)
    app = AsiChatApp(settings, store, make_runtime(settings, store), resume_waits=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock = PaintClock(app)

        def whole_reply_shown() -> bool:
            views = app.chat_screen.conversation_view.chat_pane.message_views()
            reply = views[-1] if len(views) == 2 else None
            return (not ((app.runtime.chat.turns if app.runtime else {}) or (bool(app.chat_screen.turn_watch.turns) or app.chat_screen.conversation_view.drawing)) and reply is not None and reply.status == "complete"
                    and reply.query_one(Markdown).source.rstrip() == reply.content.rstrip())

        frame = clock.expect(whole_reply_shown)
        app.chat_screen.conversation_view.composer.text = f"!sim:tokens={tokens} go"
        started = time.perf_counter()
        app.post_message(events.Key("enter", None))  # (Pilot's press would also wait for the app to idle)
        elapsed = await frame - started
        reply = app.chat_screen.conversation_view.chat_pane.message_views()[-1]
        stored = store.messages(app.chat_screen.conversation_view.conversation_id)[-1]
        assert stored.status == "complete" and stored.content == reply.content
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, nargs="+", default=[1000, 3000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--in-process-simulator", action="store_true",
                        help="run the simulator in a thread of this process (sharing its GIL)")
    args = parser.parse_args()
    print(f"{'tokens':>7} {'median s':>9} {'tokens/s':>9} {'s/1k tok':>9}   runs")
    simulator = Simulator(api_key=KEY) if args.in_process_simulator else SimulatorProcess()
    with tempfile.TemporaryDirectory() as tmp, simulator as sim:
        for n in args.tokens:
            runs = [await one_run(n, sim, Path(tmp)) for _ in range(args.repeat)]
            median = statistics.median(runs)
            print(f"{n:>7} {median:>9.3f} {n / median:>9.0f} {median / n * 1000:>9.3f}   "
                  + " ".join(f"{r:.3f}" for r in runs), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
