"""The simulator's model for client-side tools and structured output, read by the real client."""

from __future__ import annotations

import json

import httpx
import pytest

from app.core.client import AsiOneClient
from app.core.request import TurnRequest
from app.core.wire.events import ContentDelta, Finish, ToolCall

from .wire import KEY

TIME_TOOL = {"type": "function", "function": {"name": "get_current_time", "description": "now", "parameters": {
    "type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}}


@pytest.fixture
async def client(sim):
    async with AsiOneClient(api_key=KEY, base_url=sim.base_url, read_timeout=5) as c:
        yield c


async def collect(client, messages, request) -> list:
    return [e async for e in client.chat(messages, request)]


async def test_offered_tool_is_called_in_streamed_fragments(sim, client) -> None:
    request = TurnRequest("asi1", "s1", tools=(TIME_TOOL,))
    events = await collect(client, [{"role": "user", "content": "what time is it in Tokyo?"}], request)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, json.loads(c.args)) for c in calls] == [("get_current_time", {"timezone": "Asia/Tokyo"})]
    assert Finish("tool_calls") in events
    assert sim.requests[-1].body["tools"] == [TIME_TOOL]


def test_arguments_stream_in_fragments(sim) -> None:
    body = {"model": "asi1", "stream": True, "tools": [TIME_TOOL],
            "messages": [{"role": "user", "content": "what time is it in Tokyo?"}]}
    raw = httpx.post(f"{sim.base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    chunks = [json.loads(line[6:]) for line in raw.text.splitlines() if line.startswith("data: {")]
    pieces = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks
              if c["choices"][0]["delta"].get("tool_calls")]
    assert pieces[0] == "" and len(pieces) > 2 and json.loads("".join(pieces)) == {"timezone": "Asia/Tokyo"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_two_questions_give_parallel_calls(client) -> None:
    request = TurnRequest("asi1", "s1", tools=(TIME_TOOL,))
    events = await collect(client, [{"role": "user", "content": "time in Tokyo and in London?"}], request)
    zones = [json.loads(e.args)["timezone"] for e in events if isinstance(e, ToolCall)]
    assert zones == ["Asia/Tokyo", "Europe/London"]


async def test_tool_results_are_quoted_in_the_answer(client) -> None:
    history = [{"role": "user", "content": "what time is it in Tokyo?"},
               {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
                   "name": "get_current_time", "arguments": '{"timezone": "Asia/Tokyo"}'}}]},
               {"role": "tool", "tool_call_id": "c1", "content": "12:00 in Tokyo"}]
    events = await collect(client, history, TurnRequest("asi1", "s1", tools=(TIME_TOOL,)))
    text = "".join(e.text for e in events if isinstance(e, ContentDelta))
    assert text == "From your tools: get_current_time answered: 12:00 in Tokyo"


async def test_response_format_gives_matching_json(client) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"},
                                               "tags": {"type": "array", "items": {"type": "string"}}}}
    request = TurnRequest("asi1", "s1", response_format={"type": "json_schema", "json_schema": {
        "name": "city", "strict": True, "schema": schema}})
    reply = await client.complete([{"role": "user", "content": "the biggest city"}], request)
    assert json.loads(reply.content) == {"city": "Tokyo", "population": 42, "tags": ["Tokyo"]}


async def test_without_tools_the_usual_scenarios_answer(client) -> None:
    events = await collect(client, [{"role": "user", "content": "what time is it in Tokyo?"}],
                           TurnRequest("asi1", "s1"))
    assert not [e for e in events if isinstance(e, ToolCall)]
