"""The simulated web search: a tool call in ASI:One's shape, then an answer citing it.

Triggered by `"web_search": true` in the body, a prompt saying "search the web", or the
`!sim:websearch[=STYLE]` directive. STYLE picks the wire shape: `asi` (the default:
`delta.tool_calls` entries with `id`, `tool_name`, `args`, `result`, sent first without
and then with the result), `openai` (`function.arguments` streamed in fragments by
index), and the broken forms `missing` (fields absent, junk entries), `huge` (a result
of 100,000 characters) and `hostile` (terminal escapes and markup in name and result).
"""

from __future__ import annotations

import json
import re
import zlib

from .faults import ESCAPE_PAYLOAD
from .sse import Reply

SEARCH_RE = re.compile(r"\bsearch (the )?(web|internet)\b|\bweb search\b", re.IGNORECASE)
STYLES = ("asi", "openai", "missing", "huge", "hostile")


def _query(prompt: str) -> str:
    words = re.findall(r"[\w'-]+", SEARCH_RE.sub(" ", prompt))
    words = [w for w in words if w.lower() not in ("please", "for", "and", "the", "tell", "me")]
    return " ".join(words[:8]) or "latest news"


def _result(query: str) -> str:
    return (f"1. {query.title()} - Wikipedia (https://en.wikipedia.org/wiki/Special:Search) - "
            f"An overview of {query}.\n2. {query} explained (https://example.org/{zlib.crc32(query.encode()) % 1000}) "
            f"- The tallest claims about {query}, checked.")


def search_reply(prompt: str, style: str, reasoning: list[str], content: list[str]) -> Reply:
    """The reply to `prompt` with a web search of style `style` before `content`."""
    query = _query(prompt)
    args = {"query": query}
    result = _result(query)
    call_id = "call_ws_" + str(zlib.crc32(query.encode()) % 10_000)
    if style == "openai":
        text = json.dumps(args)
        pieces = [text[:5], text[5:12], text[12:]]
        chunks = [[{"index": 0, "id": call_id, "type": "function",
                    "function": {"name": "web_search", "arguments": ""}}]]
        chunks += [[{"index": 0, "function": {"arguments": piece}}] for piece in pieces]
        whole = [{"id": call_id, "type": "function",
                  "function": {"name": "web_search", "arguments": text}}]
    elif style == "missing":
        chunks = [[{"tool_name": "web_search"}, {}, 42, {"id": None, "args": None}]]
        whole = chunks[0]
    else:
        name = "web_search"
        if style == "huge":
            result = "giraffe " * 12_500  # 100,000 characters
        elif style == "hostile":
            name = f"web_search{ESCAPE_PAYLOAD}"
            result = f"{ESCAPE_PAYLOAD} {result}"
        first = {"id": call_id, "tool_name": name, "args": args}
        chunks = [[first], [{**first, "result": result}]]
        whole = [{**first, "result": result}]
    cited = f"I searched the web for “{query}” [1].\n\n"
    return Reply(reasoning=["\nThe user wants fresh facts.", " I'll search the web first.\n", *reasoning],
                 content=[cited, *content], tool_chunks=chunks, tool_calls=whole)
