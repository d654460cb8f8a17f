"""The model catalogue, and the server's optional list: fetched over HTTP, cached, never in the way."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.history import context_window
from app.core.models import (
    CATALOGUE,
    DEFAULT_MODEL,
    UNKNOWN_WINDOW_TOKENS,
    cache_path,
    known_models,
    merge,
    parse_model_list,
    refresh_models,
    write_cache,
)
from app.simulator import Simulator
from tests.conftest import TEST_KEY


def settings_for(base_url: str, db_path: Path, key: str | None = TEST_KEY) -> Settings:
    return Settings(api_key=key, base_url=base_url, db=db_path)


def test_catalogue_default_and_windows() -> None:
    assert DEFAULT_MODEL == "asi1" and Settings().model == "asi1"
    windows = {name: info.context_tokens for name, info in CATALOGUE.items()}
    assert windows == {"asi1": 200_000, "asi1-ultra": 200_000, "asi1-mini": 200_000,
                       "asi1-agentic": 32_000, "asi1-fast-agentic": 24_000, "asi1-extended-agentic": 64_000}
    assert all(info.agentic for info in CATALOGUE.values())
    assert context_window("asi1") == 200_000 and context_window("some-new-model") == UNKNOWN_WINDOW_TOKENS


def test_merge_marks_where_each_model_is_known_from() -> None:
    merged = {m.name: m for m in merge(["asi1", "asi1-graph", "asi1-graph"])}
    assert merged["asi1"].source == "both" and merged["asi1-mini"].source == "catalogue"
    assert merged["asi1-graph"].source == "server" and merged["asi1-graph"].context_tokens is None
    assert list(merged)[-1] == "asi1-graph"


@pytest.mark.parametrize("body", [b"<html>Not here</html>", b'{"data": "nope"}', b"[]", b'{"object": "list"}',
                                  b'{"data": [{"id": ""}, {"id": 3}, {"name": "x"}]}', b"\xff\xfe"])
def test_bad_lists_are_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_model_list(body)


def test_names_are_cleaned_and_deduplicated() -> None:
    body = json.dumps({"object": "list", "data": [{"id": "asi1"}, {"id": "asi1"}, {"id": "evil\x1b[2Jname"},
                                                  {"id": "two words"}]})
    assert parse_model_list(body) == ["asi1", "evilname"]


async def test_refresh_caches_the_list_privately_per_base_url(sim: Simulator, db_path: Path) -> None:
    settings = settings_for(sim.base_url, db_path)
    assert [m.name for m in known_models(settings)] == list(CATALOGUE)  # nothing cached yet
    assert await refresh_models(settings) == sim.model_list
    path = cache_path(settings)
    assert path.parent == db_path.parent and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TEST_KEY not in path.read_text()
    assert {m.name: m.source for m in known_models(settings)}["asi1-graph"] == "server"
    sim.model_list.append("asi1-next")
    assert await refresh_models(settings) is None  # fresh for a day: not asked again
    assert "asi1-next" not in [m.name for m in known_models(settings)]
    assert await refresh_models(settings, force=True) == sim.model_list
    other = settings_for("http://127.0.0.1:9/v1", db_path)
    assert [m.name for m in known_models(other)] == list(CATALOGUE)  # another server, its own entry


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("reply", [
    (0, 200, "text/html", b"<!doctype html><title>Gateway</title>"),
    (0, 200, "application/json", b'{"models": ["asi1-x"]}'),
    (0, 200, "application/json", b'{"object": "list", "data": [{"id": '),
    (0, 500, "application/json", b'{"error": {"message": "boom"}}'),
    (0, 404, "application/json", b'{"error": {"message": "not found"}}'),
    (3, 200, "application/json", b'{"object": "list", "data": [{"id": "late"}]}'),
])
async def test_any_failure_falls_back_silently_to_the_older_cache(sim: Simulator, db_path: Path, reply) -> None:
    settings = settings_for(sim.base_url, db_path)
    write_cache(settings, ["asi1", "cached-model"], now=0)  # stale: refresh will ask
    sim.models_reply = reply
    assert await refresh_models(settings, timeout=0.5) is None
    assert "cached-model" in [m.name for m in known_models(settings)]


async def test_no_server_no_key_or_a_broken_cache_file(db_path: Path) -> None:
    settings = settings_for(f"http://127.0.0.1:{_refused_port()}/v1", db_path)
    assert await refresh_models(settings, force=True) is None
    assert await refresh_models(settings_for(settings.base_url, db_path, key=None), force=True) is None
    cache_path(settings).parent.mkdir(parents=True, exist_ok=True)
    for junk in ("{not json", "[1, 2]", json.dumps({settings.base_url: {"models": "x"}})):
        cache_path(settings).write_text(junk)
        assert [m.name for m in known_models(settings)] == list(CATALOGUE)
