"""Opening the history file safely, and the full-text query helpers the store uses.

Nothing may write to a file before it is known to be an asi-chat database: the header
is read by hand, the schema read-only, and only then is WAL switched on.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from app.core.errors import StoreError
from app.core.store import schema

_SQLITE_HEADER = b"SQLite format 3\x00"

try:
    import fcntl
except ImportError:  # Windows: no presence lock, recovery falls back to the age rule
    fcntl = None  # type: ignore[assignment]


def damaged(path: Path) -> StoreError:
    """The error for a file that is not ours or cannot be read as SQLite."""
    return StoreError(f"{path} is not an asi-chat history database or is damaged; it was left untouched.")


def describe(exc: sqlite3.Error, path: Path, busy_timeout: float, *, opening: bool = False) -> StoreError:
    """A one-line StoreError a person can act on, for any SQLite failure."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreError(f"The history database {path} is busy: another asi-chat process "
                          f"held it for over {busy_timeout:g} s; try again.")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"The history database {path} is read-only; the change was not saved.")
    if "malformed" in text or "not a database" in text:
        if opening:
            return damaged(path)
        # Damage found after opening: this run may already have written to the file (to
        # pages that were fine), so promise only what holds: it is never repaired or replaced.
        return StoreError(f"The history database {path} is damaged ({' '.join(str(exc).split())}); "
                          "asi-chat will not repair or replace it: keep a copy.")
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


def presence_lock(path: Path, wait: float) -> BinaryIO | None:
    """An open `<db>.lock` holding a shared lock for as long as it stays open.

    Every process using the history holds one. The kernel drops it when the process
    dies, even by `kill -9`, so whoever can turn it into an exclusive lock knows that no
    other asi-chat process is alive to write (see `sole_user`). None when unavailable.
    """
    if fcntl is None:
        return None
    try:
        handle = open(os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600), "r+b", buffering=0)
    except OSError:
        return None  # e.g. a read-only folder: then nobody is ever sure to be alone
    deadline = time.monotonic() + wait
    while True:  # a recovering process holds it exclusively for a moment only
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return handle
        except OSError:
            if time.monotonic() > deadline:
                handle.close()
                return None
            time.sleep(0.02)


@contextmanager
def sole_user(handle: BinaryIO | None) -> Iterator[bool]:
    """True inside when no other process holds a presence lock on the same database;
    new processes then wait (in `presence_lock`) until the block is left."""
    if handle is None or fcntl is None:
        yield False
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fcntl.flock(handle, fcntl.LOCK_SH)  # a failed upgrade can drop the lock held (flock(2))
        yield False
        return
    try:
        yield True
    finally:
        fcntl.flock(handle, fcntl.LOCK_SH)


def connect(path: Path, busy_timeout: float, *, first: bool = False) -> sqlite3.Connection:
    """A configured connection; the `first` of a store also vets the file and upgrades it."""
    try:
        # isolation_level=None: the store issues BEGIN IMMEDIATE / COMMIT itself.
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise describe(exc, path, busy_timeout, opening=True) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        state = _check(conn, path) if first else "ours"
        try:  # the one PRAGMA that writes, so only after the check
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):  # a read-only file can still be read
                raise
        if state in ("new", "old"):
            upgrade(conn)
        return conn
    except sqlite3.Error as exc:
        conn.close()
        raise describe(exc, path, busy_timeout, opening=True) from exc
    except BaseException:
        conn.close()
        raise


def unwritable(path: Path) -> bool:
    """True for an existing history that cannot be written: the file, or its folder (which
    SQLite needs for the -wal and -shm files beside it). It can still be opened to read."""
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def connect_read_only(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A connection that can never write, for a history in a read-only file or folder.

    `mode=ro` reads a WAL database only when its -shm file exists or can be made; in a
    read-only folder without one, `immutable=1` reads the main file as it is (no process
    can be writing it there: none could create the -wal it would write to).
    """
    from urllib.parse import quote

    base = f"file:{quote(str(path.absolute()))}?mode=ro"
    last: sqlite3.Error | None = None
    for uri in (base, base + "&immutable=1"):
        conn = None
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            last = exc
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                break
            continue
        return conn
    raise describe(last, path, busy_timeout, opening=True) from last


def check_read_only(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a read-only file that is empty or would need an upgrade (which writes)."""
    try:
        state = _check(conn, path)
    except BaseException:
        conn.close()
        raise
    if state in ("new", "old"):
        conn.close()
        what = "is empty" if state == "new" else "was written by an older asi-chat and needs upgrading"
        raise StoreError(f"The history database {path} {what}, but it is read-only; make it writable.")


def _check(conn: sqlite3.Connection, path: Path) -> str:
    """The file's `schema.state`, raising StoreError for one that is not ours to open."""
    try:
        state = schema.state(conn)
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        raise damaged(path) from exc
    if state == "foreign":
        raise damaged(path)
    if state == "newer":
        raise StoreError(f"{path} was written by a newer asi-chat; upgrade asi-chat to open it.")
    return state


def upgrade(conn: sqlite3.Connection) -> None:
    """Apply pending migrations, holding the write lock for the whole upgrade (the only
    use of sqlite-utils: an up-to-date file opens without importing it)."""
    from sqlite_utils import Database

    from app.core.store.migrations import MIGRATIONS

    db = Database(conn, execute_plugins=False)
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

#: A last word ending in a token shorter than this is not looked up in messages (`message_query`).
MIN_MESSAGE_PREFIX = 2


def _query_words(text: str) -> list[str]:
    # NUL ends an FTS5 string early; lone surrogates cannot be encoded.
    text = text.replace("\x00", " ").encode("utf-8", "ignore").decode("utf-8")
    return [w for w in text.split() if any(ch.isalnum() for ch in w)][:_MAX_QUERY_WORDS]


def _match(words: list[str], prefix: bool) -> str | None:
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in words) + ("*" if prefix else "")


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 MATCH expression, or None to match nothing.

    Every word becomes a quoted phrase, so FTS5 syntax (AND, NEAR, col:, *, parentheses)
    is just text; the last word is a prefix so results follow typing.
    """
    return _match(_query_words(text), prefix=True)


def message_query(text: str) -> str | None:
    """`fts_query` for the message index, for searching as you type: a last word whose
    final token is one character ("g", "c++") is left out, else None if nothing is left.

    The index holds 2- and 3-character prefixes, not 1-character ones, so "g"* merges the
    lists of every word starting with g: most of a long history (0.1-0.3 s at 500,000
    messages). A single letter narrows nothing anyway; the title index is small enough
    to take it, and the next character typed brings the messages in.
    """
    words = _query_words(text)
    if words and short_prefix(words[-1]):
        return _match(words[:-1], prefix=False)  # the words before it were finished with a space
    return _match(words, prefix=True)


def short_prefix(word: str) -> bool:
    """True if FTS5 would prefix-match `word` by a token under MIN_MESSAGE_PREFIX characters
    (its tokenizer splits at what is not a letter or digit: "c++" ends in the token "c")."""
    tokens = re.findall(r"[^\W_]+", word)
    return not tokens or len(tokens[-1]) < MIN_MESSAGE_PREFIX


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


def best_conversations(conn: sqlite3.Connection, match: str, in_messages: str | None, limit: int,
                       candidates: int) -> list[int]:
    """Ids of the `limit` conversations matching best, best first: titles by `match`, messages
    by `in_messages` (None: titles only), each among its newest `candidates` matches."""
    best = dict(ranked_matches(conn, "conversations_fts", match, limit, candidates))
    ranked = ranked_matches(conn, "messages_fts", in_messages, -1, candidates) if in_messages else []
    seen: set[int] = set()
    # Walk message hits best first until `limit` distinct conversations were seen;
    # each one's first hit is its best, so nothing later can beat the ones kept.
    for start in range(0, len(ranked), 500):
        chunk = ranked[start:start + 500]
        owner = dict(conn.execute(f"SELECT id, conversation_id FROM messages WHERE id IN"
                                  f" ({', '.join('?' * len(chunk))})", [mid for mid, _ in chunk]))
        for message_id, rank in chunk:
            cid = owner[message_id]
            if cid not in seen and len(seen) < limit:
                seen.add(cid)
                best[cid] = min(best.get(cid, rank), rank)
        if len(seen) >= limit:
            break
    return sorted(best, key=best.__getitem__)[:limit]
