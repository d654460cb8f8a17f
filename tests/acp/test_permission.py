"""`ask_permission`: an MCP tool's approval asked of the editor over JSON-RPC, answered by it."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from acp._transport import memory_transport_pair  # the SDK's own in-memory pair (HTTP/WS use it)
from acp.agent.connection import AgentSideConnection
from acp.client.connection import ClientSideConnection

from app.acp.permission import ask_permission
from tests.acp.helpers import EditorClient


class _NoAgent:
    """The agent side's methods are not used here: only its connection to the client."""


@asynccontextmanager
async def connected(client: EditorClient):
    """An agent-side connection talking JSON-RPC (in memory) to `client`."""
    agent_end, client_end = memory_transport_pair()
    agent_conn = AgentSideConnection(_NoAgent(), agent_end)
    client_conn = ClientSideConnection(client, client_end)
    try:
        yield agent_conn
    finally:
        await client_conn.close()
        await agent_conn.close()


@pytest.mark.parametrize("choice, answer", [("once", "once"), ("always", "always"), ("deny", "deny"),
                                            (None, "deny"), ("something-else", "deny")])
async def test_the_editors_choice_is_the_approval(choice, answer):
    client = EditorClient(permission=choice)
    async with connected(client) as conn:
        got = await ask_permission(conn, "7", "read_file", "files", {"path": "/etc/hosts"})
    assert got == answer
    [(session_id, call, options)] = client.permission_requests
    assert session_id == "7" and call.title == "files: read_file" and call.raw_input == {"path": "/etc/hosts"}
    assert [(o.option_id, o.kind) for o in options] == [("once", "allow_once"), ("always", "allow_always"),
                                                        ("deny", "reject_once")]


async def test_a_client_that_fails_is_a_refusal():
    class Broken(EditorClient):
        async def request_permission(self, *args, **kwargs):
            raise RuntimeError("the editor crashed")

    async with connected(Broken()) as conn:
        assert await ask_permission(conn, "7", "rm", "shell\x1b]0;x\x07", {"arg": object()}) == "deny"


@pytest.mark.parametrize("choice", ["once", None])
async def test_an_mcp_tool_is_asked_about_in_the_editor(sim, db_path, tmp_path, choice):
    """A configured MCP tool (mcp-server-time) runs in an ACP session only when the editor
    allows it (`session/request_permission`); refused, the model is told and nothing runs."""
    import json

    from tests.acp.helpers import EditorClient, editor, prompt
    from tests.core.tools.helpers import TIME_SERVER
    from tests.reliability.helpers import app_env

    config = tmp_path / "config.toml"
    config.write_text(f'[mcp]\nstart_timeout = 40\n[mcp.servers.time]\ncommand = {json.dumps(TIME_SERVER)}\n'
                      'args = ["--local-timezone", "UTC"]\n')
    env = app_env(sim.base_url, db_path, ASI_CHAT_CONFIG=str(config))
    client = EditorClient(permission=choice)
    async with editor(env, client=client, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=prompt("what time is it in Tokyo?"))
    [(_, call, _)] = client.permission_requests
    assert call.title == "time: get_current_time" and call.raw_input == {"timezone": "Asia/Tokyo"}
    answer = client.text("agent_message_chunk")
    if choice == "once":
        assert "+09:00" in answer  # the tool's result, quoted
    else:
        assert "+09:00" not in answer and "declined" in answer.lower()


async def test_the_editors_own_mcp_server_is_offered_too(sim, db_path, tmp_path):
    """`session/new` with `mcpServers` (here mcp-server-time over stdio, nothing configured):
    its tools join the turn's, asked about in the editor like any other."""
    from acp.schema import McpServerStdio

    from tests.acp.helpers import EditorClient, editor, prompt
    from tests.core.tools.helpers import TIME_SERVER
    from tests.reliability.helpers import app_env

    env = app_env(sim.base_url, db_path, ASI_CHAT_CONFIG=str(tmp_path / "none.toml"))
    client = EditorClient(permission="once")
    server = McpServerStdio(name="time", command=TIME_SERVER, args=["--local-timezone", "UTC"], env=[])
    async with editor(env, client=client, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[server])
        await conn.prompt(session_id=session.session_id, prompt=prompt("what time is it in Tokyo?"))
    [(_, call, _)] = client.permission_requests
    assert call.title == "time: get_current_time"
    assert "+09:00" in client.text("agent_message_chunk")
