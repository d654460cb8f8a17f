"""What a conversation sends to the API: its stored messages, trimmed to the model's window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from app.core.models import trimming_window

# Room left for the reply when trimming.
REPLY_RESERVE_TOKENS = 2048
_SENDABLE_STATUSES = {"complete", "interrupted", "awaiting-agent", "wait-stopped"}


class StoredMessage(Protocol):
    role: str
    content: str
    status: str


def estimate_tokens(text: str) -> int:
    """A conservative token estimate: real tokenisers give about 4 characters a token in
    English; counting 3 over-estimates, so a trimmed history always fits."""
    return len(text) // 3 + 4


def context_window(model: str) -> int:
    """The window the history is trimmed to: the model's, or a conservative 32K when unknown."""
    return trimming_window(model)


def sendable(messages: Iterable[StoredMessage]) -> list[dict[str, str]]:
    """Stored messages as API messages: failed or empty replies are not part of the dialogue."""
    out = []
    for message in messages:
        if message.role == "user" or (
            message.role in ("assistant", "system")
            and message.status in _SENDABLE_STATUSES
            and message.content.strip()
        ):
            if message.role == "user" and not message.content.strip():
                continue
            out.append({"role": message.role, "content": message.content})
    return out


def trim_to_window(messages: Sequence[dict[str, str]], model: str) -> list[dict[str, str]]:
    """Drop the oldest non-system messages until the rest fits the model's window.

    System messages are always kept, and so is the newest message even when it alone is
    too long (the server then says so, rather than the app silently cutting the prompt).
    """
    budget = context_window(model) - REPLY_RESERVE_TOKENS
    system = [m for m in messages if m["role"] == "system"]
    rest = [m for m in messages if m["role"] != "system"]
    used = sum(estimate_tokens(m["content"]) for m in system)
    kept: list[dict[str, str]] = []
    for message in reversed(rest):
        cost = estimate_tokens(message["content"])
        if kept and used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    return system + kept


def build_history(messages: Iterable[StoredMessage], model: str,
                  system_prompt: str | None = None) -> list[dict[str, str]]:
    """The request history for a conversation's stored messages.

    A system prompt goes first, and trimming never drops it.
    """
    sent = sendable(messages)
    if system_prompt and system_prompt.strip():
        sent.insert(0, {"role": "system", "content": system_prompt})
    return trim_to_window(sent, model)


def context_usage(messages: Iterable[StoredMessage], model: str,
                  system_prompt: str | None = None) -> tuple[int, int]:
    """(estimated tokens the next request would carry, the window it is trimmed to)."""
    sent = build_history(messages, model, system_prompt)
    return sum(estimate_tokens(m["content"]) for m in sent), context_window(model)
