"""Run the real `asi-chat` entry point and report when the first frame is on screen.

    python benchmarks/launch_probe.py FD [--bare] -- ARGS...

Textual sends the app `Ready` right after the first frame has been written to the
terminal. This probe adds an `on_ready` handler to `textual.app.App` (nothing else is
changed), writes "<time.monotonic()> <focused widget class> <conversations listed>" to
file descriptor FD, and quits. `--bare` runs a bare Textual app with a header, a list
of 100 options and a focused input instead: the floor any Textual app pays.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App


def _report(app: App) -> None:
    fd = int(sys.argv[1])
    focused = type(app.focused).__name__ if app.focused is not None else "None"
    try:
        from textual.widgets import OptionList

        listed = app.query_one(OptionList).option_count
    except Exception:  # noqa: BLE001 - a probe; the count is informative only
        listed = -1
    os.write(fd, f"{time.monotonic()} {focused} {listed}\n".encode())
    os.close(fd)
    app.exit()


def on_ready(self: App) -> None:
    _report(self)


App.on_ready = on_ready  # type: ignore[attr-defined]


def bare() -> None:
    from textual.widgets import Header, Input, OptionList

    class Bare(App[None]):
        def compose(self):
            yield Header()
            yield OptionList(*(f"conversation {i}\nasi1-fast-agentic · 2 h" for i in range(100)))
            yield Input(placeholder="Message")

        def on_mount(self) -> None:
            self.query_one(Input).focus()

    Bare().run()


if __name__ == "__main__":
    rest = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    if "--bare" in sys.argv[:sys.argv.index("--") if "--" in sys.argv else None]:
        bare()
    else:
        from app.cli.main import main

        main(rest)
