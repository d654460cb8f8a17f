"""Every fault mode is observable on the wire, queued or written into the prompt."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from app.simulator import Simulator, faults
from app.simulator.faults import ESCAPE_PAYLOAD, parse_directives, strip_directives

from .wire import (
    KEY,
    TLS,
    chat_body,
    chunks,
    content,
    content_pieces,
    data_payloads,
    events,
    headers,
    poll,
    post,
    reply_text,
    thoughts,
)

ACK = "I've sent the message"


def stream_until_error(sim: Simulator, prompt: str) -> tuple[bytes, Exception | None]:
    """Read a stream as far as it goes; return the bytes and the error that ended it."""
    data = b""
    try:
        with httpx.stream("POST", sim.base_url + "/chat/completions", headers=headers(),
                          json=chat_body(prompt), timeout=5, verify=TLS) as r:
            for block in r.iter_raw():
                data += block
    except httpx.HTTPError as exc:
        return data, exc
    return data, None


def test_status_with_retry_after_then_success(sim: Simulator) -> None:
    sim.add_fault(faults.Status(503, retry_after=2), times=2)
    for _ in range(2):
        r = post(sim, "hi")
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert r.json() == {"error": {"message": "Service Unavailable", "type": "server_error"}}
    assert post(sim, "hi").status_code == 200


@pytest.mark.parametrize("code, body", [
    (401, {"message": "failed to authenticate user"}),
    (403, {"error": {"message": "forbidden"}}),
    (429, {"error": {"message": "Too Many Requests", "type": "server_error"}}),
])
def test_status_default_bodies(sim: Simulator, code: int, body: dict) -> None:
    sim.add_fault(faults.Status(code))
    r = post(sim, "hi", stream=False)
    assert r.status_code == code and r.json() == body and "retry-after" not in r.headers


def test_status_custom_body_can_carry_escapes(sim: Simulator) -> None:
    sim.add_fault(faults.Status(500, body={"error": {"message": ESCAPE_PAYLOAD}}))
    assert post(sim, "hi").json()["error"]["message"] == ESCAPE_PAYLOAD
    r = post(sim, "hi !sim:status=502 !sim:escapes")
    assert r.status_code == 502 and ESCAPE_PAYLOAD in r.json()["error"]["message"]


def test_queued_faults_apply_in_order_and_clear(sim: Simulator) -> None:
    sim.add_fault(faults.Status(500))
    sim.add_fault([faults.CRLF(), faults.KeepAlive()])  # a group applies together
    sim.add_fault(faults.Status(502))
    assert post(sim, "a").status_code == 500
    both = post(sim, "b").content
    assert b"\r\n: keep-alive\r\n" in both
    sim.clear_faults()
    assert post(sim, "c").status_code == 200


@pytest.mark.parametrize("how", ["queued", "directive"])
def test_cut_drops_the_connection_mid_stream(sim: Simulator, how: str) -> None:
    prompt = "tell me a story"
    if how == "queued":
        sim.add_fault(faults.Cut(after_chunks=3))
    else:
        prompt += " !sim:cut=3"
    data, error = stream_until_error(sim, prompt)
    assert isinstance(error, httpx.RemoteProtocolError)  # incomplete chunked read
    objs = chunks(data)
    assert thoughts(objs) and len(content_pieces(objs)) == 3 and "[DONE]" not in objs
    assert post(sim, "after the cut").status_code == 200


def test_cut_non_stream_body_is_truncated(sim: Simulator) -> None:
    sim.add_fault(faults.Cut())
    with pytest.raises(httpx.RemoteProtocolError):
        post(sim, "hi", stream=False)


@pytest.mark.parametrize("style, expected", [
    ("data", b'data: {"error":{"message":"upstream agent failed","code":"agent_error"}}'),
    ("event", b'event: error\ndata: {"message":"upstream agent failed"}'),
])
def test_error_event_under_200(sim: Simulator, style: str, expected: bytes) -> None:
    r = post(sim, f"hello !sim:error-event={style}")
    assert r.status_code == 200
    evs = events(r.content)
    assert evs[-1] == expected and b"[DONE]" not in r.content
    assert len(content_pieces(chunks(b"\n\n".join(evs[:-1])))) == 3
    sim.add_fault(faults.ErrorEvent(after_chunks=1, style=style))
    assert events(post(sim, "again").content)[-1] == expected


def test_slow_first_byte(sim: Simulator) -> None:
    sim.add_fault(faults.SlowFirstByte(0.4))
    start = time.monotonic()
    assert post(sim, "hi").status_code == 200
    assert time.monotonic() - start >= 0.4
    start = time.monotonic()
    post(sim, "hi !sim:slow=0.3")
    assert time.monotonic() - start >= 0.3


def test_keepalive_comments_between_events(sim: Simulator) -> None:
    raw = post(sim, "hi !sim:keepalive").content
    evs = events(raw)
    assert evs[0].startswith(b"data: ") and evs[-1] == b"data: [DONE]"
    assert evs[1::2] == [b": keep-alive"] * (len(evs) // 2)
    assert chunks(raw)[-1] == "[DONE]"


def test_crlf_line_endings(sim: Simulator) -> None:
    raw = post(sim, "hi !sim:crlf").content
    assert raw.endswith(b"data: [DONE]\r\n\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n") > 0
    assert content(chunks(raw)).startswith("## ")


def test_escapes_arrive_raw_in_reasoning_and_content(sim: Simulator) -> None:
    raw = post(sim, "hi !sim:escapes").content
    assert b"\\u001b]52;c;" in raw and "\x9b31m".encode() in raw and "\u202e".encode() in raw
    objs = chunks(raw)
    for text in ("".join(thoughts(objs)), content(objs)):
        for needle in ("\x1b]52;c;aGk=\x07", "\x1b]0;pwned\x07", "\x1b[2J\x1b[31m", "\x9b31m",
                       "\u202e", "[@click=app.quit]x[/]"):
            assert needle in text
    sim.add_fault(faults.Escapes())
    message = post(sim, "hi", stream=False).json()["choices"][0]["message"]
    assert ESCAPE_PAYLOAD in message["content"]


def test_escapes_in_image_alt_text() -> None:
    with Simulator(api_key=KEY, agent_polls=0) as sim:
        assert reply_text(post(sim, "draw a fox !sim:escapes", session="e")) == ACK
        final = reply_text(poll(sim, "e"))
        assert "![\x1b]52;c;aGk=\x07x](" + sim.origin + "/agentverse/production/storage/" in final


def test_malformed_event_among_good_ones(sim: Simulator) -> None:
    payloads = data_payloads(post(sim, "hi !sim:malformed").content)
    broken = []
    for p in payloads[:-1]:
        try:
            json.loads(p)
        except ValueError:
            broken.append(p)
    assert broken == [b'{"id": "x", "choices": ['] and payloads[-1] == b"[DONE]"


def test_think_tags_split_across_chunks(sim: Simulator) -> None:
    raw = post(sim, "why? !sim:think-tags").content
    objs = chunks(raw)
    assert not thoughts(objs) and not any("init_thought" in o for o in objs[:-1])
    pieces = content_pieces(objs)
    assert pieces[:2] == ["<thi", "nk>"] and "</th" in pieces
    assert pieces[pieces.index("</th") + 1] == "ink>"
    text = content(objs)
    assert text.startswith("<think>\nThe user") and "</think>\n\n## " in text
    sim.add_fault(faults.ThinkTags())
    body = post(sim, "why?", stream=False).json()
    assert body["thought"] == [] and body["choices"][0]["message"]["content"].startswith("<think>")


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_content_openai_style(sim: Simulator, field: str) -> None:
    suffix = "" if field == "reasoning_content" else "=reasoning"
    objs = chunks(post(sim, f"hi !sim:reasoning-content{suffix}").content)
    assert objs[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert all("thought" not in o for o in objs[:-1])
    reasoning = "".join(o["choices"][0]["delta"].get(field, "") for o in objs[1:-3])
    assert reasoning.startswith("\nThe user")
    assert content(objs).startswith("## ")
    finish, usage, done = objs[-3:]
    assert finish["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] > 0 and done == "[DONE]"
    sim.add_fault(faults.ReasoningContent(field))
    message = post(sim, "hi", stream=False).json()["choices"][0]["message"]
    assert message[field].startswith("\nThe user")


def test_empty_and_reasoning_only(sim: Simulator) -> None:
    objs = chunks(post(sim, "hi !sim:empty").content)
    assert not content(objs) and not thoughts(objs) and objs[-1] == "[DONE]"
    assert objs[-2]["usage"]["completion_tokens"] == 0
    objs = chunks(post(sim, "hi !sim:reasoning-only").content)
    assert not content(objs) and thoughts(objs) and objs[-1] == "[DONE]"


def test_big_reply(sim: Simulator) -> None:
    objs = chunks(post(sim, "hi !sim:big=500000").content)
    text = content(objs)
    assert len(text.encode()) == 500000 and text.startswith("## Part 1")
    assert len(content_pieces(objs)) <= 10  # large chunks


def test_bad_utf8(sim: Simulator) -> None:
    raw = post(sim, "hi !sim:bad-utf8").content
    assert b"\xff\xfe\\u0000" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lenient = [json.loads(p.decode("utf-8", "replace"))
               for p in data_payloads(raw) if p != b"[DONE]"]
    assert "\ufffd\ufffd\x00" in content(lenient)


def test_agent_never_finishes() -> None:
    with Simulator(api_key=KEY, agent_polls=0) as sim:
        sim.add_fault(faults.AgentNeverFinishes())
        assert reply_text(post(sim, "paint a lake", session="n")) == ACK
        assert all(reply_text(poll(sim, "n")) == ACK for _ in range(5))
        assert reply_text(post(sim, "paint a lake !sim:never", session="m")) == ACK
        assert all(reply_text(poll(sim, "m", stream=False)) == ACK for _ in range(3))


def test_poll_error_keeps_job_pending() -> None:
    with Simulator(api_key=KEY, agent_polls=1) as sim:
        assert reply_text(post(sim, "draw a bird !sim:poll-error=503", session="p")) == ACK
        assert poll(sim, "p").status_code == 503
        assert reply_text(poll(sim, "p")) == ACK
        assert "![generated-image](" in reply_text(poll(sim, "p"))
        post(sim, "draw a bird", session="q")
        sim.add_fault(faults.PollError())
        assert poll(sim, "q").status_code == 500
        assert reply_text(poll(sim, "q")) == ACK


def test_tokens_exact_count_and_fast() -> None:
    with Simulator(api_key=KEY, chunk_delay=0.5) as sim:
        start = time.monotonic()
        objs = chunks(post(sim, "bench !sim:tokens=600").content)
        assert time.monotonic() - start < 3  # chunk_delay ignored
    pieces = content_pieces(objs)
    assert len(pieces) == 600 and objs[-2]["usage"]["completion_tokens"] == 600
    text = "".join(pieces)
    assert "## Section 1" in text and "\n- item" in text and "```python" in text
    assert text.count("```") % 2 == 0


def test_directive_times_limit_gives_fail_then_succeed(sim: Simulator) -> None:
    prompt = "retry me !sim:status=429*2 !sim:retry-after=1.5"
    codes = [post(sim, prompt, session="r") for _ in range(3)]
    assert [r.status_code for r in codes] == [429, 429, 200]
    assert codes[0].headers["retry-after"] == "1.5"
    assert "!sim" not in reply_text(codes[2])  # directives are not echoed


def test_directive_applies_only_to_last_prompt(sim: Simulator) -> None:
    history = [{"role": "user", "content": "old !sim:status=500"},
               {"role": "assistant", "content": "ok"},
               {"role": "user", "content": "new question"}]
    assert post(sim, history).status_code == 200
    # Polls do not re-apply the image prompt's directives.
    assert reply_text(post(sim, "draw it !sim:keepalive", session="k")) == ACK
    assert b": keep-alive" not in poll(sim, "k", prompt="draw it !sim:keepalive").content


def test_parse_directives() -> None:
    parsed = parse_directives("x !sim:cut=5 !sim:error-event=event !sim:tokens=7*3 "
                              "!sim:nope !sim:big=abc !sim:slow=0.5 !sim:status=503 "
                              "!sim:retry-after=2")
    assert [d.fault for d in parsed] == [
        faults.Cut(5), faults.ErrorEvent(style="event"), faults.Tokens(7),
        faults.SlowFirstByte(0.5), faults.Status(503, retry_after=2.0)]
    assert parsed[2].times == 3 and parsed[0].times is None
    assert strip_directives("hello !sim:cut  world") == "hello world"
