"""The agent's sessions in-process, on the real chat service, store and simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from acp import RequestError
from acp.schema import EnvVariable, McpServerStdio

from app.acp.agent import AsiChatAgent
from app.core.config import load_settings
from app.core.runtime import make_runtime, open_store
from tests.conftest import TEST_KEY


@pytest.fixture
async def agent(sim, db_path: Path):
    settings = load_settings({"api_key": TEST_KEY, "base_url": sim.base_url, "db": db_path})
    runtime = make_runtime(settings, open_store(settings))
    yield AsiChatAgent(runtime)
    await runtime.aclose()
    runtime.store.close()


async def test_the_mcp_servers_the_editor_passes_are_kept_with_the_session(agent, tmp_path):
    server = McpServerStdio(name="files", command="/usr/bin/mcp-files", args=["--root", str(tmp_path)],
                            env=[EnvVariable(name="MODE", value="ro")])
    session = await agent.new_session(cwd=str(tmp_path), mcp_servers=[server])
    assert agent.sessions[session.session_id].mcp_servers == [server]
    assert agent.store.get_conversation(int(session.session_id)).model == "asi1"


async def test_a_session_that_is_not_a_conversation_is_a_clear_error(agent, tmp_path):
    for bad in ("nope", "12345"):
        with pytest.raises(RequestError) as caught:
            await agent.load_session(cwd=str(tmp_path), session_id=bad, mcp_servers=[])
        assert caught.value.code == -32002


def test_only_protocol_messages_reach_the_real_stdout():
    """Once `take_stdout` ran, a stray print lands on stderr; the protocol fd is the old stdout."""
    code = ("import os; from app.acp.transport import take_stdout; fd = take_stdout(); "
            "print('stray print'); os.write(fd, b'{}\\n')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.stdout == "{}\n"
    assert done.stderr == "stray print\n"
