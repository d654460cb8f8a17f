"""Rough edges of the shell commands a new user hits first."""

from __future__ import annotations

import json
import subprocess
import sys

from app.core.store.store import Store
from tests.test_cli import asi, no_traceback


def test_ask_json_without_reasoning_has_no_reasoning_key(sim_env) -> None:
    result = asi(sim_env, "ask", "--json", "--no-reasoning", "tell me about giraffes")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "reasoning" not in data and data["content"].lstrip().startswith("Giraffes")
    with_reasoning = json.loads(asi(sim_env, "ask", "--json", "tell me about giraffes").stdout)
    assert with_reasoning["reasoning"].strip()


def test_ask_in_a_missing_conversation_is_a_usage_error(sim_env) -> None:
    result = asi(sim_env, "ask", "-C", "9999", "hello")
    assert result.returncode == 2
    assert result.stderr.strip() == "asi-chat: conversation 9999 does not exist (`asi-chat list` shows them)."


def test_ask_into_a_closed_pipe_still_stores_the_whole_reply(sim_env, db_path) -> None:
    # 400 kB: far more than a pipe holds, so the writer meets the closed pipe mid-reply.
    proc = subprocess.Popen([sys.executable, "-m", "app", "ask", "--no-reasoning", "long one !sim:big=400000"],
                            env=sim_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert first.startswith(b"## Part 1") and "Traceback" not in err and "Broken pipe" not in err
    store = Store(db_path)
    (_, reply) = store.messages(store.latest_conversation().id)
    assert reply.status == "complete" and len(reply.content) >= 399_000


def test_list_and_search_under_head_exit_quietly(sim_env, db_path) -> None:
    store = Store(db_path)
    for n in range(3000):  # more than a pipe holds
        store.create_conversation("asi1-mini", title=f"hello {n} " + "padding " * 10)
    store.close()
    for command in ("list --limit 3000", "search hello --limit 3000"):
        done = subprocess.run(f"{sys.executable} -m app {command} | head -1; exit ${{PIPESTATUS[0]}}",
                              shell=True, executable="/bin/bash", env=sim_env, capture_output=True, text=True)
        assert done.returncode == 0 and done.stderr == "" and done.stdout.count("\n") == 1, (command, done.stderr)


def test_list_of_an_empty_history_says_so(sim_env) -> None:
    result = asi(sim_env, "list")
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.strip() == "No conversations yet."


def test_search_lists_each_conversation_once_with_its_snippets(sim_env) -> None:
    asi(sim_env, "ask", "tell me about giraffes")
    asi(sim_env, "ask", "hello world")
    result = asi(sim_env, "search", "giraffes")
    no_traceback(result)
    headers = [line for line in result.stdout.splitlines() if not line.startswith("        ")]
    assert headers == ["     1  tell me about giraffes  [title]"]
    snippets = [line.strip() for line in result.stdout.splitlines() if line.startswith("        ")]
    assert snippets[0] == "[user] tell me about «giraffes»" and snippets[1].startswith("[assistant] ")
    (found,) = json.loads(asi(sim_env, "search", "--json", "giraffes").stdout)
    assert found["conversation_id"] == 1 and found["title_matches"] is True
    assert [m["role"] for m in found["matches"]] == ["user", "assistant"]


def test_a_demo_wait_resumes_in_the_next_run(tmp_path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASI_")}
    env["ASI_CHAT_POLL_INTERVAL"] = "0.05"
    first = asi(env, "--demo", "ask", "--poll-attempts", "1", "draw a heron")
    assert first.returncode == 5, first.stderr  # the demo agent answers on its third poll
    resumed = asi(env, "--demo", "resume")  # a new process: a new simulator, the same job file
    assert resumed.returncode == 0, resumed.stderr
    assert "![generated-image](" in resumed.stdout and "no pending task" not in resumed.stdout.lower()
