"""Agent jobs kept in a file outlive the simulator: the demo's waits resume as real ones do."""

from __future__ import annotations

from app.core.client import AsiOneClient
from app.core.request import TurnRequest
from app.core.wire.deferral import ANY_UPDATE
from app.simulator import Simulator
from tests.conftest import TEST_KEY

SESSION = "0b7c9a51-5d0e-4f8e-8a43-6c1e2d3f4a5b"
ASK = [{"role": "user", "content": "draw a heron"}]


async def _complete(sim: Simulator, messages: list[dict]) -> str:
    async with AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, backoff_base=0.01) as client:
        reply = await client.complete(messages, TurnRequest(model="asi1-fast-agentic", session_id=SESSION))
    return reply.content


async def test_a_job_started_by_one_simulator_is_finished_by_the_next(tmp_path) -> None:
    jobs = tmp_path / "demo-agent-jobs.json"
    with Simulator(api_key=TEST_KEY, agent_polls=1, jobs_file=jobs) as first:
        ack = await _complete(first, ASK)
    assert ack == "I've sent the message" and jobs.exists()
    polled = [*ASK, {"role": "assistant", "content": ack}, dict(ANY_UPDATE)]
    with Simulator(api_key=TEST_KEY, agent_polls=1, jobs_file=jobs) as second:
        assert await _complete(second, polled) == ack  # still working (one poll seen, saved)
        assert "![generated-image](" in await _complete(second, polled)
        assert (await _complete(second, polled)).startswith("There is no pending task")  # done: gone


async def test_two_simulators_share_the_job_file_at_once(tmp_path) -> None:
    jobs = tmp_path / "jobs.json"
    polled = [*ASK, {"role": "assistant", "content": "I've sent the message"}, dict(ANY_UPDATE)]
    with Simulator(api_key=TEST_KEY, agent_polls=1, jobs_file=jobs) as one, \
            Simulator(api_key=TEST_KEY, agent_polls=1, jobs_file=jobs) as two:
        await _complete(one, ASK)
        assert await _complete(two, polled) == "I've sent the message"
        assert "![generated-image](" in await _complete(one, polled)  # it saw two's poll


async def test_without_a_file_a_new_simulator_knows_no_job(tmp_path) -> None:
    with Simulator(api_key=TEST_KEY) as first:
        await _complete(first, ASK)
    polled = [*ASK, {"role": "assistant", "content": "I've sent the message"}, dict(ANY_UPDATE)]
    with Simulator(api_key=TEST_KEY) as second:
        assert (await _complete(second, polled)).startswith("There is no pending task")
