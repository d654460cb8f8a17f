"""Textual's Linux / macOS terminal driver without its ten wake-ups a second.

Textual's input thread waits for a key with `select(0.1)`: it wakes every 100 ms, only to
see whether the app is stopping or a lone Esc has waited long enough to be a key. On this
project's 2-core test machine those wake-ups were 1.6 ms of CPU a second, a third of what
an idle app may use while ten agents are waited on (benchmarks/wait_cpu.py). This driver's
thread sleeps until a key comes, wakes after 0.1 s only while an escape sequence is
pending (as Textual's does), and is woken through a pipe when the app stops or suspends.
Everything else is Textual's `LinuxDriver`.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from functools import cache
from typing import Any


class _WakingEvent(threading.Event):
    """A `threading.Event` whose `set()` also wakes the input thread's `select`."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd = wake_fd

    def set(self) -> None:
        super().set()
        try:
            os.write(self._wake_fd, b"\0")
        except OSError:
            pass  # a full pipe wakes it as well; a closed one: the driver is gone


class QuietInput:
    """App mixin: on Linux and macOS, Textual's driver with the quiet input thread."""

    def get_driver_class(self) -> Any:
        driver = super().get_driver_class()
        if driver.__module__ == "textual.drivers.linux_driver" and driver.__name__ == "LinuxDriver":
            return quiet_linux_driver()
        return driver  # (Windows, a TEXTUAL_DRIVER from the environment)


@cache
def quiet_linux_driver() -> type:
    """`LinuxDriver` with a thread that sleeps until a key comes (made on first use: the
    module imports termios)."""
    from textual._loop import loop_last
    from textual._parser import ParseError
    from textual._xterm_parser import XTermParser
    from textual.drivers.linux_driver import LinuxDriver

    class QuietLinuxDriver(LinuxDriver):
        def __init__(self, app: Any, **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            self._wake_read, self._wake_write = os.pipe()
            os.set_blocking(self._wake_read, False)
            os.set_blocking(self._wake_write, False)
            self.exit_event = _WakingEvent(self._wake_write)

        def close(self) -> None:
            super().close()
            for fd in (self._wake_read, self._wake_write):
                try:
                    os.close(fd)
                except OSError:
                    pass

        def _drain_wake_pipe(self) -> None:
            try:
                while os.read(self._wake_read, 512):
                    pass
            except (BlockingIOError, OSError):
                pass

        def run_input_thread(self) -> None:
            """Wait for input and dispatch events: Textual's loop, with the waits above."""
            selector = selectors.SelectSelector()
            selector.register(self.fileno, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            self._drain_wake_pipe()  # a wake-up left from a suspend before

            fileno, wake = self.fileno, self._wake_read
            EVENT_READ = selectors.EVENT_READ
            parser = XTermParser(self._debug)
            feed, tick = parser.feed, parser.tick
            decode = getincrementaldecoder("utf-8")().decode
            read = os.read

            def process_selector_events(selector_events: list, final: bool = False) -> None:
                for last, (selector_key, mask) in loop_last(selector_events):
                    if selector_key.fd == wake:
                        self._drain_wake_pipe()
                        continue
                    if mask & EVENT_READ:
                        unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                        if not unicode_data:
                            # This can occur if the stdin is piped
                            break
                        for event in feed(unicode_data):
                            self.process_message(event)
                for event in tick():
                    self.process_message(event)

            def timeout() -> float | None:
                # A pending sequence (a lone Esc, so far) becomes keys after a pause, found
                # by `tick()` on Textual's 0.1 s beat; with nothing pending, wait for input.
                return None if parser._timeout_time is None else 0.1

            try:
                while not self.exit_event.is_set():
                    process_selector_events(selector.select(timeout()))
                selector.unregister(self.fileno)
                process_selector_events(selector.select(0.1), final=True)
            finally:
                selector.close()
                try:
                    for event in feed(""):  # the parser's end, as Textual's loop does
                        pass
                except (EOFError, ParseError):
                    pass

    return QuietLinuxDriver
