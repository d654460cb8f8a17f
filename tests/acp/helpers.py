"""Playing the editor's side: `asi-chat acp` spawned through the ACP SDK's client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, spawn_agent_process, text_block
from acp.schema import AllowedOutcome, DeniedOutcome, RequestPermissionResponse

from tests.reliability.helpers import ASI_CHAT


class EditorClient:
    """What an editor does with the agent's messages: keep every update, answer permissions."""

    def __init__(self, permission: str | None = None) -> None:
        self.updates: list[tuple[str, Any]] = []
        self.permission = permission
        self.permission_requests: list[Any] = []

    async def session_update(self, session_id: str, update: Any, **_: Any) -> None:
        self.updates.append((session_id, update))

    async def request_permission(self, session_id: str, tool_call: Any, options: list, **_: Any):
        self.permission_requests.append((session_id, tool_call, options))
        if self.permission is None:
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=self.permission))

    def of_kind(self, kind: str) -> list[Any]:
        """The updates of one `sessionUpdate` kind, in order."""
        return [u for _, u in self.updates if u.session_update == kind]

    def text(self, kind: str) -> str:
        """The text of all message (or thought) chunks of `kind`, joined."""
        return "".join(u.content.text for u in self.of_kind(kind))

    def tool_updates(self, tool_call_id: str) -> list[Any]:
        """Every `tool_call` / `tool_call_update` of one call, in order."""
        return [u for _, u in self.updates
                if u.session_update in ("tool_call", "tool_call_update") and u.tool_call_id == tool_call_id]


@asynccontextmanager
async def editor(env: dict[str, str], *args: str, client: EditorClient | None = None,
                 stderr_to: Path | None = None) -> AsyncIterator[tuple[Any, EditorClient, Any]]:
    """`asi-chat [ARGS] acp` spawned and initialised: (connection, client, process)."""
    client = client or EditorClient()
    stderr = open(stderr_to, "ab") if stderr_to else None  # noqa: SIM115 - closed below
    try:
        async with spawn_agent_process(client, str(ASI_CHAT), *args, "acp", env=env,
                                       transport_kwargs={"stderr": stderr.fileno() if stderr else None,
                                                         "shutdown_timeout": 20}) as (conn, process):
            reply = await asyncio.wait_for(conn.initialize(protocol_version=PROTOCOL_VERSION), 30)
            assert reply.agent_capabilities.load_session is True
            yield conn, client, process
    finally:
        if stderr:
            stderr.close()


def prompt(text: str) -> list:
    return [text_block(text)]


async def until(condition: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    """Let the agent run until `condition()` holds (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)
