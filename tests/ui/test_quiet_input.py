"""The terminal driver's input thread sleeps until a key comes (app/ui/quiet_input.py):
keys and a lone Esc still arrive, nothing wakes it while idle, and stopping ends it."""

from __future__ import annotations

import os
import selectors
import signal
import sys
import threading
import time

import pytest
from textual import events

from app.ui.quiet_input import QuietInput, quiet_linux_driver

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the Linux / macOS driver")


def test_the_app_runs_on_the_quiet_driver(tmp_path) -> None:
    from textual.drivers.linux_driver import LinuxDriver

    from app.ui.app import AsiChatApp

    assert issubclass(AsiChatApp, QuietInput)
    driver = quiet_linux_driver()
    assert issubclass(driver, LinuxDriver) and driver is not LinuxDriver
    assert AsiChatApp.get_driver_class(object.__new__(AsiChatApp)) is driver


async def test_keys_arrive_a_lone_escape_too_nothing_wakes_it_idle_and_stopping_ends_it(monkeypatch) -> None:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTSTP, signal.SIGCONT)}  # the driver sets them
    received: list[events.Event] = []
    got = threading.Event()

    class Recording(quiet_linux_driver()):
        def process_message(self, message) -> None:
            received.append(message)
            got.set()

    keyboard, typed = os.pipe()  # stands in for the terminal
    driver = Recording(app=object())
    driver.fileno = keyboard
    selects = 0
    real_select = selectors.SelectSelector.select

    def counted(selector, timeout=None):
        nonlocal selects
        selects += 1
        return real_select(selector, timeout)

    monkeypatch.setattr(selectors.SelectSelector, "select", counted)
    thread = threading.Thread(target=driver.run_input_thread)
    try:
        thread.start()
        os.write(typed, b"a")
        assert got.wait(5)
        assert [getattr(m, "key", None) for m in received] == ["a"]
        got.clear()
        os.write(typed, b"\x1b")  # Esc alone: a key once nothing follows it
        assert got.wait(5)
        assert [getattr(m, "key", None) for m in received] == ["a", "escape"]
        before = selects
        time.sleep(0.5)  # idle: Textual's own thread would have woken five times
        assert selects == before
        driver.exit_event.set()
        thread.join(5)
        assert not thread.is_alive()
    finally:
        if thread.is_alive():
            driver.exit_event.set()
            thread.join(5)
        driver.close()
        for fd in (keyboard, typed):
            os.close(fd)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
