"""The protocol parser against every wire form ASI:One (and compatible servers) send:
the recorded stream, <think> tags, each field. (SSE framing, errors, malformed input and
non-streaming bodies: test_protocol_framing.py.)"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.wire.events import (
    ContentDelta,
    Finish,
    ReasoningDelta,
    StreamError,
    Usage,
)
from app.core.wire.protocol import StreamParser, gather
from tests.core.protocol_helpers import (
    DAMAGED,
    GOLDEN,
    GOLDEN_CRLF,
    content,
    no_adjacent_same_kind,
    pieces,
    run,
    run_feeds,
    sse,
    summary,
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


