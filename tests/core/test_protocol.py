"""The protocol parser against every wire form ASI:One (and compatible servers) send."""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import ProtocolError
from app.core.events import Completion, ContentDelta, Finish, ReasoningDelta, StreamError, Usage
from app.core.protocol import StreamParser, gather, parse_completion

DATA = Path(__file__).resolve().parent.parent / "data"
GOLDEN = (DATA / "asi1-mini-stream-giraffes.sse").read_bytes()
GOLDEN_CRLF = GOLDEN.replace(b"\n", b"\r\n")
NONSTREAM = (DATA / "asi1-mini-nonstream-greeting.json").read_bytes()
DAMAGED = "\u00e2\ufffd\ufffd"


# --- helpers ----------------------------------------------------------------------------


def sse(*payloads: object) -> bytes:
    """One `data:` event per payload (dicts become JSON, strings go as they are)."""
    out = []
    for payload in payloads:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        out.append(f"data: {text}\n\n")
    return "".join(out).encode()


def content(text: str, **extra: object) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}], **extra}


def pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def run(data: bytes | list[bytes]) -> tuple[list, StreamParser]:
    """Feed `data` (whole, or chunk by chunk), then close; all events and the parser."""
    parser = StreamParser()
    events: list = []
    for chunk in [data] if isinstance(data, bytes) else data:
        events += parser.feed(chunk)
    events += parser.close()
    return events, parser


def run_feeds(chunks: list[bytes]) -> tuple[list[list], StreamParser]:
    """Like `run`, but keeps each feed's result apart (the close() result last)."""
    parser = StreamParser()
    results = [parser.feed(chunk) for chunk in chunks]
    results.append(parser.close())
    return results, parser


def summary(events: list) -> tuple:
    c = gather(events)
    return (
        c.reasoning,
        c.content,
        c.usage,
        c.finish_reason,
        sum(isinstance(e, Finish) for e in events),
        [e for e in events if isinstance(e, StreamError)],
    )


def has_controls(text: str) -> bool:
    bidi = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in bidi for ch in text
    )


def texts(events: list) -> list[str]:
    out = []
    for e in events:
        if isinstance(e, (ContentDelta, ReasoningDelta)):
            out.append(e.text)
        elif isinstance(e, StreamError):
            out += [e.message, e.code or ""]
        elif isinstance(e, Finish):
            out.append(e.reason)
    return out


def no_adjacent_same_kind(events: list) -> bool:
    kinds = [type(e) for e in events]
    return not any(
        a is b and a in (ContentDelta, ReasoningDelta) for a, b in zip(kinds, kinds[1:])
    )


# --- the recorded stream ----------------------------------------------------------------


def check_golden(events: list, parser: StreamParser) -> None:
    c = gather(events)
    assert c.reasoning.startswith("\nThe user has asked about giraffes")
    assert c.reasoning.endswith("ensuring accuracy.\n")
    assert c.content.startswith("\n\nGiraffes are fascinating")
    assert c.content.endswith("in more detail!")
    assert DAMAGED in c.content
    assert "height" + DAMAGED + "especially" in c.content
    assert c.usage == Usage(435, 391, 826)
    assert c.finish_reason == "stop"
    assert sum(isinstance(e, Finish) for e in events) == 1
    assert not any(isinstance(e, StreamError) for e in events)
    assert parser.done is True
    assert parser.malformed == 0


def test_golden_stream_whole():
    events, parser = run(GOLDEN)
    check_golden(events, parser)
    # Fed whole, adjacent deltas merge: one reasoning, one content, finish, usage.
    assert [type(e) for e in events] == [ReasoningDelta, ContentDelta, Finish, Usage]


def test_golden_stream_byte_by_byte():
    """Every split point at once: inside multibyte characters and everywhere else."""
    events, parser = run([GOLDEN[i : i + 1] for i in range(len(GOLDEN))])
    check_golden(events, parser)


def test_golden_stream_crlf_byte_by_byte():
    """Every split point of the CRLF version, including between each `\\r` and `\\n`."""
    events, parser = run([GOLDEN_CRLF[i : i + 1] for i in range(len(GOLDEN_CRLF))])
    check_golden(events, parser)


def test_golden_split_inside_damaged_characters():
    at = GOLDEN.index(DAMAGED.encode())
    for cut in range(at - 1, at + len(DAMAGED.encode()) + 1):
        events, _ = run(pieces(GOLDEN, [cut]))
        assert DAMAGED in gather(events).content


def test_golden_reasoning_before_content():
    events, _ = run([GOLDEN[i : i + 300] for i in range(0, len(GOLDEN), 300)])
    kinds = [type(e) for e in events if isinstance(e, (ReasoningDelta, ContentDelta))]
    assert ContentDelta not in kinds[: kinds.index(ContentDelta)]
    assert ReasoningDelta not in kinds[kinds.index(ContentDelta) :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(GOLDEN)), max_size=80))
def test_golden_any_rechunking_same_result(cuts):
    whole = summary(run(GOLDEN)[0])
    results, parser = run_feeds(pieces(GOLDEN, cuts))
    assert summary([e for r in results for e in r]) == whole
    assert parser.done and parser.malformed == 0
    assert all(no_adjacent_same_kind(r) for r in results)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(GOLDEN_CRLF)), max_size=80))
def test_golden_crlf_any_rechunking_same_result(cuts):
    assert summary(run(pieces(GOLDEN_CRLF, cuts))[0]) == summary(run(GOLDEN)[0])


# --- generated streams with <think> tags ------------------------------------------------


def reference_split(text: str) -> tuple[str, str]:
    """The think-tag split done on the whole text at once: the oracle."""
    reasoning, answer, inside, pos = [], [], False, 0
    while True:
        tag = "</think>" if inside else "<think>"
        at = text.find(tag, pos)
        (reasoning if inside else answer).append(text[pos : at if at >= 0 else None])
        if at < 0:
            return "".join(reasoning), "".join(answer)
        pos, inside = at + len(tag), not inside


token = st.one_of(
    st.sampled_from(["<think>", "</think>", "<", "</", "<th", "think>", ">", "\n", "é", "🦒"]),
    st.text(alphabet="ab <>/thinkTHINK\u00e9", min_size=1, max_size=8),
)


def think_stream(tokens: list[str], crlf: bool = False) -> bytes:
    body = sse(
        {"choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        *(content(t) for t in tokens),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
        "[DONE]",
    )
    return body.replace(b"\n", b"\r\n") if crlf else body


@settings(max_examples=200, deadline=None)
@given(st.lists(token, max_size=30), st.data(), st.booleans())
def test_think_stream_any_rechunking_matches_oracle(tokens, data, crlf):
    body = think_stream(tokens, crlf)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=40))
    results, parser = run_feeds(pieces(body, cuts))
    events = [e for r in results for e in r]
    reasoning, answer = reference_split("".join(tokens))
    c = gather(events)
    assert (c.reasoning, c.content) == (reasoning, answer)
    assert c.usage == Usage(1, 2, 3)
    assert summary(events) == summary(run(body)[0])
    assert all(no_adjacent_same_kind(r) for r in results)
    assert parser.done and parser.malformed == 0


# --- each wire form ---------------------------------------------------------------------


def test_role_chunk_and_init_thought_give_nothing():
    events, parser = run(
        sse(
            {
                "id": "id_x",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                             "finish_reason": None, "stop_reason": None}],
                "executable_data": [],
                "usage": None,
            },
            {"choices": [{"role": "assistant", "delta": {"role": "assistant", "content": ""}}],
             "init_thought": True},
        )
    )
    assert events == [] and parser.malformed == 0


@pytest.mark.parametrize(
    "chunk",
    [
        {"choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        {"choices": [{"index": 0, "delta": {}}]},
        {"choices": [{"delta": {"content": ""}}]},
        {"choices": []},
        {"conversation_id": None, "tool_thought": [], "executable_data": [], "choices": []},
        {"choices": [{"index": 0, "delta": None}]},
        {"choices": None, "thought": None, "usage": None, "error": None},
        {"choices": ["junk", 3, None]},
        {"thought": [None]},
        {"thought": []},
        {},
    ],
)
def test_chunks_without_events(chunk):
    events, parser = run(sse(chunk))
    assert events == [] and parser.malformed == 0


def test_top_level_thought_string():
    events, _ = run(sse({"choices": [{"delta": {"content": ""}}], "thought": "\nThe user"},
                        {"thought": " asked"}))
    assert events == [ReasoningDelta("\nThe user asked")]


def test_thought_list_concatenates_strings_skipping_null():
    events, _ = run(sse({"thought": ["a", None, "b"]}, {"thought": [None]}, {"thought": ["c"]}))
    assert events == [ReasoningDelta("abc")]


def test_delta_reasoning_content_and_reasoning():
    events, _ = run(
        sse(
            {"choices": [{"index": 0, "delta": {"reasoning_content": "one "}}]},
            {"choices": [{"index": 0, "delta": {"reasoning": "two"}}]},
            {"choices": [{"index": 0, "delta": {"reasoning_content": None, "content": "ans"}}]},
            {"choices": [{"index": 0, "delta": {"reasoning": None}}]},
        )
    )
    assert events == [ReasoningDelta("one two"), ContentDelta("ans")]


def test_reasoning_sent_under_both_names_appears_once():
    events, _ = run(sse({"choices": [{"delta": {"reasoning_content": "r", "reasoning": "r"}}]}))
    assert gather(events).reasoning == "r"


def test_content_deltas():
    events, _ = run(sse(content("Hello"), content(", "), content("world")))
    assert events == [ContentDelta("Hello, world")]


def test_think_tags_in_one_chunk():
    events, _ = run(sse(content("<think>plan it</think>The answer")))
    assert events == [ReasoningDelta("plan it"), ContentDelta("The answer")]


@pytest.mark.parametrize(
    "chunks",
    [
        ["<thi", "nk>plan</th", "ink>done"],
        ["<", "think>plan<", "/think>done"],
        ["<think", ">pl", "an</think", ">done"],
        ["<think>", "plan", "</think>", "done"],
        ["<t", "h", "i", "n", "k", ">", "plan", "<", "/", "t", "hink>", "done"],
    ],
)
def test_think_tags_split_across_chunks(chunks):
    expected = [ReasoningDelta("plan"), ContentDelta("done")]
    # One feed per chunk, so merging cannot hide a mistake in the hold-back logic.
    events, _ = run([sse(content(c)) for c in chunks])
    assert gather(events).reasoning == "plan" and gather(events).content == "done"
    events, _ = run(sse(*(content(c) for c in chunks)))
    assert events == expected


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        (["a < b", " and c > d"], "a < b and c > d"),
        (["x <th", "at"], "x <that"),
        (["<think", "er>"], "<thinker>"),
        (["a </", "think> b"], "a </think> b"),  # a close tag outside reasoning is text
        (["if a<", "b"], "if a<b"),
        (["<<", "<think>x</think>y"], "<<y"),
    ],
)
def test_held_back_text_released_when_not_a_tag(chunks, expected):
    events, _ = run([sse(content(c)) for c in chunks])
    assert gather(events).content == expected


def test_held_back_text_released_on_close():
    parser = StreamParser()
    assert parser.feed(sse(content("tail <thi"))) == [ContentDelta("tail ")]
    assert parser.close() == [ContentDelta("<thi")]
    assert parser.close() == []


def test_held_back_text_released_on_done():
    parser = StreamParser()
    events = parser.feed(sse(content("ab<"), "[DONE]"))
    assert events == [ContentDelta("ab<")]
    assert parser.done and parser.close() == []


def test_held_back_text_released_before_finish():
    events, _ = run(sse(content("x <"), {"choices": [{"index": 0, "delta": {},
                                                      "finish_reason": "stop"}]}))
    assert events == [ContentDelta("x <"), Finish("stop")]


def test_unclosed_think_is_reasoning():
    events, _ = run(sse(content("<think>still thinking")))
    assert events == [ReasoningDelta("still thinking")]


def test_finish_reported_once_and_usage_on_the_repeat():
    finish = {"choices": [{"index": 0, "finish_reason": "stop",
                           "delta": {"role": "assistant", "content": ""}, "stop_reason": "stop"}]}
    with_usage = {**finish, "usage": {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9}}
    events, _ = run(sse(content("hi"), finish, with_usage, "[DONE]"))
    assert events == [ContentDelta("hi"), Finish("stop"), Usage(4, 5, 9)]


def test_finish_tool_calls_without_tool_calls():
    events, parser = run(sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}))
    assert events == [Finish("tool_calls")] and parser.malformed == 0


def test_usage_on_empty_choices_chunk():
    events, _ = run(sse({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 20,
                                                  "total_tokens": 30}}))
    assert events == [Usage(10, 20, 30)]


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({}, Usage(0, 0, 0)),
        ({"prompt_tokens": 7}, Usage(7, 0, 0)),
        ({"prompt_tokens": "12", "completion_tokens": 3.0, "total_tokens": None}, Usage(12, 3, 0)),
        ({"prompt_tokens": "lots", "completion_tokens": [1], "total_tokens": {"n": 1}}, Usage()),
        ({"prompt_tokens": 1e400, "completion_tokens": "nan", "total_tokens": 5}, Usage(0, 0, 5)),
    ],
)
def test_usage_numbers_tolerated(usage, expected):
    assert run(sse({"choices": [], "usage": usage}))[0] == [expected]


def test_usage_null_gives_nothing():
    assert run(sse({"choices": [], "usage": None}))[0] == []


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
    assert c.content.startswith("a]52;c;aGVsbG8=") and c.content.endswith("b")
    assert "\x1b" not in c.reasoning and "\x9b" not in c.reasoning
    errors = [e for e in events if isinstance(e, StreamError)]
    assert len(errors) == 3 and errors[0].message.startswith("bad]52;c;")


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
