"""One MCP server's faults, each one clear outcome: crash, hang, 5 MB, hostile text, failure;
and the ASI:One key never reaches a server."""

from __future__ import annotations

import json

import pytest

from app.core.tools.results import RESULT_CAP
from tests.conftest import TEST_KEY
from tests.core.tools.helpers import FAULTS, faults_server, manager

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def faults(db_path, monkeypatch):
    monkeypatch.setenv("ASI_ONE_API_KEY", TEST_KEY)  # in our environment: it must not be in the server's
    tools = manager(db_path.parent, {"f": faults_server(env={"GREETING": "hello"})}, call_timeout=30)
    assert await tools.start() == []
    yield tools
    await tools.aclose()


async def call(tools, name: str, **args) -> tuple[str, str]:
    return await tools.call(tools.offered()[name], args)


async def test_the_key_never_reaches_a_server(faults) -> None:
    text, status = await call(faults, "environment")
    seen = json.loads(text)
    assert status == "ok" and seen["env"]["GREETING"] == "hello"
    assert TEST_KEY not in text and "ASI_ONE_API_KEY" not in seen["env"]


@pytest.mark.parametrize("server", [faults_server(f"--token={TEST_KEY}"), faults_server(env={"T": TEST_KEY}),
                                    {"url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": TEST_KEY}}])
async def test_a_server_whose_settings_carry_the_key_is_not_started(db_path, server) -> None:
    tools = manager(db_path.parent, {"f": server})
    problems = await tools.start()
    assert problems == ["MCP server f: not started: its settings carry the ASI:One key"]
    assert tools.offered() == {}


async def test_a_failing_tool_is_an_error_result(faults) -> None:
    text, status = await call(faults, "fail")
    assert status == "error" and "fail" in text


async def test_a_hanging_tool_times_out_and_the_server_goes_on(db_path) -> None:
    tools = manager(db_path.parent, {"f": faults_server()}, call_timeout=1)
    try:
        assert await tools.start() == []
        assert await call(tools, "hang") == ("The tool hang did not answer within 1 s.", "timeout")
        assert await call(tools, "echo", text="still here") == ("still here", "ok")
    finally:
        await tools.aclose()


async def test_five_megabytes_are_cut_to_the_cap_and_the_cut_said(faults) -> None:
    text, status = await call(faults, "big")
    assert status == "ok"
    assert len(text.encode()) < RESULT_CAP + 100
    assert text.endswith(f"[cut: {5_000_000 - RESULT_CAP:,} bytes more]")


async def test_hostile_text_is_made_inert(faults) -> None:
    text, _ = await call(faults, "hostile")
    assert not any(c in text for c in "\x1b\x07\x9b\u202e")
    assert "[bold red]owned[/]" in text  # kept as text: front ends never read it as markup


async def test_a_crash_is_reported_and_later_calls_say_it_stopped(faults, db_path) -> None:
    echo = faults.offered()["echo"]
    text, status = await call(faults, "crash")
    assert status == "failed" and "\n" not in text
    assert "echo" not in faults.offered()  # the next turn does not offer its tools
    text, status = await faults.call(echo, {"text": "hello?"})
    assert status == "failed" and text.startswith("The MCP server f is not running (stopped:")
    assert faults.status()[0]["status"] == "crashed"
    assert "crash: exiting now" in (db_path.parent / "mcp-f.log").read_text()  # its stderr, not ours


def test_fixture_server_exists() -> None:
    assert FAULTS.endswith("mcp_faults.py")


async def test_a_streamable_http_server(db_path) -> None:
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, FAULTS, "--http", str(port)], stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the server is up once it accepts connections
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        tools = manager(db_path.parent, {"h": {"url": f"http://127.0.0.1:{port}/mcp",
                                               "headers": {"X-Token": "t0k"}}})
        try:
            assert await tools.start() == []
            assert await call(tools, "echo", text="over http") == ("over http", "ok")
            assert tools.status()[0]["transport"] == "http"
        finally:
            await tools.aclose()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
