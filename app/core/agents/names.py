"""Who is working on a turn: agent names from acknowledgements, manifests and `@handles`.

Pure functions over already-received text and JSON; every name they return is sanitised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.core.agents.records import normal_handle, one_line
from app.core.wire.events import AgentRef

# "I've sent the message to Image Generation HiDream-I1 (@image-gen-hidream), waiting for result…"
_ACK_TO = re.compile(
    r"""^\s*I\s?(?:'|’|‘|`)?\s?ve\s+sent\s+(?:the|your|a)\s+(?:message|request)\s+to\s+
        (?:the\s+)?(?P<who>.+?)
        (?:\s*[,;]\s*|\s+[–—-]\s+|\s+(?:and\s+)?(?:I(?:'|’)m\s+|I\s+am\s+|am\s+)?(?:now\s+)?(?:waiting|awaiting)\b|\s*(?:\.\.\.|…|[.!])?\s*$)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WHO_HANDLE = re.compile(r"^(?P<name>.*?)\s*\(\s*@(?P<handle>[\w][\w.-]*)\s*\)$")
_PROMPT_HANDLE = re.compile(r"(?<![\w@.])@(?P<handle>[A-Za-z0-9_][\w.-]*[\w]|[A-Za-z0-9_])")
_NAME_KEYS = ("name", "agent_name", "title", "display_name")
_HANDLE_KEYS = ("handle", "agent_handle", "username")
_ADDRESS_KEYS = ("address", "agent_address", "agent")


def agents_from_acknowledgement(text: str) -> tuple[AgentRef, ...]:
    """The agent an acknowledgement names ("I've sent the message to X, waiting…" → X)."""
    match = _ACK_TO.match(" ".join((text or "").split()))
    if match is None:
        return ()
    who = match.group("who").strip().rstrip(".…")
    if not who or who.lower() in ("agent", "the agent", "an agent", "agents"):
        return ()
    handle = ""
    paired = _WHO_HANDLE.match(who)
    if paired:
        who, handle = paired.group("name").strip(), normal_handle(paired.group("handle"))
    elif who.startswith("@"):
        handle, who = normal_handle(who), ""
    name = one_line(who, 120)
    if not name and not handle:
        return ()
    return (AgentRef(name or handle, handle),)


def _first(data: dict, keys: Iterable[str]) -> Any:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _walk(value: Any, depth: int = 0) -> Iterable[dict]:
    """Dicts that look like agent manifests, anywhere in lists or under wrapping keys."""
    if depth > 4:
        return
    if isinstance(value, list):
        for item in value[:50]:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        if _first(value, _NAME_KEYS + _HANDLE_KEYS) or _address(value):
            yield value
        for key in ("agent", "agents", "manifest", "manifests", "data"):
            inner = value.get(key)
            if isinstance(inner, (dict, list)):
                yield from _walk(inner, depth + 1)


def _address(data: dict) -> str:
    value = _first(data, _ADDRESS_KEYS)
    text = one_line(value, 120) if value else ""
    return text if text.startswith("agent1") else ""


def agents_from_executable_data(data: Any) -> tuple[AgentRef, ...]:
    """Agents named in `executable_data`: dicts with name/handle/address, lists of them,
    or those wrapped in `agent`/`manifest` keys; anything else is ignored. No duplicates."""
    found: dict[str, AgentRef] = {}
    for item in _walk(data):
        handle = normal_handle(_first(item, _HANDLE_KEYS))
        address = _address(item)
        name = one_line(_first(item, _NAME_KEYS) or "", 120) or handle or address
        if not name:
            continue
        ref = AgentRef(name, handle, address)
        found.setdefault(ref.key, ref)
    return tuple(found.values())


def handles_in_prompt(text: str) -> tuple[str, ...]:
    """`@handle` tokens in a user's message, in order, without `@` and without repeats.

    An e-mail address is not a handle (`@` must not follow a word character).
    """
    seen: dict[str, None] = {}
    for match in _PROMPT_HANDLE.finditer(text or ""):
        handle = normal_handle(match.group("handle"))
        if handle:
            seen.setdefault(handle, None)
    return tuple(seen)


def merge_agents(*groups: Iterable[AgentRef]) -> tuple[AgentRef, ...]:
    """Agents from several sources, one per key, the first seen with a fuller record winning."""
    merged: dict[str, AgentRef] = {}
    by_name: dict[str, str] = {}
    for group in groups:
        for ref in group:
            key = by_name.get(ref.name.lower()) if ref.name else None
            key = key or ref.key
            old = merged.get(key)
            if old is None:
                merged[key] = ref
            else:
                # A real name beats a bare handle standing in for one.
                name = old.name if old.name and old.name != old.handle else (ref.name or old.name)
                merged[key] = AgentRef(name, old.handle or ref.handle, old.address or ref.address)
            if ref.name:
                by_name.setdefault(ref.name.lower(), key)
    return tuple(merged.values())


def contacted_agents(acknowledgement: str | None, manifests: Iterable[Any],
                     handle: str | None = None) -> tuple[AgentRef, ...]:
    """Everyone a turn involved: the ack's name, the manifests' agents, the addressed handle."""
    addressed = (AgentRef(h, h),) if (h := normal_handle(handle)) else ()
    from_ack = agents_from_acknowledgement(acknowledgement) if acknowledgement else ()
    if addressed and len(from_ack) == 1 and not from_ack[0].handle:
        # The user addressed @h and the acknowledgement names one agent: that agent is @h.
        from_ack = (AgentRef(from_ack[0].name, addressed[0].handle, from_ack[0].address),)
    return merge_agents(from_ack, agents_from_executable_data(list(manifests)), addressed)
