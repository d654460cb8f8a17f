"""`ask -v` prints the turn's trace live, `show --trace` the stored one, `ask --json` has it."""

from __future__ import annotations

import json
import os

from tests.test_cli import asi, no_traceback

PROGRESS = ["Generating…", "Still working on it, the image will be ready in about 20 seconds."]


def test_ask_verbose_prints_the_trace_live_and_show_trace_prints_it_from_storage(sim_env) -> None:
    result = asi(sim_env, "ask", "-v", "--no-reasoning", "draw a monkey !sim:progress=2")
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert result.stdout.rstrip().endswith(")") and "![generated-image](http://127.0.0.1" in result.stdout
    assert not any(p in result.stdout for p in PROGRESS)  # progress is not the answer
    lines = [line for line in result.stderr.splitlines() if line[:1] in "✓◐✗○"]
    titles = [line.split(None, 3)[3] for line in lines]
    assert any(t.startswith("progress Generating…") for t in titles)
    assert any(t.startswith("progress Still working on it") for t in titles)
    assert any("poll 1/24: progress" in t for t in titles) and any("poll 2/24: progress" in t for t in titles)
    assert any("agent    Image Generation HiDream-I1 (@image-gen-hidream)" in t for t in titles)
    assert any(t.startswith("delivery delivered 1 image") for t in titles)
    shown = asi(sim_env, "show", "--trace", "1")
    assert shown.returncode == 0, shown.stderr
    stored = shown.stdout.split("## Trace of reply", 1)[1].splitlines()[2:]
    stored_titles = [line.split(None, 3)[3] for line in stored if line.strip()]
    # every step as it ended, in the order it began: the live lines' last word on each
    assert {t.split()[0] for t in stored_titles} >= {"ack", "agent", "progress", "poll", "delivery", "usage"}
    assert [t for t in stored_titles if t.startswith("progress")] == [
        t for t in titles if t.startswith("progress")]


def test_ask_json_has_the_trace_as_a_list_of_objects(sim_env) -> None:
    result = asi(sim_env, "ask", "--json", "draw a monkey !sim:progress=2")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    trace = data["trace"]
    assert isinstance(trace, list) and all(isinstance(s, dict) for s in trace)
    assert [s["title"] for s in trace if s["kind"] == "progress"] == PROGRESS
    assert {"index", "time", "kind", "status", "title", "content", "agent", "data"} <= set(trace[0])
    exported = json.loads(asi(sim_env, "export", "--format", "json", str(data["conversation_id"])).stdout)
    assert [m["trace"] for m in exported["messages"] if "trace" in m][0][0]["kind"] == trace[0]["kind"]


def test_two_agents_in_sequence_and_an_agent_storage_link(sim_env) -> None:
    result = asi(sim_env, "ask", "-v", "--json", "draw a monkey !sim:two-agents")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    agents = [s for s in data["trace"] if s["kind"] == "agent"]
    assert [a["agent"] for a in agents] == ["image-gen-hidream", "ref-image-agent"]
    assert "agent-storage://http://127.0.0.1" in data["content"]
    assert data["images"] and data["images"][0].startswith("http://127.0.0.1")  # the prefix stripped


def test_demo_draw_a_monkey_goes_through_an_agent_that_sends_progress(tmp_path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "ASI_CHAT_POLL_INTERVAL": "0.2"}
    for key in ("ASI_ONE_API_KEY", "ASI_CHAT_DB", "ASI_ONE_BASE_URL"):
        env.pop(key, None)
    result = asi(env, "--demo", "ask", "-v", "--no-reasoning", "draw a monkey")
    assert result.returncode == 0, result.stderr
    assert "progress Generating…" in result.stderr and "progress Still working on it" in result.stderr
    assert "poll 2/24: progress" in result.stderr
    assert result.stdout.rstrip().endswith(")") and "/agentverse/production/storage/" in result.stdout


def test_a_megabyte_manifest_does_not_stall_the_turn_and_is_kept_capped(sim_env) -> None:
    import time

    started = time.monotonic()
    result = asi(sim_env, "ask", "--json", "draw a monkey !sim:big-manifest=1000000")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 15  # the 1 MB chunk is read, capped and passed on
    data = json.loads(result.stdout)
    capped = [s for s in data["trace"] if s["kind"] == "manifest" and "capped copy kept" in s["title"]]
    assert capped and "1,0" in capped[0]["title"]
    assert any("Image Generation HiDream-I1" in s["title"] for s in data["trace"] if s["kind"] == "manifest")
    exported = json.loads(asi(sim_env, "export", "--format", "json", str(data["conversation_id"])).stdout)
    extras = [m["extras"] for m in exported["messages"] if m.get("extras")]
    assert extras and "capped" in extras[0] and len(json.dumps(extras[0])) < 250_000
