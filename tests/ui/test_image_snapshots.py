"""Snapshots of image previews drawn with half-cell blocks: cards, the viewer, the gallery.

The images are in the cache beforehand and the broken one is inline, so nothing goes to
the network and every run draws the same."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

from app.core.config import load_settings
from app.core.store.store import Store
from app.simulator.images import HTML
from app.ui.app import AsiChatApp
from tests.ui.helpers import cache_image, previews_settled, until, view

SIZE = (120, 40)
FIXED = 1_709_460_000.0  # 2024-03-03: the list and the gallery show a fixed date
MONKEY = "https://agents.example/storage/monkey"
BROKEN = "data:image/png;base64," + base64.b64encode(HTML).decode()


def _app(tmp_path: Path) -> AsiChatApp:
    db = tmp_path / "snap.db"
    store = Store(db)
    conversation = store.create_conversation("asi1-agentic", title="Monkey pictures")
    store.add_message(conversation.id, "user", "Draw a monkey on a mountain")
    store.add_message(conversation.id, "assistant", f"Here it is:\n\n![monkey]({MONKEY})")
    store.add_message(conversation.id, "user", "And one more")
    store.add_message(conversation.id, "assistant", f"This one came out wrong:\n\n![oops]({BROKEN})")
    conn = sqlite3.connect(db)
    with conn:
        for table in ("conversations", "messages", "images"):
            column = "created_at" if table == "images" else "created_at = ?, updated_at"
            conn.execute(f"UPDATE {table} SET {column} = ?", (FIXED,) * (1 if table == "images" else 2))
    conn.close()
    cache_image(MONKEY)
    settings = load_settings({"db": db, "image_preview": "halfcell"}, env={}, config_file=tmp_path / "none.toml")
    return AsiChatApp(settings, store, None, resume_waits=False)


async def _open(pilot) -> None:
    await pilot.pause()  # the screen composed
    await view(pilot.app).show(1)
    await previews_settled(pilot)


def test_cards_with_a_preview_and_a_reason(snap_compare, tmp_path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=_open)


def test_the_viewer(snap_compare, tmp_path) -> None:
    async def view(pilot) -> None:
        await _open(pilot)
        pilot.app.screen.query("ImageCard").first().focus()
        await pilot.press("v")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ImageViewer")
        await previews_settled(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=view)


def test_the_gallery(snap_compare, tmp_path) -> None:
    async def gallery(pilot) -> None:
        await pilot.press("f9")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ImageGallery")
        await previews_settled(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=SIZE, run_before=gallery)
