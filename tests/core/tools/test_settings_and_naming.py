"""The `[mcp]` table, tool names made unique, results capped, the request body."""

from __future__ import annotations

import pytest

from app.core.config import load_settings, save_setting
from app.core.errors import ConfigError
from app.core.options import response_format
from app.core.request import TurnRequest
from app.core.tools.naming import offer
from app.core.tools.results import capped
from app.core.tools.settings import McpServerConfig


def test_servers_are_read_from_the_config_file(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('model = "asi1"\n[mcp]\nmax_rounds = 5\ncall_timeout = 30\n'
                    '[mcp.servers.time]\ncommand = "mcp-server-time"\nargs = ["--local-timezone", "UTC"]\n'
                    '[mcp.servers.notes]\nurl = "http://127.0.0.1:8808/mcp"\nheaders = {X-Token = "t"}\n')
    mcp = load_settings(env={}, config_file=path).mcp
    assert mcp.max_rounds == 5 and mcp.call_timeout == 30 and mcp.start_timeout == 10
    assert mcp.servers == (
        McpServerConfig("time", command="mcp-server-time", args=("--local-timezone", "UTC")),
        McpServerConfig("notes", url="http://127.0.0.1:8808/mcp", headers=(("X-Token", "t"),)))
    save_setting(path, "theme", "nord")  # saving a plain setting keeps the servers
    assert load_settings(env={}, config_file=path).mcp == mcp


@pytest.mark.parametrize("table, said", [
    ('[mcp.servers.x]\nargs = ["a"]\n', "needs either command (stdio) or url (HTTP)"),
    ('[mcp.servers.x]\ncommand = "a"\nurl = "http://h"\n', "needs either command"),
    ('[mcp.servers.x]\nurl = "file:///etc/passwd"\n', "url must be an http(s) URL"),
    ('[mcp.servers.x]\ncommand = "a"\nargs = "b"\n', "args must be a list of strings"),
    ('[mcp]\nmax_rounds = 0\n', "mcp.max_rounds must be a positive number"),
    ('[mcp.servers.x]\ncommand = "a"\ncwd = "/"\n', "unknown key 'cwd'"),
])
def test_bad_mcp_settings_are_one_clear_line(tmp_path, table, said) -> None:
    path = tmp_path / "config.toml"
    path.write_text(table)
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, config_file=path)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_names_are_unique_only_on_a_clash_and_map_back() -> None:
    offered = offer([("time", "get_current_time", "", {"type": "object"}),
                     ("a", "search", "", {}), ("b", "search", "", {}), ("b", "odd name!", "", {})])
    assert list(offered) == ["get_current_time", "a__search", "b__search", "odd_name_"]
    assert (offered["b__search"].server, offered["b__search"].tool) == ("b", "search")
    assert offered["odd_name_"].tool == "odd name!"
    assert offered["a__search"].spec()["function"]["parameters"] == {"type": "object", "properties": {}}


def test_results_are_capped_in_bytes_and_the_cut_said() -> None:
    assert capped("é" * 10, limit=7) == "ééé\n[cut: 14 bytes more]"
    assert capped("plain\x1b[31m") == "plain"


def test_the_body_carries_tools_and_response_format() -> None:
    schema = {"name": "city", "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}
    request = TurnRequest("asi1", "s", tools=({"type": "function", "function": {"name": "t"}},),
                          response_format=response_format(schema))
    body = request.body([], stream=True)
    assert body["tools"] == [{"type": "function", "function": {"name": "t"}}]
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "city", "strict": True, "schema": schema["schema"]}}
    assert "tools" not in TurnRequest("asi1", "s").body([], stream=True)


def test_no_server_starts_and_no_mcp_import_until_a_turn_needs_them(tmp_path) -> None:
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from app.core.config import load_settings;"
            "from app.core.runtime import make_runtime, open_store;"
            f"s = load_settings(env={{'ASI_ONE_API_KEY': 'k', 'ASI_CHAT_DB': {str(tmp_path / 'h.db')!r}}},"
            f" config_file=Path({str(tmp_path / 'c.toml')!r}));"
            "r = make_runtime(s, open_store(s));"
            "print(r.chat.tools.configured, 'mcp' in sys.modules, [x['status'] for x in r.chat.tools.status()])")
    (tmp_path / "c.toml").write_text('[mcp.servers.t]\ncommand = "mcp-server-time"\n')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True False ['stopped']", out.stderr
