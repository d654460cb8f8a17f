"""The client against the simulator over real HTTP: wire forms, retries, typed errors."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from app.core.client import AsiOneClient
from app.core.errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailed,
    RateLimitedError,
    RequestTimedOut,
    ServerError,
    StreamCutOff,
    StreamErrorEvent,
)
from app.core.request import TurnRequest
from app.core.wire.events import Completion, Retrying
from app.simulator import Simulator, faults
from tests.conftest import TEST_KEY

SESSION = "0b5c1f7e-7d1e-4c55-9a8e-3b7c2f0d9a11"
HELLO = [{"role": "user", "content": "hello"}]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


async def collect(client: AsiOneClient, messages=HELLO, **kw) -> tuple[Completion, list]:
    completion, events = Completion(), []
    async for event in client.chat(messages, TurnRequest(model="asi1-fast-agentic", session_id=SESSION), **kw):
        events.append(event)
        completion.apply(event)
    return completion, events


async def test_streamed_reply_carries_reasoning_and_content(client, sim) -> None:
    completion, _ = await collect(client)
    assert completion.reasoning.strip() and completion.content.strip()
    assert completion.finish_reason == "stop" and completion.usage is not None
    request = sim.requests[-1]
    assert request.session_id == SESSION
    assert request.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert request.body["stream"] is True and request.body["model"] == "asi1-fast-agentic"


async def test_the_request_object_travels_whole_to_the_wire(client, sim) -> None:
    request = TurnRequest(model="asi1", session_id=SESSION, web_search=True, temperature=0.3, max_tokens=64)
    async for _ in client.chat(HELLO, request):
        pass
    body = sim.requests[-1].body
    assert sim.requests[-1].session_id == SESSION
    assert (body["model"], body["web_search"], body["temperature"], body["max_tokens"]) == ("asi1", True, 0.3, 64)


async def test_optional_fields_are_not_sent_unless_asked(client, sim) -> None:
    await collect(client)
    body = sim.requests[-1].body
    assert not {"web_search", "temperature", "max_tokens"} & set(body)


async def test_recorded_giraffes_stream_through_the_client(client) -> None:
    completion, _ = await collect(client, [{"role": "user", "content": "Hi, tell me about giraffes"}])
    assert completion.reasoning.startswith("\nThe user has asked about giraffes")
    assert completion.reasoning.endswith("ensuring accuracy.\n")
    assert completion.content.startswith("\n\nGiraffes are fascinating")
    assert completion.content.endswith("in more detail!")
    assert completion.usage.as_dict() == {"prompt_tokens": 435, "completion_tokens": 391, "total_tokens": 826}


async def test_non_streaming_reply(client) -> None:
    reply = await client.complete(HELLO, TurnRequest(model="asi1-agentic", session_id=SESSION))
    assert reply.content.strip() and reply.reasoning.strip()


@pytest.mark.parametrize("fault", [faults.KeepAlive(), faults.CRLF(), faults.Malformed(), faults.ThinkTags(),
                                   faults.ReasoningContent(), faults.ReasoningContent(field="reasoning")])
async def test_odd_wire_forms_give_clean_reasoning_and_content(client, sim, fault) -> None:
    sim.add_fault(fault)
    completion, _ = await collect(client)
    assert completion.reasoning.strip() and completion.content.strip()
    assert "<think>" not in completion.content and "</think>" not in completion.content


async def test_content_parts_keep_their_text_streamed_and_not(client, sim) -> None:
    plain, _ = await collect(client)
    sim.add_fault(faults.ContentParts(), times=2)
    streamed, _ = await collect(client)
    whole = await client.complete(HELLO, TurnRequest(model="asi1-agentic", session_id=SESSION))
    assert streamed.content == plain.content and whole.content == plain.content
    assert "image_url" not in streamed.content + whole.content


async def test_escape_sequences_are_stripped_at_ingest(client, sim) -> None:
    sim.add_fault(faults.Escapes())
    completion, _ = await collect(client)
    assert "[@click=app.quit]x[/]" in completion.content  # kept as inert text
    assert not CONTROL.search(completion.content) and not CONTROL.search(completion.reasoning)


async def test_wrong_key_is_rejected_without_retry(sim) -> None:
    async with AsiOneClient(api_key="sk-wrong", base_url=sim.base_url, backoff_base=0.01) as bad:
        with pytest.raises(AuthenticationError) as info:
            await collect(bad)
    assert "failed to authenticate user" in str(info.value)
    assert info.value.exit_code == 3 and len(sim.requests) == 1


async def test_403_openai_error_shape(client, sim) -> None:
    sim.add_fault(faults.Status(403))
    with pytest.raises(AuthenticationError, match="forbidden"):
        await collect(client)


async def test_400_is_not_retried(client, sim) -> None:
    sim.add_fault(faults.Status(400))
    with pytest.raises(BadRequestError):
        await collect(client)
    assert len(sim.requests) == 1


async def test_429_retry_after_is_honoured(client, sim) -> None:
    sim.add_fault(faults.Status(429, retry_after=0.3), times=2)
    started = time.monotonic()
    completion, events = await collect(client)
    retries = [e for e in events if isinstance(e, Retrying)]
    assert [r.delay for r in retries] == [0.3, 0.3]
    assert time.monotonic() - started >= 0.6
    assert completion.content.strip() and len(sim.requests) == 3


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504])
async def test_transient_statuses_retried_then_succeed(client, sim, status) -> None:
    sim.add_fault(faults.Status(status), times=2)
    completion, events = await collect(client)
    assert sum(isinstance(e, Retrying) for e in events) == 2
    assert completion.content.strip()


async def test_retries_exhausted(client, sim) -> None:
    sim.add_fault(faults.Status(503), times=10)
    with pytest.raises(ServerError) as info:
        await collect(client)
    assert "503" in str(info.value) and "Gave up after 3 retries" in str(info.value)
    assert len(sim.requests) == 4 and info.value.exit_code == 4


async def test_429_without_retry_after_backs_off_then_fails(client, sim) -> None:
    sim.add_fault(faults.Status(429), times=10)
    with pytest.raises(RateLimitedError, match="rate limiting"):
        await collect(client)
    assert len(sim.requests) == 4


async def test_connection_refused() -> None:
    with Simulator() as gone:
        url = gone.base_url
    async with AsiOneClient(api_key="k", base_url=url, backoff_base=0.01) as c:
        with pytest.raises(ConnectionFailed, match="Could not connect"):
            await collect(c)


async def test_cut_mid_stream_keeps_partial_text(client, sim) -> None:
    sim.add_fault(faults.Cut(after_chunks=3))
    completion = Completion()
    with pytest.raises(StreamCutOff):
        async for event in client.chat(HELLO, TurnRequest(model="asi1-agentic", session_id=SESSION)):
            completion.apply(event)
    assert completion.content  # what arrived before the cut
    assert len(sim.requests) == 1  # never retried once bytes were received


async def test_an_event_past_8_mb_fails_the_turn_clearly_and_keeps_the_partial(client, sim) -> None:
    sim.add_fault(faults.HugeLine(9 * 1024 * 1024))
    completion = Completion()
    with pytest.raises(StreamCutOff, match="an event from the server was larger than 8 MB"):
        async for event in client.chat(HELLO, TurnRequest(model="asi1-agentic", session_id=SESSION)):
            completion.apply(event)
    assert completion.content and "xxxx" not in completion.content


async def test_a_non_streamed_body_past_8_mb_is_refused(client, sim) -> None:
    sim.add_fault(faults.BigReply(9 * 1024 * 1024))
    with pytest.raises(StreamCutOff, match="larger than 8 MB"):
        await client.complete(HELLO, TurnRequest(model="asi1-agentic", session_id=SESSION))


@pytest.mark.parametrize("style", ["data", "event"])
async def test_error_event_mid_stream(client, sim, style) -> None:
    sim.add_fault(faults.ErrorEvent(after_chunks=2, style=style))
    with pytest.raises(StreamErrorEvent, match="upstream agent failed"):
        await collect(client)


async def test_first_byte_slower_than_read_timeout(sim) -> None:
    sim.add_fault(faults.SlowFirstByte(1.5))
    async with AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, read_timeout=0.5) as c:
        with pytest.raises(RequestTimedOut):
            await collect(c)
    assert len(sim.requests) <= 1  # a timed-out request is not sent again


async def test_error_body_echoing_the_key_is_redacted(client, sim) -> None:
    sim.add_fault(faults.Status(500, body={"error": {"message": f"bad key {TEST_KEY} here"}}), times=10)
    with pytest.raises(ServerError) as info:
        await collect(client)
    assert TEST_KEY not in str(info.value) and "[redacted]" in str(info.value)


async def test_invalid_utf8_and_nul_survive(client, sim) -> None:
    sim.add_fault(faults.BadUtf8())
    completion, _ = await collect(client)
    assert "\ufffd" in completion.content and "\x00" not in completion.content


async def test_cancelling_closes_the_connection_at_once(sim) -> None:
    slow = Simulator(api_key=TEST_KEY, chunk_delay=0.05).start()
    try:
        async with AsiOneClient(api_key=TEST_KEY, base_url=slow.base_url) as c:
            got = asyncio.Event()

            async def consume() -> None:
                async for _ in c.chat([{"role": "user", "content": "!sim:tokens=400 go"}],
                                      TurnRequest(model="asi1-agentic", session_id=SESSION)):
                    got.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(got.wait(), 5)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - started < 0.5
            assert c._http._transport._pool.connections == []  # nothing left open
    finally:
        slow.stop()
