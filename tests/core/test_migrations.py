"""The history file: its schema, upgrades from every earlier version, and files that cannot be used."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlite_utils import Database

from app.core.errors import StoreError
from app.core.store import schema
from app.core.store.migrations import MIGRATIONS, create_fts_triggers, drop_fts_triggers, migration_names, rebuild_fts
from app.core.store.store import Store

IMG = "https://agents.example.com/files/old.png"
TABLES = {"conversations", "messages", "agent_waits", "images", "messages_fts", "conversations_fts",
          "tool_calls", "tool_calls_fts"}
INDEXES = {"conversations_updated_at", "messages_conversation", "messages_streaming",
           "agent_waits_conversation", "agent_waits_message", "images_conversation"}


def _schema(conn: sqlite3.Connection, kind: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}


def test_fresh_schema(db_path: Path):
    conn = Store(db_path)._conn()
    assert TABLES <= _schema(conn, "table") and INDEXES <= _schema(conn, "index")
    assert len(_schema(conn, "trigger")) == 10  # the FTS triggers (9) and the drafts of a deleted conversation
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == migration_names()
    assert applied[:5] == ["m001_conversations_messages", "m002_agent_waits", "m003_images", "m004_search",
                           "m110_branches"]
    assert {"m120_conversation_options", "m121_tool_calls", "m122_message_extras"} <= set(applied)
    assert "m130_agents" in applied
    assert "m140_inline_images" in applied
    columns = {c[1].lower() for t in ("conversations", "messages", "agent_waits", "images")
               for c in conn.execute(f"PRAGMA table_info({t})")}
    assert not {c for c in columns if "key" in c or "secret" in c or "auth" in c}  # never a credential
    assert {"prompt_tokens", "completion_tokens", "total_tokens", "claimed_by", "claimed_until"} <= columns


def _old_file(path: Path, stop_before: str) -> None:
    """A file as the version that stopped before `stop_before` left it, with its data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    MIGRATIONS.apply(db, stop_before=stop_before)
    tables = set(db.table_names())
    now = time.time() - 100
    db.execute("INSERT INTO conversations (id, title, model, session_id, created_at, updated_at)"
               " VALUES (7, 'Old lighthouse chat', 'asi1-mini', 'sess-7', ?, ?)", (now, now))
    rows = [(70, "user", "paint an old lighthouse", "complete"),
            (71, "assistant", f"Here it is ![l]({IMG})", "complete"),
            (72, "assistant", "I've sent the message", "awaiting-agent"),
            (73, "assistant", "half a sentence about whales", "streaming")]
    for mid, role, content, status in rows:
        db.execute("INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at)"
                   " VALUES (?, 7, ?, ?, ?, ?, ?)", (mid, role, content, status, now, now))
    if "parent_id" in db["messages"].columns_dict:  # a version with branches wrote them as one line
        db.execute("UPDATE messages SET parent_id = id - 1, session_id = 'sess-7' WHERE id > 70")
        db.execute("UPDATE messages SET session_id = 'sess-7' WHERE id = 70")
        db.execute("UPDATE conversations SET active_leaf_id = 73 WHERE id = 7")
    if "agent_waits" in tables:
        db.execute("INSERT INTO agent_waits (conversation_id, message_id, acknowledgement, attempts_made,"
                   " attempts_total, started_at, next_poll_at) VALUES (7, 72, 'ack', 3, 20, ?, ?)", (now, now))
    if "images" in tables:
        db.execute("INSERT INTO images (conversation_id, message_id, url, created_at) VALUES (7, 71, ?, ?)",
                   (IMG, now))
    db.conn.commit()
    db.close()


@pytest.mark.parametrize("stop_before", migration_names()[1:])
def test_upgrade_from_every_earlier_version(db_path: Path, stop_before: str):
    _old_file(db_path, stop_before)
    store = Store(db_path)
    conn = store._conn()
    assert TABLES <= _schema(conn, "table") and INDEXES <= _schema(conn, "index")
    assert not MIGRATIONS.pending(Database(store._conn()))
    c = store.get_conversation(7)
    assert (c.title, c.session_id, c.archived) == ("Old lighthouse chat", "sess-7", False)
    # Before m002 there were no waits: an acknowledgement left waiting becomes a stopped wait.
    ack_status = "wait-stopped" if stop_before == "m002_agent_waits" else "awaiting-agent"
    assert [(m.id, m.status) for m in store.messages(7)] == [(70, "complete"), (71, "complete"),
                                                             (72, ack_status), (73, "streaming")]
    # A single line of messages becomes a single-branch tree on the conversation's session.
    assert [(m.id, m.parent_id, m.session_id) for m in store.messages(7)] == [
        (70, None, "sess-7"), (71, 70, "sess-7"), (72, 71, "sess-7"), (73, 72, "sess-7")]
    assert store.get_conversation(7).active_leaf_id == 73
    assert [(i.message_id, i.url) for i in store.images(7)] == [(71, IMG)]  # backfilled or kept, once
    assert [h.message_id for h in store.search_messages("lighthouse")] in ([70, None], [None, 70])
    assert store.search_conversations("lighthouse")[0].id == 7
    assert store.search_messages("whales") == []  # streaming: not indexed until settled
    assert store.recover_interrupted(stale_after=0) == 1 and store.search_messages("whales")[0].message_id == 73
    waits = store.pending_waits(7)
    if stop_before == "m002_agent_waits":
        assert waits == [] and [w.message_id for w in store.stopped_waits(7)] == [72]
    else:
        assert [(w.message_id, w.attempts_made) for w in waits] == [(72, 3)]
        assert store.list_conversations()[0].waiting
    m = store.add_message(7, "user", "new lighthouse question")  # new rows get fresh ids
    assert m.id > 73 and store.create_conversation("m").id > 7
    assert (m.parent_id, m.session_id) == (73, "sess-7") and store.get_conversation(7).active_leaf_id == m.id


def test_reopening_changes_nothing(db_path: Path):
    Store(db_path).close()
    before = db_path.read_bytes()
    Store(db_path).close()
    assert db_path.read_bytes() == before


def test_schema_names_are_the_migrations():
    # Opening a file compares its applied migrations with `schema.NAMES` (no sqlite-utils).
    assert list(schema.NAMES) == migration_names()
    assert (MIGRATIONS.name, MIGRATIONS.migrations_table) == (schema.MIGRATION_SET, schema.MIGRATIONS_TABLE)


def test_an_up_to_date_file_opens_without_sqlite_utils(db_path: Path):
    Store(db_path).close()
    code = ("import sys; from app.core.store.store import Store; s = Store(sys.argv[1]); s.list_conversations();"
            " s.create_conversation('m'); print('sqlite_utils' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert Store(db_path).count_conversations() == 1


def test_file_from_a_newer_version_is_refused(db_path: Path):
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
                 " VALUES ('asi-chat', 'm999_future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="written by a newer asi-chat"):
        Store(db_path)


def test_rebuilt_index_equals_trigger_built(db_path: Path):
    store = Store(db_path)
    for i in range(30):
        c = store.create_conversation("m", title=f"title {i} zebra" if i % 3 else None)
        store.add_message(c.id, "user", f"question {i} about zebras and giraffes {'okapi' * (i % 2)}")
        store.add_message(c.id, "assistant", f"partial {i} zebra", status="streaming" if i % 4 == 0 else "complete")
    queries = ["zebra", "giraffes", "okapi", "partial", "title", "question 1"]
    before = [store.search_messages(q) for q in queries]
    db = Database(store._conn())
    with db.atomic():
        drop_fts_triggers(db)
        rebuild_fts(db)
        create_fts_triggers(db)
    assert [store.search_messages(q) for q in queries] == before
    store.recover_interrupted(stale_after=0)  # streaming rows enter the index now
    assert len(store.search_messages("partial")) == 30
    for table in ("messages_fts", "conversations_fts"):
        db.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


def _open_and_write(path: str) -> int:
    store = Store(path)
    conversation = store.create_conversation("m")
    store.add_message(conversation.id, "user", f"hello from {os.getpid()}")
    return conversation.id


def test_processes_opening_a_new_file_at_once(db_path: Path):
    with ProcessPoolExecutor(4, mp_context=get_context("spawn")) as pool:
        ids = list(pool.map(_open_and_write, [str(db_path)] * 4))
    store = Store(db_path)
    assert sorted(ids) == [1, 2, 3, 4] and store.count_conversations() == 4
    assert len([h for h in store.search_messages("hello") if h.message_id]) == 4
    assert store._conn().execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(migration_names())


@pytest.mark.parametrize("content", [b"not a database\n", random.Random(1).randbytes(8192),
                                     b"SQLite format 3\x00" + random.Random(2).randbytes(4000)])
def test_damaged_file_left_untouched(db_path: Path, content: bytes):
    db_path.parent.mkdir()
    db_path.write_bytes(content)
    with pytest.raises(StoreError, match="is not an asi-chat history database or is damaged; it was left"):
        Store(db_path)
    assert db_path.read_bytes() == content and not Path(f"{db_path}-wal").exists()


def test_someone_elses_database_left_untouched(db_path: Path):
    db_path.parent.mkdir()
    sqlite3.connect(db_path).execute("CREATE TABLE notes (x)").connection.commit()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="not an asi-chat history database"):
        Store(db_path)
    assert db_path.read_bytes() == before


def test_parent_that_cannot_be_created(tmp_path: Path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StoreError, match="Cannot create the folder .*a-file/sub"):
        Store(tmp_path / "a-file" / "sub" / "history.db")


@pytest.fixture
def shared_dir():
    """A folder outside pytest's private tmp tree, so an unprivileged child can reach it."""
    path = Path(tempfile.mkdtemp(prefix="asi-chat-store-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _drop_root() -> None:
    if os.geteuid() == 0:  # root ignores file modes, so test as "nobody"
        os.setgid(65534)
        os.setuid(65534)


def _unprivileged(fn, *args):
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_drop_root) as pool:
        return pool.submit(fn, *args).result()


def _open_message(path: str) -> str:
    try:
        Store(path)
    except StoreError as exc:
        return str(exc)
    return "opened"


def _read_then_write(path: str) -> tuple[list[str], str]:
    store = Store(path)
    titles = [c.title for c in store.list_conversations()] + [h.snippet for h in store.search_messages("kept")]
    try:
        store.create_conversation("m")
    except StoreError as exc:
        return titles, str(exc)
    return titles, "written"


def test_read_only_folder(shared_dir: Path):
    folder = shared_dir / "ro"
    folder.mkdir(mode=0o555)
    message = _unprivileged(_open_message, str(folder / "history.db"))
    assert "not writable" in message and str(folder) in message
    message = _unprivileged(_open_message, str(folder / "sub" / "history.db"))
    assert message.startswith(f"Cannot create the folder {folder / 'sub'}")


def test_read_only_file_reads_but_refuses_writes(shared_dir: Path):
    path = shared_dir / "history.db"
    with Store(path) as store:
        store.add_message(store.create_conversation("m").id, "user", "kept safe")
    path.chmod(0o444)
    if os.geteuid() == 0:
        os.chown(shared_dir, 65534, 65534)
        os.chown(path, 65534, 65534)
    titles, message = _unprivileged(_read_then_write, str(path))
    assert titles == ["kept safe", "«kept» safe", "«kept» safe"] and "is read-only" in message
    assert message == f"The history database {path} is read-only; the change was not saved."
