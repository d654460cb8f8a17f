"""`asi-chat acp` on raw JSON-RPC lines: bad input answered, stdout pure, stdin closed cleanly."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.reliability.helpers import ASI_CHAT, app_env, messages, wait_for

pytestmark = pytest.mark.timeout(120)


def _line(message: dict) -> bytes:
    return json.dumps(message).encode() + b"\n"


def _request(id_: int, method: str, params: dict) -> bytes:
    return _line({"jsonrpc": "2.0", "id": id_, "method": method, "params": params})


class RawEditor:
    """`asi-chat acp` with its stdin and stdout as pipes, read a line at a time."""

    def __init__(self, env: dict[str, str], stderr: Path) -> None:
        self._stderr = open(stderr, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen([str(ASI_CHAT), "acp"], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._stderr)

    def send(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def read(self) -> dict:
        """The next line of stdout, which must be one JSON-RPC message."""
        line = self.process.stdout.readline()
        assert line, "stdout ended"
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0"
        return message

    def answer(self, id_: int) -> dict:
        """Read until the answer to request `id_` (updates before it are skipped)."""
        while "id" not in (message := self.read()) or message.get("id") != id_ or "method" in message:
            pass
        return message

    def close(self) -> int:
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        self._stderr.close()
        return code


def test_bad_lines_get_json_rpc_errors_and_the_agent_keeps_serving(sim, db_path: Path, tmp_path: Path):
    editor = RawEditor(app_env(sim.base_url, db_path), tmp_path / "stderr")
    editor.send(b"this is not json\n")
    assert editor.read() == {"jsonrpc": "2.0", "id": None,
                             "error": {"code": -32700, "message": "Parse error: a line that is not JSON"}}
    editor.send(b"[1, 2, 3]\n")
    assert editor.read()["error"]["code"] == -32600
    editor.send(_request(1, "session/teleport", {}))
    assert editor.read() == {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found",
                                                                   "data": {"method": "session/teleport"}}}
    editor.send(_request(2, "session/prompt", {"sessionId": "999", "prompt": []}))
    assert editor.read()["error"]["code"] == -32002  # no such session
    editor.send(_request(3, "initialize", {"protocolVersion": 1}))
    reply = editor.read()
    assert reply["id"] == 3 and reply["result"]["protocolVersion"] == 1
    assert reply["result"]["agentCapabilities"]["loadSession"] is True
    assert editor.close() == 0
    assert (tmp_path / "stderr").read_text() == ""  # no traceback, no noise


def test_stdout_carries_only_protocol_messages_through_a_whole_turn(sim, db_path: Path, tmp_path: Path):
    editor = RawEditor(app_env(sim.base_url, db_path), tmp_path / "stderr")
    editor.send(_request(1, "initialize", {"protocolVersion": 1}))
    editor.send(_request(2, "session/new", {"cwd": str(tmp_path), "mcpServers": []}))
    session_id = editor.answer(2)["result"]["sessionId"]
    editor.send(_request(3, "session/prompt", {"sessionId": session_id,
                                               "prompt": [{"type": "text", "text": "draw a bird"}]}))
    assert editor.answer(3)["result"] == {"stopReason": "end_turn"}  # every line before it parsed as JSON-RPC
    assert editor.close() == 0
    log = (db_path.parent / "acp.log").read_text()
    assert "serving ACP on stdio" in log and "stdin closed" in log


@pytest.fixture
def slow_sim():
    with Simulator(api_key=TEST_KEY, chunk_delay=0.02) as simulator:
        yield simulator


def test_stdin_closed_mid_reply_ends_cleanly_and_keeps_what_arrived(slow_sim, db_path: Path, tmp_path: Path):
    editor = RawEditor(app_env(slow_sim.base_url, db_path), tmp_path / "stderr")
    editor.send(_request(1, "session/new", {"cwd": str(tmp_path), "mcpServers": []}))
    session_id = editor.answer(1)["result"]["sessionId"]
    editor.send(_request(2, "session/prompt", {"sessionId": session_id,
                                               "prompt": [{"type": "text", "text": "long !sim:tokens=3000"}]}))
    chunks = 0
    while chunks < 5:
        update = editor.read()["params"]["update"]
        chunks += update["sessionUpdate"] == "agent_message_chunk"
    started = time.monotonic()
    assert editor.close() == 0
    assert time.monotonic() - started < 10
    reply = wait_for(lambda: [m for m in messages(db_path, int(session_id)) if m["role"] == "assistant"],
                     what="the partial reply")[0]
    assert reply["status"] == "interrupted" and len(reply["content"].split()) >= 5
    assert "Traceback" not in (tmp_path / "stderr").read_text()
