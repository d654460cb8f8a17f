"""A tool's result as text for the model and the history: sanitised and capped."""

from __future__ import annotations

import json
from typing import Any

from app.core.sanitize import clean

RESULT_CAP = 100_000
"""Bytes (UTF-8) of one tool result kept and sent on; the rest is cut, and the cut said."""


def capped(text: str, limit: int = RESULT_CAP) -> str:
    """`text` sanitised and cut to `limit` UTF-8 bytes, with "[cut: N bytes more]"."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return clean(text)
    kept = data[:limit].decode("utf-8", "ignore")  # cut first: cleaning 5 MB to keep 100 KB is waste
    return f"{clean(kept)}\n[cut: {len(data) - len(kept.encode('utf-8')):,} bytes more]"


def result_text(result: Any) -> str:
    """The text of an MCP `CallToolResult`: its text parts, else its structured content,
    else a note of what else it held (images, resources are not sent on)."""
    parts: list[str] = []
    others: list[str] = []
    for item in getattr(result, "content", None) or []:
        if getattr(item, "type", None) == "text":
            parts.append(str(item.text))
        else:
            others.append(str(getattr(item, "type", "item")))
    if not parts and getattr(result, "structured_content", None) is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    if others:
        parts.append(f"[{len(others)} non-text part(s) not shown: {', '.join(sorted(set(others)))}]")
    return capped("\n".join(parts))
