"""Tool calls as one line of plain text: `🔧 web_search: giraffe height → The tallest …`.

Shared by `ask` (a dim line on stderr), `show`/`export --format md` and the app.
"""

from __future__ import annotations

import json

_QUERY_KEYS = ("query", "q", "search", "search_query", "prompt", "text", "input")


def args_summary(args: str) -> str:
    """The interesting part of a call's JSON args: its query when it has one, else compact JSON."""
    try:
        value = json.loads(args)
    except ValueError:
        return " ".join(args.split())
    if isinstance(value, dict):
        for key in _QUERY_KEYS:
            if isinstance(value.get(key), str):
                return " ".join(value[key].split())
        if not value:
            return ""
    if isinstance(value, str):
        return " ".join(value.split())
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def shorten(text: str, width: int) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(1, width - 1)].rstrip() + "…"


def call_line(name: str, args: str, result: str | None, width: int = 160, *, server: str | None = None,
              status: str | None = None, duration_ms: int | None = None) -> str:
    """One line describing a call: name, its query, and the start of its result; an MCP
    tool's call also names its server, its status and its time (`[time · ok · 12 ms]`)."""
    summary = shorten(args_summary(args), max(20, width // 2))
    details = [d for d in (server, status, None if duration_ms is None else f"{duration_ms} ms") if d]
    line = f"🔧 {name}" + (f" [{' · '.join(details)}]" if details else "") + (f": {summary}" if summary else "")
    if result:
        line += " → " + shorten(result, max(20, width - len(line) - 3))
    elif result is None:
        line += " …"
    return line
