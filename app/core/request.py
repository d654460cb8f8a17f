"""`TurnRequest`: everything one turn asks of the server, carried whole from the chat
service through the engine to the client.

Adding an option means adding a field here and reading it where it is used (`body()`
for what goes in the request body); nothing in between changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """The options of one turn: model, session, system prompt and body options."""

    model: str
    session_id: str
    system_prompt: str | None = None
    web_search: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    agent_handle: str | None = None
    """An Agentverse `@handle` the user addressed; it travels in the message text."""
    tools_enabled: bool = True
    """The configured MCP servers may be offered (`ask --no-tools` turns them off)."""
    tools: tuple[dict, ...] = ()
    """OpenAI `tools` entries, filled by the tool loop once its servers have started."""
    response_format: dict | None = None
    """Structured output: `{"type": "json_schema", "json_schema": {...}}`."""
    servers_off: frozenset[str] = frozenset()
    """MCP servers whose tools this turn does not offer (switched off in its conversation)."""

    def body(self, messages: list[dict[str, Any]], *, stream: bool) -> dict[str, Any]:
        """The JSON body of `POST /chat/completions`: optional fields only when set."""
        payload: dict[str, Any] = {"model": self.model, "messages": messages, "stream": stream}
        if self.web_search:
            payload["web_search"] = True
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.max_tokens is not None:
            payload["max_tokens"] = self.max_tokens
        if self.tools:
            payload["tools"] = list(self.tools)
        if self.response_format is not None:
            payload["response_format"] = self.response_format
        return payload

    def headers(self) -> dict[str, str]:
        """Per-request headers (the key is the client's, not the request's)."""
        return {"x-session-id": self.session_id}

    def with_session(self, session_id: str) -> TurnRequest:
        """The same options on another session (a new branch has its own)."""
        return replace(self, session_id=session_id)
