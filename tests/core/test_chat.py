"""Turns on stored conversations: what the store holds during and after each kind of turn."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from app.core.chat import ChatService
from app.core.client import AsiOneClient
from app.core.engine import TurnEngine
from app.core.errors import AgentWaitExhausted
from app.core.store.store import Store
from app.core.wire.events import TurnContent, TurnFailed, TurnFinal
from app.simulator import Simulator, faults
from tests.conftest import TEST_KEY


def make_service(sim: Simulator, path: Path, **engine_kw) -> tuple[ChatService, AsiOneClient]:
    client = AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, backoff_base=0.01, read_timeout=5)
    engine = TurnEngine(client, **{"poll_interval": 0.01, "poll_attempts": 5, **engine_kw})
    return ChatService(Store(path), engine), client


async def turn(service: ChatService, conversation_id: int, prompt: str) -> list:
    return [e async for e in service.send(conversation_id, prompt)]


async def test_session_id_is_stable_across_turns_and_restarts(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    await turn(service, conv.id, "hello")
    await turn(service, conv.id, "and again")
    await client.aclose()
    service.store.close()
    # a new "process": new store object, new client, same file
    service2, client2 = make_service(sim, db_path)
    await turn(service2, conv.id, "third time")
    await client2.aclose()
    assert {r.session_id for r in sim.requests} == {conv.session_id}
    stored = service2.store.messages(conv.id)
    assert [m.role for m in stored] == ["user", "assistant"] * 3
    assert all(m.status == "complete" for m in stored)
    # the third request carried the whole stored dialogue
    assert [m["content"] for m in sim.requests[-1].messages if m["role"] == "user"] == [
        "hello", "and again", "third time"]


async def test_failed_request_keeps_the_prompt_and_marks_the_reply(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    sim.add_fault(faults.Status(400))
    events = await turn(service, conv.id, "please keep this text")
    await client.aclose()
    assert isinstance(events[-1], TurnFailed)
    user, reply = service.store.messages(conv.id)
    assert user.content == "please keep this text"
    assert reply.status == "error" and "400" in reply.error


async def test_cut_connection_keeps_partial_text_as_interrupted(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    sim.add_fault(faults.Cut(after_chunks=5))
    events = await turn(service, conv.id, "hello")
    await client.aclose()
    streamed = "".join(e.text for e in events if isinstance(e, TurnContent))
    reply = service.store.messages(conv.id)[-1]
    assert streamed and reply.content == streamed
    assert reply.status == "interrupted" and reply.reasoning


async def test_cancel_keeps_partial_text_as_interrupted(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.02) as slow:
        service, client = make_service(slow, db_path)
        conv = service.store.create_conversation("asi1-agentic")
        seen: list[str] = []

        async def consume() -> None:
            async for event in service.send(conv.id, "hello there"):
                if isinstance(event, TurnContent):
                    seen.append(event.text)

        task = asyncio.create_task(consume())
        while len(seen) < 5:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.aclose()
    reply = service.store.messages(conv.id)[-1]
    assert reply.status == "interrupted"
    assert reply.content == "".join(seen)


async def test_streaming_reply_is_in_the_database_while_it_streams(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.02) as slow:
        service, client = make_service(slow, db_path)
        conv = service.store.create_conversation("asi1-agentic")
        observer = Store(db_path)
        mid_stream = None
        started = time.monotonic()
        async for event in service.send(conv.id, "hello there"):
            if mid_stream is None and time.monotonic() - started > 1.2:
                mid_stream = observer.messages(conv.id)[-1]
        await client.aclose()
    assert mid_stream is not None, "the reply finished too fast to observe"
    assert mid_stream.role == "assistant" and mid_stream.status == "streaming"
    assert mid_stream.content or mid_stream.reasoning


async def test_deferral_is_stored_as_a_wait_then_the_answer(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-fast-agentic")
    waits_seen = []
    async for event in service.send(conv.id, "generate an image of a monkey on a mountain"):
        waits_seen.append(service.store.pending_waits(conv.id))
    await client.aclose()
    assert any(w for w in waits_seen), "a pending wait existed during polling"
    assert service.store.pending_waits() == []
    user, ack, final = service.store.messages(conv.id)
    assert ack.content == "I've sent the message" and ack.status == "complete"
    assert final.status == "complete" and "![generated-image](" in final.content
    assert all(m.content != "Any update?" for m in service.store.messages(conv.id))
    (image,) = service.store.images(conv.id)
    assert image.url.startswith(sim.origin) and image.message_id == final.id


async def test_pending_wait_is_resumed_by_a_new_process(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=4) as sim:
        service, client = make_service(sim, db_path, poll_attempts=2)
        conv = service.store.create_conversation("asi1-agentic")
        events = await turn(service, conv.id, "draw a lighthouse")
        await client.aclose()
        assert isinstance(events[-1].error, AgentWaitExhausted)
        (wait,) = service.store.pending_waits(conv.id)
        assert wait.attempts_made == 2 and wait.last_error
        service.store.close()

        later, client2 = make_service(sim, db_path, poll_attempts=5)
        (wait,) = later.store.pending_waits()
        events = [e async for e in later.resume(wait, fresh_budget=True)]
        await client2.aclose()
    assert isinstance(events[-1], TurnFinal) and events[-1].deferred
    assert {r.session_id for r in sim.requests} == {conv.session_id}
    assert later.store.pending_waits() == []
    assert "![generated-image](" in later.store.messages(conv.id)[-1].content


async def test_a_claimed_wait_is_not_polled_twice(sim, db_path) -> None:
    service, client = make_service(sim, db_path, poll_attempts=1)
    conv = service.store.create_conversation("asi1-agentic")
    await turn(service, conv.id, "draw a fox !sim:never")
    (wait,) = service.store.pending_waits()
    assert service.store.claim_wait(wait.id, "other-host:1", 60)
    assert [e async for e in service.resume(wait, fresh_budget=True)] == []
    await client.aclose()


async def test_the_key_never_reaches_the_database(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    await turn(service, conv.id, "hello")
    await turn(service, conv.id, "generate an image of a cat")
    sim.add_fault(faults.Status(500, body={"error": {"message": f"echo {TEST_KEY}"}}), times=10)
    await turn(service, conv.id, "fail please")
    await client.aclose()
    service.store.close()
    for file in db_path.parent.iterdir():
        assert TEST_KEY.encode() not in file.read_bytes(), file
