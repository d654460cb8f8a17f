"""`asi-chat agents …` and `ask --agent`: the real program against the simulator's marketplace."""

from __future__ import annotations

import json

from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.test_cli import asi, no_traceback


def _env(sim_env: dict, sim: Simulator) -> dict:
    return {**sim_env, "ASI_CHAT_AGENTVERSE_URL": sim.origin}


def test_search_table_and_json(sim_env, sim) -> None:
    env = _env(sim_env, sim)
    table = asi(env, "agents", "search", "hidream", "--limit", "3")
    assert table.returncode == 0, table.stderr
    header, first, *_ = table.stdout.splitlines()
    assert header.split() == ["HANDLE", "NAME", "RATING", "INTERACTIONS", "SUCCESS"]
    assert first.startswith("@image-gen-hidream") and "Image Generation HiDream-I1" in first
    records = json.loads(asi(env, "agents", "search", "--json", "--limit", "50", "--sort", "interactions",
                             "--category", "Travel").stdout)
    assert records and {r["category"] for r in records} == {"Travel"}
    counts = [r["total_interactions"] for r in records]
    assert counts == sorted(counts, reverse=True)
    assert set(records[0]) >= {"address", "handle", "name", "rating", "recent_success_rate", "readme"}
    body = sim.marketplace.requests[-1].body
    assert body["limit"] == 50 and body["filters"] == {"category": ["Travel"]}
    assert all(TEST_KEY not in repr(r.headers) for r in sim.marketplace.requests)


def test_hostile_listing_reaches_the_shell_inert(sim_env, sim) -> None:
    result = asi(_env(sim_env, sim), "agents", "search", "totally", "safe")
    assert result.returncode == 0 and "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "[bold red]Totally Safe" in result.stdout


def test_failures_are_one_line_and_non_zero(sim_env, sim) -> None:
    env = _env(sim_env, sim)
    for query, words in (("!av:html", "sent a web page"), ("!av:garbage", "not a list of agents")):
        result = asi(env, "agents", "search", query)
        no_traceback(result)
        assert result.returncode == 4 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and words in result.stderr
    down = asi({**env, "ASI_CHAT_AGENTVERSE_URL": "http://127.0.0.1:9"}, "agents", "search", "x")
    assert down.returncode == 4 and "Could not reach http://127.0.0.1:9" in down.stderr.splitlines()[-1]
    no_traceback(down)


def test_rate_limit_is_announced(sim_env, sim) -> None:
    sim.marketplace.add_fault("429", retry_after=0.1)
    result = asi(_env(sim_env, sim), "agents", "search", "flight")
    assert result.returncode == 0 and "rate limited, retrying in 0 s" in result.stderr
    assert "@flight-finder" in result.stdout


def test_pin_unpin_pinned_and_used(sim_env, sim) -> None:
    env = _env(sim_env, sim)
    assert asi(env, "agents", "pinned").stderr.strip() == "No pinned agents."
    pinned = asi(env, "agents", "pin", "@ref-image-agent")
    assert pinned.returncode == 0 and "Pinned Ref Image Agent (@ref-image-agent)." in pinned.stderr
    (record,) = json.loads(asi(env, "agents", "pinned", "--json").stdout)
    assert record["pinned"] and record["listing"]["category"] == "Image Generation"
    assert asi(env, "agents", "unpin", "@ref-image-agent").returncode == 0
    assert json.loads(asi(env, "agents", "pinned", "--json").stdout) == []
    missing = asi(env, "agents", "unpin", "@ref-image-agent")
    assert missing.returncode == 1 and "not pinned" in missing.stderr
    bad = asi(env, "agents", "pin", "not a handle")
    assert bad.returncode == 2 and "Not an agent handle" in bad.stderr
    assert json.loads(asi(env, "agents", "used", "--json").stdout) == []


def test_pin_works_offline(sim_env, sim) -> None:
    env = {**sim_env, "ASI_CHAT_AGENTVERSE_URL": "http://127.0.0.1:9"}
    result = asi(env, "agents", "pin", "@flight-finder")
    assert result.returncode == 0 and "pinned without a listing" in result.stderr
    assert json.loads(asi(env, "agents", "pinned", "--json").stdout)[0]["handle"] == "flight-finder"


def test_ask_agent_addresses_it_and_reports_agents(sim_env, sim) -> None:
    env = _env(sim_env, sim)
    result = asi(env, "ask", "--json", "--agent", "@flight-finder", "a flight to Oslo")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert sim.requests[0].messages[-1]["content"] == "@flight-finder a flight to Oslo"
    assert [a["name"] for a in data["agents"]] == ["Flight Finder"]
    assert data["agents"][0]["handle"] == "flight-finder" and data["agents"][0]["address"].startswith("agent1q")
    used = json.loads(asi(env, "agents", "used", "--json").stdout)
    assert [(u["handle"], u["use_count"]) for u in used] == [("flight-finder", 1)]  # one turn, one use
    plain = asi(env, "ask", "--agent", "ref-image-agent", "purple sky @ref-image-agent please")
    assert plain.returncode == 0 and "Agents at work: Ref Image Agent (@ref-image-agent)" in plain.stderr
    # Already in the text: not prepended a second time.
    assert "purple sky @ref-image-agent please" in [m["content"] for m in sim.requests[-1].messages]


def test_ask_json_names_the_image_agent(sim_env, sim) -> None:
    data = json.loads(asi(_env(sim_env, sim), "ask", "--json", "draw an image of a fox").stdout)
    assert [a["name"] for a in data["agents"]] == ["Image Generation HiDream-I1"]


def test_agents_commands_accept_demo(tmp_path) -> None:
    import os

    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    result = asi(env, "agents", "search", "--demo", "flight", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["handle"] == "flight-finder"
    assert asi(env, "--demo", "agents", "used").returncode == 0


def test_ask_agent_rejects_a_bad_handle(sim_env, sim) -> None:
    result = asi(_env(sim_env, sim), "ask", "--agent", "not a handle", "hello")
    assert result.returncode == 2 and "Not an agent handle" in result.stderr and not sim.requests
