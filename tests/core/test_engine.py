"""The turn engine against the simulator: streaming, deferral, polling, failures."""

from __future__ import annotations

import asyncio

import pytest

from app.core.engine import TurnEngine
from app.core.errors import AgentWaitExhausted, AuthenticationError, StreamCutOff
from app.core.request import TurnRequest
from app.core.wire.deferral import ANY_UPDATE
from app.core.wire.events import (
    AgentWaiting,
    TurnContent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
)
from app.simulator import faults

SESSION = "5f0c7d52-2b7e-4f7e-9e53-4a1d2f6b8c90"
IMAGE = [{"role": "user", "content": "generate an image of a monkey on a mountain"}]


async def run(engine: TurnEngine, history, **kw) -> list:
    return [e async for e in engine.run(history, TurnRequest(model="asi1-fast-agentic", session_id=SESSION), **kw)]


async def test_plain_turn_streams_reasoning_then_content(client) -> None:
    events = await run(TurnEngine(client), [{"role": "user", "content": "hello"}])
    kinds = [type(e) for e in events]
    assert TurnReasoning in kinds and TurnContent in kinds
    assert kinds.index(TurnReasoning) < kinds.index(TurnContent)
    final = events[-1]
    assert isinstance(final, TurnFinal) and not final.deferred
    assert final.content == "".join(e.text for e in events if isinstance(e, TurnContent))
    assert final.usage is not None


async def test_deferral_is_polled_until_the_agent_answers(client, sim) -> None:
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=5)
    events = await run(engine, IMAGE)
    waits = [e for e in events if isinstance(e, AgentWaiting)]
    assert [w.attempt for w in waits] == [0, 1, 2]  # simulator: ready on the 3rd poll
    assert all(w.attempts == 5 for w in waits)
    final = events[-1]
    assert isinstance(final, TurnFinal) and final.deferred
    assert "![generated-image](" in final.content
    assert final.acknowledgement == "I've sent the message"
    polls = sim.requests[1:]
    assert len(polls) == 3
    for poll in polls:
        assert poll.session_id == SESSION and poll.stream is False
        assert poll.messages == [*IMAGE, {"role": "assistant", "content": "I've sent the message"}, ANY_UPDATE]


async def test_agent_that_never_finishes_gives_up_after_the_budget(client, sim) -> None:
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=3)
    events = await run(engine, [{"role": "user", "content": "draw a cat !sim:never"}])
    assert [e.attempt for e in events if isinstance(e, AgentWaiting)] == [0, 1, 2, 3]
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and isinstance(failed.error, AgentWaitExhausted)
    assert "3 polls" in str(failed.error) and failed.error.exit_code == 5
    assert len(sim.requests) == 4


async def test_a_failing_poll_does_not_end_the_wait(client, sim) -> None:
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=6)
    client.max_retries = 0  # let the poll error reach the engine
    events = await run(engine, [{"role": "user", "content": "draw a cat !sim:poll-error"}])
    errors = [e.last_error for e in events if isinstance(e, AgentWaiting) and e.last_error]
    assert errors and "500" in errors[0]
    assert isinstance(events[-1], TurnFinal) and events[-1].deferred


async def test_rejected_key_during_a_wait_stops_it(client, sim) -> None:
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=6)
    history = [*IMAGE, {"role": "assistant", "content": "I've sent the message"}]
    sim.add_fault(faults.Status(401))
    events = [e async for e in engine.wait_for_agent(history, TurnRequest(model="asi1-agentic", session_id=SESSION))]
    assert isinstance(events[-1], TurnFailed) and isinstance(events[-1].error, AuthenticationError)


async def test_resumed_wait_counts_from_attempts_already_made(client, sim) -> None:
    prompt = [{"role": "user", "content": "paint a boat !sim:never"}]
    first = await run(TurnEngine(client, poll_interval=0.01, poll_attempts=1), prompt)
    assert isinstance(first[-1], TurnFailed)  # the job exists and is still pending
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=10)
    history = [*prompt, {"role": "assistant", "content": "I've sent the message"}]
    events = [e async for e in engine.wait_for_agent(history, TurnRequest(model="asi1-agentic", session_id=SESSION),
                                                      attempts_made=8, attempts=10)]
    assert [e.attempt for e in events if isinstance(e, AgentWaiting)] == [9, 10]
    assert isinstance(events[-1], TurnFailed)


async def test_cut_stream_keeps_the_partial_reply(client, sim) -> None:
    sim.add_fault(faults.Cut(after_chunks=4))
    events = await run(TurnEngine(client), [{"role": "user", "content": "hello"}])
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and isinstance(failed.error, StreamCutOff)
    streamed = "".join(e.text for e in events if isinstance(e, TurnContent))
    assert streamed and failed.partial.content == streamed


async def test_a_normal_answer_mentioning_sending_is_not_polled(client, sim) -> None:
    events = await run(TurnEngine(client, poll_interval=0.01), [{"role": "user", "content": "I've sent the message to Bob, what now?"}])
    assert not any(isinstance(e, AgentWaiting) for e in events)
    assert len(sim.requests) == 1


async def test_cancelling_a_wait_stops_polling(client, sim) -> None:
    engine = TurnEngine(client, poll_interval=0.05, poll_attempts=100)

    async def consume() -> None:
        async for _ in engine.run([{"role": "user", "content": "draw a dog !sim:never"}],
                                  TurnRequest(model="asi1-agentic", session_id=SESSION)):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    count = len(sim.requests)
    await asyncio.sleep(0.2)
    assert len(sim.requests) == count
