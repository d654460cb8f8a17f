"""Inline (data:) images: stored whole, searched and listed without their base64 payload."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

from sqlite_utils import Database

from app.core.links import data_image_urls, data_ref, image_sources, shown_text
from app.core.store.migrations import MIGRATIONS
from app.core.store.store import Store
from app.simulator.images import IMAGE_PNG

PAYLOAD = base64.b64encode(IMAGE_PNG.read_bytes()).decode()
URL = f"data:image/png;base64,{PAYLOAD}"
# A whole token of the payload as the tokenizer cuts it (at + / =), from its middle.
TOKEN = max(re.split(r"[+/=]", PAYLOAD)[5:], key=len)
REPLY = f"Here is the pelican:\n\n![generated-image]({URL})\n\nA second look: ![b](https://x.example/b.png) done."


def test_the_store_keeps_the_payload_but_indexes_only_the_words(db_path: Path) -> None:
    store = Store(db_path)
    c = store.create_conversation("asi1")
    store.add_message(c.id, "user", "draw a pelican")
    m = store.add_message(c.id, "assistant", REPLY)
    assert store.get_message(m.id).content == REPLY  # nothing lost
    assert [h.message_id for h in store.search_messages("pelican") if h.role == "assistant"] == [m.id]
    assert [h.message_id for h in store.search_messages("done")] == [m.id]  # text after the image
    assert store.search_messages(TOKEN) == []  # the base64 is not in the index
    hit = next(h for h in store.search_messages("pelican") if h.role == "assistant")
    assert PAYLOAD[:60] not in hit.snippet
    assert [i.url for i in store.images(c.id)] == ["https://x.example/b.png", data_ref(URL)]
    db = Database(store._conn())
    db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_editing_and_deleting_keep_the_index_consistent(db_path: Path) -> None:
    store = Store(db_path)
    c = store.create_conversation("asi1")
    m = store.add_message(c.id, "assistant", "", status="streaming")
    store.update_message(m.id, content=REPLY, status="complete")
    assert [h.message_id for h in store.search_messages("pelican")] == [m.id]
    store.update_message(m.id, content=REPLY.replace("pelican", "heron"))
    assert store.search_messages("pelican") == [] and store.search_messages("heron")
    store.delete_conversation(c.id)
    assert store.search_messages("heron") == []
    store._conn().execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_upgrade_reindexes_and_lists_inline_images(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db = Database(db_path)
    MIGRATIONS.apply(db, stop_before="m140_inline_images")
    now = time.time()
    db.execute("INSERT INTO conversations (id, title, model, session_id, created_at, updated_at)"
               " VALUES (3, 'Birds', 'asi1', 's-3', ?, ?)", (now, now))
    db.execute("INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at)"
               " VALUES (30, 3, 'assistant', ?, 'complete', ?, ?)", (REPLY, now, now))
    db.conn.commit()
    assert db.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
                      (f'"{TOKEN}"',)).fetchone()[0] == 1  # indexed whole, before
    db.close()
    store = Store(db_path)
    assert store.search_messages(TOKEN) == []
    assert [h.message_id for h in store.search_messages("pelican")] == [30]
    assert [i.url for i in store.images(3)] == [data_ref(URL)]  # (m003 harvested http links)


def test_links_see_data_images_and_hide_their_payload() -> None:
    assert image_sources(REPLY) == [URL, "https://x.example/b.png"]
    assert data_image_urls(REPLY) == [URL]
    shown = shown_text(REPLY)
    assert PAYLOAD not in shown and "![generated-image](data:image/png;base64,…)" in shown
    assert shown.endswith("done.")


def test_the_shown_text_of_a_growing_reply_only_grows() -> None:
    shown = [shown_text(REPLY[:n]) for n in range(0, len(REPLY), 97)] + [shown_text(REPLY)]
    assert all(later.startswith(earlier) for earlier, later in zip(shown, shown[1:]))
