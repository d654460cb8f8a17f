"""Shared pieces of the benchmark suite: seeded databases, app construction, statistics,
a paint clock for headless runs, and the result rows that `run_all.py` prints.

Every benchmark module has `run(quick: bool) -> list[dict]` and, run as a script, prints
its rows (or, with --json, one JSON list that `run_all.py` reads).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
KEY = "sk-bench"
SIZE = (120, 40)
BENCH_DIR = Path(os.environ.get("ASI_CHAT_BENCH_DIR", Path(tempfile.gettempdir()) / "asi-chat-bench"))

# name -> (conversations, messages each, messages in the extra long conversation)
DATABASES = {
    "history-10k": (10_000, 50, 2000),   # 10,001 conversations, 502,000 messages
    "large-50": (50, 2000, 2000),        # 51 conversations of 2,000 messages
}


def seeded_db(name: str) -> Path:
    """A seeded database, built once and reused (seeding 10k conversations takes ~25 s).

    Benchmarks must not change it: they run with agent waits not resumed, or exit first.
    """
    from seed_history import seed

    conversations, messages, long = DATABASES[name]
    path = BENCH_DIR / f"{name}.db"
    done = BENCH_DIR / f"{name}.ok"
    if path.exists() and done.exists():
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"seeding {path} ({conversations} x {messages} messages)...", file=sys.stderr, flush=True)
    seed(path, conversations, messages, long, 1)
    done.touch()
    return path


def fresh_db(tmp: Path, name: str = "bench") -> Path:
    return tmp / f"{name}-{time.monotonic_ns()}.db"


def build_app(db: Path, base_url: str, *, resume_waits: bool = False, **flags):
    """The real app as `run_app` builds it, with settings isolated from the user's config."""
    from app.core.config import load_settings
    from app.core.runtime import make_runtime
    from app.core.store.store import Store
    from app.ui.app import AsiChatApp

    settings = load_settings({"db": db, "api_key": KEY, "base_url": base_url, **flags},
                             env={}, config_file=db.parent / "none.toml")
    store = Store(db)
    return AsiChatApp(settings, store, make_runtime(settings, store), resume_waits=resume_waits)


def child_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for a real app process: a terminal, and no user config or history."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASI_", "TEXTUAL"))}
    env.update(HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "config"), ASI_CHAT_CONFIG=str(tmp / "none.toml"),
               TERM="xterm-256color", COLORTERM="truecolor", PYTHONPATH=str(ROOT), **extra)
    return env


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class PaintClock:
    """Records when a headless app composes a frame (Textual renders it even when headless).

    `frame = clock.expect(condition)` before an action, then `await frame`: the time of
    the first frame composed while `condition()` holds, i.e. the frame a user sees.
    """

    def __init__(self, app) -> None:
        self.frames: list[float] = []
        self._watch: tuple[Callable[[], object], object] | None = None
        original = app._display

        def display(screen, renderable) -> None:
            if renderable is not None:
                now = time.perf_counter()
                self.frames.append(now)
                if self._watch is not None:
                    condition, future = self._watch
                    if not future.done() and condition():
                        future.set_result(now)
                        self._watch = None
            original(screen, renderable)

        app._display = display

    def expect(self, condition: Callable[[], object], timeout: float = 30.0):
        """An awaitable of the time of the first frame composed while `condition()` holds."""
        import asyncio

        future = asyncio.get_running_loop().create_future()
        self._watch = (condition, future)
        return asyncio.wait_for(future, timeout)


async def until(condition: Callable[[], object], timeout: float = 30.0, step: float = 0.001) -> None:
    """Let the event loop run until `condition()` is true."""
    import asyncio

    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {condition}")
        await asyncio.sleep(step)


def row(bench: str, case: str, value: float, unit: str, target: float | None, *,
        lower_is_better: bool = True, note: str = "") -> dict:
    """One line of the results table; `ok` is None when there is no target."""
    ok = None if target is None else (value <= target if lower_is_better else value >= target)
    return {"bench": bench, "case": case, "value": value, "unit": unit, "target": target, "ok": ok,
            "note": note}


def fmt_value(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:,.0f} {unit}"


def print_rows(rows: list[dict]) -> None:
    print(f"{'benchmark':<34} {'case':<42} {'median':>10} {'target':>9}  ok   note")
    for r in rows:
        target = "-" if r["target"] is None else "≤ " + fmt_value(r["target"], r["unit"])
        ok = "-" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        print(f"{r['bench']:<34} {r['case']:<42} {fmt_value(r['value'], r['unit']):>10} {target:>9}  "
              f"{ok:<4} {r['note']}")


def main(run: Callable[[bool], list[dict]], doc: str | None) -> None:
    """Command line of a benchmark module: `--quick`, `--json`."""
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON list")
    args = parser.parse_args()
    rows = run(args.quick)
    if args.json:
        print(json.dumps(rows))
    else:
        print_rows(rows)
