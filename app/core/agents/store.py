"""Agents in the history database: the ones used and pinned, and who worked on which message.

Kept apart from `store.py` (which it uses through the store's own transaction helpers):
`AgentStore(store)` is cheap, make one where needed. Listings are cached as JSON so the
agent browser can show pinned and used agents with the marketplace down; the cache is
re-sanitised when read, since the file is not trusted either.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.agents.names import handles_in_prompt
from app.core.agents.records import AgentListing, listing_from_cache, normal_handle, one_line
from app.core.store.records import Message, MessageStatus
from app.core.wire.events import AgentRef, agents_label

if TYPE_CHECKING:
    from app.core.store.store import Store

_COLUMNS = "key, handle, name, address, category, first_used, last_used, use_count, pinned, listing"


@dataclass(frozen=True, slots=True)
class KnownAgent:
    """An agent asi-chat has seen used or that the user pinned."""

    key: str
    handle: str
    name: str
    address: str
    category: str
    first_used: float | None
    last_used: float | None
    use_count: int
    pinned: bool
    listing: AgentListing | None
    """The marketplace listing as last seen, for offline use."""

    def as_listing(self) -> AgentListing:
        """The cached listing, or a minimal one from what is known."""
        if self.listing is not None:
            return self.listing
        return AgentListing(address=self.address, handle=self.handle, name=self.name or self.key,
                            category=self.category)

    def as_ref(self) -> AgentRef:
        """This agent as a turn names it."""
        return AgentRef(self.name, self.handle, self.address)

    def to_dict(self) -> dict:
        """A JSON-ready dict (`asi-chat agents used --json`)."""
        return {"key": self.key, "handle": self.handle, "name": self.name, "address": self.address,
                "category": self.category, "first_used": self.first_used, "last_used": self.last_used,
                "use_count": self.use_count, "pinned": self.pinned,
                "listing": self.listing.to_dict() if self.listing else None}


def _known(row: tuple) -> KnownAgent:
    key, handle, name, address, category, first, last, count, pinned, listing = row
    cached = None
    if listing:
        try:
            cached = listing_from_cache(json.loads(listing))
        except ValueError:
            cached = None
    return KnownAgent(key, handle, name, address, category, first, last, count, bool(pinned), cached)


def _ref_of(agent: AgentListing | AgentRef | str) -> tuple[AgentRef, AgentListing | None]:
    if isinstance(agent, AgentListing):
        return AgentRef(agent.name, agent.handle, agent.address), agent
    if isinstance(agent, AgentRef):
        return agent, None
    handle = normal_handle(agent)
    return AgentRef(handle or one_line(agent, 120), handle), None


class AgentStore:
    """Agent records over one `Store` (its connections, transactions and errors)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- writes ------------------------------------------------------------------------
    @staticmethod
    def _same_agent(conn, ref: AgentRef, listing: AgentListing | None) -> list[tuple[str, str]]:
        """(key, handle) of the records that are this agent: the same handle or address, or a
        record without a conflicting handle under the same name (its own or its listing's).
        "@x" and "x", the name an acknowledgement gives and the listing's name are one agent."""
        names = {n.lower() for n in (ref.name, listing.name if listing else "") if n and n != ref.handle}
        rows = conn.execute(
            "SELECT key, handle FROM agents WHERE (? != '' AND (key = ? OR handle = ?))"
            " OR (? != '' AND address = ?)"
            f" OR lower(name) IN ({', '.join('?' * len(names)) or 'NULL'})"
            f" OR lower(json_extract(listing, '$.name')) IN ({', '.join('?' * len(names)) or 'NULL'})",
            (ref.handle, ref.handle, ref.handle, ref.address, ref.address, *names, *names)).fetchall()
        return [(key, handle) for key, handle in rows if not (ref.handle and handle and handle != ref.handle)]

    @staticmethod
    def _merge(conn, into: str, other: str) -> None:
        """Fold the record `other` into `into`: its messages, pin, times and listing."""
        conn.execute("INSERT OR IGNORE INTO message_agents (message_id, agent_key)"
                     " SELECT message_id, ? FROM message_agents WHERE agent_key = ?", (into, other))
        conn.execute(
            "UPDATE agents SET pinned = max(agents.pinned, o.pinned),"
            " first_used = coalesce(min(agents.first_used, o.first_used), agents.first_used, o.first_used),"
            " last_used = coalesce(max(agents.last_used, o.last_used), agents.last_used, o.last_used),"
            " listing = coalesce(agents.listing, o.listing),"
            " name = CASE WHEN agents.name = '' OR agents.name = agents.handle THEN o.name ELSE agents.name END,"
            " address = CASE WHEN agents.address = '' THEN o.address ELSE agents.address END"
            " FROM (SELECT * FROM agents WHERE key = ?) AS o WHERE agents.key = ?", (other, into))
        conn.execute("DELETE FROM agents WHERE key = ?", (other,))

    @staticmethod
    def _recount(conn, key: str) -> None:
        """Uses are turns: a prompt that addressed the agent and the acknowledgement and reply
        that answer it are one use (each counts as the user message it answers)."""
        conn.execute(
            "UPDATE agents SET use_count = (SELECT count(DISTINCT CASE WHEN m.role = 'user' THEN m.id"
            " WHEN p.role = 'user' THEN p.id WHEN pp.role = 'user' THEN pp.id ELSE m.id END)"
            " FROM message_agents ma JOIN messages m ON m.id = ma.message_id"
            " LEFT JOIN messages p ON p.id = m.parent_id LEFT JOIN messages pp ON pp.id = p.parent_id"
            " WHERE ma.agent_key = ?) WHERE key = ?", (key, key))

    @classmethod
    def _upsert(cls, conn, ref: AgentRef, listing: AgentListing | None) -> str:
        same = cls._same_agent(conn, ref, listing)
        # The record keyed by the handle wins; else one that has a handle; else this ref's key.
        key = ref.key
        if not ref.handle:
            key = next((k for k, h in same if h), None) or next((k for k, _ in same), None) or key
        if listing is not None and listing.name and not ref.name:
            ref = AgentRef(listing.name, ref.handle, ref.address)
        data = json.dumps(listing.to_dict(), ensure_ascii=False) if listing else None
        conn.execute(
            "INSERT INTO agents (key, handle, name, address, category, listing) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET"
            " handle = CASE WHEN excluded.handle != '' THEN excluded.handle ELSE handle END,"
            # A name learnt from a listing or an acknowledgement beats the bare handle.
            # (the same name in other letter case keeps the one first seen)
            " name = CASE WHEN excluded.name != '' AND (excluded.name != excluded.handle OR name = '')"
            "   AND lower(excluded.name) != lower(name) THEN excluded.name ELSE name END,"
            " address = CASE WHEN excluded.address != '' THEN excluded.address ELSE address END,"
            " category = CASE WHEN excluded.category != '' THEN excluded.category ELSE category END,"
            " listing = coalesce(excluded.listing, listing)",
            (key, ref.handle, ref.name, ref.address, listing.category if listing else "", data))
        merged = [k for k, _ in same if k != key]
        for other in merged:
            cls._merge(conn, key, other)
        if merged:
            cls._recount(conn, key)
        return key

    def record_use(self, message_id: int, name: str = "", handle: str = "", address: str = "") -> str | None:
        """Note that the agent worked on (or was addressed in) `message_id`; returns its key."""
        ref = AgentRef(one_line(name, 120), normal_handle(handle), one_line(address, 120))
        if not ref.key:
            return None
        self.record_agents(message_id, (ref,))
        return ref.key

    def record_agents(self, message_id: int, agents: Iterable[AgentRef]) -> None:
        """`record_use` for several agents in one transaction (a message counts once per agent)."""
        now = time.time()
        with self.store._write() as conn:
            for ref in agents:
                if not ref.key:
                    continue
                key = self._upsert(conn, ref, None)
                conn.execute("INSERT OR IGNORE INTO message_agents (message_id, agent_key)"
                             " VALUES (?, ?)", (message_id, key))
                conn.execute("UPDATE agents SET last_used = ?, first_used = coalesce(first_used, ?)"
                             " WHERE key = ?", (now, now, key))
                self._recount(conn, key)

    def record_handles(self, message_id: int, text: str) -> tuple[str, ...]:
        """Record every `@handle` in a user's message; returns the handles."""
        handles = handles_in_prompt(text)
        if handles:
            self.record_agents(message_id, (AgentRef(h, h) for h in handles))
        return handles

    def set_pinned(self, agent: AgentListing | AgentRef | str, pinned: bool) -> KnownAgent | None:
        """Pin or unpin (a listing is cached with the pin); None when unpinning an unknown agent."""
        ref, listing = _ref_of(agent)
        if not ref.key:
            return None
        with self.store._write() as conn:
            key = ref.key
            if pinned or listing is not None:
                key = self._upsert(conn, ref, listing)
            changed = conn.execute("UPDATE agents SET pinned = ? WHERE key = ?",
                                   (int(pinned), key)).rowcount
        return self.get(key) if changed else None

    def pin(self, agent: AgentListing | AgentRef | str) -> KnownAgent | None:
        """Pin an agent (a listing, a ref or an `@handle`)."""
        return self.set_pinned(agent, True)

    def unpin(self, agent: AgentListing | AgentRef | str) -> KnownAgent | None:
        """Unpin an agent; None when it was not known."""
        return self.set_pinned(agent, False)

    def cache_listing(self, listing: AgentListing) -> None:
        """Keep the listing for offline use (an agent just picked: listed once it is used or pinned)."""
        ref, _ = _ref_of(listing)
        if ref.key:
            with self.store._write() as conn:
                self._upsert(conn, ref, listing)

    # -- reads -------------------------------------------------------------------------
    def get(self, key_or_handle: str) -> KnownAgent | None:
        """The agent with this key (an `@handle` works too), or None."""
        key = normal_handle(key_or_handle) or key_or_handle
        rows = self.store._q(f"SELECT {_COLUMNS} FROM agents WHERE key = ?", (key,))
        return _known(rows[0]) if rows else None

    def agents_used(self, limit: int = 100) -> list[KnownAgent]:
        """Agents that worked on or were addressed in a message, most recently used first."""
        rows = self.store._q(f"SELECT {_COLUMNS} FROM agents WHERE use_count > 0"
                             " ORDER BY last_used DESC, key LIMIT ?", (limit,))
        return [_known(r) for r in rows]

    def agents_pinned(self) -> list[KnownAgent]:
        """Pinned agents, by name."""
        rows = self.store._q(f"SELECT {_COLUMNS} FROM agents WHERE pinned = 1 ORDER BY lower(name), key")
        return [_known(r) for r in rows]

    def known_agents(self, limit: int = 100) -> list[KnownAgent]:
        """Pinned agents first, then the others used, most recent first (the browser's empty view)."""
        rows = self.store._q(f"SELECT {_COLUMNS} FROM agents WHERE pinned = 1 OR use_count > 0"
                             " ORDER BY pinned DESC, last_used DESC, lower(name) LIMIT ?", (limit,))
        return [_known(r) for r in rows]

    def agents_for_message(self, message_id: int) -> list[KnownAgent]:
        """The agents recorded for one message."""
        rows = self.store._q(f"SELECT {', '.join('a.' + c for c in _COLUMNS.split(', '))} FROM agents a"
                             " JOIN message_agents m ON m.agent_key = a.key WHERE m.message_id = ?"
                             " ORDER BY a.name", (message_id,))
        return [_known(r) for r in rows]

    def wait_labels(self, messages: Iterable[Message]) -> dict[int, str]:
        """Who the acknowledgements among `messages` (awaiting an agent, or stopped) handed
        their task to, by message id, named as a live turn names them (`agents_label`)."""
        ids = [m.id for m in messages if m.status in (MessageStatus.AWAITING_AGENT, MessageStatus.WAIT_STOPPED)]
        if not ids:
            return {}
        rows = self.store._q("SELECT m.message_id, a.name, a.handle, a.address FROM message_agents m"
                             " JOIN agents a ON a.key = m.agent_key"
                             f" WHERE m.message_id IN ({', '.join('?' * len(ids))}) ORDER BY m.message_id, a.name",
                             tuple(ids))
        agents: dict[int, list[AgentRef]] = {}
        for message_id, name, handle, address in rows:
            agents.setdefault(message_id, []).append(AgentRef(name, handle, address))
        return {message_id: agents_label(refs) for message_id, refs in agents.items()}

    def waiting_agent(self, conversation_id: int) -> str | None:
        """The name of the agent a pending wait in this conversation is waiting for, if known."""
        rows = self.store._q(
            "SELECT a.name, a.handle FROM agent_waits w JOIN message_agents m ON m.message_id = w.message_id"
            " JOIN agents a ON a.key = m.agent_key WHERE w.conversation_id = ? ORDER BY w.id DESC, a.name"
            " LIMIT 1", (conversation_id,))
        if not rows:
            return None
        name, handle = rows[0]
        return name or (f"@{handle}" if handle else None)
