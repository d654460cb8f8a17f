"""The real `asi-chat` in a real terminal: a private tmux server per test.

`Tmux.start()` runs a command directly as a window's first process (so `pane_pid` is the
app itself), in a 140x40 window, with `set-clipboard on` (tmux keeps OSC 52 copies as
paste buffers), `allow-rename on` (an escape sequence could rename the window),
`allow-passthrough off` and `remain-on-exit on` (a crashed app leaves its last screen).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")


class Tmux:
    """One private tmux server (`tmux -L <unique>`), killed by `close()`."""

    def __init__(self, env: dict[str, str], preexec_fn: Callable[[], None] | None = None) -> None:
        if TMUX is None:
            pytest.skip("tmux is not installed")
        self.socket = f"asi-chat-test-{uuid.uuid4().hex[:12]}"
        self.env = {k: v for k, v in env.items() if k not in ("TMUX", "TMUX_PANE")}
        self._preexec_fn = preexec_fn
        self._windows = 0
        self._socket_path: str | None = None

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([TMUX, "-L", self.socket, "-f", "/dev/null", *args], env=self.env,
                              capture_output=True, text=True, timeout=20, preexec_fn=self._preexec_fn)
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def start(self, *command: str, env: dict[str, str] | None = None) -> str:
        """Run `command` in a new window (the first one creates the server); its target."""
        self._windows += 1
        name = f"w{self._windows}"
        extra = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
        if self._windows == 1:
            self.tmux("start-server", ";", "set", "-g", "default-terminal", "xterm-256color", ";",
                      "set", "-g", "set-clipboard", "on", ";", "set", "-g", "allow-passthrough", "off", ";",
                      "set", "-g", "allow-rename", "on", ";", "set", "-g", "automatic-rename", "off", ";",
                      "set", "-g", "remain-on-exit", "on", ";", "set", "-g", "history-limit", "5000", ";",
                      "new-session", "-d", "-s", "main", "-n", name, "-x", "140", "-y", "40", *extra, *command)
            self._socket_path = self.tmux("display", "-p", "#{socket_path}").strip()
        else:
            self.tmux("new-window", "-d", "-t", "main", "-n", name, *extra, *command)
        return f"main:{name}"

    def send(self, target: str, *keys: str) -> None:
        """Key names as tmux knows them (Enter, C-y, Escape…)."""
        self.tmux("send-keys", "-t", target, *keys)

    def type(self, target: str, text: str) -> None:
        """Literal text, as if typed."""
        self.tmux("send-keys", "-t", target, "-l", text)

    def screen(self, target: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", target)

    def display(self, target: str, fmt: str) -> str:
        return self.tmux("display", "-p", "-t", target, fmt).strip()

    def pid(self, target: str) -> int:
        return int(self.display(target, "#{pane_pid}"))

    def dead(self, target: str) -> bool:
        return self.display(target, "#{pane_dead}") == "1"

    def buffers(self) -> list[str]:
        """The contents of every paste buffer (OSC 52 copies land here), newest first."""
        names = self.tmux("list-buffers", "-F", "#{buffer_name}", check=False).split()
        return [self.tmux("show-buffer", "-b", name) for name in names]

    def wait_for(self, target: str, condition: Callable[[str], object] | str, timeout: float = 20) -> str:
        """Poll the screen until `condition(screen)` (or the text) holds; the screen."""
        test = (lambda screen: condition in screen) if isinstance(condition, str) else condition
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen(target)
            if test(screen):
                return screen
            if self.dead(target):
                history = self.tmux("capture-pane", "-p", "-S", "-200", "-t", target)
                raise AssertionError(f"the app exited while waiting for {condition!r}:\n{history}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {condition!r}; the screen:\n{screen}")
            time.sleep(0.05)

    def open_conversation(self, target: str, expect: str, down: int = 0) -> str:
        """Focus the conversation list, move `down`, press Enter, until `expect` shows.

        (A key that arrives in the same read as ctrl+l can reach the composer before the
        focus moves, as a person pressing them in one go could see too; so: pause, retry.)
        """
        for attempt in range(5):
            self.send(target, "C-l")
            time.sleep(0.2)
            for _ in range(down if attempt == 0 else 0):
                self.send(target, "Down")
            self.send(target, "Enter")
            try:
                return self.wait_for(target, expect, timeout=2)
            except AssertionError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def kill9(self, target: str) -> None:
        os.kill(self.pid(target), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not self.dead(target):
            if time.monotonic() > deadline:
                raise AssertionError("the app survived kill -9")
            time.sleep(0.02)

    def close(self) -> None:
        pids = []
        for line in self.tmux("list-panes", "-a", "-F", "#{pane_pid} #{pane_dead}", check=False).splitlines():
            pid, dead = line.split()
            if dead == "0":
                pids.append(int(pid))
        for pid in pids:  # the apps this test started, by pid
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.tmux("kill-server", check=False)
        if self._socket_path and Path(self._socket_path).name == self.socket:
            Path(self._socket_path).unlink(missing_ok=True)


def app_command() -> list[str]:
    from tests.reliability.helpers import ASI_CHAT

    return [str(ASI_CHAT)]
