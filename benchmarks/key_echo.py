"""3. Key echo in the composer while a 20,000-token reply streams: the real app on a
pseudo-terminal; a key is written to the terminal and the clock stops when the frame
that shows it arrives. Each key is a different letter (Greek, Cyrillic) that the reply
never contains, so its first appearance in the output is its echo.

Keys are typed 30-80 ms apart from the moment the reply starts showing until the turn
is over (the context meter, updated when the turn ends, shows the reply's tokens) or
MAX_KEYS were typed (while the user types, the app renders the reply at a slower pace:
keys go first). p50 and p95 over all keys.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
import time
from pathlib import Path

import common
from common import child_env, percentile, row
from ptyapp import ANSI, PtyApp, SimulatorProcess, app_argv

N = 20_000
# Letters the reply never contains: Greek, Cyrillic, Latin Extended-A, Armenian (~280).
LETTERS = "".join(chr(c) for first, last in ((0x3B1, 0x3C9), (0x391, 0x3A9), (0x430, 0x44F), (0x410, 0x42F),
                                              (0x100, 0x17F), (0x561, 0x586))
                  for c in range(first, last + 1) if chr(c).isprintable() and chr(c) != "ς")
MAX_KEYS = 120


DONE = re.compile(r"context [1-9]")  # the meter is updated when the turn is over


def turn_over(app: PtyApp, since: float) -> bool:
    return any(stamp >= since and DONE.search(ANSI.sub("", text)) for stamp, text in list(app.chunks))


def one_run(tmp: Path, base_url: str, rng: random.Random) -> tuple[list[float], float]:
    """Echo latencies (ms) of the keys typed during one streamed reply, and its duration."""
    db = common.fresh_db(tmp)
    latencies: list[float] = []
    with PtyApp(app_argv(db, base_url), child_env(tmp, ASI_ONE_API_KEY=common.KEY)) as app:
        app.wait_for("Message ASI:One", timeout=20)
        app.chat_screen.conversation_view.send(f"!sim:tokens={N} go")
        time.sleep(0.3)
        sent = app.chat_screen.conversation_view.send("\r")
        started = app.wait_for("Paragraph", since=sent)
        letters = iter(LETTERS[:MAX_KEYS])
        while True:
            letter = next(letters, None)
            if letter is None:
                break
            typed = app.chat_screen.conversation_view.send(letter)
            shown = app.wait_for(letter, since=typed, timeout=10)
            latencies.append((shown - typed) * 1000)
            if turn_over(app, sent):
                break
            time.sleep(rng.uniform(0.03, 0.08))
        duration = time.monotonic() - started
    return latencies, duration


def run(quick: bool) -> list[dict]:
    repeat = 2 if quick else 5
    rng = random.Random(7)
    latencies: list[float] = []
    durations = []
    with tempfile.TemporaryDirectory() as name, SimulatorProcess() as sim:
        for _ in range(repeat):
            keys, duration = one_run(Path(name), sim.base_url, rng)
            latencies += keys
            durations.append(duration)
            print(f"  key echo: {len(keys)} keys over {duration:.1f} s, p50 {percentile(keys, 50):.0f} ms,"
                  f" p95 {percentile(keys, 95):.0f} ms, max {max(keys):.0f} ms", file=sys.stderr, flush=True)
    note = (f"{len(latencies)} keys in {repeat} replies of {min(durations):.1f}-{max(durations):.1f} s;"
            f" max {max(latencies):.0f} ms")
    return [
        row("3 key echo while streaming 20k", "p50", percentile(latencies, 50), "ms", None, note=note),
        row("3 key echo while streaming 20k", "p95", percentile(latencies, 95), "ms", 50),
    ]


if __name__ == "__main__":
    common.main(run, __doc__)
