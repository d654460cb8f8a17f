"""2. A streamed reply fully rendered, N = 1,000 / 3,000 / 20,000 markdown tokens sent
as fast as the simulator can, in the real app (stream_render.py) and, for comparison,
in a bare Textual app writing the same text into a MarkdownStream (bare_markdown_stream.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import bare_markdown_stream
import common
import stream_render
from app.simulator import Simulator
from app.simulator.scenarios import tokens_reply
from common import KEY, median, row

TARGETS = {1000: None, 3000: 0.6, 20000: 3.0}


async def measure(quick: bool) -> list[dict]:
    repeat = 2 if quick else 5
    rows, per_k = [], {}
    with tempfile.TemporaryDirectory() as tmp, Simulator(api_key=KEY) as sim:
        await stream_render.one_run(1000, sim, Path(tmp))  # warm-up: imports, first parse
        for n, target in TARGETS.items():
            runs = [await stream_render.one_run(n, sim, Path(tmp)) for _ in range(repeat)]
            tokens = tokens_reply(n).content
            bare = [await bare_markdown_stream.one_run(tokens) for _ in range(repeat)]
            value = median(runs)
            per_k[n] = value / n * 1000
            note = (f"{n / value:,.0f} tok/s; {per_k[n]:.3f} s/1k tok; bare MarkdownStream "
                    f"{median(bare):.2f} s; runs " + " ".join(f"{r:.2f}" for r in runs))
            rows.append(row("2 stream rendered", f"N = {n:,} tokens", value, "s", target, note=note))
            print(f"  stream {n}: {value:.3f} s ({note})", file=sys.stderr, flush=True)
    growth = per_k[20000] / per_k[3000]
    rows.append(row("2 stream rendered", "growth: s/1k tok at 20,000 ÷ at 3,000", growth, "×", 1.25,
                    note="≤ 1.25 counts as linear"))
    return rows


def run(quick: bool) -> list[dict]:
    import asyncio

    return asyncio.run(measure(quick))


if __name__ == "__main__":
    common.main(run, __doc__)
