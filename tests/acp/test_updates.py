"""`TurnUpdates`: what the editor is sent for each turn event, where no simulator run shows it."""

from __future__ import annotations

from app.acp.updates import TurnUpdates
from app.core.errors import ServerError
from app.core.wire.events import (
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    ToolCall,
    TurnContent,
    TurnFailed,
    TurnFinal,
    TurnToolCall,
    Usage,
)


def _dump(updates: list) -> list[dict]:
    return [u.model_dump(mode="json", by_alias=True, exclude_none=True) for u in updates]


def test_a_reply_cut_at_the_token_cap_ends_with_max_tokens():
    updates = TurnUpdates(wait_id="w", max_tokens=50)
    updates.updates(TurnContent("word " * 50))
    updates.updates(TurnFinal("word " * 50, "", Usage(10, 50, 60)))
    assert updates.stop_reason == "max_tokens"
    under = TurnUpdates(wait_id="w", max_tokens=50)
    under.updates(TurnFinal("short", "", Usage(10, 3, 13)))
    assert under.stop_reason == "end_turn"


def test_a_resumed_wait_opens_its_call_in_progress_named_after_its_agent():
    updates = TurnUpdates(wait_id="wait-9", agents=[AgentRef("Ref Image Agent", "ref-image")])
    first = _dump(updates.updates(AgentWaiting("I've sent the message", 3, 24, 20.0)))
    assert first[0]["sessionUpdate"] == "tool_call" and first[0]["status"] == "in_progress"
    assert first[0]["title"] == "Waiting for Ref Image Agent (@ref-image)"
    assert "poll 3/24" in first[1]["content"][0]["content"]["text"]
    done = _dump(updates.updates(TurnFinal("![x](https://a.example/x.png)", "", None, deferred=True)))
    assert done[0]["status"] == "completed"
    assert done[1] == {"sessionUpdate": "agent_message_chunk",
                       "content": {"type": "text", "text": "![x](https://a.example/x.png)"}}


def test_hostile_tool_text_reaches_the_editor_without_escapes():
    updates = TurnUpdates(wait_id="w")
    [start] = _dump(updates.updates(TurnToolCall(ToolCall("c1", "web_search\x1b]0;pwned\x07", '{"query": "x"}'))))
    assert "\x1b" not in start["title"] and "\x07" not in start["title"]
    [done] = _dump(updates.updates(TurnToolCall(ToolCall("c1", "web_search", "{}", "res\x1b[2Jult"))))
    assert done["status"] == "completed" and done["rawOutput"] == "result"


def test_a_failed_turn_says_why_in_the_thread_and_fails_its_wait():
    updates = TurnUpdates(wait_id="w")
    updates.updates(AgentWaiting("I've sent the message", 0, 24, 0.0))
    updates.updates(AgentsContacted((AgentRef("Painter"),)))
    out = _dump(updates.updates(TurnFailed(ServerError("The server failed (HTTP 503)."))))
    assert out[0]["status"] == "failed"
    assert out[1]["content"]["text"] == "\n\n⚠ The server failed (HTTP 503)."
    assert updates.stop_reason == "end_turn" and updates.error is not None


def test_tool_calls_left_without_a_result_end_with_the_turn():
    finished = TurnUpdates(wait_id="w")
    finished.updates(TurnToolCall(ToolCall("c1", "web_search", '{"query": "x"}')))
    finished.updates(TurnContent("done"))
    assert [(u["toolCallId"], u["status"]) for u in _dump(finished.updates(TurnFinal("done", "", None)))] \
        == [("tool-c1", "completed")]
    failed = TurnUpdates(wait_id="w")
    failed.updates(TurnToolCall(ToolCall("c2", "web_search", "{}")))
    failed.updates(TurnToolCall(ToolCall("c3", "web_search", "{}", "result")))
    out = _dump(failed.updates(TurnFailed(ServerError("The server failed (HTTP 503)."))))
    assert out[0] == {"sessionUpdate": "tool_call_update", "toolCallId": "tool-c2", "status": "failed"}
    assert len(out) == 2  # c3 had its result; then the error line
