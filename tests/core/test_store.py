"""The history store on real SQLite files: data, search, waits, concurrency, export."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import ConversationNotFound, StoreError
from app.core.store.importing import NotAnExport
from app.core.store.records import MessageStatus
from app.core.store.store import Store, fts_query, message_query, title_from_text

IMG = "https://agents.example.com/files/cat.png"
HOSTILE = ['"', '""', "AND OR NOT", "*", "NEAR(", "NEAR(a b)", "col:x", "content:x", ")", "(", "^x",
           "a AND", "-x", "x OR", "'", "\x00", "\ud800", "🦒 giraffe", "ÄÖÜ ß", "   ", "", "?!.,;",
           "x" * 10_000, "word " * 2_000, '"unterminated', "a:b:c", "{x y}", "+", "NOT x"]


@pytest.fixture
def store(db_path: Path):
    with Store(db_path) as s:
        yield s


def _talk(store: Store, *texts: str, model: str = "asi1-mini") -> int:
    conversation = store.create_conversation(model)
    for i, text in enumerate(texts):
        store.add_message(conversation.id, "user" if i % 2 == 0 else "assistant", text)
    return conversation.id


# -- files, pragmas, permissions ---------------------------------------------------


def test_creates_private_folder_and_file(db_path: Path):
    Store(db_path).create_conversation("m")
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(f"{db_path}-wal").stat().st_mode) == 0o600


def test_pragmas_on_every_thread_connection(store: Store):
    def pragmas():
        conn = store._conn()
        return [conn.execute(f"PRAGMA {p}").fetchone()[0]
                for p in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")]

    seen = []
    thread = threading.Thread(target=lambda: seen.append(pragmas()))
    thread.start()
    thread.join()
    assert pragmas() == seen[0] == ["wal", 10000, 1, 1]


# -- conversations and messages --------------------------------------------------


def test_conversation_lifecycle(store: Store):
    c = store.create_conversation("asi1-mini")
    assert uuid.UUID(c.session_id).version == 4 and c.title is None and not c.archived
    assert store.get_conversation(c.id) == c
    store.rename_conversation(c.id, "  Trip   plans ")
    store.set_conversation_model(c.id, "asi1-agentic")
    got = store.get_conversation(c.id)
    assert (got.title, got.model, got.session_id) == ("Trip plans", "asi1-agentic", c.session_id)
    store.delete_conversation(c.id)
    with pytest.raises(ConversationNotFound, match=f"^No conversation with id {c.id}.$"):
        store.get_conversation(c.id)
    with pytest.raises(ConversationNotFound):
        store.add_message(c.id, "user", "hi")


def test_first_user_message_titles_and_touches(store: Store):
    c = store.create_conversation("m")
    store.add_message(c.id, "assistant", "Hello! How can I help?")
    store.add_message(c.id, "user", "\n\n  What   is a giraffe's  top speed?\nsecond line")
    store.add_message(c.id, "user", "A later message")
    got = store.get_conversation(c.id)
    assert got.title == "What is a giraffe's top speed?" and got.updated_at >= c.updated_at
    assert store.create_conversation("m", title="Given").title == "Given"


def test_title_from_text():
    assert title_from_text("") == ""
    assert title_from_text(" \n  hello   world \n next") == "hello world"
    long = title_from_text("word " * 40, limit=20)
    assert long == "word word word word…" and len(long) <= 20
    assert title_from_text("x" * 100, limit=10) == "x" * 9 + "…"


def test_list_order_pagination_and_waiting(store: Store):
    ids = [_talk(store, f"conversation {i}") for i in range(7)]
    store.touch_conversation(ids[2])
    wait_message = store.add_message(ids[4], "assistant", "I've sent the message", status="awaiting-agent")
    store.add_wait(ids[4], wait_message.id, "I've sent the message", 20, time.time())
    page = store.list_conversations(limit=3)
    assert [s.id for s in page] == [ids[4], ids[2], ids[6]]
    assert [s.waiting for s in page] == [True, False, False]
    rest = store.list_conversations(limit=3, offset=3) + store.list_conversations(limit=3, offset=6)
    assert [s.id for s in rest] == [ids[5], ids[3], ids[1], ids[0]]
    assert store.count_conversations() == 7 and store.latest_conversation().id == ids[4]


def test_messages_and_pages(store: Store):
    cid = _talk(store, *(f"message {i}" for i in range(120)))
    all_messages = store.messages(cid)
    assert [m.content for m in all_messages] == [f"message {i}" for i in range(120)]
    assert store.message_count(cid) == 120
    newest = store.messages_page(cid, limit=50)
    assert newest == all_messages[70:]
    assert store.messages_page(cid, before_id=newest[0].id, limit=50) == all_messages[20:70]
    assert store.messages_page(cid, before_id=all_messages[20].id) == all_messages[:20]
    assert store.messages_page(cid, before_id=all_messages[0].id) == []


def test_streaming_update_finalize_and_images(store: Store):
    cid = _talk(store, "draw a cat")
    m = store.add_message(cid, "assistant", status=MessageStatus.STREAMING, model="asi1-mini")
    store.update_message(m.id, content=f"Here: ![cat]({IMG})", reasoning="thinking")
    assert store.images(cid) == [] and store.latest_image(cid) is None  # not settled yet
    store.update_message(m.id, status="complete",
                         usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15})
    got = store.get_message(m.id)
    assert (got.content, got.reasoning, got.status, got.model) == (f"Here: ![cat]({IMG})", "thinking",
                                                                    "complete", "asi1-mini")
    assert got.usage == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    store.update_message(m.id, status="complete")  # settling twice records nothing twice
    assert [(i.url, i.message_id) for i in store.images(cid)] == [(IMG, m.id)]
    assert store.latest_image(cid).url == IMG
    store.update_message(m.id, status="error", error="boom")
    assert store.get_message(m.id).error == "boom"
    with pytest.raises(StoreError, match="No message with id 999999"):
        store.update_message(999999, content="x")


def test_recover_interrupted(store: Store):
    cid = _talk(store, "hi")
    old = store.add_message(cid, "assistant", f"half ![x]({IMG})", status="streaming")
    fresh = store.add_message(cid, "assistant", "still going", status="streaming")
    store._conn().execute("UPDATE messages SET updated_at = updated_at - 60 WHERE id = ?", (old.id,))
    assert store.recover_interrupted(stale_after=30) == 1
    assert store.get_message(old.id).status == "interrupted"
    assert store.get_message(fresh.id).status == "streaming"
    assert [i.url for i in store.images(cid)] == [IMG]
    assert [h.message_id for h in store.search_messages("half")] == [old.id]


def test_delete_cascades(store: Store):
    cid = _talk(store, "giraffes", f"look ![g]({IMG})")
    ack = store.add_message(cid, "assistant", "I've sent the message", status="awaiting-agent")
    store.add_wait(cid, ack.id, "I've sent the message", 10, time.time())
    store.delete_conversation(cid)
    conn = store._conn()
    for table in ("messages", "images", "agent_waits"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert store.search_messages("giraffes") == [] and store.pending_waits() == []


# -- search ----------------------------------------------------------------------


def test_fts_follows_insert_update_delete_and_rename(store: Store):
    cid = _talk(store, "tell me about okapis")
    assert [h.snippet for h in store.search_messages("okapis") if h.message_id] == ["tell me about «okapis»"]
    m = store.add_message(cid, "assistant", "", status="streaming")
    assert store.search_messages("zebras") == []
    store.update_message(m.id, content="Zebras\nhave stripes")
    assert store.search_messages("zebras") == []  # partial replies are indexed once settled
    store.update_message(m.id, status="complete")
    assert [h.message_id for h in store.search_messages("zebras")] == [m.id]
    assert store.search_messages("stripes")[0].snippet == "Zebras have «stripes»"  # one line
    store.update_message(m.id, content="Horses gallop")
    assert store.search_messages("zebras") == [] and store.search_messages("gallop")[0].message_id == m.id
    store.rename_conversation(cid, "Savanna animals")
    hits = store.search_messages("savanna")
    assert [(h.message_id, h.role, h.snippet, h.conversation_title) for h in hits] == [
        (None, None, "«Savanna» animals", "Savanna animals")]
    assert store.search_messages("tell") and store.search_messages("okapis")[0].conversation_title == "Savanna animals"
    conn = store._conn()
    for table in ("messages_fts", "conversations_fts"):  # index matches content exactly
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
    store.delete_conversation(cid)
    assert store.search_messages("gallop") == [] and store.search_messages("savanna") == []


def test_search_prefix_ranking_and_conversations(store: Store):
    once = _talk(store, "a giraffe walked by the river with many other animals nearby today")
    thrice = _talk(store, "giraffe giraffe giraffe")
    titled = store.create_conversation("m", title="Giraffe facts").id
    _talk(store, "nothing relevant here")
    hits = store.search_messages("giraf")  # search as you type
    assert {h.conversation_id for h in hits} == {once, thrice, titled}
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    body = [h.conversation_id for h in hits if h.message_id]
    assert body.index(thrice) < body.index(once)
    assert all("«" in h.snippet and "\x1b" not in h.snippet for h in hits)
    assert [c.id for c in store.search_conversations("giraffe")][-1] == once
    assert {c.id for c in store.search_conversations("giraffe")} == {once, thrice, titled}
    assert store.search_conversations("walked river")[0].id == once
    assert len(store.search_messages("giraffe", limit=1)) == 1
    cafe = _talk(store, "Café au lait")
    assert [h.conversation_id for h in store.search_messages("cafe") if h.message_id] == [cafe]


def test_one_letter_as_you_type_matches_titles_then_the_next_brings_messages(store: Store):
    # "g"* would merge the index entries of every word starting with g: most of a long
    # history. Search as you type looks a lone letter up in titles only (the CLI still does all).
    titled = store.create_conversation("m", title="Grocery list").id
    talked = _talk(store, "hello", "a giraffe galloped by")
    _talk(store, "nothing relevant here")
    assert [c.id for c in store.search_conversations("g")] == [titled]
    assert [c.id for c in store.search_conversations(" G ")] == [titled]
    assert [c.id for c in store.search_conversations("ga")] == [talked]
    assert [c.id for c in store.search_conversations("gr")] == [titled]
    # The words before a lone last letter still search messages, as whole words.
    assert [c.id for c in store.search_conversations("giraffe g")] == [talked]
    assert store.search_conversations("giraf g") == []
    assert {h.conversation_id for h in store.search_messages("g")} == {titled, talked}
    assert message_query("g") is None and message_query("c++") is None and message_query("x a.b") == '"x"'
    assert message_query("gi") == fts_query("gi") == '"gi"*'
    assert message_query("giraffe g") == '"giraffe"' and fts_query("giraffe g") == '"giraffe" "g"*'


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(store: Store, query: str):
    _talk(store, 'AND OR NOT NEAR col:x "quoted" 🦒 giraffe ÄÖÜ')
    assert isinstance(store.search_messages(query), list)
    assert isinstance(store.search_conversations(query), list)
    if not any(ch.isalnum() for ch in query):
        assert store.search_messages(query) == [] and store.search_conversations(query) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text())
def test_any_text_query_never_raises(store: Store, query: str):
    store.search_messages(query)
    store.search_conversations(query)


# -- agent waits -----------------------------------------------------------------


def test_wait_lifecycle(store: Store):
    cid = _talk(store, "make an image")
    ack = store.add_message(cid, "assistant", "I've sent the message", status="awaiting-agent")
    w = store.add_wait(cid, ack.id, "I've sent the message", 20, time.time() + 5, deadline=time.time() + 600)
    store.update_wait(w.id, attempts_made=3, last_error="timeout", next_poll_at=123.0)
    got = store.get_wait(w.id)
    assert (got.attempts_made, got.attempts_total, got.last_error, got.next_poll_at) == (3, 20, "timeout", 123.0)
    assert store.pending_waits() == store.pending_waits(cid) == [got]
    store.update_wait(w.id, attempts_made=4)  # progress alone keeps the last error
    assert store.get_wait(w.id).last_error == "timeout"
    store.update_wait(w.id, attempts_made=5, last_error=None)  # a poll went through: the error is old news
    assert (store.get_wait(w.id).attempts_made, store.get_wait(w.id).last_error) == (5, None)
    store.clear_wait(w.id)
    assert store.get_wait(w.id) is None and store.pending_waits() == []


def test_claim_wait_is_exclusive_across_stores(db_path: Path):
    a, b = Store(db_path), Store(db_path)
    cid = _talk(a, "hi")
    w = a.add_wait(cid, None, "ack", 5, time.time())
    assert a.claim_wait(w.id, "proc-a", 30) is True
    assert b.claim_wait(w.id, "proc-b", 30) is False
    assert a.claim_wait(w.id, "proc-a", 30) is True  # renewing one's own lease
    b.release_wait(w.id, "proc-b")  # not the holder: no effect
    assert b.claim_wait(w.id, "proc-b", 30) is False
    a.release_wait(w.id, "proc-a")
    assert b.claim_wait(w.id, "proc-b", 0.05) is True
    time.sleep(0.1)  # b's lease lapsed
    assert a.claim_wait(w.id, "proc-a", 30) is True and a.get_wait(w.id).claimed_by == "proc-a"


# -- concurrency -----------------------------------------------------------------


def _write_messages(path: str, conversation_id: int, tag: str, count: int) -> int:
    store = Store(path)
    for i in range(count):
        store.add_message(conversation_id, "user", f"{tag} {i}")
    claimed = sum(store.claim_wait(1, tag, 60) for _ in range(5))
    store.close()
    return claimed


def test_threads_write_at_once(store: Store):
    cid = store.create_conversation("m").id
    errors: list[BaseException] = []

    def work(tag: str) -> None:
        try:
            for i in range(100):
                store.add_message(cid, "user", f"{tag} {i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.message_count(cid) == 400


def test_processes_write_at_once(db_path: Path):
    store = Store(db_path)
    cid = store.create_conversation("m").id
    store.add_wait(cid, None, "ack", 5, time.time())
    with ProcessPoolExecutor(3, mp_context=get_context("spawn")) as pool:
        claims = list(pool.map(_write_messages, [str(db_path)] * 3, [cid] * 3, ["p0", "p1", "p2"], [150] * 3))
    contents = {m.content for m in store.messages(cid)}
    assert contents == {f"p{n} {i}" for n in range(3) for i in range(150)}
    assert sorted(claims) == [0, 0, 5]  # exactly one process ever held the lease


def test_busy_database_is_a_store_error(db_path: Path):
    store = Store(db_path, busy_timeout=0.2)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="is busy"):
            store.create_conversation("m")
    finally:
        other.execute("ROLLBACK")
    assert store.create_conversation("m").id


# -- export / import -------------------------------------------------------------


def test_export_import_round_trip(store: Store, tmp_path: Path):
    cid = _talk(store, "draw a lighthouse", f"Here ![l]({IMG})")
    store.update_message(store.messages(cid)[1].id, reasoning="hmm", status="complete",
                         usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    ack = store.add_message(cid, "assistant", "I've sent the message", status="awaiting-agent")
    store.add_wait(cid, ack.id, "I've sent the message", 20, 1.0)
    exported = json.loads(json.dumps(store.export_conversation(cid)))
    assert store.import_conversation(exported).id == cid  # already here: kept as it is, not copied
    with Store(tmp_path / "other.db") as other:
        other.create_conversation("m")  # so ids differ
        new = other.import_conversation(exported)
        again = other.export_conversation(new.id)
    assert new.id != cid and new.session_id == exported["conversation"]["session_id"]

    def without_ids(value):
        if isinstance(value, dict):
            return {k: without_ids(v) for k, v in value.items() if k not in ("id", "conversation_id", "message_id")}
        return [without_ids(v) for v in value] if isinstance(value, list) else value

    assert without_ids(again) == without_ids(exported)
    assert again["images"][0]["message_id"] == again["messages"][1]["id"]
    with pytest.raises(NotAnExport, match="not a valid asi-chat conversation export"):
        store.import_conversation({"conversation": {}})
