"""Render an exported conversation (the store's dict) as Markdown, one branch or all of them."""

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


def branches(data: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Each branch of an exported conversation, root to leaf: depth first, older children
    first, the order of the app's ◀ n/m ▶ marks (so a branch keeps its number as it grows)."""
    messages = data.get("messages", [])
    children: dict[Any, list[dict[str, Any]]] = {}
    for message in sorted(messages, key=lambda m: m["id"]):
        children.setdefault(message.get("parent_id"), []).append(message)
    found: list[list[dict[str, Any]]] = []
    stack = [[m] for m in reversed(children.get(None, []))]
    while stack:  # not recursive: a conversation can be thousands of messages deep
        path = stack.pop()
        below = children.get(path[-1]["id"], [])
        if not below:
            found.append(path)
        stack += [path + [m] for m in reversed(below)]
    return found


def shown_branch(data: dict[str, Any], paths: list[list[dict[str, Any]]]) -> int:
    """The index in `paths` of the branch last shown (the newest through the remembered
    message when that is not a leaf), else the last branch."""
    active = data["conversation"].get("active_leaf_id")
    through = [i for i, path in enumerate(paths) if any(m["id"] == active for m in path)]
    if not through:
        return len(paths) - 1
    return max(through, key=lambda i: paths[i][-1]["id"])


def to_markdown(data: dict[str, Any], branch: int | None = None, all_branches: bool = False) -> str:
    """The conversation, reasoning included, as a Markdown document: the branch last shown,
    branch number `branch` (1-based) instead, or every branch under its own heading.
    Raises ValueError for a branch number it does not have.

    Printed by `show` and read in terminals: what the user typed (a prompt, a system
    prompt) is made inert here as server text was at ingest; the JSON export keeps it whole.
    """
    paths = branches(data)
    shown = shown_branch(data, paths) if paths else 0
    if branch is not None:
        if not 1 <= branch <= len(paths):
            raise ValueError(f"Conversation {data['conversation']['id']} has "
                             f"{len(paths)} branch{'es' if len(paths) != 1 else ''}: no branch {branch}.")
        chosen = branch - 1
    else:
        chosen = shown
    lines = _header(data["conversation"])
    if len(paths) > 1 and not all_branches:
        last = " (the one last shown)" if chosen == shown else ""
        lines[-1] += "  "
        lines.append(f"- branch {chosen + 1} of {len(paths)}{last}: `--branch N` shows another, "
                     "`--all-branches` all")
    lines.append("")
    conv = data["conversation"]
    if conv.get("system_prompt"):
        lines += ["**System prompt**", "", _quote(clean(conv["system_prompt"])), ""]
    if not all_branches:
        lines += _transcript(paths[chosen] if paths else [], data.get("images", []), "##")
        return "\n".join(lines)
    for number, path in enumerate(paths, 1):
        last = " (last shown)" if number - 1 == shown else ""
        lines += [f"## Branch {number} of {len(paths)}{last}", ""]
        lines += _transcript(path, data.get("images", []), "###")
    return "\n".join(lines)


def _header(conv: dict[str, Any]) -> list[str]:
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
    return lines


def _transcript(path: list[dict[str, Any]], images: list[dict[str, Any]], level: str) -> list[str]:
    """The messages of one branch, then the image links they hold."""
    lines: list[str] = []
    for message in path:
        status = message.get("status") or "complete"
        marker = "" if status == "complete" else f" ({status})"
        lines += [f"{level} {message['role']}{marker} · {_when(message.get('created_at'))}", ""]
        if message.get("reasoning"):
            lines += ["**Reasoning**", "", _quote(message["reasoning"]), ""]
        lines += _tool_calls(message.get("tool_calls") or [])
        lines += [clean(message.get("content") or ""), ""]
        if message.get("error"):
            lines += [f"*{_failure(status, message['error'])}*", ""]
    ids = {m["id"] for m in path}
    links = [image["url"] for image in images if image.get("message_id") in ids]
    if links:
        lines += [f"{level} Image links", ""] + [f"- {url}" for url in links] + [""]
    return lines


def _failure(status: str, error: str) -> str:
    """Why a reply ended early, with the word the app shows for it ("interrupted")."""
    if status != "interrupted":
        return f"Error: {error}"
    return error if error.lower().startswith("interrupted") else f"Interrupted: {error}"


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
