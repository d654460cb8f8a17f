"""The protocol parser: SSE framing, error events, malformed input, sanitising, speed,
and non-streaming bodies."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import ProtocolError
from app.core.wire.events import (
    Completion,
    ContentDelta,
    Finish,
    ReasoningDelta,
    StreamError,
    Usage,
)
from app.core.wire.protocol import StreamParser, gather, parse_completion
from tests.core.protocol_helpers import (
    DAMAGED,
    NONSTREAM,
    content,
    has_controls,
    run,
    sse,
    texts,
)

# --- SSE framing ------------------------------------------------------------------------


def test_comments_id_retry_and_event_lines():
    body = (
        b": keep-alive\n\n"
        b":OPENROUTER PROCESSING\n\n"
        b"retry: 3000\n"
        b"id: 17\n"
        b"event: message\n"
        b'data: {"choices":[{"delta":{"content":"ok"}}]}\n\n'
    )
    events, parser = run(body)
    assert events == [ContentDelta("ok")] and parser.malformed == 0


def test_no_space_after_colon():
    assert run(b'data:{"choices":[{"delta":{"content":"x"}}]}\n\n')[0] == [ContentDelta("x")]


def test_only_one_leading_space_is_stripped():
    body = b'data:  {"choices":[{"delta":{"content":"x"}}]}\n\n'
    assert run(body)[0] == [ContentDelta("x")]


def test_crlf_line_endings():
    body = sse(content("a"), content("b"), "[DONE]").replace(b"\n", b"\r\n")
    events, parser = run(body)
    assert events == [ContentDelta("ab")] and parser.done


def test_crlf_blank_line_dispatches_at_once():
    parser = StreamParser()
    assert parser.feed(b'data: {"choices":[{"delta":{"content":"now"}}]}\r\n\r\n') == [
        ContentDelta("now")
    ]


def test_crlf_multiline_data():
    body = (
        b'data: {"choices":\r\ndata: [{"delta":{"content":"a"}}]}\r\n\r\n'
        b'data: {"choices":[{"delta":{"content":"b"}}]}\r\n\r\n'
    )
    events, parser = run(body)
    assert events == [ContentDelta("ab")] and parser.malformed == 0


def test_multiline_data_is_joined_with_newline():
    body = b'data: {"choices":\ndata: [{"delta":{"content":"hi"}}]}\n\n'
    events, parser = run(body)
    assert events == [ContentDelta("hi")] and parser.malformed == 0


def test_missing_blank_lines_split_into_separate_events():
    body = (
        b'data: {"choices":[{"delta":{"content":"a"}}]}\n'
        b'data: {"choices":[{"delta":{"content":"b"}}]}\n'
        b'data: {"thought":"r"}\n\n'
    )
    events, parser = run(body)
    assert gather(events).content == "ab" and gather(events).reasoning == "r"
    assert parser.malformed == 0


def test_missing_blank_lines_with_a_broken_line_is_one_malformed_event():
    body = b'data: {"choices":[{"delta":{"content":"a"}}]}\ndata: {broken\n\n' + sse(content("ok"))
    events, parser = run(body)
    assert events == [ContentDelta("ok")] and parser.malformed == 1


def test_done_stops_everything_after_it():
    parser = StreamParser()
    events = parser.feed(sse(content("a"), "[DONE]", content("b")))
    assert events == [ContentDelta("a")] and parser.done
    assert parser.feed(sse(content("c"))) == []
    assert parser.close() == []


def test_done_without_blank_line_before_it():
    events, parser = run(b'data: {"choices":[{"delta":{"content":"a"}}]}\ndata: [DONE]\n')
    assert events == [ContentDelta("a")] and parser.done


def test_body_ending_without_newline_is_flushed_on_close():
    events, parser = run(b'data: {"choices":[{"delta":{"content":"end"}}]}')
    assert events == [ContentDelta("end")] and not parser.done
    events, _ = run(b'data: {"choices":[{"delta":{"content":"end"}}]}\r')
    assert events == [ContentDelta("end")]
    events, parser = run(b'data: {"choices":[{"delta":{"content":"end"}}]}\n\ndata: [DONE]')
    assert events == [ContentDelta("end")] and parser.done


def test_empty_data_event_is_ignored():
    events, parser = run(b"data:\n\ndata: \n\n" + sse(content("x")))
    assert events == [ContentDelta("x")] and parser.malformed == 0


def test_event_line_applies_to_one_event_only():
    body = b"event: error\n\n" + sse(content("fine"))
    assert run(body)[0] == [ContentDelta("fine")]


def test_multibyte_character_split_across_feeds():
    body = sse(content("café 🦒"))
    for cut in range(len(body)):
        events, _ = run([body[:cut], body[cut:]])
        assert gather(events).content == "café 🦒"


def test_invalid_utf8_becomes_replacement_character():
    body = b'data: {"choices":[{"delta":{"content":"a\xff\xfeb"}}]}\n\n' + sse(content("c"))
    events, parser = run(body)
    assert gather(events).content == "a\ufffd\ufffdbc" and parser.malformed == 0
    # A truncated sequence just before the line end must not eat the newline.
    body = b'data: {"choices":[{"delta":{"content":"z"}}]}\xe2\x82\n\n' + sse(content("c"))
    events, parser = run(body)
    assert gather(events).content == "c" and parser.malformed == 1


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'event: error\ndata: {"error":{"message":"boom","code":"overloaded"}}\n\n',
         StreamError("boom", "overloaded")),
        (b'event: error\ndata: {"message":"upstream failed"}\n\n', StreamError("upstream failed")),
        (b"event: error\ndata: plain words went wrong\n\n", StreamError("plain words went wrong")),
        (b'event: error\ndata: "quoted"\n\n', StreamError("quoted")),
        (b"event: error\ndata:\n\n", StreamError("The server reported an error.")),
        (b'data: {"error":{"message":"Rate limit reached","code":429}}\n\n',
         StreamError("Rate limit reached", "429")),
        (b'data: {"error":{"message":"Bad","type":"invalid_request_error","code":null}}\n\n',
         StreamError("Bad", "invalid_request_error")),
        (b'data: {"error":"something broke"}\n\n', StreamError("something broke")),
        (b'data: {"error":{}}\n\n', StreamError("The server reported an error.")),
        (b'data: {"error":{"error":{"message":"nested"}}}\n\n', StreamError("nested")),
    ],
)
def test_stream_errors(body, expected):
    events, parser = run(body)
    assert events == [expected] and parser.malformed == 0


def test_error_mid_stream_keeps_earlier_content():
    events, _ = run(sse(content("partial"), {"error": {"message": "cut"}}, content(" more")))
    assert events == [ContentDelta("partial"), StreamError("cut"), ContentDelta(" more")]


def test_null_error_key_is_not_an_error():
    assert run(sse(content("ok", error=None)))[0] == [ContentDelta("ok")]


# --- malformed input --------------------------------------------------------------------


def test_malformed_events_skipped_and_counted():
    body = sse(
        content("a"),
        '{"choices": [{"delta": {"content": "lost"',
        "[1, 2]",
        "42",
        '"a string"',
        "null",
        "{}{}",
        content("b"),
        "[DONE]",
    )
    events, parser = run(body)
    assert gather(events).content == "ab"
    assert parser.malformed == 6 and parser.done


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["error", "thought", "choices", "usage", "delta", "content", "message",
                         "reasoning", "reasoning_content", "finish_reason", "code", "index",
                         "prompt_tokens", "total_tokens", "detail", "x"]),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(json_value, max_size=6))
def test_arbitrary_json_never_raises(values):
    events, parser = run(sse(*(json.dumps(v) for v in values)))
    assert not any(has_controls(t) for t in texts(events))
    assert parser.malformed <= len(values)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_arbitrary_bytes_never_raise(chunks):
    run(chunks)
    run([b"data: " + c for c in chunks])


# --- sanitising -------------------------------------------------------------------------

NASTY = (
    "\x1b]52;c;aGVsbG8=\x07"  # OSC 52: write the clipboard
    "\x1b]0;owned\x07"  # OSC 0: set the window title
    "\x1b[2J\x1b[31m"  # CSI: clear screen, red
    "\x9b31m"  # 8-bit CSI
    "\u202eevil\u202c\u2066x\u2069"  # bidi override and isolate
    "\x00\x7f\x85\r"
)


def test_controls_removed_from_content_reasoning_and_errors():
    body = sse(
        content("a" + NASTY + "b"),
        content("<think>" + NASTY + "</think>"),
        {"thought": NASTY},
        {"thought": [NASTY]},
        {"choices": [{"delta": {"reasoning_content": NASTY}}]},
        {"error": {"message": "bad" + NASTY, "code": NASTY}},
        {"error": NASTY + "oops"},
    ) + b"event: error\ndata: " + NASTY.encode() + b"!\n\n"
    events, _ = run(body)
    assert events and not any(has_controls(t) for t in texts(events))
    c = gather(events)
    assert c.content == "aevilxb"  # whole sequences gone, no "]52;c;…" debris
    assert "\x1b" not in c.reasoning and "\x9b" not in c.reasoning
    errors = [e for e in events if isinstance(e, StreamError)]
    assert len(errors) == 3 and errors[0].message == "badevilx"


def test_controls_removed_byte_by_byte():
    body = sse(content("x" + NASTY), {"thought": NASTY + "y"})
    events, _ = run([body[i : i + 1] for i in range(len(body))])
    assert not any(has_controls(t) for t in texts(events))


def test_sanitised_keeps_newlines_tabs_and_unicode():
    events, _ = run(sse(content("line\n\tindent é 🦒 " + DAMAGED)))
    assert events == [ContentDelta("line\n\tindent é 🦒 " + DAMAGED)]


def test_control_only_reasoning_between_contents_still_merges():
    events, _ = run(sse(content("a"), {"thought": "\x1b\x07"}, content("b")))
    assert events == [ContentDelta("ab")]


# --- speed ------------------------------------------------------------------------------


def test_twenty_thousand_tokens_parse_fast():
    chunk = {"id": "id_x", "model": "asi1-mini", "created": 1740580080150,
             "conversation_id": None, "tool_thought": [], "stop_reason": None}
    body = sse(*(content(f" word{i}", **chunk) for i in range(20_000)), "[DONE]")
    events_per_feed = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        events, parser = run(events_per_feed)
        best = min(best, time.perf_counter() - started)
    assert parser.done and gather(events).content.endswith(" word19999")
    assert best < 0.2, f"20,000 tokens took {best:.3f} s"


def test_many_angle_brackets_stay_linear():
    body = sse(*(content("a<b <th x<") for _ in range(20_000)))
    started = time.perf_counter()
    events, _ = run([body[i : i + 4096] for i in range(0, len(body), 4096)])
    assert time.perf_counter() - started < 1.0
    assert gather(events).content == "a<b <th x<" * 20_000


def test_long_line_in_tiny_pieces_stays_linear():
    body = sse(content("x" * 200_000))
    started = time.perf_counter()
    events, _ = run([body[i : i + 16] for i in range(0, len(body), 16)])
    assert time.perf_counter() - started < 1.0
    assert gather(events).content == "x" * 200_000


# --- non-streaming bodies ---------------------------------------------------------------


def test_nonstream_golden():
    events = parse_completion(NONSTREAM)
    c = gather(events)
    assert c.reasoning.startswith("The user has initiated a simple greeting.")
    assert c.content.startswith("Hello! I'm ASI1-Mini")
    assert c.content.endswith("How can I assist you today?")
    assert c.usage == Usage(39, 100, 139)
    assert c.finish_reason == "stop"
    assert parse_completion(NONSTREAM.decode()) == events
    assert parse_completion(json.loads(NONSTREAM)) == events


def test_nonstream_thought_list_joined_with_newlines():
    body = {"thought": ["first", None, "second"], "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "hi", "reasoning": None}}]}
    assert parse_completion(body) == [ReasoningDelta("first\nsecond"), ContentDelta("hi"),
                                      Finish("stop")]


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_nonstream_openai_shape(key):
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1740580071,
            "choices": [{"index": 0, "finish_reason": "length",
                         "message": {"role": "assistant", "content": "answer", key: "why"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}
    assert parse_completion(json.dumps(body).encode()) == [
        ReasoningDelta("why"), ContentDelta("answer"), Finish("length"), Usage(1, 2, 3)]


def test_nonstream_think_tags_in_content():
    body = {"choices": [{"message": {"content": "<think>hmm</think>\n\nYes."}}]}
    assert parse_completion(body) == [ReasoningDelta("hmm"), ContentDelta("\n\nYes.")]


def test_nonstream_null_content_and_empty_choices():
    assert parse_completion({"choices": [{"message": {"content": None}}]}) == []
    assert parse_completion({"choices": []}) == []
    assert parse_completion({"choices": [{"message": None, "finish_reason": "stop"}]}) == [
        Finish("stop")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"message":"failed to authenticate user"}', StreamError("failed to authenticate user")),
        (b'{"error":{"message":"Invalid key","code":"invalid_api_key"}}',
         StreamError("Invalid key", "invalid_api_key")),
        (b'{"error":"nope"}', StreamError("nope")),
        (b'{"detail":"Not Found"}', StreamError("Not Found")),
    ],
)
def test_nonstream_error_bodies(body, expected):
    assert parse_completion(body) == [expected]


@pytest.mark.parametrize("body", [b"", b"<html>502 Bad Gateway</html>", b"{broken", b"[1, 2]",
                                  "null", b'{"a": 1} trailing', b"\xff\xfe"])
def test_nonstream_unreadable_raises_protocol_error(body):
    with pytest.raises(ProtocolError) as caught:
        parse_completion(body)
    assert str(caught.value) == "The server sent a reply that could not be read."


def test_nonstream_sanitised():
    body = {"thought": [NASTY], "choices": [{"message": {"content": "ok" + NASTY,
                                                        "reasoning_content": NASTY}}]}
    assert not any(has_controls(t) for t in texts(parse_completion(body)))
    assert not has_controls(parse_completion({"message": NASTY + "x"})[0].message)


# --- gather -----------------------------------------------------------------------------


def test_gather_folds_events():
    c = gather([ReasoningDelta("r"), ContentDelta("a"), StreamError("e"), ContentDelta("b"),
                Finish("stop"), Usage(1, 2, 3)])
    assert c == Completion(content="ab", reasoning="r", usage=Usage(1, 2, 3), finish_reason="stop")
    assert gather([]) == Completion()


# --- one event is capped --------------------------------------------------------------


def test_a_line_past_the_cap_abandons_the_stream_and_keeps_nothing_of_it():
    parser = StreamParser(max_event_bytes=1000)
    events = parser.feed(sse({"choices": [{"delta": {"content": "before"}}]}))
    events += parser.feed(b'data: {"choices":[{"delta":{"content":"')
    for _ in range(50):
        events += parser.feed(b"x" * 100)  # a long line arriving in small pieces
    events += parser.feed(b'"}}]}\n\n' + sse({"choices": [{"delta": {"content": "after"}}]}))
    events += parser.close()
    assert parser.oversized and parser.done
    assert gather(events).content == "before"
    assert parser._pending == [] and parser._data == []  # its bytes are not held


def test_an_event_of_many_lines_past_the_cap_is_abandoned():
    parser = StreamParser(max_event_bytes=1000)
    parser.feed(b"".join(b'data: {"a":"' + b"y" * 90 + b'"}\n' for _ in range(20)))
    assert parser.oversized and parser._data == []


def test_events_under_the_cap_are_read_whole():
    parser = StreamParser(max_event_bytes=1000)
    events, _ = parser.feed(sse(content("z" * 900), "[DONE]")), parser.close()
    assert gather(events).content == "z" * 900 and not parser.oversized
