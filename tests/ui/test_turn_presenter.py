"""Drawing a turn whatever the timing: a reply is drawn whole however its events and the
panes' own updates interleave."""

from __future__ import annotations

import asyncio

from textual.await_complete import AwaitComplete

from app.ui.widgets.tool_calls import ToolCallList
from tests.ui.helpers import build_app, idle, turns, type_and_send, until, view
from tests.ui.test_chat_widgets import screen_text

SIZE = (160, 48)


async def test_a_reply_over_while_the_reasoning_pane_is_busy_keeps_its_reasoning(sim, db_path) -> None:
    """The reasoning pane may still be replacing its document (a long stored reasoning just
    selected) when a fast reply is already over. Its reasoning and tool call were then lost:
    the pane ended the live view before the reply's state was given to it, and said
    "No reasoning for this message" (seen in tmux under load)."""
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        pane = view(app).reasoning_pane
        await pane._lock.acquire()  # the pane busy with an earlier document change
        try:
            sending = asyncio.create_task(view(app).send("hello !sim:websearch"))
            await until(pilot, lambda: view(app).conversation_id is not None and not turns(app))  # over meanwhile
        finally:
            pane._lock.release()
        await sending
        await idle(app, pilot)
        await until(pilot, lambda: "fresh facts" in screen_text(app))
        assert pane.text.startswith("\nThe user wants fresh facts.") and not pane.is_live
        assert "No reasoning for this message" not in screen_text(app)
        (line,) = pane.query_one(ToolCallList).lines
        assert line.startswith("🔧 web_search")


async def test_a_reply_reopened_while_it_streams_is_drawn_whole(sim, db_path, monkeypatch) -> None:
    """Back in a conversation whose reply streams: what came before is drawn from the
    turn's state, what comes after from its events, nothing twice and nothing lost, even when
    the reply ends while the reasoning pane is still getting ready for it (it lost the
    reasoning and the tool call then, and said "No reasoning for this message")."""
    sim.chunk_delay = 0.15
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "hello !sim:websearch")
        cid = view(app).conversation_id
        turn = turns(app).get(cid)
        await until(pilot, lambda: "fresh facts" in turn.reasoning and turn.tool_calls)
        assert turn.running and not turn.content
        await pilot.press("ctrl+n")
        pane, clear = view(app).reasoning_pane, view(app).reasoning_pane.clear

        def clear_then_busy() -> AwaitComplete:  # the pane's next change (the live view) waits
            async def busy() -> None:
                await clear()
                await pane._lock.acquire()
            return AwaitComplete(busy())

        monkeypatch.setattr(pane, "clear", clear_then_busy)
        opening = asyncio.create_task(view(app).show(cid))
        try:
            await until(pilot, lambda: pane._lock.locked() and not turns(app), timeout=20)
        finally:
            await until(pilot, pane._lock.locked)
            pane._lock.release()
        await opening
        await idle(app, pilot)
        stored = app.store.messages(cid)[-1]
        assert pane.text == stored.reasoning and pane.text.startswith("\nThe user wants fresh facts.")
        (line,) = pane.query_one(ToolCallList).lines
        assert line.startswith("🔧 web_search")
        (reply,) = [v for v in view(app).chat_pane.message_views() if v.role == "assistant"]
        assert reply.content == stored.content and reply.status == "complete"
