"""Agents in the history file: used, pinned, per message, the m130 upgrade, and turns recording them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from app.core.agents.records import AgentListing
from app.core.agents.store import AgentStore
from app.core.store.records import MessageStatus
from app.core.store.store import Store
from app.core.wire.events import AgentsContacted, AgentWaiting, TurnFinal, agents_label
from app.simulator import Simulator
from tests.core.test_chat import make_service, turn
from tests.core.test_migrations import _old_file

LISTING = AgentListing(address="agent1qflight", handle="flight-finder", name="Flight Finder",
                       description="finds flights", readme="# Flight Finder\n\nhello", category="Travel",
                       rating=4.5, total_interactions=120, recent_interactions=30, recent_success_rate=0.9)


def _message(store: Store) -> int:
    conv = store.create_conversation("asi1")
    return store.add_message(conv.id, "assistant", "I've sent the message").id


def test_record_use_counts_each_message_once(db_path: Path):
    store = Store(db_path)
    agents = AgentStore(store)
    first, second = _message(store), _message(store)
    agents.record_use(first, "Flight Finder", "@flight-finder")
    agents.record_use(first, "Flight Finder", "flight-finder")
    agents.record_use(second, "", "flight-finder", "agent1qflight")
    (used,) = agents.agents_used()
    assert (used.key, used.name, used.handle, used.address, used.use_count) == (
        "flight-finder", "Flight Finder", "flight-finder", "agent1qflight", 2)
    assert used.first_used <= used.last_used
    assert [a.key for a in agents.agents_for_message(first)] == ["flight-finder"]
    assert agents.record_use(first) is None  # nothing to identify it by


def test_wait_labels_name_who_waiting_and_stopped_acknowledgements_handed_work_to(db_path: Path):
    store = Store(db_path)
    agents = AgentStore(store)
    conv = store.create_conversation("asi1")
    waiting = store.add_message(conv.id, "assistant", "I've sent the message", status=MessageStatus.AWAITING_AGENT)
    answered = store.add_message(conv.id, "assistant", "I've sent the message")  # complete: its wait is over
    agents.record_use(waiting.id, "Flight Finder", "@flight-finder")
    agents.record_use(waiting.id, "", "hotel-finder")
    agents.record_use(answered.id, "Flight Finder", "@flight-finder")
    stopped = replace(store.get_message(waiting.id), status=MessageStatus.WAIT_STOPPED)
    shown = store.messages(conv.id)
    resumed = agents_label(a.as_ref() for a in agents.agents_for_message(waiting.id))  # as its resumed turn says it
    assert resumed == "@hotel-finder, Flight Finder"
    assert agents.wait_labels(shown) == {waiting.id: resumed}
    assert agents.wait_labels([stopped]) == {waiting.id: resumed}
    assert agents.wait_labels([store.get_message(answered.id)]) == {}


def test_pin_unpin_and_cached_listing_survive_reopen(db_path: Path):
    store = Store(db_path)
    agents = AgentStore(store)
    assert agents.pin(LISTING).pinned
    assert agents.pin("@weather-now").name == "weather-now"
    assert agents.unpin("@nobody") is None
    store.close()
    agents = AgentStore(Store(db_path))
    pinned = agents.agents_pinned()
    assert [a.key for a in pinned] == ["flight-finder", "weather-now"]
    assert pinned[0].as_listing() == LISTING  # the whole listing, for offline use
    assert pinned[1].as_listing().handle == "weather-now" and pinned[1].listing is None
    assert not agents.unpin("@weather-now").pinned
    assert [a.key for a in agents.agents_pinned()] == ["flight-finder"]
    assert agents.agents_used() == []  # pinning is not using


def test_known_agents_lists_pinned_first(db_path: Path):
    store = Store(db_path)
    agents = AgentStore(store)
    agents.record_use(_message(store), "Ref Image Agent", "ref-image-agent")
    agents.pin(LISTING)
    assert [a.key for a in agents.known_agents()] == ["flight-finder", "ref-image-agent"]


def test_cached_listing_is_resanitised_when_read(db_path: Path):
    store = Store(db_path)
    AgentStore(store).pin(LISTING)
    evil = json.dumps({**LISTING.to_dict(), "name": "Evil\x1b[2J", "readme": "a\x1b]52;c;x\x07\nb"})
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE agents SET listing = ?", (evil,))
    conn.commit()
    conn.close()
    listing = AgentStore(store).get("flight-finder").listing
    assert listing.name == "Evil" and listing.readme == "a\nb"


def test_upgrade_to_m130_keeps_data_and_works(db_path: Path):
    _old_file(db_path, "m130_agents")
    store = Store(db_path)
    agents = AgentStore(store)
    assert agents.agents_used() == [] and agents.waiting_agent(7) is None
    agents.record_use(72, "Image Generation HiDream-I1", "image-gen-hidream")  # the old pending ack
    assert agents.waiting_agent(7) == "Image Generation HiDream-I1"
    store.delete_conversation(7)  # cascades to message_agents
    assert store._q("SELECT count(*) FROM message_agents") == [(0,)]


async def test_turn_records_the_agents_it_contacted(sim: Simulator, db_path: Path):
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1")
    events = await turn(service, conv.id, "please @flight-finder find a flight to Oslo")
    await client.aclose()
    contacted = [e for e in events if isinstance(e, AgentsContacted)]
    assert [a.name for a in contacted[0].agents] == ["Flight Finder"]
    first_wait = next(i for i, e in enumerate(events) if isinstance(e, AgentWaiting))
    assert events.index(contacted[0]) == first_wait + 1 and isinstance(events[-1], TurnFinal)
    user, ack, answer = service.store.messages(conv.id)
    assert ack.content == "I've sent the message to Flight Finder (@flight-finder), waiting for result…"
    assert "Flight Finder" in answer.content
    agents = AgentStore(service.store)
    assert [a.key for a in agents.agents_for_message(user.id)] == ["flight-finder"]
    (on_ack,) = agents.agents_for_message(ack.id)
    assert (on_ack.name, on_ack.address[:7]) == ("Flight Finder", "agent1q")
    assert agents.agents_used()[0].use_count == 1  # the addressed message and its acknowledgement: one turn
    body = sim.requests[0].body
    assert "@flight-finder" in body["messages"][-1]["content"] and "agent_handle" not in body


async def test_image_turn_names_the_image_agent_from_its_manifest(sim: Simulator, db_path: Path):
    service, client = make_service(sim, db_path)
    conv = service.store.create_conversation("asi1")
    sim.scenarios.agent_polls = 50  # stays pending
    events = service.send(conv.id, "draw a picture of a lighthouse")
    async for event in events:
        if isinstance(event, AgentsContacted):
            break
    assert AgentStore(service.store).waiting_agent(conv.id) == "Image Generation HiDream-I1"
    await events.aclose()
    await client.aclose()
