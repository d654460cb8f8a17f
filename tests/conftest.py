"""Shared fixtures: a real simulator on 127.0.0.1, real clients, real SQLite files."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.core.client import AsiOneClient
from app.simulator import Simulator

TEST_KEY = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's config or history."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in ("ASI_ONE_API_KEY", "ASI_ONE_BASE_URL", "ASI_CHAT_MODEL", "ASI_CHAT_DB",
                "ASI_CHAT_POLL_INTERVAL", "ASI_CHAT_POLL_ATTEMPTS", "ASI_CHAT_CONFIG",
                "ASI_CHAT_TEMPERATURE", "ASI_CHAT_MAX_TOKENS", "ASI_CHAT_SYSTEM_PROMPT", "ASI_CHAT_WEB_SEARCH",
                "ASI_CHAT_CACHE", "ASI_CHAT_IMAGE_PREVIEW", "ASI_CHAT_NOTIFY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(api_key=TEST_KEY) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[AsiOneClient]:
    async with AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, backoff_base=0.01, read_timeout=5) as c:
        yield c


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.db"


@pytest.fixture
def sim_env(sim: Simulator, db_path: Path) -> dict[str, str]:
    """Environment for running the real `asi-chat` against the simulator."""
    env = dict(os.environ)
    env.update(ASI_ONE_API_KEY=TEST_KEY, ASI_ONE_BASE_URL=sim.base_url, ASI_CHAT_DB=str(db_path),
               ASI_CHAT_POLL_INTERVAL="0.05")
    return env


SERIAL = {
    # what a busy parallel run would measure wrong: event-loop stalls, peak memory, timings
    "test_starting_servers_does_not_block_the_event_loop",
    "test_a_50_mb_line_fails_the_turn_with_bounded_memory",
    "test_twenty_thousand_tokens_parse_fast",
    "test_show_conversation_is_fast_and_pages_in_older_messages",
    "test_a_one_megabyte_paste_does_not_freeze_the_app",
}


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "serial: run alone, after the parallel part (make test)")


def pytest_collection_modifyitems(config, items) -> None:
    """Tests that drive the app in a real terminal (tmux), and the few that measure time or
    memory, are marked `serial`: `make test` runs them one after another once the rest has run
    in parallel. Two of them at once on a 2-core machine starve each other's rendering (a test
    that waits for the screen then times out) or measure the other's load."""
    for item in items:
        if "Tmux(" in _source_of(item) or item.originalname in SERIAL:
            item.add_marker(pytest.mark.serial)


_SOURCES: dict[str, str] = {}


def _source_of(item) -> str:
    path = str(item.fspath)
    if path not in _SOURCES:
        try:
            _SOURCES[path] = Path(path).read_text(encoding="utf-8")
        except OSError:
            _SOURCES[path] = ""
    return _SOURCES[path]
