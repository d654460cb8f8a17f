"""A poll reply that is not the agent's result is never announced as one."""

from __future__ import annotations

import pytest

from app.core.engine import TurnEngine
from app.core.errors import AgentWaitExhausted, AgentWaitLost
from app.core.request import TurnRequest
from app.core.wire.deferral import agent_finished, nothing_pending
from app.core.wire.events import TurnFailed, TurnFinal
from app.simulator import faults
from tests.reliability.helpers import app_env, asi, messages, pending_waits

ACK = "I've sent the message"
HISTORY = [{"role": "user", "content": "draw a heron"}, {"role": "assistant", "content": ACK}]


@pytest.mark.parametrize("reply", ["There is no pending task.", "there is no pending task for this session",
                                   "No pending request.", "  There's no active task…"])
def test_no_pending_task_is_not_the_agents_result(reply) -> None:
    assert nothing_pending(reply) and not agent_finished(reply, ACK)


@pytest.mark.parametrize("reply", ["Here is your image: ![x](https://a.example/x.png)",
                                   "There is no pending task, but here is a long answer about herons. " * 5])
def test_real_answers_still_finish_the_wait(reply) -> None:
    assert not nothing_pending(reply) and agent_finished(reply, ACK)


async def test_a_wait_the_server_forgot_fails_clearly(client) -> None:
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=5)
    request = TurnRequest(model="asi1-fast-agentic", session_id="9d1b2c3e-4f50-4a6b-8c7d-0e1f2a3b4c5d")
    events = [e async for e in engine.wait_for_agent(HISTORY, request)]
    assert not any(isinstance(e, TurnFinal) for e in events)
    failed = events[-1]
    assert isinstance(failed, TurnFailed) and isinstance(failed.error, AgentWaitLost)
    assert "no pending task" in str(failed.error).lower() and "without a result" in str(failed.error)


async def test_out_of_polls_says_poll_and_seconds(client, sim) -> None:
    sim.add_fault(faults.AgentNeverFinishes(), times=5)
    engine = TurnEngine(client, poll_interval=0.01, poll_attempts=1)
    request = TurnRequest(model="asi1-fast-agentic", session_id="1d1b2c3e-4f50-4a6b-8c7d-0e1f2a3b4c5d")
    events = [e async for e in engine.run([{"role": "user", "content": "draw a heron"}], request)]
    assert isinstance(events[-1].error, AgentWaitExhausted)
    assert "after 1 poll (0 s);" in str(events[-1].error)


def test_resume_against_a_server_that_forgot_the_job_ends_the_wait(sim, db_path) -> None:
    from app.simulator import Simulator
    from tests.conftest import TEST_KEY

    env = app_env(sim.base_url, db_path)
    assert asi(env, "ask", "--poll-attempts", "1", "draw a fox !sim:never").returncode == 5
    ((_, conversation_id, _),) = pending_waits(db_path)
    with Simulator(api_key=TEST_KEY) as fresh:  # a restarted server: the job is gone
        resumed = asi(app_env(fresh.base_url, db_path), "resume")
    assert resumed.returncode == 5 and "task is gone" in resumed.stderr
    assert "no pending task" not in resumed.stdout.lower()  # not printed as the answer
    assert pending_waits(db_path) == []  # not resumed again and again
    ack = messages(db_path, conversation_id)[-1]
    assert ack["status"] == "error" and "task is gone" in ack["error"]
