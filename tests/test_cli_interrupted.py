"""A reply stopped early is "interrupted" everywhere: the store, show, export md/json, ask --json
(issue 22, item 18; the app already says "⚠ interrupted")."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from app.core.store.store import Store
from app.core.wire.events import TurnContent
from app.simulator import Simulator
from tests.conftest import TEST_KEY
from tests.core.test_chat import make_service
from tests.test_cli import asi


async def test_a_reply_stopped_with_esc_is_interrupted_in_show_and_export(db_path, sim_env) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.02) as slow:
        service, client = make_service(slow, db_path)
        conv = service.store.create_conversation("asi1")
        seen: list[str] = []

        async def consume() -> None:
            async for event in service.send(conv.id, "hello there"):
                if isinstance(event, TurnContent):
                    seen.append(event.text)

        task = asyncio.create_task(consume())
        while len(seen) < 3:
            await asyncio.sleep(0.01)
        await service.cancel(conv.id)  # what Esc does
        await asyncio.gather(task, return_exceptions=True)
        await client.aclose()
    exported = asi(sim_env, "export", str(conv.id), "--format", "json").stdout
    reply = json.loads(exported)["messages"][-1]
    assert reply["status"] == "interrupted" and reply["error"] == "Interrupted; the partial reply is kept."
    for args in (["show", str(conv.id)], ["export", str(conv.id)]):
        text = asi(sim_env, *args).stdout
        assert "## assistant (interrupted)" in text and "*Interrupted; the partial reply is kept.*" in text
        assert "ancel" not in text and "Error:" not in text
    assert "ancel" not in exported


def test_replies_stored_by_older_versions_read_interrupted_too(db_path, sim_env) -> None:
    with Store(db_path) as store:
        conv = store.create_conversation("asi1")
        store.add_message(conv.id, "user", "hi")
        reply = store.add_message(conv.id, "assistant", "half", status="interrupted")
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE messages SET error = 'Cancelled; the partial reply is kept.' WHERE id = ?", (reply.id,))
    with Store(db_path) as store:
        assert store.messages(conv.id)[-1].error == "Interrupted; the partial reply is kept."
    assert "ancel" not in asi(sim_env, "export", str(conv.id), "--format", "json").stdout


def test_ask_json_says_interrupted_for_a_cut_reply(sim_env) -> None:
    data = json.loads(asi(sim_env, "ask", "--json", "hello !sim:cut=4").stdout)
    assert data["status"] == "interrupted" and data["content"]
