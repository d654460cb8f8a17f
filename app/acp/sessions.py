"""ACP sessions <-> stored conversations: the sessionId is the conversation id as text."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from acp import RequestError
from acp.schema import SessionConfigOptionSelect, SessionConfigSelectOption

from app.core.errors import ConversationNotFound
from app.core.models import known_models
from app.core.store.store import Store

MODEL_OPTION = "model"


@dataclass
class AcpSession:
    """What this process keeps for one open session (the conversation itself is in the store)."""

    conversation_id: int
    cwd: str
    mcp_servers: list[Any] = field(default_factory=list)
    """The MCP servers the client passed (kept for the MCP tools, added to the configured ones)."""
    background: asyncio.Task | None = None
    """A resumed agent wait being reported to the client after `session/load`."""

    @property
    def id(self) -> str:
        return str(self.conversation_id)


def conversation_of(store: Store, session_id: str) -> int:
    """The conversation a sessionId names; a JSON-RPC error when there is none."""
    try:
        conversation_id = int(session_id)
        store.get_conversation(conversation_id)
    except (ValueError, ConversationNotFound):
        raise RequestError.resource_not_found(session_id) from None
    return conversation_id


def model_options(settings: Any, current: str) -> list[SessionConfigOptionSelect]:
    """The session's config options: the model, from the known ones (any name is kept)."""
    models = known_models(settings)
    choices = [SessionConfigSelectOption(value=m.name, name=m.name, description=m.purpose or None) for m in models]
    if current not in {m.name for m in models}:
        choices.append(SessionConfigSelectOption(value=current, name=current))
    return [SessionConfigOptionSelect(id=MODEL_OPTION, name="Model", category="model", type="select",
                                      current_value=current, options=choices,
                                      description="The ASI:One model that answers in this conversation.")]
