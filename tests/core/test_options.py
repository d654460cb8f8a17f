"""Turn options (system prompt, web search, temperature, max tokens) and stored tool calls,
through the real chat service, the simulator over HTTP and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from app.core.chat import ChatService
from app.core.client import AsiOneClient
from app.core.engine import TurnEngine
from app.core.history import build_history, estimate_tokens
from app.core.options import TurnDefaults, request_for
from app.core.store.migrations import MIGRATIONS
from app.core.store.records import Conversation
from app.core.store.store import Store
from app.core.wire.events import ToolCall, TurnToolCall
from app.simulator import Simulator
from tests.conftest import TEST_KEY

CONV = Conversation(1, None, "asi1", "sess", 0.0, 0.0, False)


class Msg:
    def __init__(self, role: str, content: str) -> None:
        self.role, self.content, self.status = role, content, "complete"


def test_request_for_prefers_the_conversations_own_choices() -> None:
    assert request_for(CONV) == request_for(CONV, TurnDefaults())
    plain = request_for(CONV)
    assert (plain.system_prompt, plain.web_search, plain.temperature, plain.max_tokens) == (None, False, None, None)
    assert plain.body([], stream=True).keys() == {"model", "messages", "stream"}  # nothing unasked is sent
    defaults = TurnDefaults(system_prompt="Be brief.", web_search=False, temperature=0.2, max_tokens=99)
    request = request_for(CONV, defaults, model="asi1-mini")
    assert (request.model, request.system_prompt, request.temperature, request.max_tokens) == (
        "asi1-mini", "Be brief.", 0.2, 99)
    own = Conversation(1, None, "asi1", "sess", 0.0, 0.0, False, web_search=True, system_prompt="Pirate.")
    request = request_for(own, defaults)
    assert request.system_prompt == "Pirate." and request.web_search and request.model == "asi1"


def test_the_system_prompt_goes_first_and_survives_trimming() -> None:
    long = "x" * 60_000  # about 20,000 estimated tokens each
    stored = [Msg("user", long), Msg("assistant", long), Msg("user", long), Msg("assistant", "ok"),
              Msg("user", "the question")]
    sent = build_history(stored, "asi1-fast-agentic", "You are terse.")  # a 24K window
    assert sent[0] == {"role": "system", "content": "You are terse."}
    assert sent[-1]["content"] == "the question" and len(sent) < len(stored) + 1
    assert sum(estimate_tokens(m["content"]) for m in sent) <= 24_000
    assert build_history(stored[-1:], "asi1", "  ") == [{"role": "user", "content": "the question"}]
    # An unknown model is trimmed to a conservative 32K.
    assert sum(estimate_tokens(m["content"]) for m in build_history(stored, "mystery", "s")) <= 32_000


def test_store_keeps_options_and_tool_calls(db_path: Path) -> None:
    store = Store(db_path)
    conv = store.create_conversation("asi1")
    store.set_web_search(conv.id, True)
    store.set_system_prompt(conv.id, "  Answer in French.  ")
    got = store.get_conversation(conv.id)
    assert got.web_search and got.system_prompt == "Answer in French."
    assert store.list_conversations()[0].waiting is False  # the summary columns still line up
    store.set_system_prompt(conv.id, "")
    assert store.get_conversation(conv.id).system_prompt is None
    message = store.add_message(conv.id, "assistant", "Tall.")
    store.add_tool_call(message.id, ToolCall("a", "web_search", '{"query": "giraffe"}'))
    store.add_tool_call(message.id, ToolCall("b", "lookup", "{}", "zebra stripes"))
    store.add_tool_call(message.id, ToolCall("a", "web_search", '{"query": "giraffe"}', "5.8 m"))
    assert [(c.call_id, c.result, c.position) for c in store.tool_calls(message.id)] == [
        ("a", "5.8 m", 0), ("b", "zebra stripes", 1)]
    store.merge_extras(message.id, {"executable_data": [1]})
    store.merge_extras(message.id, {"executable_data": [2], "metadata": {"k": "v"}})
    assert store.message_extras(message.id) == {"executable_data": [1, 2], "metadata": {"k": "v"}}
    assert [h.message_id for h in store.search_messages("giraffe")] == [message.id]
    assert "zebra" in store.search_messages("zebra")[0].snippet
    assert [c.id for c in store.search_conversations("zebra")] == [conv.id]  # search as you type too
    assert store.search_conversations("z") == []  # a lone letter: titles only
    copy = store.import_conversation({**store.export_conversation(conv.id), "conversation": {
        **store.export_conversation(conv.id)["conversation"], "session_id": "another"}})
    (copied,) = store.messages(copy.id)
    assert [(c.call_id, c.name, c.result) for c in store.tool_calls(copied.id)] == [
        ("a", "web_search", "5.8 m"), ("b", "lookup", "zebra stripes")]
    assert store.message_extras(copied.id) == store.message_extras(message.id)
    store.delete_conversation(conv.id)
    assert store.tool_calls(message.id) == [] and len(store.search_messages("giraffe")) == 1


def test_upgrade_from_before_the_options_keeps_everything(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db = Database(db_path)
    MIGRATIONS.apply(db, stop_before="m120_conversation_options")
    db.execute("INSERT INTO conversations (id, title, model, session_id, created_at, updated_at)"
               " VALUES (3, 'Old', 'asi1-fast-agentic', 'sess-3', 1, 1)")
    db.execute("INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)"
               " VALUES (30, 3, 'assistant', 'old answer', 1, 1)")
    db.conn.commit()
    db.close()
    store = Store(db_path)
    old = store.get_conversation(3)
    assert (old.model, old.web_search, old.system_prompt) == ("asi1-fast-agentic", False, None)
    store.add_tool_call(30, ToolCall("c", "web_search", '{"query": "okapi"}', "found"))
    assert store.search_messages("okapi")[0].message_id == 30 and store.message_extras(30) is None


def service_for(sim: Simulator, path: Path, defaults: TurnDefaults | None = None) -> tuple[ChatService, AsiOneClient]:
    client = AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, backoff_base=0.01, read_timeout=5)
    return ChatService(Store(path), TurnEngine(client, poll_interval=0.01), defaults=defaults), client


async def test_a_turn_sends_the_stored_options_and_records_the_tool_calls(sim: Simulator, db_path: Path) -> None:
    service, client = service_for(sim, db_path, TurnDefaults(temperature=0.5, max_tokens=300))
    conv = service.store.create_conversation("asi1")
    events = [e async for e in service.send(conv.id, "hello there")]
    body = sim.requests[-1].body
    assert "web_search" not in body and body["temperature"] == 0.5 and body["max_tokens"] == 300
    assert not any(isinstance(e, TurnToolCall) for e in events)
    service.store.set_web_search(conv.id, True)
    service.store.set_system_prompt(conv.id, "Cite your sources.")
    events = [e async for e in service.send(conv.id, "how tall are giraffes")]
    await client.aclose()
    request = sim.requests[-1]
    assert request.body["web_search"] is True
    assert request.messages[0] == {"role": "system", "content": "Cite your sources."}
    assert [m["role"] for m in request.messages[1:]] == ["user", "assistant", "user"]
    assert [e.call.result is None for e in events if isinstance(e, TurnToolCall)] == [True, False]
    reply = service.store.messages(conv.id)[-1]
    assert reply.status == "complete" and reply.content.startswith("(Following the system prompt")
    (call,) = service.store.tool_calls(reply.id)
    assert call.name == "web_search" and "giraffes" in call.args and "Wikipedia" in call.result
