"""Deferral acknowledgements are recognised, and ordinary answers are not."""

import pytest

from app.core.wire.deferral import agent_finished, is_acknowledgement, may_be_acknowledgement

ACKS = [
    "I've sent the message",
    "I’ve sent the message",
    "  I've sent the message\n",
    "I've sent the message.",
    "I've sent the request",
    "I’ve sent the message to Image Generation HiDream-I1, waiting for result…",
    "I've sent the message to Image Generation HiDream-I1, waiting for result...",
    "I've sent the request to the agent and am waiting for a response.",
    "I’ve sent your request to Image Generation HiDream-I1, waiting for result…",
    "Ive sent the message",
]

ANSWERS = [
    "",
    "Sure! I've sent the message",
    "I've sent the message to your email. Here is a summary of what it said.",
    "I've sent the message\n\nHere is the image: ![x](https://a.b/c)",
    "I have drafted the message you asked for: 'Hello team, ...'",
    "Here is your image: ![generated-image](https://api.asi1.ai/agentverse/production/storage/x)",
    "I've sent the message " + "and more words " * 20,
    "To send the message, open the app and press send.",
]


@pytest.mark.parametrize("text", ACKS)
def test_acknowledgements_are_detected(text: str) -> None:
    assert is_acknowledgement(text)


@pytest.mark.parametrize("text", ANSWERS)
def test_answers_are_not_acknowledgements(text: str) -> None:
    assert not is_acknowledgement(text)


def test_agent_finished_only_on_a_different_real_reply() -> None:
    ack = "I've sent the message"
    assert not agent_finished("I've sent the message", ack)
    assert not agent_finished("  I've sent the message  ", ack)
    assert not agent_finished("I've sent the request", ack)
    assert not agent_finished("", ack)
    assert agent_finished("![generated-image](https://x.y/z)", ack)


@pytest.mark.parametrize("text", ACKS)
def test_every_prefix_of_an_acknowledgement_is_held_back(text: str) -> None:
    """The shell holds text back while it may be an acknowledgement: the one rule the
    engine uses (is_acknowledgement) must never accept what the printer let through."""
    assert all(may_be_acknowledgement(text[:end]) for end in range(1, len(text) + 1))


@pytest.mark.parametrize("text", ["Giraffes are tall", "\n\nHere is", "I have drafted", "Sure! I've sent"])
def test_a_real_answer_is_let_through_at_once(text: str) -> None:
    assert not may_be_acknowledgement(text)
