"""A real terminal for benchmarks: a program on a pseudo-terminal whose output a terminal
emulator (pyte) draws, so "the screen shows X" is what is measured, as a person sees it.

A thread reads the program's output and stamps each chunk with `time.monotonic()` as it
arrives. pyte (pure Python, slower than the app writes a long reply's frames) draws the
chunks only when a waiter asks, and a waiter can name a *hint*, text that must be in the
output (escape sequences removed) before the screen can show what it waits for: the
emulator then catches up with the output only when the hint has arrived, so its work
does not take the 2-core machine's CPU from the program while it streams. A waiter gets
the stamp of the chunk after which its screen test first held: when the frame showing
it reached the terminal.

Like every real terminal (and tmux), it answers "primary device attributes" (DA1,
`ESC [ c`) at once, from the reader thread: a program that asks, as asi-chat does before
it starts (what can the terminal draw?), would otherwise wait out its timeout, which no
person's terminal makes it do. The answer is xterm's for a VT220 without sixel graphics.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable

import pyte
from ptyapp import ANSI, PtyApp

SIZE = (160, 48)
CTRL_Q = "\x11"
DA1_QUERY = re.compile(r"\x1b\[0?c")
DA1_ANSWER = "\x1b[?62;22c"

ScreenTest = Callable[[list[str]], bool]
"""Given the screen's rows (each `SIZE[0]` characters), whether what is awaited is shown."""


class Terminal(PtyApp):
    """`argv` running on a `SIZE` pseudo-terminal drawn by pyte."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = SIZE) -> None:
        cols, rows = size
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.Stream(self.screen)
        self._plain: list[str] = []  # each chunk without escape sequences (for hints)
        self._fed = 0  # chunks drawn by the emulator so far
        self._drawn_at = 0.0  # stamp of the last chunk drawn
        self._draw_lock = threading.Lock()
        self._tail = ""  # the end of the last chunk: a query split across two chunks
        super().__init__(argv, env, size=size)  # starts the reader thread

    def _received(self, text: str) -> None:
        self._plain.append(ANSI.sub("", text))
        tail, self._tail = self._tail, (self._tail + text)[-3:]
        for query in DA1_QUERY.finditer(tail + text):
            if query.end() > len(tail):  # (one that ended in the last chunk was answered)
                os.write(self.master, DA1_ANSWER.encode())

    def _catch_up(self, test: ScreenTest | None = None, since: float = 0.0) -> float | None:
        """Draw the chunks not drawn yet; the stamp of the first after which `test` held."""
        with self._draw_lock:
            with self._cond:
                end = len(self.chunks)
            for index in range(self._fed, end):
                stamp, text = self.chunks[index]
                self._stream.feed(text)
                self._fed, self._drawn_at = index + 1, stamp
                if test is not None and stamp >= since and test(self.screen.display):
                    return stamp
        return None

    # -- use -----------------------------------------------------------------
    def rows(self) -> list[str]:
        """The screen's rows now (drawn up to the last output read)."""
        self._catch_up()
        with self._draw_lock:
            return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(row.rstrip() for row in self.rows())

    def type(self, text: str, interval: float = 0.06) -> float:
        """Type `text` a key at a time, `interval` apart, as a person does; when the last went."""
        stamp = 0.0
        for index, char in enumerate(text):
            if index:
                time.sleep(interval)
            stamp = self.send(char)
        return stamp

    def wait_for(self, test: ScreenTest | str, *, since: float = 0.0, timeout: float = 30.0,
                 hint: str | None = None) -> float:
        """Stamp of the first chunk at or after `since` after which `test(rows)` holds.

        A string is looked for in the screen's text. With a `hint`,
        the emulator draws only once the hint is in the output read since `since`. If the
        screen already shows it, that is the stamp of the last chunk drawn.
        """
        if isinstance(test, str):
            text = test
            test = lambda rows: any(text in row for row in rows)  # noqa: E731
        with self._draw_lock:
            if self._drawn_at >= since and self._fed == len(self.chunks) and test(self.screen.display):
                return self._drawn_at
        deadline = time.monotonic() + timeout
        seen = self._first_at_or_after(since)
        while True:
            with self._cond:
                while True:
                    hinted = hint is None or any(hint in plain for plain in self._plain[seen:])
                    if hinted and len(self.chunks) > self._fed:
                        break
                    if self._closed:
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    seen = max(seen, len(self.chunks) - 1)  # (a hint split across two chunks is kept)
                    self._cond.wait(min(left, 0.5))
                closed = self._closed
            found = self._catch_up(test, since)
            if found is not None:
                return found
            if closed and self._fed == len(self.chunks):
                raise RuntimeError(f"the program exited; screen:\n{self._screen_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"not on screen: {test!r}; screen:\n{self._screen_text()}")

    def output_shows(self, text: str, since: float = 0.0) -> bool:
        """Whether `text` is in the output read at or after `since` (escape sequences removed)."""
        start = self._first_at_or_after(since)
        with self._cond:
            return any(text in plain for plain in self._plain[start:])

    def wait_output(self, text: str, *, since: float = 0.0, timeout: float = 10.0) -> float:
        """Stamp of the first chunk at or after `since` whose text (escape sequences removed)
        holds `text`: for text that can only be there once drawn (a key's unique letter)."""
        index = self._first_at_or_after(since)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                while index < len(self.chunks):
                    if text in self._plain[index]:
                        return self.chunks[index][0]
                    index += 1
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise TimeoutError(f"not in the output: {text!r}")
                self._cond.wait(min(left, 0.5))

    def _first_at_or_after(self, since: float) -> int:
        with self._cond:
            for index in range(len(self.chunks) - 1, -1, -1):
                if self.chunks[index][0] < since:
                    return index + 1
            return 0

    def _screen_text(self) -> str:
        return "\n".join(row.rstrip() for row in self.screen.display)
