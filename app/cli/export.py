"""Render an exported conversation (the store's dict) as Markdown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.core.sanitize import clean
from app.core.tool_display import call_line

#: Longer tool results are shown cut in Markdown (the JSON export keeps them whole).
RESULT_SHOWN = 600


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def to_markdown(data: dict[str, Any]) -> str:
    """The whole conversation, reasoning included, as a Markdown document.

    Printed by `show` and read in terminals: what the user typed (a prompt, a system
    prompt) is made inert here as server text was at ingest; the JSON export keeps it whole.
    """
    conv = data["conversation"]
    lines = [
        f"# {conv.get('title') or 'Untitled conversation'}",
        "",
        f"- id: {conv['id']}  ",
        f"- model: {conv.get('model')}  ",
        f"- session id: {conv.get('session_id')}  ",
        f"- created: {_when(conv.get('created_at'))}",
    ]
    if conv.get("web_search"):
        lines[-1] += "  "
        lines.append("- web search: on")
    lines.append("")
    if conv.get("system_prompt"):
        lines += ["**System prompt**", "", _quote(clean(conv["system_prompt"])), ""]
    for message in data.get("messages", []):
        status = message.get("status") or "complete"
        marker = "" if status == "complete" else f" ({status})"
        lines += [f"## {message['role']}{marker} · {_when(message.get('created_at'))}", ""]
        if message.get("reasoning"):
            lines += ["**Reasoning**", "", _quote(message["reasoning"]), ""]
        lines += _tool_calls(message.get("tool_calls") or [])
        lines += [clean(message.get("content") or ""), ""]
        if message.get("error"):
            lines += [f"*Error: {message['error']}*", ""]
    if data.get("images"):
        lines += ["## Image links", ""] + [f"- {image['url']}" for image in data["images"]] + [""]
    return "\n".join(lines)


def _tool_calls(calls: list[dict[str, Any]]) -> list[str]:
    """A line per tool call; a long result follows it, quoted and cut."""
    lines: list[str] = []
    for call in calls:
        result = call.get("result")
        lines.append(call_line(str(call.get("name")), str(call.get("args") or "{}"), result,
                               server=call.get("server"), status=call.get("status"),
                               duration_ms=call.get("duration_ms")))
        if isinstance(result, str) and len(result) > 120:
            shown = result if len(result) <= RESULT_SHOWN else (
                f"{result[:RESULT_SHOWN]}… ({len(result) - RESULT_SHOWN:,} more characters)")
            lines += ["", _quote(shown)]
        lines.append("")
    return lines
