"""A real terminal for benchmarks: a program on a pseudo-terminal whose output a terminal
emulator (pyte) draws, so "the screen shows X" is what is measured, as a person sees it.

One thread reads the program's output and stamps each chunk with `time.monotonic()` as it
arrives; another feeds the chunks to the emulator and, after each, tests what a waiter
asked for. A waiter gets the stamp of the chunk after which its screen test first held:
when the frame showing it reached the terminal (the emulator's own lag does not count).
"""

from __future__ import annotations

import codecs
import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

import pyte

from common import ROOT

SIZE = (160, 48)
CTRL_Q = "\x11"

ScreenTest = Callable[[list[str]], bool]
"""Given the screen's rows (each `SIZE[0]` characters), whether what is awaited is shown."""


class Terminal:
    """`argv` running on a `SIZE` pseudo-terminal drawn by pyte."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = SIZE) -> None:
        cols, rows = size
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.Stream(self.screen)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self._raw: list[tuple[float, str]] = []  # read, not yet drawn
        self._cond = threading.Condition()
        self._closed = False
        self._drawn_at = 0.0  # stamp of the last chunk drawn
        self._watch: tuple[ScreenTest, float, list[float]] | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._drawer = threading.Thread(target=self._draw, daemon=True)
        self._reader.start()
        self._drawer.start()

    # -- threads -------------------------------------------------------------
    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.5)
                if not ready:
                    if self.proc.poll() is not None:
                        break
                    continue
                data = os.read(self.master, 1 << 16)
            except OSError:
                break
            if not data:
                break
            stamp = time.monotonic()
            with self._cond:
                self._raw.append((stamp, decoder.decode(data)))
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _draw(self) -> None:
        while True:
            with self._cond:
                while not self._raw and not self._closed:
                    self._cond.wait()
                if not self._raw and self._closed:
                    return
                chunks, self._raw[:] = list(self._raw), []
            for stamp, text in chunks:
                with self._cond:
                    self._stream.feed(text)
                    self._drawn_at = stamp
                    watch = self._watch
                    if watch is not None and stamp >= watch[1] and watch[0](self.screen.display):
                        watch[2].append(stamp)
                        self._watch = None
                    self._cond.notify_all()

    # -- use -----------------------------------------------------------------
    def rows(self) -> list[str]:
        with self._cond:
            return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(row.rstrip() for row in self.rows())

    def send(self, text: str) -> float:
        """Type `text` (as the terminal sends it); returns when it was written."""
        stamp = time.monotonic()
        os.write(self.master, text.encode("utf-8"))
        return stamp

    def type(self, text: str, interval: float = 0.06) -> float:
        """Type `text` a key at a time, `interval` apart, as a person does; when the last went."""
        stamp = 0.0
        for index, char in enumerate(text):
            if index:
                time.sleep(interval)
            stamp = self.send(char)
        return stamp

    def wait_for(self, test: ScreenTest | str, *, since: float = 0.0, timeout: float = 30.0) -> float:
        """Stamp of the first chunk at or after `since` after which `test(rows)` holds.

        A string is looked for in the screen's text. If the screen already shows it (drawn
        from output at or after `since`), that is the stamp of the last chunk drawn.
        """
        check = (lambda rows: any(test in row for row in rows)) if isinstance(test, str) else test
        found: list[float] = []
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._drawn_at >= since and not self._raw and check(self.screen.display):
                return self._drawn_at
            self._watch = (check, since, found)
            while not found:
                if self._closed and not self._raw:
                    self._watch = None
                    raise RuntimeError(f"the program exited; screen:\n{self._screen_text()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    self._watch = None
                    raise TimeoutError(f"not on screen: {test!r}; screen:\n{self._screen_text()}")
                self._cond.wait(min(left, 0.5))
        return found[0]

    def _screen_text(self) -> str:
        return "\n".join(row.rstrip() for row in self.screen.display)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self, timeout: float = 10.0) -> None:
        """Quit with Ctrl+Q, as a user would; kill the process if it does not go."""
        if self.proc.poll() is None:
            try:
                self.send(CTRL_Q)
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._reader.join(2)
        self._drawer.join(2)
        os.close(self.master)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
