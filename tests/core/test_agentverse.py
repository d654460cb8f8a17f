"""The marketplace search client, against the simulator's marketplace over HTTP."""

from __future__ import annotations

import pytest

from app.core.agents.agentverse import (
    AgentQuery,
    AgentverseClient,
    AgentverseRejected,
    AgentverseUnavailable,
    AgentverseUnreadable,
    InvalidAgentQuery,
    MarketplaceRetry,
)
from app.core.errors import AgentverseError, AsiChatError
from app.simulator import Simulator
from app.simulator.marketplace import HOSTILE_HANDLE
from tests.conftest import TEST_KEY


class Sleeps:
    """Records the waits the client asks for, without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def _client(sim: Simulator, **kw) -> tuple[AgentverseClient, Sleeps, list[MarketplaceRetry]]:
    sleeps, notices = Sleeps(), []
    client = AgentverseClient(base_url=sim.origin, sleep=sleeps, on_retry=notices.append, **kw)
    return client, sleeps, notices


async def test_search_finds_and_types_agents(sim: Simulator):
    client, _, _ = _client(sim)
    async with client:
        page = await client.search(AgentQuery("hidream"))
    first = page.agents[0]
    assert (first.name, first.handle, first.category) == ("Image Generation HiDream-I1", "image-gen-hidream",
                                                          "Image Generation")
    assert first.address.startswith("agent1q") and first.readme.startswith("# Image Generation")
    assert isinstance(first.rating, float) and first.total_interactions > 0
    assert 0 <= first.recent_success_rate <= 1 and "\n" in first.readme
    assert page.total >= 1 and page.offset == 0


async def test_body_has_only_documented_fields_and_no_asi_key(sim: Simulator):
    client, _, _ = _client(sim, api_key=None)
    async with client:
        await client.search(AgentQuery("weather", sort="interactions", direction="asc",
                                       category="Weather", offset=2, limit=5))
    request = sim.marketplace.requests[-1]
    assert request.body == {"search_text": "weather", "sort": "interactions", "direction": "asc",
                            "offset": 2, "limit": 5, "filters": {"category": ["Weather"]}}
    assert "authorization" not in request.headers
    assert TEST_KEY not in repr(request.headers)


async def test_agentverse_key_is_sent_only_when_set(sim: Simulator, monkeypatch):
    monkeypatch.setenv("AGENTVERSE_API_KEY", "av-key-123")
    from app.core.config import load_settings

    settings = load_settings({"agentverse_url": sim.origin, "api_key": TEST_KEY}, env={})
    async with AgentverseClient.from_settings(settings) as client:
        await client.search(AgentQuery("x"))
    assert sim.marketplace.requests[-1].headers["authorization"] == "Bearer av-key-123"


async def test_paging_sorting_and_category(sim: Simulator):
    client, _, _ = _client(sim)
    async with client:
        first = await client.search(AgentQuery(sort="interactions", limit=50))
        second = await client.search(AgentQuery(sort="interactions", limit=50).next_page())
        weather = await client.search(AgentQuery(category="Weather", limit=50))
    assert first.total >= 80 and len(first.agents) == 50 and first.has_more
    assert not second.has_more and second.offset == 50
    counts = [a.total_interactions for a in first.agents + second.agents]
    assert counts == sorted(counts, reverse=True)
    assert {a.handle for a in first.agents}.isdisjoint(a.handle for a in second.agents)
    assert weather.agents and {a.category for a in weather.agents} == {"Weather"}


def test_query_is_validated_and_clamped():
    assert AgentQuery(limit=500).limit == 50 and AgentQuery(limit=0).limit == 1
    assert AgentQuery(offset=-3).offset == 0
    with pytest.raises(InvalidAgentQuery, match="Unknown sort 'stars'"):
        AgentQuery(sort="stars")
    assert issubclass(InvalidAgentQuery, AsiChatError)


async def test_hostile_listing_is_inert(sim: Simulator):
    client, _, _ = _client(sim)
    async with client:
        page = await client.search(AgentQuery("totally safe"))
    hostile = next(a for a in page.agents if a.handle == HOSTILE_HANDLE)
    for text in (hostile.name, hostile.description, hostile.readme):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "[bold red]" in hostile.name and "\n" not in hostile.name and "\n" in hostile.readme


async def test_429_without_retry_after_waits_30_s_and_says_so(sim: Simulator):
    sim.marketplace.add_fault("429")
    client, sleeps, notices = _client(sim)
    async with client:
        page = await client.search(AgentQuery("flight"))
    assert page.agents[0].handle == "flight-finder"
    assert sleeps.delays == [30.0]
    assert notices[0].rate_limited and notices[0].describe() == "Agentverse: rate limited, retrying in 30 s."


async def test_429_honours_retry_after(sim: Simulator):
    sim.marketplace.add_fault("429", retry_after=2)
    client, sleeps, notices = _client(sim)
    async with client:
        await client.search(AgentQuery("flight"))
    assert sleeps.delays == [2.0] and "retrying in 2 s" in notices[0].describe()


async def test_5xx_is_retried_with_bounded_backoff(sim: Simulator):
    sim.marketplace.add_fault("500", times=2)
    client, sleeps, _ = _client(sim)
    async with client:
        assert (await client.search(AgentQuery("flight"))).agents
    assert len(sleeps.delays) == 2 and all(d < 5 for d in sleeps.delays)
    sim.marketplace.add_fault("503", times=10)
    client, sleeps, _ = _client(sim, max_retries=3)
    async with client:
        with pytest.raises(AgentverseUnavailable, match=r"failed \(503\)\. Gave up after 3 retries"):
            await client.search(AgentQuery("flight"))
    assert len(sleeps.delays) == 3


async def test_hang_times_out_and_is_retried(sim: Simulator):
    client, sleeps, _ = _client(sim, timeout=0.3, max_retries=1)
    async with client:
        with pytest.raises(AgentverseUnavailable, match="within 0.3 s"):
            await client.search(AgentQuery("!av:hang=3"))
    assert len(sleeps.delays) == 1


@pytest.mark.parametrize("text, error, words", [
    ("!av:html", AgentverseUnreadable, "sent a web page"),
    ("!av:garbage", AgentverseUnreadable, "not a list of agents"),
])
async def test_unreadable_replies_are_one_line(sim: Simulator, text, error, words):
    client, _, _ = _client(sim)
    async with client:
        with pytest.raises(error, match=words) as caught:
            await client.search(AgentQuery(text))
    assert "\n" not in str(caught.value) and isinstance(caught.value, AgentverseError)


async def test_422_says_what_the_marketplace_refused(sim: Simulator):
    client, _, _ = _client(sim)
    async with client:
        http = client._client()
        response = await http.post("/v1/search/agents", json={"search_text": "x", "colour": "red"})
        assert response.status_code == 422 and "Extra inputs are not permitted" in response.text
        bad = AgentQuery("x")
        object.__setattr__(bad, "limit", 80)  # past the clamp, as a buggy caller might
        with pytest.raises(AgentverseRejected, match=r"\(422: limit: Input should be less than or equal to 50\)"):
            await client.search(bad)


async def test_unreachable_marketplace_is_one_line():
    client = AgentverseClient(base_url="http://127.0.0.1:9", max_retries=1, sleep=Sleeps())
    async with client:
        with pytest.raises(AgentverseUnavailable, match=r"Could not reach http://127.0.0.1:9 .*Gave up after 1"):
            await client.search(AgentQuery("x"))


def test_agentverse_url_setting(tmp_path):
    from app.core.config import load_settings

    assert load_settings({}, env={}, config_file=tmp_path / "none.toml").agentverse_url == "https://agentverse.ai"
    config = tmp_path / "config.toml"
    config.write_text('agentverse_url = "http://127.0.0.1:1"\n')
    assert load_settings({}, env={}, config_file=config).agentverse_url == "http://127.0.0.1:1"
    env = {"ASI_CHAT_AGENTVERSE_URL": "http://127.0.0.1:2"}
    assert load_settings({}, env=env, config_file=config).agentverse_url == "http://127.0.0.1:2"


def test_agentverse_url_must_be_http(tmp_path):
    from app.core.config import load_settings
    from app.core.errors import ConfigError

    with pytest.raises(ConfigError, match="Invalid value for agentverse_url in \\$ASI_CHAT_AGENTVERSE_URL"):
        load_settings({}, env={"ASI_CHAT_AGENTVERSE_URL": "agentverse.ai"}, config_file=tmp_path / "x.toml")
