"""The real app as a user runs it: its own process on a pseudo-terminal, plus a simulator
in another process (so neither steals the other's interpreter lock, nor the clock's).

The output reader stamps every chunk the app writes with `time.monotonic()` (the same
clock in every process), so "the frame showing X arrived at t" is measurable.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import re
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

from common import KEY, PYTHON, ROOT, SIZE

CTRL_Q = "\x11"
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class SimulatorProcess:
    """`asi-chat simulator` on 127.0.0.1 (a free port), in its own process."""

    def __init__(self, *, agent_polls: int | None = None) -> None:
        code = ("import sys; from app.simulator import Simulator; "
                f"sim = Simulator(api_key={KEY!r}"
                + (f", agent_polls={agent_polls}" if agent_polls is not None else "") + ").start(); "
                "print(sim.base_url, flush=True); sys.stdin.read(); sim.stop()")
        self.proc = subprocess.Popen([PYTHON, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=ROOT, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.base_url = self.proc.stdout.readline().strip()

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.proc.pid)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PtyApp:
    """A process on a pseudo-terminal of `SIZE`, with its output read and time-stamped."""

    def __init__(self, argv: list[str], env: dict[str, str], *, pass_fds: tuple[int, ...] = (),
                 size: tuple[int, int] = SIZE) -> None:
        master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                                     start_new_session=True, pass_fds=pass_fds, close_fds=True)
        os.close(slave)
        self.master = master
        self.chunks: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

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
            text = decoder.decode(data)
            with self._cond:
                self.chunks.append((stamp, text))
                self._received(text)
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _received(self, text: str) -> None:
        """A chunk arrived (called by the reader thread, holding `_cond`); for subclasses."""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.proc.pid)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def send(self, text: str) -> float:
        """Type `text` (as the terminal would send it); returns when it was written."""
        stamp = time.monotonic()
        os.write(self.master, text.encode("utf-8"))
        return stamp

    def wait_for(self, found: Callable[[str], bool] | str, *, since: float = 0.0, timeout: float = 30.0) -> float:
        """Time of the first output chunk at or after `since` for which `found(text)` holds.

        A string is looked for in the chunk with escape sequences removed.
        """
        test = (lambda text: found in ANSI.sub("", text)) if isinstance(found, str) else found
        deadline = time.monotonic() + timeout
        index = 0
        with self._cond:
            while True:
                while index < len(self.chunks):
                    stamp, text = self.chunks[index]
                    index += 1
                    if stamp >= since and test(text):
                        return stamp
                if self._closed:
                    raise RuntimeError(f"the app exited: {self.tail()!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"not seen in the output: {found!r}; last output {self.tail()!r}")
                self._cond.wait(left)

    def tail(self, chars: int = 400) -> str:
        with self._cond:
            return ANSI.sub("", "".join(text for _, text in self.chunks[-20:]))[-chars:]

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
        os.close(self.master)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def app_argv(db: Path, base_url: str, *extra: str) -> list[str]:
    """The real command line: `python -m app` (what the `asi-chat` script runs)."""
    return [PYTHON, "-m", "app", "--db", str(db), "--base-url", base_url, *extra]
