"""Render an exported conversation (the store's dict) as Markdown."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def to_markdown(data: dict[str, Any]) -> str:
    """The whole conversation, reasoning included, as a Markdown document."""
    conv = data["conversation"]
    lines = [
        f"# {conv.get('title') or 'Untitled conversation'}",
        "",
        f"- id: {conv['id']}  ",
        f"- model: {conv.get('model')}  ",
        f"- session id: {conv.get('session_id')}  ",
        f"- created: {_when(conv.get('created_at'))}",
        "",
    ]
    for message in data.get("messages", []):
        status = message.get("status") or "complete"
        marker = "" if status == "complete" else f" ({status})"
        lines += [f"## {message['role']}{marker} · {_when(message.get('created_at'))}", ""]
        if message.get("reasoning"):
            lines += ["**Reasoning**", "", _quote(message["reasoning"]), ""]
        lines += [message.get("content") or "", ""]
        if message.get("error"):
            lines += [f"*Error: {message['error']}*", ""]
    if data.get("images"):
        lines += ["## Image links", ""] + [f"- {image['url']}" for image in data["images"]] + [""]
    return "\n".join(lines)
