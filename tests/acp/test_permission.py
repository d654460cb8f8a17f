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
