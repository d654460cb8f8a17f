"""The simulated Agentverse marketplace, spoken to as raw HTTP."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from app.simulator import Simulator
from app.simulator.marketplace import CATEGORIES, HOSTILE_HANDLE, catalogue
from app.simulator.scenarios import ACK, agent_acknowledgement

from .wire import KEY


def _search(sim: Simulator, body: dict, timeout: float = 5) -> httpx.Response:
    return httpx.post(f"{sim.origin}/v1/search/agents", json=body, timeout=timeout)


def test_catalogue_is_big_varied_and_deterministic():
    agents = catalogue()
    assert len(agents) >= 80 and len({a["category"] for a in agents}) >= 6
    assert len({a["handle"] for a in agents}) == len(agents) == len({a["address"] for a in agents})
    assert {"image-gen-hidream", "ref-image-agent"} <= {a["handle"] for a in agents}
    assert set(CATEGORIES) <= {a["category"] for a in agents}
    assert all(re.fullmatch(r"agent1q[02-9ac-hj-np-z]{58}", a["address"]) for a in agents)


def test_search_shape_relevancy_and_paging(sim: Simulator):
    body = _search(sim, {"search_text": "hidream image"}).json()
    assert set(body) == {"agents", "offset", "limit", "num_hits", "total", "search_id"}
    assert body["agents"][0]["name"] == "Image Generation HiDream-I1" and body["limit"] == 30
    assert {"address", "handle", "readme", "rating", "recent_success_rate", "featured"} <= set(body["agents"][0])
    page = _search(sim, {"search_text": "", "offset": 88, "limit": 10}).json()
    assert page["total"] == len(catalogue()) and len(page["agents"]) == len(catalogue()) - 88
    oldest = _search(sim, {"sort": "created-at", "direction": "asc", "limit": 3}).json()["agents"]
    assert [a["created_at"] for a in oldest] == sorted(a["created_at"] for a in oldest)
    travel = _search(sim, {"filters": {"category": ["Travel"]}, "limit": 50}).json()["agents"]
    assert travel and {a["category"] for a in travel} == {"Travel"}
    assert _search(sim, {"search_text": "zzzzqqq"}).json()["agents"] == []


@pytest.mark.parametrize("body, loc, msg", [
    ({"search_text": "x", "query": "x"}, ["body", "query"], "Extra inputs are not permitted"),
    ({"limit": 51}, ["body", "limit"], "Input should be less than or equal to 50"),
    ({"sort": "stars"}, ["body", "sort"], "Input should be"),
])
def test_validation_errors_are_fastapi_422(sim: Simulator, body, loc, msg):
    response = _search(sim, body)
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"] == loc and detail["msg"].startswith(msg)


def test_hostile_listing_goes_out_raw(sim: Simulator):
    body = _search(sim, {"search_text": "totally safe"}).json()
    hostile = next(a for a in body["agents"] if a["handle"] == HOSTILE_HANDLE)
    assert "\x1b[2J" in hostile["name"] and "[bold red]" in hostile["name"]
    assert "\x1b]52;" in hostile["readme"]


def test_fault_directives_and_queue(sim: Simulator):
    limited = _search(sim, {"search_text": "!av:429=7"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert "retry-after" not in _search(sim, {"search_text": "!av:429"}).headers
    assert _search(sim, {"search_text": "!av:500"}).status_code == 500
    html = _search(sim, {"search_text": "!av:html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        _search(sim, {"search_text": "!av:garbage"}).json()
    with pytest.raises(httpx.ReadTimeout):
        _search(sim, {"search_text": "!av:hang=2"}, timeout=0.2)
    sim.marketplace.add_fault("503", times=1)
    assert _search(sim, {"search_text": "x"}).status_code == 503
    assert _search(sim, {"search_text": "x"}).status_code == 200


def _chat(sim: Simulator, prompt: str, session: str) -> dict:
    return httpx.post(f"{sim.base_url}/chat/completions", timeout=5, headers={
        "Authorization": f"Bearer {KEY}", "x-session-id": session},
        json={"model": "asi1", "stream": False, "messages": [{"role": "user", "content": prompt}]}).json()


def test_addressed_agent_acknowledges_by_name_and_carries_a_manifest(sim: Simulator):
    body = _chat(sim, "@ref-image-agent make the sky purple", "s-1")
    assert body["choices"][0]["message"]["content"] == (
        "I've sent the message to Ref Image Agent (@ref-image-agent), waiting for result…")
    (manifest,) = body["executable_data"]
    assert (manifest["name"], manifest["handle"]) == ("Ref Image Agent", "ref-image-agent")
    assert manifest["address"].startswith("agent1q")
    image = _chat(sim, "draw a cat", "s-2")
    assert image["choices"][0]["message"]["content"] == ACK
    assert image["executable_data"][0]["handle"] == "image-gen-hidream"
    assert _chat(sim, "hello @nobody-known", "s-3")["executable_data"] == []


def test_manifest_rides_on_the_first_stream_chunk(sim: Simulator):
    with httpx.stream("POST", f"{sim.base_url}/chat/completions", timeout=5, headers={
            "Authorization": f"Bearer {KEY}", "x-session-id": "s-4"},
            json={"model": "asi1", "stream": True,
                  "messages": [{"role": "user", "content": "@flight-finder Oslo please"}]}) as response:
        first = json.loads(next(response.iter_lines())[len("data: "):])
    assert first["executable_data"][0]["name"] == "Flight Finder"
    assert agent_acknowledgement({"name": "X", "handle": "x"}).startswith("I've sent the message to X (@x)")
