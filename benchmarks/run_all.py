"""Run every benchmark and print one table (`make bench`).

    python benchmarks/run_all.py [--quick] [--markdown] [--only launch streaming ...]

Each benchmark runs in its own process (so memory and imports of one do not count in
another) against the simulator on 127.0.0.1; seeded databases are built once, in
$ASI_CHAT_BENCH_DIR (default: <tmp>/asi-chat-bench). Figures are medians; the machine
and its load are printed with the table, since other work on it skews every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import PYTHON, ROOT, fmt_value, print_rows

BENCHMARKS = ["terminal", "wait_cpu", "launch", "streaming", "key_echo", "conversation_list", "open_conversation",
              "open_images", "memory",
              "agent_browser"]
REAL_TERMINAL = {"terminal", "wait_cpu"}
"""What a person sees: the installed program in a real terminal (a pty drawn by pyte) or,
for the CPU of waiting, on a pty; the rest run headless or read raw output, for profiling."""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"Textual {version('textual')}, {platform.system()} {platform.release()}")


def load() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "load unknown"


def run_one(name: str, quick: bool) -> list[dict]:
    argv = [PYTHON, str(HERE / f"{name}.py"), "--json", *(["--quick"] if quick else [])]
    started = time.monotonic()
    print(f"[{name}] running ({load()})...", file=sys.stderr, flush=True)
    done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    print(f"[{name}] {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    if done.returncode != 0:
        return [{"bench": name, "case": "FAILED (see stderr)", "value": float("nan"), "unit": "",
                 "target": None, "ok": False, "note": f"exit status {done.returncode}"}]
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_markdown(rows: list[dict]) -> None:
    print("| benchmark | case | median | target | met |")
    print("|---|---|---|---|---|")
    for r in rows:
        target = "–" if r["target"] is None else "≤ " + fmt_value(r["target"], r["unit"])
        ok = "–" if r["ok"] is None else ("yes" if r["ok"] else "**no**")
        print(f"| {r['bench']} | {r['case']} | {fmt_value(r['value'], r['unit'])} | {target} | {ok} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 15 s of waiting instead of 60")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    args = parser.parse_args()
    before = load()
    rows, terminal_rows = [], []
    for name in args.only or BENCHMARKS:
        (terminal_rows if name in REAL_TERMINAL else rows).extend(run_one(name, args.quick))
    print()
    print(f"asi-chat benchmarks{' (--quick)' if args.quick else ''}: {machine()}")
    print(f"{before} at the start, {load()} at the end")
    print()
    for title, table in (("Real terminal (what a person sees)", terminal_rows),
                         ("Headless and raw-pty (for profiling)", rows)):
        if table:
            print(title)
            print_rows(table)
            print()
    rows = terminal_rows + rows
    if args.markdown:
        print_markdown(rows)
    missed = [r for r in rows if r["ok"] is False]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} rows within target" if missed else "\nall targets met")


if __name__ == "__main__":
    main()
