"""Memory does not grow with the conversations opened: what the app drops is let go.

The widgets of a closed conversation are cyclic garbage. With the collector's thresholds
raised for the whole run they piled up for dozens of conversations, and two Textual
caches kept removed widgets (or the lines they drew) alive even after a collection:
`StylesCache.get_inner_outer` (an `lru_cache` on a method) and the footer's watcher list.
The thresholds are now raised only while a reply streams (`GcTuning`).
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

from textual import events
from textual.widgets import Markdown
from textual.widgets._footer import FooterKey

from app.core.store.records import Role
from app.core.store.store import Store
from app.ui.textual_tuning.gc import GC_THRESHOLDS, GcTuning
from app.ui.widgets.message_view import MessageView
from tests.ui.helpers import build_app, idle, sidebar, turns, until, view, watching

REPLY = "A **reply** with a list:\n\n- one\n- two\n\nand a paragraph after it."


def seed(db: Path, conversations: int, messages: int) -> list[int]:
    """Conversations of `messages` messages each (user and assistant in turn), newest last."""
    store = Store(db)
    ids = []
    for number in range(conversations):
        conversation = store.create_conversation("asi1-fast-agentic", f"Chat {number}")
        for index in range(messages):
            role = Role.USER if index % 2 == 0 else Role.ASSISTANT
            store.add_message(conversation.id, role, f"question {index}" if role == Role.USER else REPLY,
                              model="asi1-fast-agentic")
        ids.append(conversation.id)
    return ids


async def open_by_enter(app, pilot, conversation_id: int) -> None:
    sidebar(app).conversation_list.focus()
    sidebar(app).conversation_list.select_conversation(conversation_id)
    await pilot.press("enter")
    await until(pilot, lambda: view(app).conversation_id == conversation_id and app.focused is view(app).composer)
    await pilot.pause()


def alive(refs: list[weakref.ref]) -> int:
    return sum(ref() is not None for ref in refs)


async def test_closed_conversations_and_what_they_drew_are_let_go(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    ids = seed(db_path, 5, 90)  # more than a page each: scrolling up loads the older ones
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(120, 40)) as pilot:
        threshold = gc.get_threshold()
        views: list[weakref.ref] = []
        caches: list[weakref.ref] = []  # the style caches hold the lines each widget drew
        for conversation_id in reversed(ids):
            await open_by_enter(app, pilot, conversation_id)
            view(app).chat_pane.scroll_home(animate=False)  # the user reads back: older pages load
            await until(pilot, lambda: len(view(app).chat_pane.message_views()) > 40)
            await pilot.pause(0.05)
            views += [weakref.ref(view) for view in view(app).chat_pane.message_views()]
            caches += [weakref.ref(node._styles_cache)
                       for view in view(app).chat_pane.message_views() for node in view.walk_children()]
            # No reply streams: the collector keeps Python's thresholds and finds this garbage.
            assert gc.get_threshold() == threshold != GC_THRESHOLDS
        await app.chat_screen.action_new_conversation()
        await pilot.pause()
        gc.collect()
        assert view(app).chat_pane.message_views() == []
        assert alive(views) == 0
        assert alive(caches) == 0
        assert not [obj for obj in gc.get_objects() if isinstance(obj, MessageView)]


async def test_footer_keys_of_earlier_focus_changes_are_let_go(db_path: Path) -> None:
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        def footer_keys() -> tuple[int, int]:
            gc.collect()
            return (sum(isinstance(obj, FooterKey) for obj in gc.get_objects()),
                    len(app.screen.query(FooterKey)))

        for _ in range(20):  # the footer shows other keys for the list and the composer
            await pilot.press("ctrl+l")
            await pilot.press("ctrl+e")
        await pilot.pause(0.1)
        kept, shown = footer_keys()
        # Each focus change recomposed the footer; the keys of the last one may still wait
        # for the next change to be let go, none from before that.
        assert shown and kept <= 3 * shown


async def test_thresholds_are_high_only_while_a_reply_streams(sim, db_path: Path) -> None:
    threshold = gc.get_threshold()
    app = build_app(sim, db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert gc.get_threshold() == threshold
        view(app).composer.text = "!sim:tokens=3000 go"
        app.post_message(events.Key("enter", None))  # (Pilot's press would wait for the whole reply)
        while (not (views := view(app).chat_pane.message_views()) or views[-1].role != Role.ASSISTANT
               or views[-1]._stream is None):
            await asyncio.sleep(0.001)
        seen: list[tuple[int, int, int]] = []  # the thresholds each rendering step ran with
        stream = views[-1]._stream
        render_step = stream._step

        async def step() -> None:
            seen.append(gc.get_threshold())
            await render_step()

        stream._step = step
        await idle(app, pilot)
        await until(pilot, lambda: views[-1].status == "complete")  # all of it rendered
        assert seen and set(seen) == {GC_THRESHOLDS}
        await until(pilot, lambda: not (turns(app) or watching(app)))
        assert gc.get_threshold() == threshold  # the turn is over
        assert views[-1].query_one(Markdown).source.rstrip() == views[-1].content.rstrip()

        # A reply streaming into a conversation the user leaves: the turn goes on in the
        # background (without widgets), and so do the high thresholds, until it ends.
        first = view(app).conversation_id
        sim.chunk_delay = 0.05  # the turn runs at the wire's pace (~70 pieces): it goes on while the user moves
        view(app).composer.text = "hello, please show me some python code"
        app.post_message(events.Key("enter", None))
        await until(pilot, lambda: GcTuning.streaming())
        await app.chat_screen.action_new_conversation()
        assert first in turns(app) and GcTuning.streaming() and gc.get_threshold() == GC_THRESHOLDS
        await until(pilot, lambda: first not in turns(app) and not watching(app), timeout=30)
        assert not GcTuning.streaming() and gc.get_threshold() == threshold
        await open_by_enter(app, pilot, first)
        view(app).composer.text = "hello, please show me some python code again"
        app.post_message(events.Key("enter", None))
        await until(pilot, lambda: GcTuning.streaming())
    # The app closed while the reply streamed: the thresholds are the process's again.
    assert not GcTuning.streaming() and gc.get_threshold() == threshold
