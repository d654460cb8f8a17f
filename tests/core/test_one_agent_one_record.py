"""One agent, one record: "@x" and "x", an acknowledgement's name and the listing's name
are one agent, and one turn is one use."""

from __future__ import annotations

from pathlib import Path

from app.core.agents.names import contacted_agents
from app.core.agents.records import AgentListing
from app.core.agents.store import AgentStore
from app.core.store.store import Store
from app.core.wire.events import AgentRef

LISTING = AgentListing(address="agent1qref", handle="refimage-agent", name="Ref Image Agent",
                       readme="# Ref Image Agent\n\nedits images", rating=4.9, total_interactions=123_456,
                       recent_success_rate=0.97)


def _turn(store: Store, prompt: str) -> tuple[int, int]:
    conv = store.create_conversation("asi1")
    user = store.add_message(conv.id, "user", prompt)
    ack = store.add_message(conv.id, "assistant", "I've sent the message to Ref Image Agent", parent_id=user.id)
    return user.id, ack.id


def test_an_addressed_handle_and_the_name_an_acknowledgement_gives_are_one_agent(db_path: Path) -> None:
    store = Store(db_path)
    agents = AgentStore(store)
    user, ack = _turn(store, "@refimage-agent a purple sky")
    agents.record_handles(user, "@refimage-agent a purple sky")
    named = contacted_agents("I've sent the message to Ref Image Agent, waiting for result…", [], "@refimage-agent")
    assert named == (AgentRef("Ref Image Agent", "refimage-agent"),)
    agents.record_agents(ack, named)
    (used,) = agents.agents_used()
    assert (used.key, used.name, used.handle, used.use_count) == ("refimage-agent", "Ref Image Agent",
                                                                  "refimage-agent", 1)


def test_a_name_only_record_merges_with_the_listing_that_names_it(db_path: Path) -> None:
    store = Store(db_path)
    agents = AgentStore(store)
    user, ack = _turn(store, "a purple sky please")
    agents.record_agents(ack, (AgentRef("Ref Image Agent"),))  # the ack named it, no handle
    user2, ack2 = _turn(store, "@refimage-agent again")
    agents.record_handles(user2, "@refimage-agent again")
    assert len(agents.agents_used()) == 2  # not yet known to be one agent
    agents.cache_listing(LISTING)  # the marketplace says the name is @refimage-agent's
    (used,) = agents.agents_used()
    assert (used.key, used.name, used.use_count) == ("refimage-agent", "Ref Image Agent", 2)
    assert used.listing is not None and used.listing.rating == 4.9 and "edits images" in used.listing.readme
    assert [a.key for a in agents.agents_for_message(ack)] == ["refimage-agent"]
    # later mentions by name alone land on the same record
    agents.record_agents(ack2, (AgentRef("ref image agent"),))
    assert [(a.key, a.name, a.use_count) for a in agents.agents_used()] == [("refimage-agent", "Ref Image Agent", 2)]


def test_handles_with_and_without_at_are_one_agent_but_other_handles_are_not(db_path: Path) -> None:
    store = Store(db_path)
    agents = AgentStore(store)
    user, ack = _turn(store, "x")
    agents.record_use(user, "", "@refimage-agent")
    agents.record_use(ack, "Ref Image Agent", "refimage-agent")
    agents.record_use(ack, "Ref Image Agent", "other-ref-agent")  # a namesake with its own handle
    assert sorted((a.key, a.use_count) for a in agents.agents_used()) == [("other-ref-agent", 1),
                                                                          ("refimage-agent", 1)]
