"""Time the history store's hot paths on a seeded database and print a table.

    python benchmarks/seed_history.py --db /tmp/bench.db
    python benchmarks/history_bench.py --db /tmp/bench.db --repeat 20

Each case runs once untimed (so the first figure is not a cold page cache), then
`--repeat` times; the median and 95th percentile are in milliseconds.
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.store.store import Store

COMMON_WORD = "the"
RARE_WORD = "zanzibarite"  # seed_history.py puts it in a handful of messages
PREFIX = "gira"  # "giraffe", as typed so far


def longest_conversation(path: Path) -> tuple[int, int]:
    """(id, message count) of the conversation with the most messages (setup, not timed)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT conversation_id, count(*) FROM messages GROUP BY conversation_id"
                            " ORDER BY count(*) DESC LIMIT 1").fetchone()
    finally:
        conn.close()


def measure(action: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """(median ms, p95 ms, last result) of `repeat` timed runs after one warm-up."""
    result = action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, math.ceil(0.95 * len(times)) - 1)], result


def main() -> None:
    """Run every case and print the table; exit 1 if a target was missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not args.db.exists():
        parser.error(f"{args.db} does not exist; run benchmarks/seed_history.py first")
    store = Store(args.db)
    total = store.count_conversations()
    long_id, long_count = longest_conversation(args.db)
    deep = max(0, total - 51)
    cases: list[tuple[str, Callable[[], object], float | None]] = [
        ("list_conversations first page (50)", lambda: store.list_conversations(limit=50), 20),
        (f"list_conversations offset {deep}", lambda: store.list_conversations(limit=50, offset=deep), 20),
        (f"messages() of {long_count}-message conversation", lambda: store.messages(long_id), 100),
        ("messages_page() last 50 of it", lambda: store.messages_page(long_id, limit=50), 100),
        (f"search_messages common '{COMMON_WORD}'", lambda: store.search_messages(COMMON_WORD), 50),
        (f"search_messages rare '{RARE_WORD}'", lambda: store.search_messages(RARE_WORD), 50),
        (f"search_messages prefix '{PREFIX}'", lambda: store.search_messages(PREFIX), 50),
        ("search_messages two words 'giraffe sav'", lambda: store.search_messages("giraffe sav"), 50),
        (f"search_conversations '{COMMON_WORD}'", lambda: store.search_conversations(COMMON_WORD), 50),
        ("search_conversations 'giraffe'", lambda: store.search_conversations("giraffe"), 50),
        # Search as you type: the first key (titles only), then the second (messages too).
        ("search_conversations one letter 'g'", lambda: store.search_conversations("g"), 50),
        ("search_conversations two letters 'gi'", lambda: store.search_conversations("gi"), 50),
    ]
    print(f"{args.db}: {total} conversations; {args.repeat} runs each\n")
    print(f"{'case':<48} {'median ms':>10} {'p95 ms':>8} {'rows':>6} {'target':>8}  ok")
    missed = 0
    for name, action, target in cases:
        median, p95, result = measure(action, args.repeat)
        ok = target is None or p95 <= target
        missed += not ok
        shown = f"≤{target:g}" if target is not None else "-"
        print(f"{name:<48} {median:>10.2f} {p95:>8.2f} {len(result):>6} {shown:>8}  {'yes' if ok else 'NO'}")
    store.close()
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
