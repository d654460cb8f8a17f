"""Baseline: a bare Textual app that batches the same N-token reply into a MarkdownStream
every 50 ms (no store, no network). What the real app is compared against. The clock
stops at the first frame composed after the last append, as in `stream_render.py`.

    python benchmarks/bare_markdown_stream.py --tokens 1000 3000 20000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import PaintClock
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Markdown

from app.simulator.scenarios import tokens_reply


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Markdown()
        yield Input()


async def one_run(tokens: list[str]) -> float:
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        markdown = app.query_one(Markdown)
        text = "".join(tokens)
        clock = PaintClock(app)
        appended = asyncio.Event()  # the last append (all of the text) has finished
        frame = clock.expect(appended.is_set)
        append = markdown.append

        def append_and_note(fragment: str):
            waiter = append(fragment)

            async def run() -> None:
                await waiter
                if markdown.source == text:
                    appended.set()  # (before any frame: nothing yields in between)
            return run()

        markdown.append = append_and_note
        stream = Markdown.get_stream(markdown)
        started = time.perf_counter()
        pending: list[str] = []
        last = time.perf_counter()
        for token in tokens:
            pending.append(token)
            if time.perf_counter() - last >= 0.05:
                await stream.write("".join(pending))
                pending.clear()
                last = time.perf_counter()
            await asyncio.sleep(0)
        await stream.write("".join(pending))
        await stream.stop()
        return await frame - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, nargs="+", default=[1000, 3000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'tokens':>7} {'median s':>9}")
    for n in args.tokens:
        tokens = tokens_reply(n).content
        runs = [await one_run(tokens) for _ in range(args.repeat)]
        print(f"{n:>7} {statistics.median(runs):>9.3f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
