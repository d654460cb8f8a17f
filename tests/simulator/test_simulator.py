"""The simulator speaks ASI:One's wire format over real sockets."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.simulator import Simulator
from app.simulator.scenarios import GIRAFFES_SSE

from .wire import (
    KEY,
    TLS,
    chat_body,
    chunks,
    content,
    content_pieces,
    dechunk,
    events,
    get,
    headers,
    poll,
    post,
    raw_http,
    reply_text,
    thoughts,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RECORDED = Path("/work/shared/data/asi1-mini-stream-giraffes.sse")


def test_stream_matches_recorded_shape(sim: Simulator) -> None:
    r = post(sim, "Explain decentralised agents")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream"
    objs = chunks(r.content)
    role, init, *rest = objs
    assert list(role) == ["id", "object", "model", "choices", "executable_data", "usage"]
    assert re.fullmatch(r"id_[A-Za-z0-9]{17}", role["id"])
    assert role["object"] == "chat.completion.chunk" and role["usage"] is None
    assert role["choices"] == [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                "finish_reason": None, "stop_reason": None}]
    assert init["init_thought"] is True and "index" not in init["choices"][0]
    thought_chunks = [o for o in rest if isinstance(o, dict) and "thought" in o]
    assert 3 <= len(thought_chunks) <= 8
    for o in thought_chunks:
        assert list(o) == ["id", "model", "choices", "thought"]
        assert o["choices"] == [{"role": "assistant",
                                 "delta": {"role": "assistant", "content": ""}}]
    body = [o for o in rest if isinstance(o, dict) and "created" in o]
    *pieces, finish, finish_usage = body
    assert rest.index(thought_chunks[-1]) < rest.index(pieces[0])
    for o in pieces:
        assert list(o) == ["id", "model", "created", "conversation_id", "tool_thought", "choices"]
        assert "object" not in o and o["created"] > 10**12  # milliseconds
        assert o["choices"][0]["finish_reason"] is None and o["choices"][0]["index"] == 0
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "usage" not in finish
    assert {k: v for k, v in finish_usage.items() if k != "usage"} == finish
    usage = finish_usage["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert objs[-1] == "[DONE]" and rest[-1] == "[DONE]"
    assert len({o["id"] for o in objs if isinstance(o, dict)}) == 1
    text = content(objs)
    assert text.startswith("## ") and "Explain decentralised agents" in text and "\n- " in text
    assert all(len(p.split()) <= 2 for p in content_pieces(objs))  # a word or so per chunk
    assert r.content.endswith(b"data: [DONE]\n\n")
    assert all(e.startswith(b"data: {") or e == b"data: [DONE]" for e in events(r.content))


def test_one_chunked_transfer_chunk_per_event(sim: Simulator) -> None:
    raw = raw_http(sim, chat_body("hello there"))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    parts, trailer = dechunk(body)
    assert trailer == b"\r\n"  # terminated by exactly 0\r\n\r\n
    assert all(p.startswith(b"data: ") and p.endswith(b"\n\n") and p.count(b"\n\n") == 1
               for p in parts)
    assert parts[-1] == b"data: [DONE]\n\n"


def test_events_arrive_as_they_are_written() -> None:
    with Simulator(api_key=KEY, chunk_delay=0.01) as sim:
        start = time.monotonic()
        with httpx.stream("POST", sim.base_url + "/chat/completions", headers=headers(),
                          json=chat_body("timing check"), verify=TLS) as r:
            stream = r.iter_raw()
            next(stream)
            first = time.monotonic() - start
            for _ in stream:
                pass
            total = time.monotonic() - start
    assert total > 0.3 and first < total / 3


def test_non_stream_shape(sim: Simulator) -> None:
    r = post(sim, "Say hello", stream=False)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) == len(r.content)
    body = r.json()
    assert list(body) == ["model", "id", "executable_data", "conversation_id", "thought",
                          "tool_thought", "intermediate_steps", "choices", "usage"]
    assert body["model"] == "asi1-mini" and body["id"].startswith("id_")
    assert isinstance(body["thought"], list) and body["thought"][0].startswith("\nThe user")
    choice = body["choices"][0]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant" and choice["message"]["reasoning"] is None
    assert "Say hello" in choice["message"]["content"]
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_generic_answer_is_deterministic(sim: Simulator) -> None:
    a, b = post(sim, "What is a DAG?"), post(sim, "What is a DAG?")
    assert content(chunks(a.content)) == content(chunks(b.content))
    assert thoughts(chunks(a.content)) == thoughts(chunks(b.content))
    assert "```python" in content(chunks(post(sim, "write python code").content))


@pytest.mark.parametrize("key", ["wrong", None])
def test_wrong_key_gets_401_body_seen_in_the_wild(sim: Simulator, key: str | None) -> None:
    r = post(sim, "hi", key=key)
    assert r.status_code == 401
    assert r.content == b'{"message":"failed to authenticate user"}'


def test_unknown_model_and_bad_bodies(sim: Simulator) -> None:
    r = post(sim, "hi", model="gpt-4")
    assert r.status_code == 400
    assert r.json() == {"error": {"message": "model 'gpt-4' not found",
                                  "type": "invalid_request_error"}}
    bad = httpx.post(sim.base_url + "/chat/completions", headers=headers(), content=b"{nope",
                     verify=TLS)
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    assert httpx.post(sim.origin + "/v1/elsewhere", headers=headers(), json={},
                      verify=TLS).status_code == 404
    assert get(sim.origin + "/v1/models").status_code == 401  # the list needs the key
    assert get(sim.origin + "/v1/elsewhere").status_code == 404


@pytest.mark.parametrize("model", ["asi1-agentic", "asi1-fast-agentic",
                                   "asi1-extended-agentic", "asi1-mini", "asi1", "asi1-ultra"])
def test_known_models(sim: Simulator, model: str) -> None:
    r = post(sim, "hi", model=model, stream=False)
    assert r.status_code == 200 and r.json()["model"] == model


@pytest.mark.parametrize("stream", [True, False])
def test_image_flow(sim: Simulator, stream: bool) -> None:
    first = post(sim, "Generate an image of a monkey on a mountain", stream=stream,
                 session="img")
    assert reply_text(first) == "I've sent the message"
    if stream:
        assert thoughts(chunks(first.content))  # short reasoning before the ack
    for _ in range(sim.agent_polls):
        assert reply_text(poll(sim, "img", stream=stream)) == "I've sent the message"
    final = reply_text(poll(sim, "img", stream=stream))
    match = re.fullmatch(r"Here is your image:\n\n!\[generated-image\]\((\S+)\)", final)
    assert match, final
    url = match.group(1)
    assert re.fullmatch(re.escape(sim.origin) + r"/agentverse/production/storage/"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", url)
    image = get(url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(PNG_SIGNATURE)
    # The job is cleared: the next poll has nothing pending.
    assert reply_text(poll(sim, "img", stream=stream)) == "There is no pending task."


def test_image_jobs_are_per_session() -> None:
    with Simulator(api_key=KEY, agent_polls=0) as sim:
        post(sim, "Please draw a cat", session="a")
        assert reply_text(poll(sim, "b")) == "There is no pending task."
        assert "![generated-image](" in reply_text(poll(sim, "a"))


def test_storage_serves_png_for_any_uuid_only(sim: Simulator) -> None:
    ok = get(sim.origin + "/agentverse/production/storage/"
                   "3f0c2a8e-1b5d-4c9e-8f7a-0123456789ab")
    assert ok.status_code == 200 and ok.content.startswith(PNG_SIGNATURE)
    assert get(sim.origin + "/agentverse/production/storage/../etc").status_code == 404


def test_giraffes_replay_is_byte_identical(sim: Simulator) -> None:
    r = post(sim, "Hi, tell me about giraffes")
    assert r.content == GIRAFFES_SSE.read_bytes()
    if RECORDED.exists():
        assert r.content == RECORDED.read_bytes()
    objs = chunks(r.content)
    assert "".join(thoughts(objs)).startswith("\nThe user has asked about giraffes")
    assert "\u00e2\ufffd\ufffd" in content(objs)


def test_giraffes_non_stream_uses_recorded_text(sim: Simulator) -> None:
    body = post(sim, "giraffes please", stream=False).json()
    text = body["choices"][0]["message"]["content"]
    assert text.startswith("\n\nGiraffes are fascinating") and text.endswith("in more detail!")
    assert body["thought"][0].endswith("ensuring accuracy.\n")
    assert body["usage"]["completion_tokens"] == 391


def test_requests_are_recorded(sim: Simulator) -> None:
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    post(sim, messages, session="abc-123")
    post(sim, "again", stream=False, session="xyz", key="bad")
    first, second = sim.requests
    assert first.method == "POST" and first.path == "/v1/chat/completions"
    assert first.session_id == "abc-123" and first.stream is True
    assert first.messages == messages and first.body["model"] == "asi1-mini"
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert first.headers["x-session-id"] == "abc-123"
    assert second.session_id == "xyz" and second.stream is False


def test_recording_is_thread_safe(sim: Simulator) -> None:
    threads = [threading.Thread(target=post, args=(sim, f"q{i}")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.messages[0]["content"] for r in sim.requests) == [f"q{i}" for i in range(8)]


def test_keeps_serving_after_client_disconnects(sim: Simulator,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    for _ in range(3):
        with httpx.stream("POST", sim.base_url + "/chat/completions", headers=headers(),
                          json=chat_body("!sim:tokens=200000"), verify=TLS) as r:
            next(r.iter_raw())  # read one piece, then hang up mid-stream
    assert reply_text(post(sim, "still there?")).startswith("## ")
    # Every handler thread notices its client is gone and ends promptly.
    deadline = time.monotonic() + 3
    while any("process_request" in t.name for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a handler kept writing to a closed socket"
        time.sleep(0.02)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # nothing may reach the terminal


def test_lifecycle() -> None:
    sim = Simulator(api_key=KEY)
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    sim.start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", sim.base_url)
    assert sim.base_url == sim.origin + "/v1"
    port = sim.port
    sim.stop()
    sim.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        get(f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_wait_forever_returns_after_stop() -> None:
    sim = Simulator(api_key=KEY).start()
    waiter = threading.Thread(target=sim.wait_forever)
    waiter.start()
    sim.stop()
    waiter.join(timeout=3)
    assert not waiter.is_alive()
