"""2. A streamed reply fully rendered, N = 1,000 / 3,000 / 20,000 markdown tokens sent
as fast as the simulator can, in the real app (stream_render.py) and, for comparison,
in a bare Textual app writing the same text into a MarkdownStream (bare_markdown_stream.py).
Each run is a fresh process (with the simulator in it, as stream_render.py does).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import common
from common import PYTHON, ROOT, median, row

HERE = Path(__file__).resolve().parent

TARGETS = {1000: None, 3000: 0.6, 20000: 3.0}


def one(script: str, n: int) -> float:
    """One run in a fresh process: a process that already ran apps has more to collect."""
    argv = [PYTHON, str(HERE / script), "--tokens", str(n), "--repeat", "1"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return float(out.strip().splitlines()[-1].split()[1])


def run(quick: bool) -> list[dict]:
    repeat = 3 if quick else 5
    rows, per_k = [], {}
    for n, target in TARGETS.items():
        runs = sorted(one("stream_render.py", n) for _ in range(repeat))
        bare = sorted(one("bare_markdown_stream.py", n) for _ in range(repeat))
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


if __name__ == "__main__":
    common.main(run, __doc__)
