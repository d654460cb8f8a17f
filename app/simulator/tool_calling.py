"""The simulator's model for client-side tools and structured output (OpenAI shapes).

- Offered `tools` and a prompt that asks for one: the reply is `tool_calls` (streamed as
  OpenAI does: `index`, `id` and `name` first, `arguments` in fragments, several calls
  interleaved when the prompt asks two things), ending `finish_reason: "tool_calls"`.
  "what time is it in Tokyo?" with a `get_current_time` tool -> `{"timezone": "Asia/Tokyo"}`;
  a prompt naming an offered tool (`use hostile`) calls it, string parameters filled.
- The history ends with `role: tool` messages: the answer quotes each result.
- `response_format` json_schema: the content is JSON matching the (simple) schema; a prompt
  saying "not json" gets plain text instead (for clients' error paths).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from .scenarios import last_prompt, message_text

CITIES = {"tokyo": "Asia/Tokyo", "london": "Europe/London", "paris": "Europe/Paris",
          "new york": "America/New_York", "sydney": "Australia/Sydney", "berlin": "Europe/Berlin"}


def _tool_names(body: dict) -> dict[str, dict]:
    found = {}
    for entry in body.get("tools") or []:
        function = entry.get("function") if isinstance(entry, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            found[function["name"]] = function
    return found


def _fill(parameters: Any, prompt: str) -> dict[str, Any]:
    props = parameters.get("properties", {}) if isinstance(parameters, dict) else {}
    required = parameters.get("required", []) if isinstance(parameters, dict) else []
    args: dict[str, Any] = {}
    for name in required:
        kind = props.get(name, {}).get("type") if isinstance(props.get(name), dict) else None
        args[name] = 1 if kind in ("integer", "number") else prompt
    return args


def plan_calls(body: dict, prompt: str) -> list[tuple[str, dict]]:
    """The (tool, arguments) calls the prompt asks of the offered tools."""
    tools = _tool_names(body)
    lowered = prompt.lower()
    calls: list[tuple[str, dict]] = []
    time_tool = next((n for n in tools if n == "get_current_time" or n.endswith("__get_current_time")), None)
    if time_tool and "time" in lowered:
        zones = [zone for city, zone in CITIES.items() if city in lowered] or ["UTC"]
        calls += [(time_tool, {"timezone": zone}) for zone in zones]
    for name, function in tools.items():
        if name != time_tool and re.search(rf"\b{re.escape(name)}\b", prompt):
            calls.append((name, _fill(function.get("parameters"), prompt)))
    return calls


def _tool_results(messages: list) -> list[dict] | None:
    """The `role: tool` messages ending the history (None when it does not end with them)."""
    tail = []
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "tool":
            tail.append(message)
        else:
            break
    return list(reversed(tail)) or None


def _names_by_id(messages: list) -> dict[str, str]:
    names = {}
    for message in messages:
        for call in (message.get("tool_calls") or []) if isinstance(message, dict) else []:
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                names[str(call.get("id"))] = str(call["function"].get("name"))
    return names


def example_of(schema: Any, depth: int = 0) -> Any:
    """A value matching a simple JSON schema (objects, arrays, scalars, enums)."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    match schema.get("type"):
        case "object":
            return {k: example_of(v, depth + 1) for k, v in (schema.get("properties") or {}).items()}
        case "array":
            return [example_of(schema.get("items"), depth + 1)]
        case "string":
            return "Tokyo"
        case "integer":
            return 42
        case "number":
            return 3.5
        case "boolean":
            return True
    return None


def _answer(body: dict, messages: list) -> str | None:
    results = _tool_results(messages)
    if results is not None and "again and again" not in last_prompt(messages):  # that one never stops
        names = _names_by_id(messages)
        lines = []
        for result in results:
            name, text = names.get(str(result.get("tool_call_id")), "the tool"), message_text(result)
            declined = text.startswith("The user declined")
            lines.append(f"you declined {name}, so I did without it" if declined else f"{name} answered: {text}")
        return "From your tools: " + "; ".join(lines)
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        if "not json" in last_prompt(messages).lower():
            return "Sorry, here is some prose instead of JSON."
        schema = (response_format.get("json_schema") or {}).get("schema")
        return json.dumps(example_of(schema), ensure_ascii=False)
    return None


def _chunk(model: str, reply_id: str, delta: dict, finish: str | None = None, usage: dict | None = None) -> dict:
    obj = {"id": reply_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        obj["usage"] = usage
    return obj


def _call_chunks(model: str, reply_id: str, calls: list[tuple[str, dict]]) -> list[dict]:
    ids = [f"call_{uuid.uuid4().hex[:12]}" for _ in calls]
    out = [_chunk(model, reply_id, {"role": "assistant", "content": None, "tool_calls": [
        {"index": i, "id": ids[i], "type": "function", "function": {"name": name, "arguments": ""}}]})
        for i, (name, _) in enumerate(calls)]
    texts = [json.dumps(args, ensure_ascii=False) for _, args in calls]
    for cut in range(3):  # fragments of every call, interleaved, as parallel calls stream
        for i, text in enumerate(texts):
            size = -(-len(text) // 3)
            piece = text[cut * size:(cut + 1) * size]
            if piece:
                out.append(_chunk(model, reply_id, {"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    return out


def reply(body: dict, model: str) -> tuple[list[dict], dict] | None:
    """(stream chunks, whole body) of a tool-calling or structured reply; None when the
    request is not one (the other scenarios answer it)."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    reply_id = f"chatcmpl-{uuid.uuid4().hex[:16]}"
    usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
    answer = _answer(body, messages)
    if answer is not None:
        pieces = re.findall(r"\S+\s*", answer) or [answer]
        chunks = [_chunk(model, reply_id, {"role": "assistant", "content": ""})]
        chunks += [_chunk(model, reply_id, {"content": p}) for p in pieces]
        chunks.append(_chunk(model, reply_id, {}, "stop", usage))
        whole = {"role": "assistant", "content": answer}
        return chunks, _body(model, reply_id, whole, "stop", usage)
    calls = plan_calls(body, last_prompt(messages)) if body.get("tools") else []
    if not calls:
        return None
    chunks = _call_chunks(model, reply_id, calls)
    chunks.append(_chunk(model, reply_id, {}, "tool_calls", usage))
    whole = {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}} for name, args in calls]}
    return chunks, _body(model, reply_id, whole, "tool_calls", usage)


def _body(model: str, reply_id: str, message: dict, finish: str, usage: dict) -> dict:
    return {"id": reply_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage}
