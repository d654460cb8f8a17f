"""A turn's trace: the fold over its events, stored with the reply, made for old histories."""

from __future__ import annotations

import json
import time

from app.core.chat import ChatService
from app.core.client import AsiOneClient
from app.core.engine import TurnEngine
from app.core.store.store import Store
from app.core.trace import COMPLETED, FAILED, IN_PROGRESS, TraceBuilder, trace_from
from app.core.wire.events import (
    AgentProgress,
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    ToolCall,
    TurnExtras,
    TurnFinal,
    TurnToolCall,
    Usage,
)
from app.simulator import Simulator
from tests.conftest import TEST_KEY

HOSTILE = "\x1b]52;c;aGk=\x07[@click=app.quit]x[/]\u202e"


def service_for(sim: Simulator, path, **kw) -> tuple[ChatService, AsiOneClient]:
    client = AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, backoff_base=0.01, read_timeout=5)
    engine = TurnEngine(client, **{"poll_interval": 0.01, "poll_attempts": 6, **kw})
    return ChatService(Store(path), engine), client


def test_a_tool_call_goes_from_in_progress_to_completed() -> None:
    builder = TraceBuilder()
    first = builder.add(TurnToolCall(ToolCall("c1", "web_search", '{"query": "giraffe height"}')), 1.0)
    assert first[0].status == IN_PROGRESS and first[0].title == "web_search: giraffe height"
    second = builder.add(TurnToolCall(ToolCall("c1", "web_search", '{"query": "giraffe height"}', "5.5 m")), 2.0)
    assert len(builder.steps) == 1 and second[0].status == COMPLETED and "5.5 m" in second[0].title
    assert second[0].time == 1.0  # a step keeps the time it began


def test_a_wait_folds_into_agent_ack_polls_progress_delivery_and_usage() -> None:
    ack = "I've sent the message"
    events = [AgentWaiting(ack, 0, 24, 0.0), AgentsContacted((AgentRef("Image Gen", "image-gen", "agent1qx"),)),
              AgentProgress("Generating…", 1), AgentWaiting(ack, 1, 24, 5.0),
              AgentWaiting(ack, 2, 24, 10.0, "HTTP 503"),
              TurnFinal("![x](agent-storage://https://agentverse.ai/v1/storage/abc)", "", Usage(10, 5, 15),
                        deferred=True)]
    steps = trace_from(events, [100.0 + i for i in range(len(events))])
    assert [s.kind for s in steps] == ["ack", "agent", "progress", "poll", "poll", "poll", "delivery", "usage"]
    agent = steps[1]
    assert agent.agent == "image-gen" and agent.data["address"] == "agent1qx" and agent.status == COMPLETED
    assert steps[2].agent == "image-gen" and steps[2].title == "Generating…"
    assert steps[3].title == "poll 1/24: progress"
    assert steps[4].status == FAILED and "HTTP 503" in steps[4].title
    assert steps[5].title == "poll 3: the result"
    assert steps[6].data["images"] == ["https://agentverse.ai/v1/storage/abc"]
    assert steps[7].data["total_tokens"] == 15 and steps[7].status == COMPLETED
    assert steps[0].line(100.0).startswith("✓ +  0.0s ack")


def test_marketplace_knowledge_is_added_to_an_agent_step() -> None:
    def info(ref: AgentRef) -> dict | None:
        return {"rating": 4.9, "recent_success_rate": 0.97} if ref.handle == "image-gen" else None

    steps = trace_from([AgentsContacted((AgentRef("Image Gen", "image-gen"),))], agent_info=info)
    assert steps[0].data["rating"] == 4.9 and "★ 4.9" in steps[0].title and "97% recent success" in steps[0].title


def test_hostile_text_is_cleaned_and_a_megabyte_manifest_is_capped() -> None:
    huge = {"executable_data": [{"type": "agent_manifest", "name": "Big" + HOSTILE, "blob": "x" * 1_000_000}]}
    started = time.perf_counter()
    steps = trace_from([TurnExtras(huge)])
    assert time.perf_counter() - started < 0.5
    assert len(steps[0].content) < 5000 and "capped: 1,000,0" in steps[0].content
    assert "\x1b" not in steps[0].title and "\u202e" not in steps[0].title


async def test_the_trace_is_stored_with_the_reply_and_exported(sim, db_path) -> None:
    service, client = service_for(sim, db_path)
    conv = service.store.create_conversation("asi1")
    events = [e async for e in service.send(conv.id, "draw a cat !sim:progress=2")]
    await client.aclose()
    final = events[-1]
    assert isinstance(final, TurnFinal)
    traces = service.store.conversation_traces(conv.id)
    assert len(traces) == 1  # the acknowledgement's story is the reply's
    (message_id, steps), = traces.items()
    kinds = [s.kind for s in steps]
    assert kinds.count("progress") == 2 and kinds.count("poll") == 3 and "delivery" in kinds and "ack" in kinds
    assert [s.title for s in steps if s.kind == "progress"] == [
        "Generating…", "Still working on it, the image will be ready in about 20 seconds."]
    # the same fold, live and stored
    live = trace_from(events)
    assert [(s.kind, s.title) for s in live] == [(s.kind, s.title) for s in steps]
    exported = service.store.export_conversation(conv.id)
    traced = [m for m in exported["messages"] if "trace" in m]
    assert len(traced) == 1 and traced[0]["id"] == message_id
    assert json.dumps(traced[0]["trace"])  # JSON-ready
    usage = service.store.conversation_usage(conv.id)
    assert usage.total_tokens >= next(s for s in steps if s.kind == "usage").data["total_tokens"] > 0


async def test_a_resumed_wait_goes_on_with_its_stored_trace(sim, db_path) -> None:
    service, client = service_for(sim, db_path, poll_attempts=1)
    conv = service.store.create_conversation("asi1")
    _ = [e async for e in service.send(conv.id, "draw a cat !sim:progress=3")]
    await client.aclose()
    waits = service.store.pending_waits(conv.id)
    assert waits
    stored = service.store.stored_trace(waits[0].message_id)
    assert [s.kind for s in stored].count("progress") == 1
    service2, client2 = service_for(sim, db_path)
    _ = [e async for e in service2.resume(waits[0], fresh_budget=True)]
    await client2.aclose()
    (_, steps), = service2.store.conversation_traces(conv.id).items()
    kinds = [s.kind for s in steps]
    assert kinds.count("progress") == 3 and kinds.count("error") == 1 and kinds[-1] == "delivery"
    assert [s.index for s in steps] == list(range(len(steps)))


async def test_old_replies_get_a_trace_from_what_they_stored(sim, db_path) -> None:
    service, client = service_for(sim, db_path)
    conv = service.store.create_conversation("asi1")
    _ = [e async for e in service.send(conv.id, "draw a cat")]
    await client.aclose()
    with service.store._write() as conn:  # as a history from before traces were kept
        conn.execute("DELETE FROM traces")
    (_, steps), = service.store.conversation_traces(conv.id).items()
    kinds = [s.kind for s in steps]
    assert kinds[:2] == ["ack", "agent"] and "delivery" in kinds
    assert next(s for s in steps if s.kind == "agent").agent == "image-gen-hidream"


def test_a_history_from_before_traces_gets_them_from_what_it_stored(tmp_path) -> None:
    from tests.core.test_migrations import _old_file

    path = tmp_path / "old.db"
    _old_file(path, stop_before="m151_traces")
    store = Store(path)  # upgraded on open
    traces = store.conversation_traces(7)
    # 71 a plain reply with an image; 72 an acknowledgement, told by the reply under it (73)
    assert set(traces) == {71, 73}
    assert [s.kind for s in traces[71]] == ["delivery"] and traces[71][0].data["images"]
    waiting = traces[73]
    assert [s.kind for s in waiting] == ["ack", "poll"] and waiting[1].title == "poll 3/20: no result yet"
    exported = store.export_conversation(7)
    assert [m["id"] for m in exported["messages"] if "trace" in m] == [71, 73]
