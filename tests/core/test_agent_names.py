"""Who is working on a turn: names from acknowledgements, manifests and @handles."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.core.agents.names import (
    agents_from_acknowledgement,
    agents_from_executable_data,
    contacted_agents,
    handles_in_prompt,
    merge_agents,
)
from app.core.wire.events import AgentRef


def test_name_from_acknowledgement():
    assert agents_from_acknowledgement(
        "I've sent the message to Image Generation HiDream-I1, waiting for result…"
    ) == (AgentRef("Image Generation HiDream-I1"),)
    assert agents_from_acknowledgement(
        "I’ve sent the request to Ref Image Agent (@ref-image-agent), waiting for result..."
    ) == (AgentRef("Ref Image Agent", "ref-image-agent"),)
    assert agents_from_acknowledgement("I've sent the message to @flight-finder.") == (
        AgentRef("flight-finder", "flight-finder"),)
    assert agents_from_acknowledgement("I've sent the message to the HiDream agent and am waiting for the result.") \
        == (AgentRef("HiDream agent"),)
    assert agents_from_acknowledgement("I've sent the message to Image Generation HiDream-I1 - waiting") == (
        AgentRef("Image Generation HiDream-I1"),)


def test_no_name_in_plain_acknowledgement_or_other_text():
    for text in ("I've sent the message", "I've sent the request", "Here is your image", "",
                 "I've sent the message to the agent, waiting for result…"):
        assert agents_from_acknowledgement(text) == ()


def test_acknowledgement_name_is_sanitised():
    (ref,) = agents_from_acknowledgement("I've sent the message to Evil\x1b[2J Agent, waiting for result…")
    assert "\x1b" not in ref.name


def test_manifests_are_read_liberally():
    data = [
        {"type": "agent_manifest", "name": "Flight Finder", "handle": "@flight-finder", "address": "agent1qabc"},
        {"agent": {"name": "Ref Image Agent", "agent_address": "agent1qref"}},
        {"manifests": [{"handle": "weather-now"}]},
        {"tool_name": "web_search", "args": {}},  # a tool call, not an agent
        "junk", 7, None, [[{"name": "Deep \x1b]52;c;x\x07Nested"}]],
        {"name": "Flight Finder", "handle": "flight-finder"},  # a repeat
    ]
    assert agents_from_executable_data(data) == (
        AgentRef("Flight Finder", "flight-finder", "agent1qabc"),
        AgentRef("Ref Image Agent", "", "agent1qref"),
        AgentRef("weather-now", "weather-now"),
        AgentRef("Deep Nested"),
    )
    assert agents_from_executable_data({"name": "Solo"}) == (AgentRef("Solo"),)
    assert agents_from_executable_data(None) == () and agents_from_executable_data("x") == ()


def test_handles_in_prompt():
    assert handles_in_prompt("@image-gen-hidream draw a cat, then ask @foo.bar! and @x") == (
        "image-gen-hidream", "foo.bar", "x")
    assert handles_in_prompt("mail me at someone@example.com, or @@ or @ alone") == ()
    assert handles_in_prompt("@a-b @a-b again (@c_d)") == ("a-b", "c_d")


@given(st.text())
def test_handles_are_always_valid_tokens(text: str):
    for handle in handles_in_prompt(text):
        assert handle and not handle.startswith("@") and all(c.isalnum() or c in "_.-" for c in handle)
        assert f"@{handle}" in text


@given(st.text(max_size=200))
def test_parsers_never_raise(text: str):
    agents_from_acknowledgement(text)
    agents_from_executable_data([{"name": text, "handle": text}])


def test_contacted_agents_merge_sources():
    agents = contacted_agents("I've sent the message to Flight Finder (@flight-finder), waiting for result…",
                              [{"name": "Flight Finder", "handle": "flight-finder", "address": "agent1qf"}],
                              "@flight-finder")
    assert agents == (AgentRef("Flight Finder", "flight-finder", "agent1qf"),)
    merged = merge_agents([AgentRef("Image Generation HiDream-I1")],
                          [AgentRef("Image Generation HiDream-I1", "image-gen-hidream", "agent1qi")])
    assert merged == (AgentRef("Image Generation HiDream-I1", "image-gen-hidream", "agent1qi"),)
