"""The history database file: its schema as named migrations, and opening it safely.

Each migration is a plain function so a test can build a file exactly as an earlier
version left it (`MIGRATIONS.apply(db, stop_before="m003_images")`). Never edit a
step that has shipped: add a new one.

Statements run one at a time through `db.execute` because `executescript` would
commit the transaction `Store` holds around the whole upgrade.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from app.core.errors import StoreError
from app.core.links import image_links

MIGRATIONS = Migrations("asi-chat")

# The unicode61 tokenizer folds case and (with remove_diacritics 2) accents, so
# "Café" finds "cafe"; the 2- and 3-character prefix indexes make the
# search-as-you-type prefix query on a short last word cheap.
FTS_OPTIONS = "tokenize='unicode61 remove_diacritics 2', prefix='2 3'"

# A streaming message is rewritten on every flush of the reply; indexing each
# partial version would make every flush re-tokenise the whole text. So a message
# is in the index exactly when its status is not 'streaming', and the triggers
# below keep that invariant (an external-content FTS5 'delete' must be given the
# values that were indexed, so the conditions on both sides have to agree).
FTS_TRIGGERS: dict[str, str] = {
    "messages_fts_insert": """
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.status != 'streaming' BEGIN
            INSERT INTO messages_fts(rowid, content)
            VALUES (new.id, new.content);
        END""",
    "messages_fts_delete": """
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.status != 'streaming' BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
        END""",
    # One trigger with two ordered statements: the old row must leave the index
    # before the new one enters it under the same rowid.
    "messages_fts_update": """
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
        BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
            SELECT 'delete', old.id, old.content
            WHERE old.status != 'streaming'
              AND (new.status = 'streaming' OR old.content IS NOT new.content);
            INSERT INTO messages_fts(rowid, content)
            SELECT new.id, new.content
            WHERE new.status != 'streaming'
              AND (old.status = 'streaming' OR old.content IS NOT new.content);
        END""",
    "conversations_fts_insert": """
        CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
            INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
        END""",
    "conversations_fts_delete": """
        CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
            INSERT INTO conversations_fts(conversations_fts, rowid, title)
            VALUES ('delete', old.id, old.title);
        END""",
    "conversations_fts_update": """
        CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations
        WHEN old.title IS NOT new.title BEGIN
            INSERT INTO conversations_fts(conversations_fts, rowid, title)
            VALUES ('delete', old.id, old.title);
            INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
        END""",
}


def _run(db: Database, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m001_conversations_messages(db: Database) -> None:
    """Conversations and their messages."""
    _run(
        db,
        # AUTOINCREMENT so an id the UI still holds never comes back as another row.
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT,
            model TEXT NOT NULL,
            session_id TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
        )""",
        "CREATE INDEX conversations_updated_at ON conversations(updated_at)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN
                ('complete', 'streaming', 'interrupted', 'error', 'awaiting-agent')),
            model TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            total_tokens INTEGER,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX messages_conversation ON messages(conversation_id, id)",
        # Partial index: only the handful of streaming rows, for recover_interrupted().
        "CREATE INDEX messages_streaming ON messages(updated_at) WHERE status = 'streaming'",
    )


@MIGRATIONS()
def m002_agent_waits(db: Database) -> None:
    """Pending agent replies and the lease that serialises polling them."""
    _run(
        db,
        """CREATE TABLE agent_waits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
            acknowledgement TEXT NOT NULL DEFAULT '',
            attempts_made INTEGER NOT NULL DEFAULT 0,
            attempts_total INTEGER NOT NULL,
            started_at REAL NOT NULL,
            next_poll_at REAL NOT NULL,
            deadline REAL,
            last_error TEXT,
            claimed_by TEXT,
            claimed_until REAL
        )""",
        "CREATE INDEX agent_waits_conversation ON agent_waits(conversation_id)",
        "CREATE INDEX agent_waits_message ON agent_waits(message_id)",
    )


@MIGRATIONS()
def m003_images(db: Database) -> None:
    """Image links found in messages, backfilled from the messages already stored."""
    _run(
        db,
        """CREATE TABLE images (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (message_id, url)
        )""",
        "CREATE INDEX images_conversation ON images(conversation_id, id)",
    )
    rows = db.execute(
        "SELECT id, conversation_id, content, updated_at FROM messages "
        "WHERE status != 'streaming' AND content LIKE '%http%' ORDER BY id"
    ).fetchall()
    db.conn.executemany(
        "INSERT OR IGNORE INTO images (conversation_id, message_id, url, created_at) "
        "VALUES (?, ?, ?, ?)",
        [
            (conversation_id, message_id, url, updated_at)
            for message_id, conversation_id, content, updated_at in rows
            for url in image_links(content)
        ],
    )


@MIGRATIONS()
def m004_search(db: Database) -> None:
    """Full-text search over message text and conversation titles."""
    _run(
        db,
        f"""CREATE VIRTUAL TABLE messages_fts USING fts5(
            content, content='messages', content_rowid='id', {FTS_OPTIONS})""",
        f"""CREATE VIRTUAL TABLE conversations_fts USING fts5(
            title, content='conversations', content_rowid='id', {FTS_OPTIONS})""",
    )
    create_fts_triggers(db)
    rebuild_fts(db)


def create_fts_triggers(db: Database) -> None:
    """Create the triggers that keep both FTS indexes current."""
    _run(db, *FTS_TRIGGERS.values())


def drop_fts_triggers(db: Database) -> None:
    """Drop the FTS triggers (bulk loads only; call rebuild_fts and create_fts_triggers after)."""
    _run(db, *(f"DROP TRIGGER IF EXISTS {name}" for name in FTS_TRIGGERS))


def rebuild_fts(db: Database) -> None:
    """Re-index every row, with exactly the rows the triggers would have indexed."""
    # Not the FTS5 'rebuild' command: it would index streaming messages too and
    # break the invariant the triggers rely on.
    _run(
        db,
        "INSERT INTO messages_fts(messages_fts) VALUES ('delete-all')",
        "INSERT INTO messages_fts(rowid, content) "
        "SELECT id, content FROM messages WHERE status != 'streaming'",
        "INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild')",
    )


def migration_names() -> list[str]:
    """Names of all migrations, oldest first (for `apply(stop_before=...)`)."""
    return [migration.name for migration in MIGRATIONS._migrations]


# -- opening a file safely --------------------------------------------------------
# Nothing may write to a file before it is known to be an asi-chat database: the
# header is read by hand, the schema read-only, and only then is WAL switched on.

_SQLITE_HEADER = b"SQLite format 3\x00"


def damaged(path: Path) -> StoreError:
    """The error for a file that is not ours or cannot be read as SQLite."""
    return StoreError(f"{path} is not an asi-chat history database or is damaged; it was left untouched.")


def describe(exc: sqlite3.Error, path: Path, busy_timeout: float) -> StoreError:
    """A one-line StoreError a person can act on, for any SQLite failure."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreError(f"The history database {path} is busy: another asi-chat process "
                          f"held it for over {busy_timeout:g} s; try again.")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"The history database {path} is read-only; the change was not saved.")
    if "malformed" in text or "not a database" in text:
        return damaged(path)
    if "unable to open" in text:
        return StoreError(f"Cannot open the history database {path}; check that the file "
                          "and its folder are readable and writable.")
    return StoreError(f"History database error in {path}: {' '.join(str(exc).split())}")


def prepare_file(path: Path) -> None:
    """Create the folder (0700) and an empty file (0600) if missing; vet an existing file's header."""
    parent = path.parent
    try:
        for directory in [p for p in (parent, *parent.parents) if not p.exists()][::-1]:
            os.mkdir(directory, 0o700)  # private: the history is personal
    except OSError as exc:
        raise StoreError(f"Cannot create the folder {parent} for the history database "
                         f"({exc.strerror}).") from exc
    try:
        # Made by us before SQLite touches it, so it is never readable by others.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"Cannot create the history database {path}: the folder "
                         f"{parent} is not writable ({exc.strerror}).") from exc
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StoreError(f"Cannot read the history database {path} ({exc.strerror}).") from exc
    # Empty is a file we (or a racing process) just made; anything else must be SQLite.
    if header and (len(header) < 100 or not header.startswith(_SQLITE_HEADER)):
        raise damaged(path)


def connect(path: Path, busy_timeout: float, *, first: bool = False) -> Database:
    """A configured connection; the `first` of a store also vets the file and upgrades it."""
    try:
        # isolation_level=None: the store issues BEGIN IMMEDIATE / COMMIT itself.
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise describe(exc, path, busy_timeout) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        if first:
            _check(conn, path)
        try:  # the one PRAGMA that writes, so only after the check
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):  # a read-only file can still be read
                raise
        db = Database(conn, execute_plugins=False)
        if first:
            upgrade(db)
        return db
    except sqlite3.Error as exc:
        conn.close()
        raise describe(exc, path, busy_timeout) from exc
    except BaseException:
        conn.close()
        raise


def _check(conn: sqlite3.Connection, path: Path) -> None:
    try:
        state = schema_state(conn)
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        raise damaged(path) from exc
    if state == "foreign":
        raise damaged(path)
    if state == "newer":
        raise StoreError(f"{path} was written by a newer asi-chat; upgrade asi-chat to open it.")


def schema_state(conn: sqlite3.Connection) -> str:
    """What a file holds, read without writing: 'new', 'ours', 'foreign' or 'newer'.

    Raises sqlite3.DatabaseError when SQLite cannot read the file at all.
    """
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables - {"sqlite_sequence"}:
        return "new"
    if MIGRATIONS.migrations_table not in tables:
        return "foreign"
    applied = {r[0] for r in conn.execute(
        f"SELECT name FROM {MIGRATIONS.migrations_table} WHERE migration_set = ?", [MIGRATIONS.name])}
    if not applied:
        return "foreign"
    return "newer" if applied - set(migration_names()) else "ours"


def upgrade(db: Database) -> None:
    """Apply pending migrations, holding the write lock for the whole upgrade."""
    if not MIGRATIONS.pending(db):
        return
    # Lock first so two processes opening a new file do not both migrate; apply()
    # then re-reads what is applied and nests its steps as savepoints.
    db.execute("BEGIN IMMEDIATE")
    try:
        MIGRATIONS.apply(db)
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise


# More words than this add nothing a person means and only make the query slower.
_MAX_QUERY_WORDS = 32


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 MATCH expression, or None to match nothing.

    Every word becomes a quoted phrase, so FTS5 syntax (AND, NEAR, col:, *, parentheses)
    is just text; the last word is a prefix so results follow typing.
    """
    # NUL ends an FTS5 string early; lone surrogates cannot be encoded.
    text = text.replace("\x00", " ").encode("utf-8", "ignore").decode("utf-8")
    words = [w for w in text.split() if any(ch.isalnum() for ch in w)][:_MAX_QUERY_WORDS]
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in words) + "*"


def ranked_matches(conn: sqlite3.Connection, table: str, match: str, limit: int, candidates: int,
                   marked: str | None = None) -> list[tuple]:
    """(rowid, bm25[, marked text]) of `table` best first, among its newest `candidates` matches.

    `marked` is an FTS5 snippet()/highlight() call, made for the final rows only as
    it reads their text. `limit` -1 means all candidates.
    """
    ranked = conn.execute(f"SELECT rowid, r FROM (SELECT rowid, bm25({table}) AS r FROM {table}"
                          f" WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY r LIMIT ?",
                          (match, candidates, limit)).fetchall()
    if not ranked or marked is None:
        return ranked
    # One pass over the rowid range, not `rowid IN (...)`: that re-runs the MATCH per
    # rowid, and a prefix query rebuilds its whole merged doclist every time.
    ids = [rowid for rowid, _ in ranked]
    texts = {rowid: text for rowid, text in conn.execute(
        f"SELECT rowid, CASE WHEN rowid IN ({', '.join('?' * len(ids))}) THEN {marked} END FROM {table}"
        f" WHERE {table} MATCH ? AND rowid BETWEEN ? AND ?", (*ids, match, min(ids), max(ids))) if text}
    # Collapsed to one line: a snippet is shown in a single row of a list.
    return [(rowid, rank, " ".join(texts.get(rowid, "").split())) for rowid, rank in ranked]
