"""`AsiChatAgent`: the ACP agent methods, over the chat service and the history.

Each method maps to `ChatService` and `Store` calls; the stream of a turn goes out
through `TurnUpdates`. Failures reach the client as JSON-RPC errors with one clear
line; nothing here writes to stdout.
"""

from __future__ import annotations

import asyncio
import json
import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from acp import PROTOCOL_VERSION, RequestError
from acp.schema import (
    AgentCapabilities,
    EmbeddedResourceContentBlock,
    Implementation,
    InitializeResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    ResourceContentBlock,
    SetSessionConfigOptionResponse,
    TextContentBlock,
)

from app.acp.permission import ask_permission
from app.acp.sessions import MODEL_OPTION, AcpSession, conversation_of, model_options
from app.acp.updates import TurnUpdates, replay
from app.core.errors import AsiChatError
from app.core.runtime import Runtime
from app.core.tools.approval import Approval, Approver, ToolCallRequest
from app.core.tools.settings import McpServerConfig
from app.core.turn import Turn

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("asi-chat")
    except PackageNotFoundError:
        return "0"


def prompt_text(blocks: list[Any]) -> str:
    """The text a prompt's content blocks carry: text, and the links and text of resources."""
    parts = []
    for block in blocks:
        match block:
            case TextContentBlock(text=text):
                parts.append(text)
            case ResourceContentBlock(uri=uri, name=name):
                parts.append(f"[{name}]({uri})")
            case EmbeddedResourceContentBlock(resource=resource):
                text = getattr(resource, "text", None)
                if text is not None:
                    parts.append(f"{resource.uri}:\n```\n{text}\n```")
            case _:
                log.info("prompt block of type %s left out", getattr(block, "type", "?"))
    return "\n\n".join(parts)


def _failure(exc: AsiChatError) -> RequestError:
    """An asi-chat error as the JSON-RPC error the editor shows: its one line, no traceback."""
    return RequestError(-32000, exc.message)


class AsiChatAgent:
    """The ACP agent: sessions are conversations of `runtime`'s history."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.chat = runtime.chat
        self.store = runtime.store
        self.sessions: dict[str, AcpSession] = {}
        self.conn: Any = None

    def on_connect(self, conn: Any) -> None:
        """The SDK hands over the client side: updates and permission requests go through it."""
        self.conn = conn

    async def initialize(self, protocol_version: int, client_capabilities: Any = None,
                         client_info: Any = None, **_: Any) -> InitializeResponse:
        """Protocol version 1; sessions load; prompts are text (resources as text, no images)."""
        log.info("initialize: client %s, protocol %s", client_info, protocol_version)
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(
                load_session=True,
                prompt_capabilities=PromptCapabilities(image=False, audio=False, embedded_context=True),
                mcp_capabilities=McpCapabilities(http=False, sse=False)),
            agent_info=Implementation(name="asi-chat", title="ASI:One (asi-chat)", version=_version()),
            auth_methods=[])

    async def new_session(self, cwd: str, mcp_servers: list[Any] | None = None, **_: Any) -> NewSessionResponse:
        """A new conversation in the history, with its own x-session-id."""
        try:
            conversation = self.store.create_conversation(self.runtime.settings.model)
        except AsiChatError as exc:
            raise _failure(exc) from None
        session = self._open(conversation.id, cwd, mcp_servers)
        return NewSessionResponse(session_id=session.id,
                                  config_options=model_options(self.runtime.settings, conversation.model))

    async def load_session(self, cwd: str, session_id: str, mcp_servers: list[Any] | None = None,
                           **_: Any) -> LoadSessionResponse:
        """Replay the conversation's branch, then report a pending agent wait as it goes on."""
        conversation_id = conversation_of(self.store, session_id)
        session = self._open(conversation_id, cwd, mcp_servers)
        for update in replay(self.store.branch(conversation_id)):
            await self.conn.session_update(session_id=session.id, update=update)
        turn = self.chat.running(conversation_id) or self._resume(conversation_id)
        if turn is not None and turn.wait is not None:
            updates = TurnUpdates(wait_id=f"wait-{turn.ack_id}", agents=list(turn.agents), answered=True)
            session.background = asyncio.create_task(self._report(session.id, turn, updates))
        model = self.store.get_conversation(conversation_id).model
        return LoadSessionResponse(config_options=model_options(self.runtime.settings, model))

    async def set_config_option(self, config_id: str, session_id: str, value: str | bool,
                                **_: Any) -> SetSessionConfigOptionResponse:
        """Switch the conversation's model (any name is accepted, as everywhere in asi-chat)."""
        conversation_id = conversation_of(self.store, session_id)
        if config_id != MODEL_OPTION:
            raise RequestError.invalid_params({"configId": config_id, "details": "unknown option"})
        if not isinstance(value, str) or not value.strip():
            raise RequestError.invalid_params({"details": "the model needs a name"})
        self.store.set_conversation_model(conversation_id, value.strip())
        return SetSessionConfigOptionResponse(config_options=model_options(self.runtime.settings, value.strip()))

    async def prompt(self, prompt: list[Any], session_id: str, **_: Any) -> PromptResponse:
        """Send the prompt in the session's conversation; stream the turn; say why it ended."""
        session = self._session(session_id)
        text = prompt_text(prompt)
        if not text.strip():
            raise RequestError.invalid_params({"details": "Nothing to send: the prompt has no text."})
        try:
            turn = self.chat.start(session.conversation_id, text, approver=self._approver(session.id))
        except AsiChatError as exc:
            raise _failure(exc) from None
        updates = TurnUpdates(wait_id=f"wait-{turn.prompt_id}", max_tokens=turn.request.max_tokens)
        await self._report(session.id, turn, updates)
        if updates.error is not None:
            log.info("turn of session %s failed: %s", session.id, updates.error)
        return PromptResponse(stop_reason=updates.stop_reason)

    def _approver(self, session_id: str) -> Approver:
        """MCP tool calls of this session's turns are asked about in the editor
        (`session/request_permission`: allow once / always / reject = y / a / n)."""

        async def approve(request: ToolCallRequest) -> Approval:
            try:  # the editor shows the arguments as JSON, not as a string of it
                arguments = json.loads(request.arguments)
            except ValueError:
                arguments = request.arguments
            answer = await ask_permission(self.conn, session_id, request.tool, request.server, arguments)
            return Approval(answer)

        return approve

    async def cancel(self, session_id: str, **_: Any) -> None:
        """Stop the session's running reply (kept, marked interrupted) or agent wait (kept, stopped)."""
        session = self.sessions.get(session_id)
        if session is None:
            return
        turn = self.chat.running(session.conversation_id)
        if turn is not None and turn.wait is not None:
            await self.chat.stop_wait(session.conversation_id)
        elif turn is not None:
            await self.chat.cancel(session.conversation_id)

    async def close(self) -> None:
        """Stop reporting resumed waits (the chat service's shutdown stores what they had)."""
        for session in self.sessions.values():
            if session.background is not None:
                session.background.cancel()

    # -- helpers ----------------------------------------------------------------------

    def _add_servers(self, servers: list[Any]) -> None:
        """The editor's MCP servers join the configured ones (the same tools loop, approvals
        asked in the editor)."""
        configs = [c for c in (mcp_config(server) for server in servers) if c is not None]
        if not configs:
            return
        if self.chat.tools is None:
            from app.core.runtime import db_path
            from app.core.tools.servers import McpManager

            settings = self.runtime.settings
            self.chat.tools = McpManager(settings.mcp, db_path(settings).parent, secret=settings.api_key)
        for config in configs:
            if self.chat.tools.add(config):
                log.info("MCP server %s from the editor", config.name)

    def _open(self, conversation_id: int, cwd: str, mcp_servers: list[Any] | None) -> AcpSession:
        session = AcpSession(conversation_id, cwd, list(mcp_servers or []))
        self._add_servers(session.mcp_servers)
        old = self.sessions.get(session.id)
        if old is not None and old.background is not None:
            old.background.cancel()
        self.sessions[session.id] = session
        return session

    def _session(self, session_id: str) -> AcpSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise RequestError.resource_not_found(session_id)
        return session

    def _resume(self, conversation_id: int) -> Turn | None:
        """Go on with the conversation's pending wait (None when none, or another process has it)."""
        for wait in self.store.pending_waits(conversation_id):
            turn = self.chat.start_resume(wait)
            if turn is not None:
                return turn
        return None

    async def _report(self, session_id: str, turn: Turn, updates: TurnUpdates) -> None:
        async for event in turn.follow():
            for update in updates.updates(event):
                await self.conn.session_update(session_id=session_id, update=update)


def mcp_config(server: Any) -> McpServerConfig | None:
    """An ACP `mcpServers` entry (stdio: name, command, args, env; http: name, url, headers)
    as the MCP client's server settings; None for one it cannot run."""
    name = getattr(server, "name", None)
    pairs = lambda items: tuple((str(getattr(i, "name", "")), str(getattr(i, "value", ""))) for i in items or ())  # noqa: E731
    if not name:
        return None
    if getattr(server, "command", None):
        return McpServerConfig(name=str(name), command=str(server.command),
                               args=tuple(str(a) for a in getattr(server, "args", None) or ()),
                               env=pairs(getattr(server, "env", None)))
    if getattr(server, "url", None) and getattr(server, "type", "http") == "http":
        return McpServerConfig(name=str(name), url=str(server.url), headers=pairs(getattr(server, "headers", None)))
    return None
