"""Turn a simulated reply into wire bytes shaped like ASI:One's recorded responses.

The recorded dialect reproduces the real stream field for field (key order included):
role chunk, ``init_thought`` chunk, top-level ``thought`` chunks, content chunks with
``created`` in milliseconds, the finish chunk twice (the second with ``usage``), then
``[DONE]``. The OpenAI dialect is the shape OpenAI-compatible servers send, used by the
`ReasoningContent` fault.
"""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .faults import (
    BadUtf8,
    ContentParts,
    Cut,
    ErrorEvent,
    FaultSet,
    HugeLine,
    KeepAlive,
    Malformed,
    ReasoningContent,
    ThinkTags,
)

# Marks the end of the stream without a terminating zero-length chunk: the socket is shut.
CUT = object()

_ID_ALPHABET = string.ascii_letters + string.digits
# Placeholder swapped for raw invalid UTF-8 after JSON encoding (json cannot emit it).
_BAD_MARK = "@@SIM-BAD-UTF8@@"
_BAD_BYTES = b"\xff\xfe\\u0000"


@dataclass
class Reply:
    """What the assistant says: reasoning pieces and content pieces, in stream order.

    `replay` holds raw recorded SSE bytes to send verbatim instead of rendering.
    `fast` streams without `chunk_delay` (benchmarks). Token counts default to an estimate.
    """

    reasoning: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int | None = None
    replay: bytes | None = None
    fast: bool = False
    tool_chunks: list[list] = field(default_factory=list)
    """`delta.tool_calls` values streamed, one chunk each, before the content."""
    tool_calls: list = field(default_factory=list)
    """The whole `message.tool_calls` of a non-streamed reply."""
    executable_data: list = field(default_factory=list)
    """Top-level `executable_data` (agent manifests), sent on the first chunk."""

    def usage(self) -> dict[str, int]:
        """The usage object: prompt, completion and total token counts."""
        completion = self.completion_tokens
        if completion is None:
            completion = estimate_tokens("".join(self.reasoning) + "".join(self.content))
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }


def estimate_tokens(text: str) -> int:
    """Rough token count: about four tokens per three words, never zero for text."""
    words = len(text.split())
    return (words * 4 + 2) // 3 if words else 0


def new_id() -> str:
    """A response id in the recorded form: ``id_`` + 17 random letters and digits."""
    return "id_" + "".join(random.choices(_ID_ALPHABET, k=17))


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept literal, as the real server sends it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def frame(payload: bytes, eol: bytes = b"\n") -> bytes:
    """One SSE event: ``data: <payload>`` plus a blank line."""
    return b"data: " + payload + eol + eol


def split_events(raw: bytes) -> list[bytes]:
    """Split recorded SSE bytes into events, each keeping its blank-line terminator."""
    events, start = [], 0
    while start < len(raw):
        end = raw.find(b"\n\n", start)
        end = len(raw) if end < 0 else end + 2
        events.append(raw[start:end])
        start = end
    return events


class RecordedDialect:
    """Chunks in the shape of the recorded ASI:One stream."""

    def __init__(self, model: str, eol: bytes, init_thought: bool = True) -> None:
        self.id, self.model, self.eol, self.init_thought = new_id(), model, eol, init_thought
        self.parts = False  # content as a list of text parts (the ContentParts fault)

    def event(self, obj: dict) -> bytes:
        """Frame one JSON object as an SSE event."""
        return frame(dumps(obj), self.eol)

    def opening(self, executable_data: list | None = None) -> list[bytes]:
        """The role chunk and (unless reasoning is in the content) the init_thought chunk."""
        role = {
            "id": self.id, "object": "chat.completion.chunk", "model": self.model,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                         "finish_reason": None, "stop_reason": None}],
            "executable_data": executable_data or [], "usage": None,
        }
        events = [self.event(role)]
        if self.init_thought:
            events.append(self.event({
                "id": self.id, "model": self.model,
                "choices": [{"role": "assistant", "delta": {"role": "assistant", "content": ""}}],
                "init_thought": True,
            }))
        return events

    def reasoning(self, piece: str) -> bytes:
        """A reasoning chunk: top-level ``thought``, empty content, no choice index."""
        return self.event({
            "id": self.id, "model": self.model,
            "choices": [{"role": "assistant", "delta": {"role": "assistant", "content": ""}}],
            "thought": piece,
        })

    def _chunk(self, delta: dict, finish: str | None) -> dict:
        return {
            "id": self.id, "model": self.model, "created": int(time.time() * 1000),
            "conversation_id": None, "tool_thought": [],
            "choices": [{"index": 0, "finish_reason": finish, "delta": delta,
                         "stop_reason": finish}],
        }

    def content_obj(self, piece: str) -> dict:
        """The JSON object of a content chunk (``created`` in milliseconds)."""
        return self._chunk({"content": as_parts(piece) if self.parts else piece}, None)

    def finish(self, usage: dict) -> list[bytes]:
        """The finish chunk, then the same chunk again carrying usage."""
        chunk = self._chunk({"role": "assistant", "content": ""}, "stop")
        return [self.event(chunk), self.event({**chunk, "usage": usage})]


class OpenAIDialect(RecordedDialect):
    """OpenAI-compatible chunks: reasoning in ``delta.<field>``, usage in a final chunk."""

    def __init__(self, model: str, eol: bytes, field_name: str) -> None:
        super().__init__(model, eol)
        self.field = field_name
        self.created = int(time.time())

    def _chunk(self, delta: dict, finish: str | None) -> dict:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def opening(self, executable_data: list | None = None) -> list[bytes]:
        return [self.event(self._chunk({"role": "assistant"}, None))]

    def reasoning(self, piece: str) -> bytes:
        return self.event(self._chunk({self.field: piece}, None))

    def finish(self, usage: dict) -> list[bytes]:
        final = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model, "choices": [], "usage": usage}
        return [self.event(self._chunk({}, "stop")), self.event(final)]


def as_parts(text: str) -> list[dict]:
    """`text` as OpenAI-style content parts, with a non-text part between halves."""
    half = len(text) // 2
    return [{"type": "text", "text": text[:half]}, {"type": "image_url", "image_url": {"url": ""}},
            {"type": "text", "text": text[half:]}]


def think_pieces(reasoning: list[str]) -> list[str]:
    """Reasoning moved into content as ``<think>`` tags split across chunks."""
    if not reasoning:
        return []
    return ["<thi", "nk>", *reasoning, "</th", "ink>", "\n\n"]


def _error_event(error: ErrorEvent, eol: bytes) -> bytes:
    if error.style == "event":
        return b"event: error" + eol + frame(dumps({"message": "upstream agent failed"}), eol)
    body = {"error": {"message": "upstream agent failed", "code": "agent_error"}}
    return frame(dumps(body), eol)


def _huge_line(size: int, eol: bytes) -> Iterator[bytes]:
    """One content event of `size` bytes, yielded in pieces so the simulator never holds it."""
    yield b'data: {"choices":[{"index":0,"delta":{"content":"'
    piece = b"x" * (1 << 20)
    for start in range(0, size, len(piece)):
        yield piece[: size - start]
    yield b'"},"finish_reason":null}]}' + eol + eol


def _bad_utf8_event(dialect: RecordedDialect) -> bytes:
    payload = dumps(dialect.content_obj(f" [{_BAD_MARK}]"))
    return frame(payload.replace(_BAD_MARK.encode(), _BAD_BYTES), dialect.eol)


def render_stream(reply: Reply, faults: FaultSet, model: str, eol: bytes) -> Iterator[Any]:
    """Yield SSE event bytes for `reply`, bent by `faults`; `CUT` means drop the socket.

    The generator simply returns after an in-band error event: the server then ends the
    chunked body cleanly (no ``[DONE]``), as a real upstream failure would.
    """
    if reply.replay is not None:
        yield from split_events(reply.replay)
        return
    items = _render(reply, faults, model, eol)
    if KeepAlive not in faults:
        yield from items
        return
    for index, item in enumerate(items):
        if index and item is not CUT:
            yield b": keep-alive" + eol + eol
        yield item


def _render(reply: Reply, faults: FaultSet, model: str, eol: bytes) -> Iterator[Any]:
    rc = faults.get(ReasoningContent)
    think = ThinkTags in faults
    if rc is not None:
        dialect: RecordedDialect = OpenAIDialect(model, eol, rc.field)
    else:
        dialect = RecordedDialect(model, eol, init_thought=not think)
    dialect.parts = ContentParts in faults
    reasoning, content = reply.reasoning, reply.content
    if think:
        reasoning, content = [], think_pieces(reasoning) + content
    cut, error = faults.get(Cut), faults.get(ErrorEvent)
    extras = []
    if Malformed in faults:
        extras.append(frame(b'{"id": "x", "choices": [', eol))
    if BadUtf8 in faults:
        extras.append(_bad_utf8_event(dialect))
    huge = faults.get(HugeLine)

    yield from dialect.opening(reply.executable_data)
    for piece in reasoning:
        yield dialect.reasoning(piece)
    for entries in reply.tool_chunks:
        yield dialect.event(dialect._chunk({"tool_calls": entries}, None))
    sent = 0
    for piece in content + [None]:
        # Interrupt after N content chunks, or at the end if the reply is shorter.
        if cut is not None and (sent >= cut.after_chunks or piece is None):
            yield CUT
            return
        if error is not None and (sent >= error.after_chunks or piece is None):
            yield _error_event(error, eol)
            return
        if piece is None:
            break
        yield dialect.event(dialect.content_obj(piece))
        sent += 1
        if sent == 1:
            yield from extras
            extras = []
        if sent == 2 and huge is not None:
            yield from _huge_line(huge.size_bytes, eol)
    yield from extras
    yield from dialect.finish(reply.usage())
    yield frame(b"[DONE]", eol)


def render_json(reply: Reply, faults: FaultSet, model: str) -> bytes:
    """The non-streaming body: the older recorded shape, or OpenAI's with ReasoningContent."""
    if faults.get(ErrorEvent) is not None:
        return dumps({"error": {"message": "upstream agent failed", "code": "agent_error"}})
    reasoning, content = "".join(reply.reasoning), "".join(reply.content)
    if BadUtf8 in faults:
        content += f" [{_BAD_MARK}]"
    rc = faults.get(ReasoningContent)
    if rc is not None:
        body: dict = {
            "id": new_id(), "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": content, rc.field: reasoning or None}}],
            "usage": reply.usage(),
        }
    else:
        thought = [reasoning] if reasoning else []
        if ThinkTags in faults:
            content, thought = "".join(think_pieces(reply.reasoning)) + content, []
        body = {
            "model": model, "id": new_id(), "executable_data": reply.executable_data,
            "conversation_id": None,
            "thought": thought, "tool_thought": [], "intermediate_steps": [],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": content, "reasoning": None}}],
            "usage": reply.usage(),
        }
    if ContentParts in faults:
        body["choices"][0]["message"]["content"] = as_parts(content)
    if reply.tool_calls:
        body["choices"][0]["message"]["tool_calls"] = reply.tool_calls
    return dumps(body).replace(_BAD_MARK.encode(), _BAD_BYTES)
