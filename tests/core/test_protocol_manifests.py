"""`executable_data` (agent manifests) comes out of the parser as a raw `ExecutableData` event."""

from __future__ import annotations

import json

from app.core.wire.events import ExecutableData
from app.core.wire.protocol import StreamParser, gather, parse_completion

MANIFEST = {"type": "agent_manifest", "name": "Flight Finder", "handle": "flight-finder"}


def _sse(*objects: dict) -> bytes:
    return b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in objects) + b"data: [DONE]\n\n"


def test_stream_manifest_becomes_an_event_and_leaves_the_reply_alone():
    parser = StreamParser()
    events = parser.feed(_sse(
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}], "executable_data": [MANIFEST]},
        {"choices": [{"index": 0, "delta": {"content": "I've sent the message"}, "finish_reason": "stop"}],
         "executable_data": []},
    )) + parser.close()
    assert [e for e in events if isinstance(e, ExecutableData)] == [ExecutableData((MANIFEST,))]
    assert gather(events).content == "I've sent the message"


def test_non_streaming_manifest_and_odd_values():
    body = {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}], "executable_data": [MANIFEST]}
    assert ExecutableData((MANIFEST,)) in parse_completion(json.dumps(body))
    for odd in ([], None, "x", {"name": "not a list"}):
        events = parse_completion(json.dumps({**body, "executable_data": odd}))
        assert not [e for e in events if isinstance(e, ExecutableData)]
