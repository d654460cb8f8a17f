"""One rule for what does not exist, piped prompts, and the storage exit code (issue 22, item 10)."""

from __future__ import annotations

import pytest

from tests.test_cli import asi, no_traceback


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Usage:" not in stderr and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("args", [
    ["show", "999"], ["rename", "999", "new title"], ["delete", "999", "--yes"], ["export", "999"],
    ["export", "999", "--format", "json"], ["resume", "999"], ["images", "save", "999", "/tmp"],
    ["ask", "-C", "999", "hi"],
])
def test_what_does_not_exist_is_one_line_and_exit_2(sim_env, sim, args) -> None:
    assert asi(sim_env, "ask", "hello").returncode == 0  # a history, just not that id
    before = len(sim.requests)
    result = asi(sim_env, *args)
    assert result.returncode == 2, result.stderr
    assert "999" in one_line(result.stderr) and result.stdout == ""
    assert len(sim.requests) == before  # nothing was sent


def test_ask_reads_a_piped_prompt_without_a_dash(sim_env, sim) -> None:
    result = asi(sim_env, "ask", input="hello from a pipe\n")
    assert result.returncode == 0, result.stderr
    assert sim.requests[-1].messages[-1]["content"] == "hello from a pipe\n"


def test_ask_with_nothing_piped_says_so(sim_env, sim) -> None:
    result = asi(sim_env, "ask", input="")
    assert result.returncode == 2 and "prompt is empty" in result.stderr and not sim.requests


def test_ask_continue_on_an_empty_history_says_so(sim_env, sim, db_path) -> None:
    result = asi(sim_env, "ask", "-c", "follow-up")
    assert result.returncode == 2
    assert "history is empty" in one_line(result.stderr) and not sim.requests
    listed = asi(sim_env, "list", "--json")
    assert listed.stdout.strip() == "[]"  # no conversation was made for it


@pytest.mark.parametrize("args", [["list"], ["show", "1"], ["ask", "hello"], ["search", "x"]])
def test_a_damaged_history_has_its_own_exit_code(sim_env, sim, db_path, args) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is not a database" * 100
    db_path.write_bytes(garbage)
    result = asi(sim_env, *args)
    no_traceback(result)
    assert result.returncode == 6 and "left untouched" in one_line(result.stderr)
    assert db_path.read_bytes() == garbage and not sim.requests


def test_agents_show_of_an_unknown_handle_is_one_line_exit_2(sim_env) -> None:
    import subprocess

    from tests.reliability.helpers import ASI_CHAT

    result = subprocess.run([str(ASI_CHAT), "agents", "show", "@nonexistent-zz"], env=sim_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "Usage:" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "asi-chat: @nonexistent-zz is not in the Agentverse marketplace."
