"""`asi-chat ask` with MCP tools and `--schema`, and `asi-chat tools`: the real program in a
subprocess, against the simulator, with `mcp-server-time` configured."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.tools.helpers import TIME_SERVER

pytestmark = pytest.mark.timeout(120)
TOKYO = "what time is it in Tokyo?"


@pytest.fixture
def tool_env(sim_env, tmp_path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    # a generous start: six test runs may share these two cores
    config.write_text(f'[mcp]\nstart_timeout = 40\n[mcp.servers.time]\ncommand = {json.dumps(TIME_SERVER)}\nargs = ["--local-timezone", "UTC"]\n')
    return {**sim_env, "ASI_CHAT_CONFIG": str(config)}


def asi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=90)


def test_allowed_tool_runs_and_the_answer_quotes_it(tool_env, db_path) -> None:
    result = asi(tool_env, "ask", "--allow-tool", "get_current_time", TOKYO)
    assert result.returncode == 0, result.stderr
    assert "get_current_time answered:" in result.stdout and "+09:00" in result.stdout, result.stderr[-600:]
    assert "🔧 get_current_time [time · ok · " in result.stderr
    assert "Traceback" not in result.stderr
    assert (db_path.parent / "mcp-time.log").exists()  # the server's stderr went there
    shown = asi(tool_env, "show", "1")
    assert "🔧 get_current_time [time · ok · " in shown.stdout and "Asia/Tokyo" in shown.stdout


def test_without_allowance_and_no_terminal_nothing_runs(tool_env) -> None:
    result = asi(tool_env, "ask", TOKYO)
    assert result.returncode == 0, result.stderr
    assert "+09:00" not in result.stdout and "you declined get_current_time" in result.stdout
    assert ("asi-chat: the tool get_current_time was not run (the model was told it was declined);"
            " allow it with --allow-tool get_current_time.") in result.stderr


def test_json_lists_the_calls(tool_env) -> None:
    result = asi(tool_env, "ask", "--json", "--allow-tool", "get_current_time", TOKYO)
    data = json.loads(result.stdout)
    done = [c for c in data["tool_calls"] if c["name"] == "get_current_time"]
    assert done[0]["server"] == "time" and done[0]["status"] == "ok" and "+09:00" in done[0]["result"]
    assert json.loads(done[0]["args"]) == {"timezone": "Asia/Tokyo"} and done[0]["duration_ms"] >= 0


def test_no_tools_offers_none(tool_env, sim) -> None:
    result = asi(tool_env, "ask", "--no-tools", TOKYO)
    assert result.returncode == 0 and "get_current_time" not in result.stdout + result.stderr
    assert "tools" not in sim.requests[-1].body


def test_tools_lists_servers_and_their_tools(tool_env, tmp_path) -> None:
    data = json.loads(asi(tool_env, "tools", "--json").stdout)
    (server,) = data["servers"]
    assert server["name"] == "time" and server["status"] == "ready"
    assert [t["name"] for t in server["tools"]] == ["get_current_time", "convert_time"]
    config = Path(tool_env["ASI_CHAT_CONFIG"])
    config.write_text(config.read_text() + '[mcp.servers.broken]\ncommand = "/nonexistent/server"\n')
    text = asi(tool_env, "tools")
    assert "time (stdio): ready" in text.stdout and "  get_current_time" in text.stdout
    assert "broken (stdio): failed — [Errno 2]" in text.stdout and "Traceback" not in text.stderr
    asked = asi(tool_env, "ask", "--allow-tool", "get_current_time", TOKYO)  # the turn goes on without it
    assert asked.returncode == 0 and "+09:00" in asked.stdout
    assert "asi-chat: MCP server broken: [Errno 2] No such file or directory: '/nonexistent/server'" in asked.stderr


def test_schema_gives_json_and_bad_json_exits_4(tool_env, tmp_path) -> None:
    schema = tmp_path / "city.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"city": {"type": "string"}}}))
    result = asi(tool_env, "ask", "--schema", str(schema), "the biggest city")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"city": "Tokyo"}
    bad = asi(tool_env, "ask", "-c", "not json this time")  # the conversation keeps its schema
    assert bad.returncode == 4
    assert "prose instead of JSON" in bad.stdout
    assert "asi-chat: the reply is not valid JSON (kept in conversation 1)." in bad.stderr
    shown = asi(tool_env, "show", "1")
    assert "prose instead of JSON" in shown.stdout
    missing = asi(tool_env, "ask", "--schema", str(tmp_path / "nope.json"), "x")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_with_a_terminal_ask_asks_on_it(tool_env) -> None:
    main, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "app", "ask", TOKYO], env=tool_env, stdin=secondary,
                            stdout=subprocess.PIPE, stderr=secondary, text=True)
    os.close(secondary)
    seen, deadline = b"", time.monotonic() + 60
    while b"[y]es / [a]lways / [n]o" not in seen and time.monotonic() < deadline:
        seen += os.read(main, 4096)
    assert b"Run get_current_time (MCP server time) with" in seen and b"Asia/Tokyo" in seen
    os.write(main, b"y\n")
    out, _ = proc.communicate(timeout=60)
    os.close(main)
    assert proc.returncode == 0 and "+09:00" in out


def test_ctrl_c_at_the_question_ends_at_once(tool_env) -> None:
    main, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "app", "ask", TOKYO], env=tool_env, stdin=secondary,
                            stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    seen, deadline = b"", time.monotonic() + 60
    while b"[y]es / [a]lways / [n]o" not in seen and time.monotonic() < deadline:
        seen += os.read(main, 4096)
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=15) == 130  # not held until someone presses Enter
    finally:
        proc.kill()
        os.close(main)
