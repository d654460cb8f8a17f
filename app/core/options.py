"""A turn's options: a conversation's stored choices over the settings' defaults.

`request_for` is the one place that decides what a turn asks of the server, so the chat
service, `ask` and the app agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.request import TurnRequest


@dataclass(frozen=True, slots=True)
class TurnDefaults:
    """What every turn asks for unless its conversation says otherwise."""

    system_prompt: str | None = None
    web_search: bool = False
    temperature: float | None = None
    max_tokens: int | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> TurnDefaults:
        """The defaults configured in `Settings` (config file, environment, flags)."""
        return cls(settings.system_prompt, settings.web_search, settings.temperature,
                   settings.max_tokens)


def request_for(conversation: Any, defaults: TurnDefaults | None = None, *,
                model: str | None = None) -> TurnRequest:
    """The `TurnRequest` of the next turn of `conversation`.

    The conversation's own system prompt wins over the default one; web search is on when
    the conversation or the defaults turn it on; temperature and max tokens come from
    the defaults. Optional fields stay unset (and unsent) unless chosen.
    """
    defaults = defaults or TurnDefaults()
    own_prompt = getattr(conversation, "system_prompt", None)
    return TurnRequest(
        model=model or conversation.model,
        session_id=conversation.session_id,
        system_prompt=own_prompt if own_prompt else defaults.system_prompt,
        web_search=bool(getattr(conversation, "web_search", False) or defaults.web_search),
        temperature=defaults.temperature,
        max_tokens=defaults.max_tokens,
    )


def response_format(schema: dict | None) -> dict | None:
    """The `response_format` body field for a stored schema (`{"name", "schema"}`), or None."""
    if not schema or not isinstance(schema.get("schema"), dict):
        return None
    return {"type": "json_schema", "json_schema": {"name": str(schema.get("name") or "response"),
                                                    "strict": True, "schema": schema["schema"]}}
