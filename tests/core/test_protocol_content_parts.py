"""Content sent as a list of parts (`[{"type": "text", "text": ...}]`), as OpenAI-compatible
servers do: the text of the text parts is kept, other part types are skipped."""

from __future__ import annotations

from app.core.wire.events import ContentDelta, Finish, ReasoningDelta
from app.core.wire.protocol import gather, parse_completion
from tests.core.protocol_helpers import run, sse

PARTS = [
    {"type": "text", "text": "Giraffes "},
    {"type": "image_url", "image_url": {"url": "https://example.com/g.png"}},
    {"type": "text", "text": "are tall."},
    {"type": "text", "text": None},
    "stray",
    {"text": "no type"},
]


def test_streamed_content_parts_keep_their_text():
    body = sse(
        {"choices": [{"index": 0, "delta": {"content": [{"type": "text", "text": "Hello, "}]}}]},
        {"choices": [{"index": 0, "delta": {"content": PARTS}}]},
        {"choices": [{"index": 0, "delta": {"content": []}, "finish_reason": "stop"}]},
        "[DONE]",
    )
    events, parser = run(body)
    assert gather(events).content == "Hello, Giraffes are tall."
    assert events[-1] == Finish("stop") and parser.malformed == 0


def test_streamed_parts_go_through_think_tags_and_sanitising():
    body = sse(
        {"choices": [{"delta": {"content": [{"type": "text", "text": "<think>why\x07</th"}]}}]},
        {"choices": [{"delta": {"content": [{"type": "text", "text": "ink>Because."}]}}]},
        "[DONE]",
    )
    events, _ = run(body)
    assert gather(events).reasoning == "why" and gather(events).content == "Because."


def test_non_streamed_content_parts_keep_their_text():
    body = {"choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": PARTS, "reasoning_content": "hm"}}]}
    assert parse_completion(body) == [ReasoningDelta("hm"), ContentDelta("Giraffes are tall."), Finish("stop")]


def test_parts_without_text_add_nothing():
    body = {"choices": [{"message": {"content": [{"type": "image_url", "image_url": {}}]}}]}
    assert parse_completion(body) == []
