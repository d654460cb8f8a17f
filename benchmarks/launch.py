"""1. Launch to first paint with the composer focused: the real `asi-chat` process on a
pseudo-terminal, empty database and 10,000 conversations / 502,000 messages.

The clock starts before the process is spawned (interpreter start-up and every import
count) and stops when Textual reports the first frame written (see launch_probe.py).
A bare Textual app (header, 100-option list, input) is timed the same way for scale.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import common
from common import PYTHON, child_env, median, row, seeded_db
from ptyapp import PtyApp, SimulatorProcess

PROBE = Path(__file__).resolve().parent / "launch_probe.py"


def launch_once(tmp: Path, args: list[str], *, bare: bool = False) -> tuple[float, str, int]:
    """(seconds to first frame, focused widget class, options listed) of one launch."""
    read, write = os.pipe()
    argv = [PYTHON, str(PROBE), str(write), *(["--bare"] if bare else []), "--", *args]
    with PtyApp(argv, child_env(tmp, ASI_ONE_API_KEY=common.KEY), pass_fds=(write,)) as app:
        os.close(write)
        with os.fdopen(read) as report:
            line = report.readline().split()
        app.proc.wait(15)
    if not line:
        raise RuntimeError(f"the app exited before its first frame: {app.tail()!r}")
    return float(line[0]) - app.started, line[1], int(line[2])


def measure(tmp: Path, args: list[str], repeat: int, *, bare: bool = False) -> tuple[float, list[float], str]:
    launch_once(tmp, args, bare=bare)  # warm the page cache: a second launch is the common case
    runs, focus = [], set()
    for _ in range(repeat):
        seconds, focused, listed = launch_once(tmp, args, bare=bare)
        runs.append(seconds)
        focus.add(f"{focused}, {listed} listed")
    return median(runs), runs, "; ".join(sorted(focus))


def run(quick: bool) -> list[dict]:
    repeat = 3 if quick else 7
    rows = []
    with tempfile.TemporaryDirectory() as name, SimulatorProcess() as sim:
        tmp = Path(name)
        cases = [
            ("bare Textual app (for scale)", None, None, True),
            ("empty database", tmp / "empty.db", 0.5, False),
            ("10,000 conversations", seeded_db("history-10k"), 0.6, False),
        ]
        for case, db, target, bare in cases:
            args = [] if db is None else ["--db", str(db), "--base-url", sim.base_url]
            value, runs, focus = measure(tmp, args, repeat, bare=bare)
            spread = f"runs {min(runs):.2f}-{max(runs):.2f} s; focus: {focus}"
            rows.append(row("1 launch → first paint", case, value, "s", target, note=spread))
            print(f"  launch {case}: {value:.3f} s ({spread})", file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    common.main(run, __doc__)
