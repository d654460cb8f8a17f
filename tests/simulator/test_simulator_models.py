"""The simulator's model list, web search, system prompts and model refusals, on the raw wire."""

from __future__ import annotations

import httpx

from app.core.models import CATALOGUE
from tests.simulator.wire import KEY, TLS, chunks, content_pieces, get, headers, post


def test_models_lists_todays_and_the_seeds_names(sim) -> None:
    reply = get(sim.base_url + "/models", headers={"Authorization": f"Bearer {KEY}"})
    assert reply.status_code == 200 and reply.json()["object"] == "list"
    names = [m["id"] for m in reply.json()["data"]]
    assert set(CATALOGUE) <= set(names) and "asi1-graph" in names


def test_every_listed_model_is_accepted_and_others_refused_by_name(sim) -> None:
    for name in sim.model_list:
        assert post(sim, "hi", model=name, stream=False).status_code == 200
    refused = post(sim, "hi", model="asi2-imaginary")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "model 'asi2-imaginary' not found"


def test_web_search_streams_a_tool_call_then_cites_it(sim) -> None:
    body = {"model": "asi1", "stream": True, "web_search": True,
            "messages": [{"role": "user", "content": "giraffe height record"}]}
    raw = httpx.post(sim.base_url + "/chat/completions", headers=headers(), json=body, verify=TLS).content
    objs = chunks(raw)
    calls = [o["choices"][0]["delta"]["tool_calls"] for o in objs
             if isinstance(o, dict) and o.get("choices") and "tool_calls" in o["choices"][0].get("delta", {})]
    assert [c[0].get("result") is None for c in calls] == [True, False]
    assert calls[1][0]["tool_name"] == "web_search" and calls[1][0]["args"] == {"query": "giraffe height record"}
    first_content = next(i for i, o in enumerate(objs) if isinstance(o, dict) and content_pieces([o]))
    assert max(i for i, o in enumerate(objs) if isinstance(o, dict) and o.get("choices")
               and "tool_calls" in o["choices"][0].get("delta", {})) < first_content
    assert "".join(content_pieces(objs)).startswith("I searched the web for “giraffe height record” [1].")


def test_no_web_search_unless_asked(sim) -> None:
    raw = post(sim, "giraffe height record").content
    assert b"tool_calls" not in raw


def test_a_system_prompt_is_acknowledged_in_the_reply(sim) -> None:
    messages = [{"role": "system", "content": "Speak like a pirate."}, {"role": "user", "content": "hello"}]
    reply = post(sim, messages, stream=False).json()
    assert reply["choices"][0]["message"]["content"].startswith(
        "(Following the system prompt: “Speak like a pirate.”)")
    assert not post(sim, "hello", stream=False).json()["choices"][0]["message"]["content"].startswith("(")


def test_non_streamed_web_search_has_message_tool_calls(sim) -> None:
    reply = post(sim, "search the web for okapis", stream=False).json()
    (call,) = reply["choices"][0]["message"]["tool_calls"]
    assert call["tool_name"] == "web_search" and "Okapis" in call["result"]
