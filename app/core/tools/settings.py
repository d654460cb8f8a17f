"""The `[mcp]` table of config.toml: which MCP servers to start, and the tool loop's limits.

```toml
[mcp]
max_rounds = 20          # model -> tools -> model rounds in one turn
start_timeout = 10       # seconds a server has to start and list its tools
call_timeout = 60        # seconds one tool call may take
[mcp.servers.time]
command = "mcp-server-time"      # stdio: command, args, env
args = ["--local-timezone", "UTC"]
[mcp.servers.notes]
url = "http://127.0.0.1:8808/mcp"  # streamable HTTP: url, headers
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """One configured MCP server: a command (stdio) or a URL (streamable HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def transport(self) -> str:
        """`stdio` or `http`."""
        return "stdio" if self.command else "http"


@dataclass(frozen=True, slots=True)
class McpSettings:
    """Every configured server and the loop's limits (seconds, rounds)."""

    servers: tuple[McpServerConfig, ...] = ()
    max_rounds: int = 20
    start_timeout: float = 10.0
    call_timeout: float = 60.0
    enabled: bool = field(default=True)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(value)


def _pairs(value: Any, what: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{what} must be a table of strings")
    return tuple((str(k), v) for k, v in value.items())


def _server(name: str, table: Any) -> McpServerConfig:
    if not _NAME.match(name):
        raise ValueError(f"server name {name!r} must be letters, digits, - or _")
    if not isinstance(table, dict):
        raise ValueError(f"[mcp.servers.{name}] must be a table")
    unknown = sorted(set(table) - {"command", "args", "env", "url", "headers"})
    if unknown:
        raise ValueError(f"[mcp.servers.{name}] has an unknown key {unknown[0]!r}")
    command, url = table.get("command"), table.get("url")
    if (command is None) == (url is None):
        raise ValueError(f"[mcp.servers.{name}] needs either command (stdio) or url (HTTP)")
    if command is not None and (not isinstance(command, str) or not command.strip()):
        raise ValueError(f"[mcp.servers.{name}] command must be a non-empty string")
    if url is not None and (not isinstance(url, str) or not url.lower().startswith(("http://", "https://"))):
        raise ValueError(f"[mcp.servers.{name}] url must be an http(s) URL")
    return McpServerConfig(
        name=name, command=command, url=url,
        args=_strings(table.get("args", []), f"[mcp.servers.{name}] args"),
        env=_pairs(table.get("env", {}), f"[mcp.servers.{name}] env"),
        headers=_pairs(table.get("headers", {}), f"[mcp.servers.{name}] headers"))


def _positive(table: dict, key: str, default: float, kind: type) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"mcp.{key} must be a positive number")
    if kind is int and not float(value).is_integer():
        raise ValueError(f"mcp.{key} must be a whole number")
    return kind(value)


def parse_mcp(value: Any) -> McpSettings:
    """The `[mcp]` table as `McpSettings`; ValueError (with what is wrong) otherwise."""
    if not isinstance(value, dict):
        raise ValueError("[mcp] must be a table")
    unknown = sorted(set(value) - {"servers", "max_rounds", "start_timeout", "call_timeout"})
    if unknown:
        raise ValueError(f"[mcp] has an unknown key {unknown[0]!r}")
    servers = value.get("servers", {})
    if not isinstance(servers, dict):
        raise ValueError("[mcp.servers] must be a table of servers")
    return McpSettings(
        servers=tuple(_server(name, table) for name, table in servers.items()),
        max_rounds=_positive(value, "max_rounds", 20, int),
        start_timeout=_positive(value, "start_timeout", 10.0, float),
        call_timeout=_positive(value, "call_timeout", 60.0, float))
