"""`asi-chat acp` driven as an editor drives it, against the simulator: turns, waits, cancel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.simulator import Simulator
from tests.acp.helpers import editor, prompt, until
from tests.conftest import TEST_KEY
from tests.reliability.helpers import app_env, asi, messages, pending_waits

pytestmark = pytest.mark.timeout(120)


async def test_a_plain_turn_streams_reasoning_and_answer_and_is_in_the_history(sim, db_path: Path, tmp_path):
    env = app_env(sim.base_url, db_path)
    async with editor(env, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        reply = await conn.prompt(session_id=session.session_id, prompt=prompt("Tell me about comets"))
    assert reply.stop_reason == "end_turn"
    stored = messages(db_path, int(session.session_id))
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert client.text("agent_message_chunk") == stored[1]["content"]
    assert "You asked: “Tell me about comets”" in client.text("agent_message_chunk")
    assert client.text("agent_thought_chunk") == stored[1]["reasoning"] != ""
    listed = json.loads(asi(env, "list", "--json").stdout)
    assert [(c["id"], c["title"]) for c in listed] == [(int(session.session_id), "Tell me about comets")]
    assert "Traceback" not in (tmp_path / "stderr").read_text()


async def test_a_web_search_is_a_tool_call_that_completes(sim, db_path: Path, tmp_path):
    env = app_env(sim.base_url, db_path)
    async with editor(env, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        reply = await conn.prompt(session_id=session.session_id,
                                  prompt=prompt("search the web for okapi facts"))
    assert reply.stop_reason == "end_turn"
    starts = client.of_kind("tool_call")
    assert len(starts) == 1 and starts[0].kind == "search"
    assert starts[0].title.startswith("web_search")
    statuses = [u.status for u in client.tool_updates(starts[0].tool_call_id)]
    assert statuses[-1] == "completed" and "failed" not in statuses


async def test_draw_a_monkey_on_the_demo_then_list_and_load_in_a_new_process(db_path: Path, tmp_path):
    """The issue's 'done when': the wait names its agent, goes in_progress -> completed, the
    image link is in the answer, `list` shows the conversation, a new process replays it."""
    env = app_env(None, db_path)
    async with editor(env, "--demo", stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        reply = await asyncio.wait_for(
            conn.prompt(session_id=session.session_id, prompt=prompt("draw a monkey")), 60)
    assert reply.stop_reason == "end_turn"
    wait = client.of_kind("tool_call")[0]
    steps = client.tool_updates(wait.tool_call_id)
    statuses = [u.status for u in steps if u.status]
    assert statuses[0] == "pending" and statuses[-1] == "completed"
    assert "in_progress" in statuses
    assert statuses.index("in_progress") < statuses.index("completed")
    titles = [u.title for u in steps if u.title]
    assert "Image Generation HiDream-I1" in titles[-1]
    polls = [u for u in steps if u.status == "in_progress" and u.content and "poll " in u.content[0].content.text]
    assert polls, "each poll is an update of the wait's call"
    answer = client.text("agent_message_chunk")
    assert "![generated-image](http://127.0.0.1:" in answer and "/agentverse/production/storage/" in answer

    listed = json.loads(asi(env, "--demo", "list", "--json").stdout)
    mine = [c for c in listed if c["id"] == int(session.session_id)]
    assert mine and mine[0]["title"] == "draw a monkey" and not mine[0]["waiting"]

    async with editor(env, "--demo", stderr_to=tmp_path / "stderr") as (conn, again, _):
        await conn.load_session(cwd=str(tmp_path), session_id=session.session_id, mcp_servers=[])
    assert again.text("user_message_chunk") == "draw a monkey"
    replayed = again.text("agent_message_chunk")
    assert replayed.startswith("I've sent the message\n\nHere is your image:\n\n![generated-image](http://127.0.0.1:")
    assert "Traceback" not in (tmp_path / "stderr").read_text()


async def test_a_wait_left_when_the_editor_closed_is_resumed_by_load_exactly_once(sim, db_path: Path, tmp_path):
    slow = app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="30")
    async with editor(slow, stderr_to=tmp_path / "stderr") as (conn, client, process):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        task = asyncio.create_task(conn.prompt(session_id=session.session_id, prompt=prompt("draw a cat")))
        await until(lambda: client.of_kind("tool_call"), what="the wait to start")
    # The editor closed: the agent ended, the wait is kept pending.
    assert process.returncode == 0
    task.cancel()
    stored = messages(db_path, int(session.session_id))
    assert [m["status"] for m in stored] == ["complete", "awaiting-agent"]
    assert len(pending_waits(db_path)) == 1

    fast = app_env(sim.base_url, db_path)
    async with editor(fast, stderr_to=tmp_path / "stderr") as (conn, client, _):
        await conn.load_session(cwd=str(tmp_path), session_id=session.session_id, mcp_servers=[])
        assert client.text("user_message_chunk") == "draw a cat"
        await until(lambda: "![generated-image]" in client.text("agent_message_chunk"), what="the agent's image")
    assert client.text("agent_message_chunk").startswith("I've sent the message\n\nHere is your image:")
    wait = client.of_kind("tool_call")[0]
    assert "Image Generation" in wait.title
    assert client.tool_updates(wait.tool_call_id)[-1].status == "completed"
    stored = messages(db_path, int(session.session_id))
    assert [m["role"] for m in stored] == ["user", "assistant", "assistant"]  # one answer, not two
    assert "![generated-image]" in stored[-1]["content"] and not pending_waits(db_path)
    polls = [r for r in sim.requests if r.body.get("messages", [{}])[-1].get("content") == "Any update?"]
    assert len(polls) == sim.scenarios.agent_polls + 1


@pytest.fixture
def slow_sim():
    with Simulator(api_key=TEST_KEY, chunk_delay=0.02) as simulator:
        yield simulator


async def test_cancel_mid_stream_answers_cancelled_and_keeps_the_partial_reply(slow_sim, db_path: Path, tmp_path):
    env = app_env(slow_sim.base_url, db_path)
    async with editor(env, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        task = asyncio.create_task(conn.prompt(session_id=session.session_id,
                                               prompt=prompt("a long one !sim:tokens=3000")))
        await until(lambda: len(client.of_kind("agent_message_chunk")) >= 3, what="the answer to stream")
        await conn.cancel(session_id=session.session_id)
        reply = await asyncio.wait_for(task, 20)
    assert reply.stop_reason == "cancelled"
    stored = messages(db_path, int(session.session_id))[-1]
    assert stored["status"] == "interrupted"
    assert stored["content"] and client.text("agent_message_chunk").startswith(stored["content"][:20])


async def test_cancel_during_a_wait_keeps_the_wait_stopped(sim, db_path: Path, tmp_path):
    env = app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="30")
    async with editor(env, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        task = asyncio.create_task(conn.prompt(session_id=session.session_id, prompt=prompt("draw a dog")))
        await until(lambda: client.of_kind("tool_call"), what="the wait to start")
        await conn.cancel(session_id=session.session_id)
        reply = await asyncio.wait_for(task, 20)
    assert reply.stop_reason == "cancelled"
    wait = client.of_kind("tool_call")[0]
    assert client.tool_updates(wait.tool_call_id)[-1].status == "failed"
    listed = json.loads(asi(env, "list", "--json").stdout)
    assert not listed[0]["waiting"]  # stopped, not pending: `asi-chat resume` or F5 picks it up


async def test_the_model_is_a_config_option_kept_by_the_conversation(sim, db_path: Path, tmp_path):
    env = app_env(sim.base_url, db_path)
    async with editor(env, stderr_to=tmp_path / "stderr") as (conn, _, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        option = session.config_options[0].root if hasattr(session.config_options[0], "root") \
            else session.config_options[0]
        assert option.id == "model" and option.current_value == "asi1"
        assert "asi1-mini" in [o.value for o in option.options]
        changed = await conn.set_config_option(config_id="model", session_id=session.session_id, value="asi1-mini")
        await conn.prompt(session_id=session.session_id, prompt=prompt("hello"))
    assert changed.config_options[0].current_value == "asi1-mini"
    assert sim.requests[-1].body["model"] == "asi1-mini"
    listed = json.loads(asi(env, "list", "--json").stdout)
    assert listed[0]["model"] == "asi1-mini"


async def test_two_agents_starting_on_one_pending_wait_answer_it_once(sim, db_path: Path, tmp_path):
    slow = app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="30")
    async with editor(slow, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        task = asyncio.create_task(conn.prompt(session_id=session.session_id, prompt=prompt("draw a fox")))
        await until(lambda: client.of_kind("tool_call"), what="the wait to start")
    task.cancel()
    fast = app_env(sim.base_url, db_path)
    async with editor(fast, stderr_to=tmp_path / "stderr") as (one, first, _), \
            editor(fast, stderr_to=tmp_path / "stderr") as (two, second, _):
        await asyncio.gather(
            one.load_session(cwd=str(tmp_path), session_id=session.session_id, mcp_servers=[]),
            two.load_session(cwd=str(tmp_path), session_id=session.session_id, mcp_servers=[]))
        await until(lambda: not pending_waits(db_path), what="the wait to be answered")
    stored = messages(db_path, int(session.session_id))
    assert [m["role"] for m in stored] == ["user", "assistant", "assistant"]
    polls = [r for r in sim.requests if r.body.get("messages", [{}])[-1].get("content") == "Any update?"]
    assert len(polls) == sim.scenarios.agent_polls + 1


async def test_a_prompt_while_an_agent_still_works_gets_a_one_line_error(sim, db_path: Path, tmp_path):
    from acp import RequestError

    slow = app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="30")
    async with editor(slow, stderr_to=tmp_path / "stderr") as (conn, client, _):
        session = await conn.new_session(cwd=str(tmp_path), mcp_servers=[])
        task = asyncio.create_task(conn.prompt(session_id=session.session_id, prompt=prompt("draw an owl")))
        await until(lambda: client.of_kind("tool_call"), what="the wait to start")
        with pytest.raises(RequestError) as caught:
            await conn.prompt(session_id=session.session_id, prompt=prompt("and a cat?"))
        task.cancel()
    assert caught.value.code == -32000
    assert caught.value.args[0].startswith("A reply is still running in this conversation")
    assert [m["content"] for m in messages(db_path, int(session.session_id)) if m["role"] == "user"] == ["draw an owl"]
