"""Which message of a conversation a search found: the snippet under each match in the
list, and the hits to step through (`n` / `N`) in the open conversation.

A companion of `Store` (it reads through the store's snapshot transaction), kept apart
so the store stays one screen of SQL per concern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.store.database import message_query
from app.core.store.store import Store

HIT_START, HIT_END = "\x02", "\x03"
"""What FTS5's snippet() puts around each matched word. Stored text never holds control
characters (`app.core.sanitize.clean` strips them at ingest), so these cannot clash."""

_LINE_START = re.compile(r"^(…?)[ \t]*(?:(?:#{1,6}|[-*+](?:[ \t]+\[[ xX]\])?|\d{1,9}[.)]|>)[ \t]+)+")
_FENCE = re.compile(r"^(…?)[ \t]*(?:```|~~~)[\w+-]*[ \t]*")
_TABLE_RULE = re.compile(r"^[ \t|:-]*-{3,}[ \t|:-]*$")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*\)")
_STRONG = re.compile(r"\*\*|__|~~|`+")
# A single * or _ is emphasis where it opens or closes a word, not inside one (snake_case).
# The match marks count as word characters: "\x02pelican\x03_it" keeps its underscore.
_EMPHASIS = re.compile(r"(?<![\w*\x02\x03])[*_](?=[^\s*_])|(?<=[^\s*_])[*_](?![\w*\x02\x03])")


def plain_snippet(snippet: str) -> str:
    """`snippet` as plain text on one line: Markdown syntax (headings, list and quote
    markers, code fences, emphasis, backticks, link and image syntax, table rules and
    pipes) taken out, words and the `HIT_START`/`HIT_END` marks kept."""
    lines = []
    for line in snippet.split("\n"):
        if _TABLE_RULE.match(line):
            continue
        line = _FENCE.sub(r"\1", line)
        line = _LINE_START.sub(r"\1", line)
        lines.append(line.replace("|", " "))
    text = _LINK.sub(r"\1", " ".join(lines))
    text = _EMPHASIS.sub("", _STRONG.sub("", text))
    return " ".join(text.split())


CANDIDATES = Store.LIST_CANDIDATES
"""Only the newest this many matching messages are ranked, as the list's own search ranks them."""


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


def best_message_hits(store: Store, query: str, conversation_ids: list[int]) -> dict[int, MessageHit]:
    """For each of `conversation_ids` whose messages match `query`, its best message and a snippet.

    Titles-only queries (a lone letter, see `message_query`) find no message: {}.
    """
    match = message_query(query)
    wanted = set(conversation_ids)
    if match is None or not wanted:
        return {}
    with store._snapshot() as conn:  # noqa: SLF001 - one read transaction with the store
        # The best (lowest bm25) of each conversation's messages among the newest candidates;
        # SQLite gives a bare column of a MIN() aggregate from the row holding the minimum.
        best = {cid: (mid, role) for cid, mid, role, _ in conn.execute(
            "SELECT m.conversation_id, m.id, m.role, MIN(f.r) FROM (SELECT rowid, bm25(messages_fts) AS r"
            " FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?) AS f"
            " JOIN messages m ON m.id = f.rowid GROUP BY m.conversation_id", (match, CANDIDATES))
            if cid in wanted}
        if not best:
            return {}
        ids = [mid for mid, _ in best.values()]
        # One pass over the rowid range (see database.ranked_matches: `rowid IN` re-runs the MATCH).
        snippets = dict(conn.execute(
            f"SELECT rowid, CASE WHEN rowid IN ({', '.join('?' * len(ids))}) THEN"
            f" snippet(messages_fts, 0, '{HIT_START}', '{HIT_END}', '…', 10) END FROM messages_fts"
            " WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ?", (*ids, match, min(ids), max(ids))))
    return {cid: MessageHit(cid, mid, role, plain_snippet(snippets.get(mid) or ""))
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
