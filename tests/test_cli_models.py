"""The real `asi-chat` against the simulator: models, web search, options, system prompts, tool calls."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TEST_KEY
from tests.test_cli import asi, no_traceback


def test_asi1_is_the_default_model(sim_env, sim) -> None:
    data = json.loads(asi(sim_env, "ask", "--json", "hello").stdout)
    assert data["model"] == "asi1" and sim.requests[-1].body["model"] == "asi1"
    assert data["tool_calls"] == []
    result = asi(sim_env, "ask", "--model", "asi1", "hello")
    assert result.returncode == 0 and "## Hello" in result.stdout


def test_a_name_only_the_server_offers_works(sim_env, sim) -> None:
    result = asi(sim_env, "ask", "--model", "asi1-graph", "--json", "hello")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"] == "asi1-graph" == sim.requests[-1].body["model"]


def test_a_refused_model_says_how_to_switch(sim_env, sim) -> None:
    result = asi(sim_env, "ask", "--model", "gpt-9", "hello")
    no_traceback(result)
    assert result.returncode == 4 and result.stdout == ""
    (line,) = [l for l in result.stderr.splitlines() if l.startswith("asi-chat:")]
    assert "does not offer the model 'gpt-9'" in line and "f2 in the app" in line and "--model" in line
    assert "asi1, asi1-ultra" in line
    assert len(sim.requests) == 1  # a refusal is not retried


def test_models_json_merges_catalogue_and_server(sim_env) -> None:
    result = asi(sim_env, "models", "--json")
    assert result.returncode == 0 and result.stderr == ""
    models = {m["name"]: m for m in json.loads(result.stdout)}
    assert models["asi1"]["source"] == "both" and models["asi1"]["default"] is True
    assert models["asi1"]["context_tokens"] == 200_000 and models["asi1"]["agentic"] is True
    assert models["asi1-graph"] == {"name": "asi1-graph", "source": "server", "agentic": None,
                                    "context_tokens": None, "purpose": None, "latency": None, "default": False}
    text = asi(sim_env, "models").stdout
    assert "asi1-fast-agentic" in text and "24K tokens" in text and "unknown window" in text


def test_models_says_when_it_falls_back(sim_env, sim) -> None:
    assert asi(sim_env, "models").returncode == 0  # fills the cache
    sim.models_reply = (0, 200, "text/html", b"<html>maintenance</html>")
    result = asi(sim_env, "models", "--json")
    assert result.returncode == 0 and "cached earlier" in result.stderr
    assert "asi1-graph" in [m["name"] for m in json.loads(result.stdout)]
    env = {**sim_env, "ASI_CHAT_DB": sim_env["ASI_CHAT_DB"] + "-other"}
    env.update(ASI_ONE_BASE_URL="http://127.0.0.1:9/v1")
    result = asi(env, "models")
    no_traceback(result)
    assert result.returncode == 0 and "built-in catalogue only" in result.stderr and "asi1-mini" in result.stdout


def test_web_search_is_sent_only_on_request_and_shown(sim_env, sim) -> None:
    asi(sim_env, "ask", "hello")
    assert "web_search" not in sim.requests[-1].body
    result = asi(sim_env, "ask", "--web-search", "--json", "giraffe height record")
    assert sim.requests[-1].body["web_search"] is True
    data = json.loads(result.stdout)
    (call,) = data["tool_calls"]
    assert call["name"] == "web_search" and json.loads(call["args"]) == {"query": "giraffe height record"}
    assert "Wikipedia" in call["result"] and "I searched the web" in data["content"]
    plain = asi(sim_env, "ask", "--continue", "search the web for okapi facts")
    assert "web_search" not in sim.requests[-1].body  # the flag was for one turn
    assert "🔧 web_search: okapi facts → 1. Okapi Facts" in plain.stderr and "🔧" not in plain.stdout
    assert plain.stderr.count("🔧") == 1  # announced, then its result: one line


def test_tool_calls_in_show_export_import_and_search(sim_env, tmp_path) -> None:
    data = json.loads(asi(sim_env, "ask", "--json", "hello !sim:websearch").stdout)
    cid = str(data["conversation_id"])
    shown = asi(sim_env, "show", cid).stdout
    assert "🔧 web_search: hello → 1. Hello - Wikipedia" in shown
    assert asi(sim_env, "export", cid).stdout == shown
    out = tmp_path / "conv.json"
    asi(sim_env, "export", cid, "--format", "json", "-o", str(out))
    exported = json.loads(out.read_text())
    assert exported["messages"][1]["tool_calls"][0]["name"] == "web_search"
    hits = json.loads(asi(sim_env, "search", "--json", "hello").stdout)
    assert any(h["role"] == "assistant" and "🔧 web_search" in h["snippet"] for g in hits for h in g["matches"])
    # A word only the tool result holds still finds the reply.
    hits = json.loads(asi(sim_env, "search", "--json", "Wikipedia").stdout)
    assert [(h["role"], h["snippet"].split(":")[0]) for g in hits for h in g["matches"]] == [
        ("assistant", "🔧 web_search")]
    assert TEST_KEY not in out.read_text()


def test_huge_missing_and_hostile_tool_calls(sim_env) -> None:
    huge = json.loads(asi(sim_env, "ask", "--json", "hello !sim:websearch=huge").stdout)
    assert huge["tool_calls"][0]["result"].endswith("[cut: 80,000 more characters]")
    shown = asi(sim_env, "show", str(huge["conversation_id"])).stdout
    assert len(shown) < 5000 and "more characters)" in shown
    missing = asi(sim_env, "ask", "--json", "hello !sim:websearch=missing")
    assert missing.returncode == 0, missing.stderr
    assert json.loads(missing.stdout)["tool_calls"] == [
        {"id": "call-1", "name": "web_search", "args": "{}", "result": None}]
    assert "🔧 web_search …" in missing.stderr  # no result ever came: shown when the reply ended
    hostile = asi(sim_env, "ask", "hello !sim:websearch=hostile")
    assert hostile.returncode == 0 and "🔧 web_search" in hostile.stderr
    cid = json.loads(asi(sim_env, "list", "--json").stdout)[0]["id"]
    for text in (hostile.stderr, asi(sim_env, "show", str(cid)).stdout,
                 asi(sim_env, "export", str(cid), "--format", "json").stdout):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\x9b" not in text


def test_system_prompt_is_stored_sent_first_and_kept(sim_env, sim) -> None:
    result = asi(sim_env, "ask", "--system", "Answer like a pirate.", "hello")
    assert result.stdout.startswith("(Following the system prompt: “Answer like a pirate.”)")
    assert sim.requests[-1].messages[0] == {"role": "system", "content": "Answer like a pirate."}
    asi(sim_env, "ask", "--continue", "and again")
    assert sim.requests[-1].messages[0]["content"] == "Answer like a pirate."
    cid = json.loads(asi(sim_env, "list", "--json").stdout)[0]["id"]
    assert "Answer like a pirate." in asi(sim_env, "show", str(cid)).stdout
    # A default from the config file applies to conversations without their own.
    config = sim_env["ASI_CHAT_DB"] + ".toml"
    with open(config, "w") as handle:
        handle.write('system_prompt = "Be terse."\ntemperature = 0.3\nmax_tokens = 200\n')
    asi({**sim_env, "ASI_CHAT_CONFIG": config}, "ask", "hello")
    body = sim.requests[-1].body
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}
    assert body["temperature"] == 0.3 and body["max_tokens"] == 200


def test_temperature_and_max_tokens_flags(sim_env, sim) -> None:
    asi(sim_env, "ask", "--temperature", "1.5", "--max-tokens", "64", "hello")
    assert sim.requests[-1].body["temperature"] == 1.5 and sim.requests[-1].body["max_tokens"] == 64
    asi(sim_env, "ask", "hello")
    assert "temperature" not in sim.requests[-1].body and "max_tokens" not in sim.requests[-1].body


@pytest.mark.parametrize("args,needle", [
    (["--temperature", "3"], "--temperature"),
    (["--temperature", "warm"], "--temperature"),
    (["--max-tokens", "0"], "--max-tokens"),
])
def test_bad_option_values_are_usage_errors(sim_env, sim, args, needle) -> None:
    result = asi(sim_env, "ask", *args, "hello")
    no_traceback(result)
    assert result.returncode == 2 and needle in result.stderr and sim.requests == []


def test_bad_option_values_in_the_config_file(sim_env, sim, tmp_path) -> None:
    config = str(tmp_path / "config.toml")
    with open(config, "w") as handle:
        handle.write("temperature = 5\n")
    result = asi({**sim_env, "ASI_CHAT_CONFIG": config}, "ask", "hello")
    no_traceback(result)
    assert result.returncode == 2 and "Invalid value for temperature" in result.stderr and sim.requests == []
