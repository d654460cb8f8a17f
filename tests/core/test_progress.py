"""Waits that outlast progress: a poll reply that is only progress is not the answer."""

from __future__ import annotations

import pytest

from app.core.engine import TurnEngine
from app.core.errors import AgentWaitExhausted
from app.core.request import TurnRequest
from app.core.wire.deferral import agent_finished, is_progress
from app.core.wire.events import AgentProgress, AgentWaiting, TurnFailed, TurnFinal, TurnUsage

SESSION = "0b6f3a52-2b7e-4f7e-9e53-4a1d2f6b8c91"


@pytest.mark.parametrize("text", [
    "Generating...", "Generating…", "processing", "Still working on it", "still working on it, hang tight!",
    "Your image will be ready in about 30 seconds.", "Task in progress (45%)", "Your image is being generated.",
    "Processing your request", "Rendering, please wait", "Almost done…", "Image Generation HiDream-I1: Generating…",
])
def test_progress_wordings(text: str) -> None:
    assert is_progress(text)
    assert not (agent_finished(text, "I've sent the message") and not is_progress(text))


@pytest.mark.parametrize("text", [
    "It is 12°C in Paris.", "Yes.", "42", "The flight leaves at 9:40 from CDG.",
    "Here is your image:\n\n![generated-image](https://api.asi1.ai/agentverse/production/storage/x)",
    "Generating… done: https://agentverse.ai/v1/storage/abc",  # carries its result
    "agent-storage://https://agentverse.ai/v1/storage/abc",
    "![img](data:image/png;base64,AAAA)",
    "Processing plants are industrial sites. " * 6,  # long: an answer that mentions the word
    "",
])
def test_answers_are_not_progress(text: str) -> None:
    assert not is_progress(text)


async def _run(client, prompt: str, attempts: int = 8) -> list:
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=attempts)
    request = TurnRequest(model="asi1", session_id=SESSION)
    return [e async for e in engine.run([{"role": "user", "content": prompt}], request)]


async def test_progress_messages_do_not_end_the_wait(client) -> None:
    events = await _run(client, "draw a cat !sim:progress=5")
    progress = [e for e in events if isinstance(e, AgentProgress)]
    assert [p.attempt for p in progress] == [1, 2, 3, 4, 5]
    assert len({p.text for p in progress}) == 5  # five wordings
    final = events[-1]
    assert isinstance(final, TurnFinal) and final.deferred and "![generated-image](" in final.content
    assert not any(p.text in final.content for p in progress)
    # each progress poll is also a poll of the wait, and its tokens count
    assert [e.attempt for e in events if isinstance(e, AgentWaiting)] == [0, 1, 2, 3, 4, 5]
    assert sum(isinstance(e, TurnUsage) for e in events) >= 6


async def test_progress_forever_runs_out_of_budget_and_stays_resumable(client) -> None:
    events = await _run(client, "draw a cat !sim:never !sim:progress=2", attempts=4)
    assert len([e for e in events if isinstance(e, AgentProgress)]) == 4
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and isinstance(failed.error, AgentWaitExhausted)
    assert "can be resumed" in str(failed.error)


async def test_a_failing_agent_ends_the_wait_with_its_report(client) -> None:
    events = await _run(client, "draw a cat !sim:agent-fails")
    final = events[-1]
    assert isinstance(final, TurnFinal) and "failed to complete the request" in final.content
