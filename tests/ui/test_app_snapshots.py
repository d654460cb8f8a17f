"""Snapshots pinning the app's main screens (stored history only: no network, fixed dates)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.core.agents.store import AgentStore
from app.core.config import load_settings
from app.core.store.records import MessageStatus
from app.core.store.store import Store
from app.demo import seed_demo
from app.ui.app import AsiChatApp
from tests.ui.helpers import previews_settled, sidebar, view

SIZE = (130, 36)
FIXED = 1_709_460_000.0  # 2024-03-03: older than a year, so the list shows a fixed date


def _app(tmp_path: Path) -> AsiChatApp:
    db = tmp_path / "snap.db"
    store = Store(db)
    seed_demo(store)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE conversations SET created_at = ? + id * 60, updated_at = ? + id * 60", (FIXED, FIXED))
        conn.execute("UPDATE messages SET created_at = ?, updated_at = ?", (FIXED, FIXED))
    conn.close()
    # The seeded image is in the cache (seed_demo put it there): half-cell preview, no network.
    settings = load_settings({"db": db, "image_preview": "halfcell"}, env={},
                             config_file=tmp_path / "none.toml")
    return AsiChatApp(settings, store, None, resume_waits=False)


def test_main_view_with_image_and_reasoning(snap_compare, tmp_path) -> None:
    async def open_image_conversation(pilot) -> None:
        app = pilot.app
        await pilot.pause()  # the screen composed
        await view(app).show(2)  # the seeded image conversation
        views = view(app).chat_pane.message_views()
        views[1].focus()  # the acknowledgement: its reasoning shows on the right
        await previews_settled(pilot)  # the image, from the cache (seed_demo put it there)

    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=open_image_conversation)


def test_welcome_for_a_new_conversation(snap_compare, tmp_path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=SIZE)


def test_search_filters_the_list(snap_compare, tmp_path) -> None:
    async def search(pilot) -> None:
        await pilot.pause()  # the screen composed
        await pilot.press("ctrl+f", *"giraf")
        listed = sidebar(pilot.app).conversation_list
        for _ in range(200):  # the search (and its snippets) runs in a thread: under load, wait for it
            if listed.option_count == 1 and listed.filter_query == "giraf" and listed._search_worker is None:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)

    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=search)


def test_delete_confirmation(snap_compare, tmp_path) -> None:
    async def ask_delete(pilot) -> None:
        await pilot.pause()  # the screen composed
        await view(pilot.app).show(1)
        await pilot.press("ctrl+l", "ctrl+d")
        await pilot.pause(0.2)

    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=ask_delete)


def test_small_terminal_keeps_the_chat_readable(snap_compare, tmp_path) -> None:
    async def open_image_conversation(pilot) -> None:
        await pilot.pause()  # the screen composed
        await view(pilot.app).show(2)
        await previews_settled(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), run_before=open_image_conversation)


def test_small_terminal_shows_the_list_over_the_chat(snap_compare, tmp_path) -> None:
    async def focus_list(pilot) -> None:
        await pilot.pause()  # the screen composed
        await view(pilot.app).show(2)
        await pilot.press("ctrl+l")
        await previews_settled(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), run_before=focus_list)


def test_wide_terminal_widens_the_list(snap_compare, tmp_path) -> None:
    async def open_image_conversation(pilot) -> None:
        await pilot.pause()  # the screen composed
        await view(pilot.app).show(2)
        await previews_settled(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=(240, 50), run_before=open_image_conversation)


def test_small_terminal_a_stopped_wait_names_its_agent(snap_compare, tmp_path) -> None:
    """A stopped wait from an earlier run, reopened: its header names the agent and, wrapped,
    how to wait again."""
    app = _app(tmp_path)
    store = app.store
    conversation = store.create_conversation("asi1", title="draw a boat")
    store.add_message(conversation.id, "user", "draw a boat", model="asi1")
    ack = store.add_message(conversation.id, "assistant", "I've sent the message", model="asi1",
                            status=MessageStatus.AWAITING_AGENT)
    AgentStore(store).record_use(ack.id, "Image Generation HiDream-I1", "@image-hidream")
    store.stop_wait(store.add_wait(conversation.id, ack.id, ack.content, 24, FIXED).id)
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE conversations SET created_at = ?, updated_at = ? WHERE id = ?",
                     (FIXED + 3600, FIXED + 3600, conversation.id))
        conn.execute("UPDATE messages SET created_at = ?, updated_at = ?", (FIXED, FIXED))
    conn.close()

    async def open_it(pilot) -> None:
        await pilot.press("ctrl+l", "enter")  # the newest conversation, from the list
        for _ in range(100):
            if len(view(pilot.app).chat_pane.message_views()) == 2:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_it)
