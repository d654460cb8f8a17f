"""A hostile server sends one 50 MB SSE line: `ask` stops at 8 MB, says so in one line, keeps
the partial answer, and its memory stays bounded (measured as the child's peak RSS)."""

from __future__ import annotations

import os
import subprocess

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.reliability.helpers import ASI_CHAT, app_env, messages, one_clean_line

PEAK_RSS_LIMIT_MB = 400  # unbounded: 951 MB. Bounded: 57 MB on an idle machine, 127-263 MB on a busy one (why is not found yet)


def run_measured(env: dict[str, str], *args: str) -> tuple[int, str, float]:
    """Run `asi-chat ARGS`; its exit code, stderr and peak resident memory in MB."""
    with subprocess.Popen([str(ASI_CHAT), *args], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as child:
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, stderr, usage.ru_maxrss / 1024


def test_a_50_mb_line_fails_the_turn_with_bounded_memory(tmp_path) -> None:
    db = tmp_path / "history.db"
    with Simulator(api_key=TEST_KEY) as sim:
        env = app_env(sim.base_url, db)
        code, stderr, peak_mb = run_measured(env, "ask", "--no-reasoning", "tell me about llamas !sim:huge-line=50000000")
    print(f"ask peak RSS with a 50 MB line: {peak_mb:.0f} MB")
    assert code != 0
    one_clean_line(stderr, "an event from the server was larger than 8 MB")
    assert peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    reply = [m for m in messages(db) if m["role"] == "assistant"]
    assert reply and reply[-1]["content"] and "xxxx" not in reply[-1]["content"]
