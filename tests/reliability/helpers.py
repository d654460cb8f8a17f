"""Running the installed `asi-chat` as a person would, and reading what it left behind."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import TEST_KEY

ASI_CHAT = Path(sys.executable).parent / "asi-chat"
"""The installed entry point (`pip install -e .` puts it beside the interpreter)."""


def app_env(base_url: str | None, db: Path, home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a user running asi-chat against `base_url` on the history `db`.

    HOME and the XDG folders are `home`'s, or else the test's own (tests/conftest.py).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "ASI_"))}
    if home is not None:
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_DATA_HOME=str(home / ".local" / "share"))
    env.update(ASI_ONE_API_KEY=TEST_KEY, ASI_CHAT_DB=str(db), ASI_CHAT_POLL_INTERVAL="0.05",
               TERM="xterm-256color")
    if base_url:
        env["ASI_ONE_BASE_URL"] = base_url
    env.update(extra)
    return env


def asi(env: dict[str, str], *args: str, input: str | None = None, timeout: float = 60,
        **popen) -> subprocess.CompletedProcess:
    """Run `asi-chat ARGS` to the end; text output."""
    return subprocess.run([str(ASI_CHAT), *args], env=env, input=input, capture_output=True,
                          text=True, timeout=timeout, **popen)


def one_clean_line(stderr: str, *needles: str) -> str:
    """The last stderr line: an `asi-chat: …` message with `needles`, and no traceback anywhere."""
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("asi-chat: "), stderr
    for needle in needles:
        assert needle in last, stderr
    return last


@contextmanager
def read_db(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only look at the history (never changes the file), closed afterwards."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def messages(db: Path, conversation_id: int | None = None) -> list[dict]:
    """Every stored message (of one conversation), oldest first."""
    with read_db(db) as conn:
        conn.row_factory = sqlite3.Row
        where = "" if conversation_id is None else f"WHERE conversation_id = {int(conversation_id)}"
        rows = [dict(r) for r in conn.execute(f"SELECT * FROM messages {where} ORDER BY id")]
    return rows


def integrity(db: Path) -> str:
    with read_db(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def every_text(db: Path) -> str:
    """All text in every column of every table, and the raw bytes of the file and its WAL."""
    parts: list[str] = []
    with read_db(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                parts.extend(str(value) for value in row)
    for path in (db, Path(f"{db}-wal")):
        if path.exists():
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def wait_for(condition: Callable[[], object], timeout: float = 15, what: str = "") -> object:
    """Poll `condition` until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def pending_waits(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    try:
        with read_db(db) as conn:
            return conn.execute("SELECT id, conversation_id, attempts_made FROM agent_waits").fetchall()
    except sqlite3.Error:
        return []


class SentLog:
    """When the simulator put each piece of answer text on the wire.

    Wraps the simulator's stream renderer (it runs in the test process); a piece counts
    as sent `delay` (the simulator's chunk delay) after it was rendered.
    """

    def __init__(self, monkeypatch, delay: float) -> None:
        import app.simulator.server as server
        from app.core.wire.events import ContentDelta
        from app.core.wire.protocol import StreamParser

        self.pieces: list[tuple[float, str]] = []
        original = server.render_stream

        def recording(reply, faults, model, eol):
            parser = StreamParser()
            for item in original(reply, faults, model, eol):
                if isinstance(item, bytes):
                    for event in parser.feed(item):
                        if isinstance(event, ContentDelta):
                            self.pieces.append((time.monotonic() + delay, event.text))
                yield item

        monkeypatch.setattr(server, "render_stream", recording)

    def text(self, until: float = float("inf")) -> str:
        """The answer text sent by `until` (a time.monotonic() value)."""
        return "".join(text for when, text in list(self.pieces) if when <= until)


def script_reply(monkeypatch, sim, marker: str, content: list[str], reasoning: list[str] = ()) -> None:
    """Make the simulator answer prompts containing `marker` with exactly these pieces."""
    from app.simulator.scenarios import is_poll, last_prompt
    from app.simulator.sse import Reply

    original = sim.scenarios.respond

    def respond(messages, session_id, faults, origin, stream):
        if marker in last_prompt(messages) and not is_poll(messages):
            return Reply(reasoning=list(reasoning), content=list(content))
        return original(messages, session_id, faults, origin, stream)

    monkeypatch.setattr(sim.scenarios, "respond", respond)


def without_root_powers() -> None:
    """A `preexec_fn`: drop the capabilities that let root ignore file permissions.

    Tests of read-only files and folders then hold when the suite runs as root (CI
    containers often do). Without root this does nothing: permissions already bind.
    """
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone after exec
            raise OSError(ctypes.get_errno(), "cannot drop root's file capabilities")


def permissions_bind(tmp: Path) -> bool:
    """True when a process started with `without_root_powers` is refused a read-only folder."""
    folder = tmp / "permission-probe"
    folder.mkdir(mode=0o500)
    try:
        done = subprocess.run(["touch", str(folder / "x")], preexec_fn=without_root_powers,
                              capture_output=True)
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        folder.chmod(0o700)
    return done.returncode != 0
