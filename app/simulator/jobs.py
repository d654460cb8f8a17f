"""The simulator's pending agent jobs: in memory, or in a JSON file that outlives the process.

`asi-chat --demo` starts a new simulator each run; with its jobs in the demo data folder, a
wait left by one run is answered by the next, as ASI:One would answer it (it keeps the task
by session id). Several simulators may share one file: each read-modify-write holds an
exclusive lock on a lock file beside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: one simulator per file is fine
    fcntl = None  # type: ignore[assignment]


@dataclass
class ImageJob:
    """A deferred image generation for one session, resolved by ``Any update?`` polls."""

    polls_seen: int = 0
    never: bool = False
    escapes: bool = False
    poll_errors: list[int] = field(default_factory=list)
    agent: dict | None = None
    """The marketplace agent addressed by `@handle` (None: the default image agent)."""
    acknowledgement: str = "I've sent the message"
    progress: list[str] = field(default_factory=list)
    """Progress messages the agent sends, one a poll, before its result (forever when `never`)."""
    handover: dict | None = None
    """A second agent the first hands over to on the first poll (two agents in sequence)."""
    fails: bool = False
    storage_link: bool = False
    """Deliver the image as an `agent-storage://` link."""


class JobBook(MutableMapping[str | None, ImageJob]):
    """Jobs by session id. Without a path, a plain dict (what tests poke at); with one, every
    access reads the file and every change rewrites it (atomically). Hold `locked()` around
    a read-modify-write. A job read from the file is a copy: store it again after changing it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: dict[str | None, ImageJob] = {}

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access across processes sharing the file (nothing to do in memory)."""
        if self.path is None or fcntl is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _load(self) -> dict[str | None, ImageJob]:
        if self.path is None:
            return self._memory
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {(key or None): ImageJob(**value) for key, value in raw.items()}
        except (OSError, ValueError, TypeError):
            return {}  # none yet, or unreadable: no job is pending

    def _save(self, jobs: dict[str | None, ImageJob]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({key or "": asdict(job) for key, job in jobs.items()}), encoding="utf-8")
        os.replace(temporary, self.path)

    def __getitem__(self, session_id: str | None) -> ImageJob:
        return self._load()[session_id]

    def __setitem__(self, session_id: str | None, job: ImageJob) -> None:
        jobs = self._load()
        jobs[session_id] = job
        self._save(jobs)

    def __delitem__(self, session_id: str | None) -> None:
        jobs = self._load()
        del jobs[session_id]
        self._save(jobs)

    def __iter__(self) -> Iterator[str | None]:
        return iter(list(self._load()))

    def __len__(self) -> int:
        return len(self._load())
