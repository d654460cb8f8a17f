"""Turns as objects and conversations as trees: edit, regenerate, switch, fork, stop and
resume a wait, delete mid-turn — all over HTTP to the simulator, into a real SQLite file."""

from __future__ import annotations

import asyncio

import pytest

from app.core.errors import TurnBusy
from app.core.store.store import Store
from app.core.wire.events import AgentWaiting, TurnContent, TurnFailed, TurnFinal
from app.simulator import Simulator, faults
from tests.conftest import TEST_KEY
from tests.core.test_chat import make_service


async def settle(turn) -> list:
    return [e async for e in turn.events()]


async def chat(service, conversation_id: int, prompt: str) -> list:
    return await settle(service.start(conversation_id, prompt))


def users(request) -> list[str]:
    return [m["content"] for m in request.messages if m["role"] == "user"]


async def test_one_turn_object_from_first_byte_to_stored_row(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    turn = service.start(conv.id, "hello")
    assert service.running(conv.id) is turn and turn.prompt_id is not None
    events = await settle(turn)
    await client.aclose()
    assert isinstance(events[-1], TurnFinal) and not turn.running and service.running(conv.id) is None
    stored = service.store.get_message(turn.message_id)
    assert (stored.content, stored.reasoning, stored.status) == (turn.content, turn.reasoning, "complete")
    assert stored.parent_id == turn.prompt_id
    assert sim.requests[-1].session_id == conv.session_id == turn.request.session_id


async def test_regenerate_is_a_new_branch_with_its_own_session(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    await chat(service, conv.id, "first question")
    question, first = service.store.messages(conv.id)
    turn = service.regenerate(first.id)
    await settle(turn)
    await client.aclose()
    again = service.store.get_message(turn.message_id)
    assert again.parent_id == question.id and again.id != first.id
    assert [m.id for m in service.store.messages(conv.id)] == [question.id, again.id]
    # The new branch asked with a new session id and only the path up to the question.
    assert sim.requests[-1].session_id == again.session_id != conv.session_id
    assert users(sim.requests[-1]) == ["first question"]
    assert service.store.branch_marks(service.store.messages(conv.id)) == {again.id: (2, 2)}
    # The original branch keeps the conversation's first session id.
    assert service.store.get_message(first.id).session_id == conv.session_id


async def test_edit_branches_from_the_edited_message_and_switching_shows_each(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    await chat(service, conv.id, "one")
    await chat(service, conv.id, "two")
    q1, a1, q2, a2 = service.store.messages(conv.id)
    await settle(service.edit(q2.id, "two, better"))
    path = service.store.messages(conv.id)
    assert [m.content for m in path[:3]] == ["one", a1.content, "two, better"] and len(path) == 4
    assert users(sim.requests[-1]) == ["one", "two, better"]
    assert sim.requests[-1].session_id == path[2].session_id != conv.session_id
    # ← goes back to the first version of the question, and the branch under it.
    assert service.store.switch_branch(path[2], -1) == a2.id
    assert [m.id for m in service.store.messages(conv.id)] == [q1.id, a1.id, q2.id, a2.id]
    assert service.store.switch_branch(service.store.get_message(q2.id), -1) is None  # no sibling that way
    await client.aclose()
    # The branch on screen is remembered by the file.
    assert Store(db_path).get_conversation(conv.id).active_leaf_id == a2.id
    # Continuing goes on at the end of the branch on screen, on its session.
    service2, client2 = make_service(sim, db_path)
    await chat(service2, conv.id, "three")
    await client2.aclose()
    assert users(sim.requests[-1]) == ["one", "two", "three"] and sim.requests[-1].session_id == conv.session_id


async def test_edit_or_regenerate_while_a_reply_runs_is_refused_and_loses_nothing(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.02) as slow:
        service, client = make_service(slow, db_path)
        conv = service.store.create_conversation("asi1-agentic")
        turn = service.start(conv.id, "hello there")
        before = service.store.message_count(conv.id)
        with pytest.raises(TurnBusy):
            service.edit(turn.prompt_id, "changed")
        with pytest.raises(TurnBusy):
            service.regenerate(turn.prompt_id)
        with pytest.raises(TurnBusy):
            service.start(conv.id, "another")
        assert service.store.message_count(conv.id) == before
        await service.cancel(conv.id)
        await client.aclose()
    assert service.store.messages(conv.id)[-1].status == "interrupted"


async def test_delete_mid_stream_lets_the_turn_settle_first(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.02) as slow:
        service, client = make_service(slow, db_path)
        conv = service.store.create_conversation("asi1-agentic")
        turn = service.start(conv.id, "hello there")
        events = []

        async def observe() -> None:
            async for event in turn.events():
                events.append(event)

        observer = asyncio.create_task(observe())
        while not any(isinstance(e, TurnContent) for e in events):
            await asyncio.sleep(0.01)
        await service.delete_conversation(conv.id)
        await observer
        await client.aclose()
    assert not turn.running and service.store.count_conversations() == 0
    assert isinstance(events[-1], TurnFailed) and events[-1].status == "interrupted"


async def test_a_stopped_wait_is_kept_shown_as_stopped_and_resumed_on_its_branch(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=3) as sim:
        service, client = make_service(sim, db_path, poll_interval=0.2, poll_attempts=20)
        conv = service.store.create_conversation("asi1-agentic")
        turn = service.start(conv.id, "draw a lighthouse")
        async for event in turn.events():
            if isinstance(event, AgentWaiting):
                break
        assert await service.stop_wait(conv.id)
        assert not turn.running and service.store.pending_waits() == []
        ack = service.store.get_message(turn.ack_id)
        assert ack.status == "wait-stopped"
        assert not service.store.list_conversations()[0].waiting
        again = service.restart_wait(conv.id)
        events = await settle(again)
        await client.aclose()
    assert isinstance(events[-1], TurnFinal) and events[-1].deferred
    final = service.store.messages(conv.id)[-1]
    assert final.parent_id == ack.id and "![generated-image](" in final.content
    assert service.store.get_message(ack.id).status == "complete"
    assert {r.session_id for r in sim.requests} == {conv.session_id}


async def test_an_agent_reply_lands_on_its_own_branch(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=3) as sim:
        service, client = make_service(sim, db_path, poll_interval=0.05)
        conv = service.store.create_conversation("asi1-agentic")
        await chat(service, conv.id, "hello")
        question, answer = service.store.messages(conv.id)
        turn = service.edit(question.id, "draw a lighthouse")
        async for event in turn.events():
            if isinstance(event, AgentWaiting):
                # The user looks at the first branch while the agent works.
                service.store.switch_branch(service.store.get_message(turn.prompt_id), -1)
        await client.aclose()
    assert [m.id for m in service.store.messages(conv.id)] == [question.id, answer.id]
    final = service.store.get_message(turn.message_id)
    assert final.parent_id == turn.ack_id and "![generated-image](" in final.content
    assert {r.session_id for r in sim.requests[1:]} == {final.session_id} != {conv.session_id}


async def test_regenerate_a_failed_reply_sends_its_prompt_again(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    sim.add_fault(faults.Status(400))
    await chat(service, conv.id, "please keep this text")
    question, failed = service.store.messages(conv.id)
    assert failed.status == "error"
    await settle(service.regenerate(failed.id))
    await client.aclose()
    question2, reply = service.store.messages(conv.id)
    assert question2.id == question.id and reply.status == "complete"
    assert users(sim.requests[-1]) == ["please keep this text"]


async def test_fork_copies_the_path_into_a_new_conversation(sim, db_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    await chat(service, conv.id, "one")
    await chat(service, conv.id, "two")
    q1, a1, _, _ = service.store.messages(conv.id)
    fork = service.store.fork_conversation(a1)
    await chat(service, fork.id, "three")
    await client.aclose()
    assert fork.session_id != conv.session_id and fork.title.endswith("(fork)")
    assert [m.content for m in service.store.messages(fork.id)][:2] == ["one", a1.content]
    assert users(sim.requests[-1]) == ["one", "three"] and sim.requests[-1].session_id == fork.session_id
    assert len(service.store.messages(conv.id)) == 4


async def test_json_export_round_trips_every_branch(sim, db_path, tmp_path) -> None:
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1-agentic")
    await chat(service, conv.id, "one")
    await settle(service.regenerate(service.store.messages(conv.id)[-1].id))
    await client.aclose()
    data = service.store.export_conversation(conv.id)
    assert data["version"] == 2 and len(data["messages"]) == 3
    other = Store(tmp_path / "other.db")
    copy = other.import_conversation(data)
    original = service.store.all_messages(conv.id)
    copied = other.all_messages(copy.id)
    ids = {o.id: c.id for o, c in zip(original, copied)}
    assert [(ids.get(m.parent_id), m.session_id, m.content) for m in original] == [
        (m.parent_id, m.session_id, m.content) for m in copied]
    assert [m.content for m in other.messages(copy.id)] == [m.content for m in service.store.messages(conv.id)]
    assert other.branch_marks(other.messages(copy.id))
