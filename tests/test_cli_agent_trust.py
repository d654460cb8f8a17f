"""`agents show` (trust signals, insights), pinning or addressing a handle the marketplace
does not know, and `agents used` showing each agent once with its rating."""

from __future__ import annotations

import json

from app.simulator import Simulator
from tests.test_cli import asi, no_traceback


def _env(sim_env: dict, sim: Simulator) -> dict:
    return {**sim_env, "ASI_CHAT_AGENTVERSE_URL": sim.origin}


def test_agents_show_gives_rating_interactions_success_and_asi_one_counts(sim_env, sim) -> None:
    env = _env(sim_env, sim)
    result = asi(env, "agents", "show", "@image-gen-hidream", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["name"] == "Image Generation HiDream-I1" and data["listed"] and data["checked"]
    assert data["rating"] > 0 and data["total_interactions"] > 0 and data["recent_interactions"] > 0
    assert 0 < data["recent_success_rate"] <= 1
    assert data["asi1_interactions"] > 0 and 0 < data["asi1_successes"] <= data["asi1_interactions"]
    assert "/v1/search/analytics/insights/agent1q" in " ".join(sim.gets)
    text = asi(env, "agents", "show", "image-gen-hidream")
    assert "recent success rate" in text.stdout and "via ASI:One" in text.stdout and "# Image Generation" in text.stdout


def test_insights_that_are_not_available_are_simply_absent(sim_env, sim) -> None:
    data = json.loads(asi(_env(sim_env, sim), "agents", "show", "@flight-finder", "--json").stdout)
    assert data["rating"] is not None and data["asi1_interactions"] is None and data["asi1_successes"] is None
    text = asi(_env(sim_env, sim), "agents", "show", "@flight-finder")
    assert text.returncode == 0 and "via ASI:One" not in text.stdout


def test_pin_refuses_an_unknown_handle_unless_forced_and_pins_offline(sim_env, sim) -> None:
    env = _env(sim_env, sim)
    refused = asi(env, "agents", "pin", "@does-not-exist")
    assert refused.returncode == 2 and "@does-not-exist is not in the Agentverse marketplace" in refused.stderr
    no_traceback(refused)
    assert json.loads(asi(env, "agents", "pinned", "--json").stdout) == []
    forced = asi(env, "agents", "pin", "--force", "@does-not-exist")
    assert forced.returncode == 0, forced.stderr
    offline = asi({**sim_env, "ASI_CHAT_AGENTVERSE_URL": "http://127.0.0.1:9"}, "agents", "pin", "@somebody-else")
    assert offline.returncode == 0 and "could not check @somebody-else" in offline.stderr
    pinned = {a["handle"] for a in json.loads(asi(env, "agents", "pinned", "--json").stdout)}
    assert pinned == {"does-not-exist", "somebody-else"}
    missing = asi(env, "agents", "show", "@does-not-exist-either")
    assert missing.returncode == 2 and "is not in the Agentverse marketplace" in missing.stderr


def test_ask_agent_with_an_unknown_handle_says_so_and_still_asks(sim_env, sim) -> None:
    result = asi(_env(sim_env, sim), "ask", "--agent", "@no-such-agent", "hello there")
    assert result.returncode == 0, result.stderr
    assert "@no-such-agent is not in the Agentverse marketplace; sending anyway." in result.stderr
    known = asi(_env(sim_env, sim), "ask", "--agent", "@flight-finder", "a flight to Oslo")
    assert "not in the Agentverse marketplace" not in known.stderr


def test_agents_used_shows_an_agent_once_with_its_listing(sim_env, sim) -> None:
    env = _env(sim_env, sim)
    asi(env, "ask", "draw a monkey")  # the image agent: named by its manifest
    asi(env, "ask", "--agent", "@image-gen-hidream", "draw a cat")  # and addressed by handle
    used = json.loads(asi(env, "agents", "used", "--json").stdout)
    assert [(u["handle"], u["use_count"]) for u in used] == [("image-gen-hidream", 2)]
    assert used[0]["listing"]["rating"] > 0 and used[0]["listing"]["readme"].startswith("# Image Generation")
    table = asi(env, "agents", "used").stdout
    assert table.count("image-gen-hidream") == 1 and "RATING" in table
