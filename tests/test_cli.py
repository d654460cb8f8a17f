"""The real `asi-chat` program in a subprocess, against the simulator over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.simulator import Simulator
from tests.conftest import TEST_KEY


def asi(env: dict[str, str], *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, input=input,
                          capture_output=True, text=True, timeout=timeout)


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_ask_streams_reasoning_to_stderr_and_answer_to_stdout(sim_env) -> None:
    result = asi(sim_env, "ask", "hello")
    assert result.returncode == 0, result.stderr
    assert "## Hello" in result.stdout and "The user is asking" not in result.stdout
    assert "The user is asking" in result.stderr
    assert "\x1b[" not in result.stderr  # not a TTY: plain text


def test_ask_no_reasoning(sim_env) -> None:
    result = asi(sim_env, "ask", "--no-reasoning", "hello")
    assert result.returncode == 0 and "## Hello" in result.stdout
    assert "The user is asking" not in result.stderr


def test_ask_json(sim_env, sim) -> None:
    result = asi(sim_env, "ask", "--json", "hello")
    data = json.loads(result.stdout)
    assert data["content"].startswith("## Hello") and data["reasoning"].strip()
    assert data["session_id"] == sim.requests[-1].session_id
    assert data["model"] == "asi1" and data["usage"]["total_tokens"] > 0
    assert TEST_KEY not in result.stdout


def test_ask_waits_for_the_agent_and_prints_only_the_result(sim_env) -> None:
    result = asi(sim_env, "ask", "generate an image of a monkey on a mountain")
    assert result.returncode == 0, result.stderr
    assert "I've sent the message" not in result.stdout
    assert "![generated-image](http://127.0.0.1" in result.stdout
    assert "I've sent the message" in result.stderr and "poll 1/24" in result.stderr


def test_continue_and_conversation_reuse_the_session(sim_env, sim) -> None:
    asi(sim_env, "ask", "hello")
    asi(sim_env, "ask", "--continue", "more please")
    first = json.loads(asi(sim_env, "list", "--json").stdout)[0]
    asi(sim_env, "ask", "--conversation", str(first["id"]), "and more")
    assert len({r.session_id for r in sim.requests}) == 1
    assert [m["content"] for m in sim.requests[-1].messages if m["role"] == "user"] == [
        "hello", "more please", "and more"]


def test_prompt_from_stdin(sim_env) -> None:
    result = asi(sim_env, "ask", "-", input="hello from stdin\n")
    assert result.returncode == 0 and "hello from stdin" in result.stdout


@pytest.mark.parametrize("args,code,message", [
    (["ask", "   "], 2, "prompt is empty"),
    (["ask", "--model", "gpt-9", "hi"], 4, "does not offer the model 'gpt-9'"),
    (["ask", "--conversation", "999", "hi"], 2, "conversation 999 does not exist"),
    (["show", "999"], 2, "No conversation with id 999"),
    (["ask", "hello !sim:status=503*9"], 4, "Gave up after 3 retries"),
    (["ask", "--poll-attempts", "2", "draw a fox !sim:never"], 5, "has not answered after 2 polls"),
])
def test_exit_codes(sim_env, args, code, message) -> None:
    result = asi(sim_env, *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    no_traceback(result)


def test_wrong_key_exits_3(sim_env) -> None:
    result = asi({**sim_env, "ASI_ONE_API_KEY": "sk-wrong"}, "ask", "hello")
    assert result.returncode == 3 and "failed to authenticate user" in result.stderr
    no_traceback(result)


def test_missing_key_exits_2_with_a_hint(sim_env) -> None:
    env = {k: v for k, v in sim_env.items() if k != "ASI_ONE_API_KEY"}
    result = asi(env, "ask", "hello")
    assert result.returncode == 2 and "ASI_ONE_API_KEY" in result.stderr and "--demo" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_connection_refused_exits_4(sim_env) -> None:
    with Simulator() as gone:
        url = gone.base_url
    result = asi({**sim_env, "ASI_ONE_BASE_URL": url}, "ask", "hello")
    assert result.returncode == 4 and "Could not connect" in result.stderr
    no_traceback(result)


def test_cut_mid_stream_prints_partial_and_exits_4(sim_env) -> None:
    result = asi(sim_env, "ask", "hello !sim:cut=4")
    assert result.returncode == 4 and result.stdout.strip()
    assert "cut off" in result.stderr


def test_ctrl_c_exits_130_and_keeps_the_partial_reply(db_path: Path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.05) as slow:
        env = {**os.environ, "ASI_ONE_API_KEY": TEST_KEY, "ASI_ONE_BASE_URL": slow.base_url,
               "ASI_CHAT_DB": str(db_path)}
        proc = subprocess.Popen([sys.executable, "-m", "app", "ask", "hello there"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.read(8)  # the answer has started
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    show = asi(env, "show", "1")
    assert "interrupted" in show.stdout


def test_list_search_show_export_rename_delete(sim_env, tmp_path) -> None:
    asi(sim_env, "ask", "tell me about giraffes")
    asi(sim_env, "ask", "hello world")
    listed = asi(sim_env, "list")
    assert "hello world" in listed.stdout.splitlines()[0]  # newest first
    hits = json.loads(asi(sim_env, "search", "--json", "giraffes").stdout)
    assert hits and hits[0]["title"] == "tell me about giraffes"
    assert "Giraffes are fascinating" in asi(sim_env, "show", "1").stdout
    out = tmp_path / "c.json"
    assert asi(sim_env, "export", "1", "--format", "json", "-o", str(out)).returncode == 0
    data = json.loads(out.read_text())
    assert data["messages"][1]["reasoning"].startswith("\nThe user has asked about giraffes")
    assert TEST_KEY not in out.read_text()
    md = asi(sim_env, "export", "1", "--format", "md").stdout
    assert md.startswith("# tell me about giraffes") and "Reasoning" in md
    assert asi(sim_env, "rename", "1", "Giraffe", "facts").returncode == 0
    assert "Giraffe facts" in asi(sim_env, "list").stdout
    assert asi(sim_env, "delete", "1", input="n\n").returncode != 0
    assert asi(sim_env, "delete", "1", "--yes").returncode == 0
    assert "Giraffe facts" not in asi(sim_env, "list").stdout
    assert asi(sim_env, "search", "hostile \" AND NOT * NEAR( )").returncode == 0


def test_list_marks_waits_and_resume_completes_them(sim_env, sim) -> None:
    result = asi(sim_env, "ask", "--poll-attempts", "1", "draw a heron")
    assert result.returncode == 5
    assert "⏳" in asi(sim_env, "list").stdout
    assert json.loads(asi(sim_env, "list", "--json").stdout)[0]["waiting"] is True
    resumed = asi(sim_env, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "![generated-image](" in resumed.stdout
    assert "⏳" not in asi(sim_env, "list").stdout


def test_corrupt_database_is_reported_and_left_untouched(sim_env, db_path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is not a database" * 100
    db_path.write_bytes(garbage)
    result = asi(sim_env, "ask", "hello")
    assert result.returncode != 0 and "left untouched" in result.stderr
    no_traceback(result)
    assert db_path.read_bytes() == garbage


def test_unwritable_database_directory(sim_env, tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = asi({**sim_env, "ASI_CHAT_DB": str(locked / "sub" / "h.db")}, "ask", "hello")
    finally:
        locked.chmod(0o700)
    if os.geteuid() == 0 and result.returncode == 0:
        pytest.skip("running as root: directory permissions are not enforced")
    assert result.returncode != 0 and str(locked) in result.stderr
    no_traceback(result)


def test_database_path_under_a_file_is_reported(sim_env, tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result = asi({**sim_env, "ASI_CHAT_DB": str(blocker / "sub" / "h.db")}, "ask", "hello")
    assert result.returncode != 0 and str(blocker) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    no_traceback(result)


def test_demo_commands_show_the_sample_history_on_a_fresh_machine(tmp_path) -> None:
    """`list --demo` before the app ever ran: the same sample conversations the app's demo has."""
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    for key in ("ASI_ONE_API_KEY", "ASI_CHAT_DB", "ASI_ONE_BASE_URL"):
        env.pop(key, None)
    listed = asi(env, "list", "--demo")
    assert listed.returncode == 0, listed.stderr
    assert "giraffes" in listed.stdout and "monkey" in listed.stdout
    again = asi(env, "list", "--demo")  # seeded once, not per command
    assert again.stdout == listed.stdout
    assert not (tmp_path / "data" / "asi-chat" / "history.db").exists()  # the real history untouched
