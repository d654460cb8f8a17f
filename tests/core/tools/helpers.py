"""Real MCP servers for the tool tests: `mcp-server-time` from the package index and the
fault server in tests/fixtures, run through a real `ChatService` against the simulator."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from app.core.chat import ChatService
from app.core.client import AsiOneClient
from app.core.engine import TurnEngine
from app.core.store.store import Store
from app.core.tools.servers import McpManager
from app.core.tools.settings import parse_mcp
from app.simulator import Simulator
from tests.conftest import TEST_KEY

FAULTS = str(Path(__file__).parents[2] / "fixtures" / "mcp_faults.py")
TIME_SERVER = shutil.which("mcp-server-time") or str(Path(sys.executable).parent / "mcp-server-time")


def time_server() -> dict:
    return {"command": TIME_SERVER, "args": ["--local-timezone", "UTC"]}


def faults_server(*extra: str, env: dict | None = None) -> dict:
    table = {"command": sys.executable, "args": [FAULTS, *extra]}
    if env is not None:
        table["env"] = env
    return table


def manager(log_dir: Path, servers: dict, **limits) -> McpManager:
    """A manager of `servers`; starts get 40 s (the machine is shared) unless a test says less."""
    return McpManager(parse_mcp({"servers": servers, "start_timeout": 40, **limits}), log_dir, secret=TEST_KEY)


def service(sim: Simulator, path: Path, tools: McpManager) -> tuple[ChatService, AsiOneClient]:
    client = AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, backoff_base=0.01, read_timeout=10)
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=3)
    return ChatService(Store(path), engine, tools=tools), client


async def run(chat: ChatService, conversation_id: int, prompt: str, **kw) -> list:
    return [e async for e in chat.send(conversation_id, prompt, **kw)]
