"""Turn events of the tool loop (beside `app.core.wire.events`, which they extend)."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.wire.events import Completion


@dataclass(frozen=True, slots=True)
class ToolCallsWanted:
    """The reply ended with `finish_reason: "tool_calls"` on a request that offered tools:
    the engine stops there and the tool loop (`app.core.tools.loop`) takes over."""

    completion: Completion


@dataclass(frozen=True, slots=True)
class ToolNotice:
    """One line about the tools for the user (a server that failed to start, a declined
    call and how to allow it); the turn goes on."""

    text: str
