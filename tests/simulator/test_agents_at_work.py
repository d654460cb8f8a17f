"""The simulator's agents at work: progress before the result, two agents in sequence, a
failing agent, agent-storage links, usage on every reply, insights."""

from __future__ import annotations

from app.simulator import Simulator
from app.simulator.marketplace import IMAGE_AGENT, agent_by_handle
from app.simulator.scenarios import PROGRESS_MESSAGES

from .wire import get, poll, post


def _polls(sim: Simulator, prompt: str, session: str, n: int) -> list[dict]:
    post(sim, prompt, stream=False, session=session)
    return [poll(sim, session, stream=False, prompt=prompt).json() for _ in range(n)]


def _text(body: dict) -> str:
    return body["choices"][0]["message"]["content"]


def test_progress_messages_come_one_a_poll_before_the_image_each_reply_with_usage(sim: Simulator) -> None:
    replies = _polls(sim, "draw a monkey !sim:progress=3", "s-progress", 4)
    assert [_text(r) for r in replies[:3]] == list(PROGRESS_MESSAGES[:3])
    assert "![generated-image](" in _text(replies[3])
    assert all(r["usage"]["total_tokens"] > 0 for r in replies)


def test_the_demo_setting_sends_two_progress_messages_before_every_image(sim: Simulator) -> None:
    sim.scenarios.progress_messages = 2
    replies = _polls(sim, "draw a monkey", "s-demo", 3)
    assert [_text(r) for r in replies[:2]] == list(PROGRESS_MESSAGES[:2]) and "![generated-image](" in _text(replies[2])


def test_two_agents_in_sequence_hand_over_with_a_manifest_and_deliver_agent_storage(sim: Simulator) -> None:
    replies = _polls(sim, "draw a monkey !sim:two-agents", "s-two", 4)
    second = agent_by_handle("ref-image-agent")
    assert _text(replies[0]) == f"I've sent the message to {second['name']} (@{second['handle']}), waiting for result…"
    assert replies[0]["executable_data"][0]["handle"] == "ref-image-agent"
    delivered = next(_text(r) for r in replies if "![" in _text(r))
    assert "](agent-storage://http://127.0.0.1" in delivered


def test_a_failing_agent_reports_its_failure_instead_of_a_result(sim: Simulator) -> None:
    replies = _polls(sim, "draw a monkey !sim:agent-fails", "s-fail", sim.agent_polls + 1)
    assert _text(replies[-1]).startswith(f"Sorry, {IMAGE_AGENT[0]} failed")


def test_insights_for_listed_agents_and_404_for_others(sim: Simulator) -> None:
    agent = agent_by_handle("image-gen-hidream")
    found = get(f"{sim.origin}/v1/search/analytics/insights/{agent['address']}")
    assert found.status_code == 200 and found.json()["asi1_interactions"] > 0
    assert get(f"{sim.origin}/v1/search/analytics/insights/agent1qnobody").status_code == 404
