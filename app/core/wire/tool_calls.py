"""Tool calls and raw extras in reply chunks, for `app.core.wire.protocol`.

Two shapes are accepted in `choices[].delta.tool_calls` and `choices[].message.tool_calls`:
ASI:One's own `{"id", "tool_name", "args": {...}, "result": ...}` (each entry whole), and
OpenAI's `{"index", "id", "type": "function", "function": {"name", "arguments"}}`, whose
`arguments` text streams in fragments by `index` and is complete at the finish. Every
text is sanitised and capped; an entry with nothing usable is skipped.
"""

from __future__ import annotations

import json
from typing import Any

from app.core.sanitize import clean
from app.core.wire.events import Extras, ToolCall

RESULT_CAP = 20_000
ARGS_CAP = 20_000
NAME_CAP = 200
ID_CAP = 200
EXTRA_KEYS = ("executable_data", "metadata", "intermediate_steps")
#: Extras larger than this (as JSON) are kept as a capped copy that says so (`capped_extras`).
EXTRAS_CAP = 200_000
ITEM_CAP = 4_000
_MAX_DEPTH = 40


def cap(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut: {len(text) - limit:,} more characters]"


def _as_text(value: Any) -> str | None:
    """A field as text: strings as they are, other JSON values as JSON, None as None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None


def clean_json(value: Any, depth: int = 0) -> Any:
    """A JSON value with control characters stripped from every string in it."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean(str(k)): clean_json(v, depth + 1) for k, v in value.items()}
    return value


def extras_of(obj: dict[str, Any]) -> Extras | None:
    """The non-empty raw extras of one chunk or body, sanitised, or None."""
    found = {key: obj[key] for key in EXTRA_KEYS if obj.get(key) not in (None, [], {}, "")}
    if not found:
        return None
    data = clean_json(found)
    try:
        size = len(json.dumps(data, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return None
    return Extras(data if size <= EXTRAS_CAP else capped_extras(data, size))


def capped_extras(data: dict[str, Any], size: int) -> dict[str, Any]:
    """A copy of too-large extras that fits the cap: list items in order while they fit, an
    item too large for its share as the start of its JSON text, and a `capped` note saying so
    (a 1 MB manifest is not kept whole, nor dropped without a word)."""
    share = EXTRAS_CAP // max(1, len(data))
    kept: dict[str, Any] = {}
    for key, value in data.items():
        items, used = [], 0
        for item in value if isinstance(value, list) else [value]:
            text = _as_text(item) or ""
            if len(text) > ITEM_CAP:
                item = cap(text, ITEM_CAP)
                text = item
            if used + len(text) > share:
                break
            items.append(item)
            used += len(text)
        kept[key] = items if isinstance(value, list) else (items[0] if items else None)
    kept["capped"] = f"{size:,} characters of extras received; a capped copy kept"
    return kept


def make_call(call_id: Any, name: Any, args: Any, result: Any, position: int) -> ToolCall | None:
    """A sanitised, capped `ToolCall`, or None when it names no tool and has no args."""
    name_text = clean(_as_text(name) or "").strip()
    args_text = clean(_as_text(args) or "").strip()
    if not name_text and not args_text:
        return None
    result_text = _as_text(result)
    return ToolCall(
        id=cap(clean(_as_text(call_id) or "").strip(), ID_CAP) or f"call-{position}",
        name=cap(name_text, NAME_CAP) or "tool",
        args=cap(args_text, ARGS_CAP) or "{}",
        result=None if result_text is None else cap(clean(result_text), RESULT_CAP),
    )


class ToolCallAssembler:
    """The tool calls of one reply: ASI:One entries at once, OpenAI fragments at the end."""

    __slots__ = ("_fragments", "_seen")

    def __init__(self) -> None:
        self._fragments: dict[Any, dict[str, Any]] = {}
        self._seen = 0

    def feed(self, entries: Any) -> list[ToolCall]:
        """The calls `entries` (a `tool_calls` value) complete now."""
        if not isinstance(entries, list):
            return []
        calls = []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            function = entry.get("function")
            if isinstance(function, dict):
                self._fragment(entry, function)
                continue
            self._seen += 1
            call = make_call(entry.get("id"), entry.get("tool_name", entry.get("name")),
                             entry.get("args", entry.get("arguments")), entry.get("result"), self._seen)
            if call is not None:
                calls.append(call)
        return calls

    def _fragment(self, entry: dict[str, Any], function: dict[str, Any]) -> None:
        key = entry.get("index")
        if not isinstance(key, int):
            key = entry.get("id") if isinstance(entry.get("id"), str) else len(self._fragments)
        part = self._fragments.setdefault(key, {"id": None, "name": [], "args": [], "result": None})
        if isinstance(entry.get("id"), str) and not part["id"]:
            part["id"] = entry["id"]
        if isinstance(function.get("name"), str):
            part["name"].append(function["name"])
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            if sum(map(len, part["args"])) <= ARGS_CAP * 2:  # a runaway stream stops growing
                part["args"].append(arguments)
        elif arguments is not None:
            part["args"] = [_as_text(arguments) or ""]
        if entry.get("result") is not None:
            part["result"] = entry["result"]

    def flush(self) -> list[ToolCall]:
        """The fragmented calls gathered so far, complete (the reply finished)."""
        calls = []
        for part in self._fragments.values():
            self._seen += 1
            call = make_call(part["id"], "".join(part["name"]), "".join(part["args"]),
                             part["result"], self._seen)
            if call is not None:
                calls.append(call)
        self._fragments.clear()
        return calls
