"""Turn ASI:One reply bytes into typed stream events.

`StreamParser` reads a server-sent-event stream incrementally, `parse_completion` a
non-streaming body. Reasoning is accepted in all three forms seen on the wire: ASI:One's
top-level `thought`, OpenAI-style `reasoning_content`/`reasoning`, and `<think>` tags in
the content. No I/O here, and a bad stream never raises: broken events are skipped and
counted. All emitted text has been through `sanitize.clean` (`ExecutableData` stays raw).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from app.core.errors import ProtocolError
from app.core.sanitize import clean
from app.core.wire.events import (
    Completion,
    ContentDelta,
    ExecutableData,
    Finish,
    ReasoningDelta,
    StreamError,
    StreamEvent,
    Usage,
)
from app.core.wire.think_tags import ThinkSplitter
from app.core.wire.tool_calls import ToolCallAssembler, extras_of

__all__ = ["StreamParser", "parse_completion", "gather"]

_UNREADABLE = "The server sent a reply that could not be read."

MAX_EVENT_BYTES = 8 * 1024 * 1024
"""The largest SSE line or event (and non-streamed body) read: beyond it the reply is cut."""

# Non-strict: a server that puts a raw tab or other control character inside a JSON string
# still gets its text through (sanitising removes the control character afterwards).
_raw_decode = json.JSONDecoder(strict=False).raw_decode

_TextKind = type[ReasoningDelta] | type[ContentDelta]


def _decode_json(text: str) -> Any:
    """`json.loads`, minus its two whitespace-regex passes: a measurable share per token."""
    if text[:1].isspace():
        text = text.lstrip()
    value, end = _raw_decode(text)
    if end != len(text) and not text[end:].isspace():
        raise ValueError("extra data after the JSON value")
    return value


class _Output:
    """Collects the events of one `feed()`, merging adjacent deltas of the same kind.

    Pieces are kept in a list and joined (and cleaned) once per merged event, so a feed
    with thousands of tokens stays linear instead of re-copying a growing string.
    """

    __slots__ = ("events", "_kind", "_parts")

    def __init__(self) -> None:
        self.events: list[StreamEvent] = []
        self._kind: _TextKind | None = None
        self._parts: list[str] = []

    def text(self, kind: _TextKind, text: str) -> None:
        if text:
            if kind is not self._kind:
                self._flush()
                self._kind = kind
            self._parts.append(text)

    def event(self, event: StreamEvent) -> None:
        self._flush()
        self.events.append(event)

    def result(self) -> list[StreamEvent]:
        self._flush()
        return self.events

    def _flush(self) -> None:
        kind, self._kind = self._kind, None
        if kind is None:
            return
        # Cleaned joined, not per token: one regex pass, and an escape sequence the
        # server split across deltas is still removed whole.
        text = clean("".join(self._parts))
        self._parts = []
        last = self.events[-1] if self.events else None
        if not text:
            return
        if type(last) is kind:
            # The run between them was all control characters and vanished; keep the
            # "adjacent deltas are merged" promise anyway (rare, so the copy is fine).
            self.events[-1] = kind(last.text + text)  # type: ignore[union-attr]
        else:
            self.events.append(kind(text))


def _as_int(value: Any) -> int:
    """A token count from whatever the server sent; anything unusable counts as 0."""
    if isinstance(value, int):
        return int(value)
    try:
        number = float(value) if isinstance(value, (float, str)) else math.nan
    except ValueError:
        return 0
    return int(number) if math.isfinite(number) else 0


def _usage_and_manifests(obj: dict[str, Any], out: _Output) -> None:
    if isinstance(usage := obj.get("usage"), dict):
        keys = ("prompt_tokens", "completion_tokens", "total_tokens")
        out.event(Usage(*(_as_int(usage.get(key)) for key in keys)))
    if isinstance(executable := obj.get("executable_data"), list) and executable:
        out.event(ExecutableData(tuple(executable)))  # raw: agent_names sanitises what it reads


def _reasoning_of(part: dict[str, Any]) -> str:
    """`reasoning_content`, else `reasoning` (servers migrating send both: show it once)."""
    for key in ("reasoning_content", "reasoning"):
        value = part.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _content_text(content: Any) -> str:
    """The text of a `content` value: a string, or a list of `{"type": "text", "text": ...}`
    parts (OpenAI-compatible servers); other part types carry no text and are skipped."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        )
    return ""


def _error(error: Any) -> StreamError:
    """A StreamError from an `error` value: a dict with message/code, a string, or other."""
    message: Any = error
    code: Any = None
    if isinstance(error, dict):
        message = error.get("message")
        if not isinstance(message, str):
            # Some gateways nest once more ({"error": {"error": "..."}}) or use `detail`.
            inner = error.get("error", error.get("detail"))
            message = inner.get("message") if isinstance(inner, dict) else inner
        code = error.get("code")
        if code is None:
            code = error.get("type")
    elif isinstance(error, (int, float)) and not isinstance(error, bool):
        message = str(error)  # a bare status number is still better than nothing
    text = clean(message).strip() if isinstance(message, str) else ""
    code_text = clean(str(code)) if isinstance(code, (str, int, float)) else None
    return StreamError(text or "The server reported an error.", code_text or None)


def _error_event(data: str) -> StreamError:
    """The payload of an `event: error`: JSON in one of the known shapes, or plain text."""
    try:
        obj = _decode_json(data)
    except (ValueError, RecursionError):
        return _error(data)
    if isinstance(obj, dict):
        return _error(obj["error"] if obj.get("error") is not None else obj)
    return _error(obj if isinstance(obj, str) else data)


class StreamParser:
    """Incremental SSE parser: feed raw bytes as they arrive, get typed events."""

    malformed: int
    """Events skipped because their JSON was broken or not an object."""
    done: bool
    """True once `data: [DONE]` arrived; everything after it is ignored."""
    oversized: bool
    """True when a line or event went past `max_event_bytes`: the stream was abandoned there."""

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self.malformed = 0
        self.done = False
        self.oversized = False
        self.max_event_bytes = max_event_bytes
        self._pending: list[bytes] = []  # bytes of the line not yet ended by b"\n"
        self._pending_size = 0
        self._data: list[str] = []  # `data:` lines of the event not yet dispatched
        self._data_size = 0
        self._event_type: str | None = None
        self._think = ThinkSplitter()
        self._tools = ToolCallAssembler()
        self._finished = False  # the real API repeats its finish chunk: report it once

    def feed(self, data: bytes) -> list[StreamEvent]:
        """Take the next bytes of the body; return the events they complete."""
        if self.done or not data:
            return []
        # Search only the new bytes and join pieces once a line is whole: a long line
        # arriving in many small pieces stays linear.
        end = data.rfind(b"\n")
        if end < 0:
            self._pending.append(bytes(data))
            self._pending_size += len(data)
            if self._pending_size > self.max_event_bytes:
                self._abandon()
            return []
        if self._pending:
            self._pending.append(data[:end])
            complete = b"".join(self._pending)
        else:
            complete = data[:end]
        rest = data[end + 1 :]
        self._pending = [bytes(rest)] if rest else []
        self._pending_size = len(rest)
        # Decoding all complete lines at once equals decoding them one by one: b"\n" is
        # never inside a UTF-8 sequence and the decoder restarts after a bad one. A
        # character cut between two feeds waits in `_pending` until its line is whole.
        out = _Output()
        for line in complete.decode("utf-8", "replace").split("\n"):
            if line and line[-1] == "\r":
                line = line[:-1]
            # Hot path inlined: nearly every line is a JSON data line or a blank line.
            if line.startswith("data: {"):
                self._data.append(line[6:])
                self._data_size += len(line)
                if self._data_size > self.max_event_bytes:
                    self._abandon()
                    break
            elif line or self._data:
                self._line(line, out)
                if self.done:
                    self._pending, self._pending_size = [], 0
                    break
            else:
                self._event_type = None  # a blank line ends even an event without data
        if self._pending_size > self.max_event_bytes:
            self._abandon()
        return out.result()

    def _abandon(self) -> None:
        """Give up on a line or event past the cap: drop its bytes so memory stays bounded.

        The caller sees `oversized` and ends the turn with what was shown so far.
        """
        self.oversized = self.done = True
        self._pending, self._pending_size = [], 0
        self._data, self._data_size = [], 0

    def close(self) -> list[StreamEvent]:
        """The body ended: dispatch a pending event and release held-back text."""
        out = _Output()
        if not self.done:
            tail = b"".join(self._pending).decode("utf-8", "replace").removesuffix("\r")
            self._pending = []
            if tail:
                self._line(tail, out)
            if not self.done:
                self._dispatch(out)
        self._think.flush(out)
        self._release_tools(out)
        return out.result()

    def _tool_calls(self, entries: Any, out: _Output) -> None:
        for call in self._tools.feed(entries):
            out.event(call)

    def _release_tools(self, out: _Output) -> None:
        for call in self._tools.flush():  # OpenAI-style fragments are whole only now
            out.event(call)

    def _line(self, line: str, out: _Output) -> None:
        if not line:
            self._dispatch(out)
            return
        if line[0] == ":":  # a comment: keep-alive
            return
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            if value.strip() == "[DONE]":
                # Dispatch what came before even if the server left out the blank line.
                self._dispatch(out)
                self.done = True
                self._think.flush(out)
                self._release_tools(out)
                return
            self._data.append(value)
            self._data_size += len(value)
            if self._data_size > self.max_event_bytes:
                self._abandon()
        elif name == "event":
            self._event_type = value.strip()
        # `id:`, `retry:` and unknown fields carry nothing this client uses.

    def _dispatch(self, out: _Output) -> None:
        lines, self._data = self._data, []
        self._data_size = 0
        event_type, self._event_type = self._event_type, None
        if not lines:
            return
        data = "\n".join(lines)
        if event_type == "error":
            out.event(_error_event(data))
            return
        if not data.strip():
            return
        try:
            parsed = [_decode_json(data)]
        except (ValueError, RecursionError):
            try:  # data lines that only parse one by one: a server that omits blank lines
                parsed = [_decode_json(line) for line in lines] if len(lines) > 1 else []
            except (ValueError, RecursionError):
                parsed = []
            if not parsed:
                self.malformed += 1
                return
        for obj in parsed:
            self._chunk(obj, out)

    def _chunk(self, obj: Any, out: _Output) -> None:
        if not isinstance(obj, dict):
            self.malformed += 1
            return
        error = obj.get("error")
        if error is not None:
            out.event(_error(error))
            return
        if "executable_data" in obj or "metadata" in obj or "intermediate_steps" in obj:
            extras = extras_of(obj)
            if extras is not None:
                out.event(extras)
        thought = obj.get("thought")
        if isinstance(thought, str):
            out.text(ReasoningDelta, thought)
        elif isinstance(thought, list):
            out.text(ReasoningDelta, "".join(t for t in thought if isinstance(t, str)))
        choices = obj.get("choices")
        if isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict):
                    self._choice(choice, out)
        _usage_and_manifests(obj, out)

    def _choice(self, choice: dict[str, Any], out: _Output) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            if "reasoning_content" in delta or "reasoning" in delta:
                out.text(ReasoningDelta, _reasoning_of(delta))
            content = delta.get("content")
            if content and not isinstance(content, str):
                content = _content_text(content)
            if content and isinstance(content, str):
                self._think.feed(content, out)
            if "tool_calls" in delta:
                self._tool_calls(delta["tool_calls"], out)
        if "message" in choice and isinstance(choice["message"], dict) and "tool_calls" in choice["message"]:
            self._tool_calls(choice["message"]["tool_calls"], out)
        reason = choice.get("finish_reason")
        if reason and not self._finished and isinstance(reason, str):
            self._finished = True
            # No content follows a finish, so a held-back `<...` is plain text after all.
            self._think.flush(out)
            self._release_tools(out)
            out.event(Finish(clean(reason)))


def parse_completion(body: bytes | str | dict[str, Any]) -> list[StreamEvent]:
    """Events of a non-streaming reply, in either the older or the OpenAI-like shape.

    Raises `ProtocolError` when the body is not a JSON object at all.
    """
    obj: Any = body
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8-sig", "replace")
    if isinstance(body, str):
        try:
            obj = _decode_json(body.strip())
        except (ValueError, RecursionError):
            raise ProtocolError(_UNREADABLE) from None
    if not isinstance(obj, dict):
        raise ProtocolError(_UNREADABLE)
    if obj.get("error") is not None:
        return [_error(obj["error"])]
    choices = obj.get("choices")
    if not isinstance(choices, list):
        # `{"message": "failed to authenticate user"}` and `{"detail": ...}` bodies.
        if isinstance(obj.get("message"), str) or isinstance(obj.get("detail"), str):
            return [_error(obj)]
        choices = []

    # Reasoning can come from several places at once, each a whole text: join them as
    # paragraphs rather than running them together.
    thought = obj.get("thought")
    thought = [thought] if isinstance(thought, str) else thought
    thought = thought if isinstance(thought, list) else []
    reasoning = ["\n".join(t for t in thought if isinstance(t, str))]
    choice = next((c for c in choices if isinstance(c, dict)), {})
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    reasoning.append(_reasoning_of(message))
    answer: list[str] = []
    content = _content_text(message.get("content"))
    if content:
        split, splitter = _Output(), ThinkSplitter()
        splitter.feed(content, split)
        splitter.flush(split)
        for event in split.result():
            (reasoning if isinstance(event, ReasoningDelta) else answer).append(event.text)

    out = _Output()
    out.text(ReasoningDelta, "\n".join(part for part in map(clean, reasoning) if part))
    out.text(ContentDelta, "".join(answer))
    tools = ToolCallAssembler()
    for event in [extras_of(obj), *tools.feed(message.get("tool_calls")), *tools.flush()]:
        if event is not None:
            out.event(event)
    reason = choice.get("finish_reason")
    if isinstance(reason, str) and reason:
        out.event(Finish(clean(reason)))
    _usage_and_manifests(obj, out)
    return out.result()


def gather(events: Iterable[StreamEvent]) -> Completion:
    """Fold events into one `Completion` (stream errors are not part of it)."""
    completion = Completion()
    for event in events:
        completion.apply(event)
    return completion
