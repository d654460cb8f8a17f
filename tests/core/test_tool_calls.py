"""Tool calls and raw extras on the wire: both shapes, streamed and whole, broken and hostile."""

from __future__ import annotations

import json

from app.core.wire.events import ContentDelta, Extras, Finish, ToolCall
from app.core.wire.protocol import parse_completion
from app.core.wire.tool_calls import RESULT_CAP
from app.simulator.faults import ESCAPE_PAYLOAD
from tests.core.protocol_helpers import content, run, sse


def delta(**fields: object) -> dict:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


FINISH = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


def calls(events: list) -> list[ToolCall]:
    return [e for e in events if isinstance(e, ToolCall)]


def test_asi_one_shape_arrives_at_once_and_again_with_its_result() -> None:
    entry = {"id": "c1", "tool_name": "web_search", "args": {"query": "giraffe height"}}
    events, _ = run(sse(delta(tool_calls=[entry]), delta(tool_calls=[{**entry, "result": "5.8 m"}]),
                        content("Tall."), FINISH, "[DONE]"))
    assert calls(events) == [ToolCall("c1", "web_search", '{"query": "giraffe height"}', None),
                             ToolCall("c1", "web_search", '{"query": "giraffe height"}', "5.8 m")]
    assert events.index(calls(events)[0]) < events.index(ContentDelta("Tall."))


def test_openai_fragments_are_joined_by_index_at_the_finish() -> None:
    head = {"index": 0, "id": "call_9", "type": "function", "function": {"name": "web_search", "arguments": ""}}
    parts = ['{"qu', 'ery": "gir', 'affes"}']
    chunks = [delta(tool_calls=[head])] + [delta(tool_calls=[{"index": 0, "function": {"arguments": p}}])
                                           for p in parts]
    second = {"index": 1, "id": "call_10", "function": {"name": "lookup", "arguments": "{}"}}
    # Cut anywhere: the result is the same.
    data = sse(*chunks, delta(tool_calls=[second]), FINISH, "[DONE]")
    for size in (len(data), 7, 1):
        events, _ = run([data[i:i + size] for i in range(0, len(data), size)])
        assert calls(events) == [ToolCall("call_9", "web_search", '{"query": "giraffes"}'),
                                 ToolCall("call_10", "lookup", "{}")]
        assert isinstance(events[-1], Finish)


def test_fragments_without_a_finish_are_released_when_the_stream_ends() -> None:
    head = {"index": 0, "id": "x", "function": {"name": "f", "arguments": '{"a":1}'}}
    events, _ = run(sse(delta(tool_calls=[head])))
    assert calls(events) == [ToolCall("x", "f", '{"a":1}')]


def test_missing_and_junk_fields_give_usable_calls_or_nothing() -> None:
    entries = [{"tool_name": "web_search"}, {}, 42, None, {"id": None, "args": None},
               {"id": 5, "name": "n", "arguments": '{"q": "x"}', "result": {"hits": [1, 2]}}]
    events, parser = run(sse(delta(tool_calls=entries), delta(tool_calls="nonsense"), FINISH))
    assert calls(events) == [ToolCall("call-1", "web_search", "{}", None),
                             ToolCall("5", "n", '{"q": "x"}', '{"hits": [1, 2]}')]
    assert parser.malformed == 0


def test_huge_fields_are_capped_with_a_marker() -> None:
    entry = {"id": "h" * 5000, "tool_name": "t" * 5000, "args": {"q": "a" * 50_000}, "result": "r" * 100_000}
    (call,) = calls(run(sse(delta(tool_calls=[entry]), FINISH))[0])
    assert len(call.id) < 300 and len(call.name) < 300 and len(call.args) < 21_000
    assert call.result.startswith("r" * RESULT_CAP) and call.result.endswith("[cut: 80,000 more characters]")


def test_hostile_text_in_tool_calls_is_made_inert() -> None:
    entry = {"id": "c\x1b[2J", "tool_name": f"web{ESCAPE_PAYLOAD}", "args": {"q": ESCAPE_PAYLOAD},
             "result": f"{ESCAPE_PAYLOAD}done"}
    (call,) = calls(run(sse(delta(tool_calls=[entry]), FINISH))[0])
    for text in (call.id, call.name, call.args, call.result):
        assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text and "\x07" not in text
    assert call.result.endswith("done")


def test_non_streaming_message_tool_calls_and_extras() -> None:
    body = {"model": "asi1", "executable_data": [{"manifest": "agent1q"}], "intermediate_steps": [],
            "metadata": {"trace": "t\x1b]0;x\x07"},
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": "Done.",
                "tool_calls": [{"id": "c", "tool_name": "web_search", "args": {"query": "q"}, "result": "r"}]}}]}
    events = parse_completion(json.dumps(body))
    assert calls(events) == [ToolCall("c", "web_search", '{"query": "q"}', "r")]
    (extras,) = [e for e in events if isinstance(e, Extras)]
    assert extras.data == {"executable_data": [{"manifest": "agent1q"}], "metadata": {"trace": "t"}}


def test_stream_extras_are_kept_raw_and_empty_ones_skipped() -> None:
    events, _ = run(sse({**content("a"), "executable_data": []},
                        {**content("b"), "executable_data": [{"agent": "x"}]}, FINISH))
    assert [e for e in events if isinstance(e, Extras)] == [Extras({"executable_data": [{"agent": "x"}]})]
