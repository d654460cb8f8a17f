"""Which message of a conversation a search found: the snippet under each match in the
list, and the hits to step through (`n` / `N`) in the open conversation.

A companion of `Store` (it reads through the store's snapshot transaction), kept apart
so the store stays one screen of SQL per concern.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from app.core.database import message_query
from app.core.store import Store

HIT_START, HIT_END = "\x02", "\x03"
"""What FTS5's snippet() puts around each matched word. Stored text never holds control
characters (`app.core.sanitize.clean` strips them at ingest), so these cannot clash."""

CANDIDATES = 5000
"""Only the newest this many matching messages are ranked (as in `Store.search_messages`)."""


@dataclass(frozen=True, slots=True)
class MessageHit:
    """The best matching message of one conversation."""

    conversation_id: int
    message_id: int
    role: str
    snippet: str
    """One line of the message around the match, each matched word between `HIT_START` and `HIT_END`."""

    def parts(self) -> list[tuple[str, bool]]:
        """The snippet as (text, matched) pieces, in order."""
        pieces: list[tuple[str, bool]] = []
        for index, chunk in enumerate(self.snippet.split(HIT_START)):
            if index == 0:
                pieces.append((chunk, False))
                continue
            hit, _, rest = chunk.partition(HIT_END)
            pieces += [(hit, True), (rest, False)]
        return [(text, matched) for text, matched in pieces if text]


def _ranked(conn: sqlite3.Connection, match: str) -> list[tuple[int, float]]:
    return conn.execute("SELECT rowid, r FROM (SELECT rowid, bm25(messages_fts) AS r FROM messages_fts"
                        " WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY r",
                        (match, CANDIDATES)).fetchall()


def best_message_hits(store: Store, query: str, conversation_ids: list[int]) -> dict[int, MessageHit]:
    """For each of `conversation_ids` whose messages match `query`, its best message and a snippet.

    Titles-only queries (a lone letter, see `message_query`) find no message: {}.
    """
    match = message_query(query)
    wanted = set(conversation_ids)
    if match is None or not wanted:
        return {}
    with store._snapshot() as conn:  # noqa: SLF001 - one read transaction with the store
        ranked = _ranked(conn, match)
        best: dict[int, tuple[int, str]] = {}
        for start in range(0, len(ranked), 500):
            chunk = [rowid for rowid, _ in ranked[start:start + 500]]
            about = {mid: (cid, role) for mid, cid, role in conn.execute(
                f"SELECT id, conversation_id, role FROM messages WHERE id IN ({', '.join('?' * len(chunk))})", chunk)}
            for message_id in chunk:  # best first: a conversation's first hit is its best
                cid, role = about[message_id]
                if cid in wanted and cid not in best:
                    best[cid] = (message_id, role)
            if len(best) == len(wanted):
                break
        if not best:
            return {}
        ids = [mid for mid, _ in best.values()]
        # One pass over the rowid range (see database.ranked_matches: `rowid IN` re-runs the MATCH).
        snippets = dict(conn.execute(
            f"SELECT rowid, CASE WHEN rowid IN ({', '.join('?' * len(ids))}) THEN"
            f" snippet(messages_fts, 0, '{HIT_START}', '{HIT_END}', '…', 10) END FROM messages_fts"
            " WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ?", (*ids, match, min(ids), max(ids))))
    return {cid: MessageHit(cid, mid, role, " ".join((snippets.get(mid) or "").split()))
            for cid, (mid, role) in best.items()}


def message_hits(store: Store, query: str, conversation_id: int) -> list[int]:
    """Ids of the messages of one conversation that match `query`, oldest first."""
    match = message_query(query)
    if match is None:
        return []
    with store._snapshot() as conn:  # noqa: SLF001
        rows = conn.execute("SELECT m.id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                            " WHERE messages_fts MATCH ? AND m.conversation_id = ? ORDER BY m.id",
                            (match, conversation_id)).fetchall()
    return [mid for (mid,) in rows]
