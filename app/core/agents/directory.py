"""`AgentDirectory`: the marketplace and the agents asi-chat knows, behind one object.

What the agent browser talks to: `search` (the marketplace, over a client made on first
use), `known` (pinned and used agents from the store, available offline) and the writes
an app action makes (`set_pinned`, `remember`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.agents.records import AgentInsights, AgentListing, SearchPage, normal_handle
from app.core.agents.store import AgentStore, KnownAgent
from app.core.errors import AgentverseError

if TYPE_CHECKING:
    from app.core.agents.agentverse import AgentQuery, AgentverseClient, MarketplaceRetry
    from app.core.store.store import Store


@dataclass(frozen=True, slots=True)
class AgentDetails:
    """Everything known of one agent: its listing (rating, interactions, recent success rate,
    readme), ASI:One's own figures (`insights`, None when the endpoint does not answer), and
    what this history knows (uses, pin). `checked` is False when the marketplace could not
    be asked (offline): the listing is then the cached one, if any."""

    handle: str
    listing: AgentListing | None
    insights: AgentInsights | None
    known: KnownAgent | None
    checked: bool = True

    @property
    def listed(self) -> bool:
        """The marketplace lists the agent (or did, when it was last reachable)."""
        return self.listing is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`agents show --json`): trust signals at the top level, absent ones null."""
        listing = self.listing
        return {
            "handle": self.handle, "name": listing.name if listing else (self.known.name if self.known else ""),
            "address": listing.address if listing else (self.known.address if self.known else ""),
            "listed": self.listed, "checked": self.checked,
            "rating": listing.rating if listing else None,
            "total_interactions": listing.total_interactions if listing else None,
            "recent_interactions": listing.recent_interactions if listing else None,
            "recent_success_rate": listing.recent_success_rate if listing else None,
            "asi1_interactions": self.insights.interactions if self.insights else None,
            "asi1_successes": self.insights.successes if self.insights else None,
            "uses": self.known.use_count if self.known else 0,
            "pinned": bool(self.known and self.known.pinned),
            "description": listing.description if listing else "", "readme": listing.readme if listing else "",
        }


class AgentDirectory:
    """Marketplace search plus the store's pinned and used agents."""

    def __init__(self, store: Store, settings: Any, client: AgentverseClient | None = None) -> None:
        self.agents = AgentStore(store)
        self.settings = settings
        self._client = client

    @property
    def client(self) -> AgentverseClient:
        """The marketplace client (httpx is imported only when a search first runs)."""
        if self._client is None:
            from app.core.agents.agentverse import AgentverseClient

            self._client = AgentverseClient.from_settings(self.settings)
        return self._client

    async def search(self, query: AgentQuery,
                     on_retry: Callable[[MarketplaceRetry], None] | None = None) -> SearchPage:
        """One page of marketplace results (raises `AgentverseError`)."""
        return await self.client.search(query, on_retry=on_retry)

    def known(self) -> list[KnownAgent]:
        """Pinned agents first, then the ones used before (from the store: works offline)."""
        return self.agents.known_agents()

    def pinned_keys(self) -> set[str]:
        """Keys of the pinned agents."""
        return {a.key for a in self.agents.agents_pinned()}

    def set_pinned(self, listing: AgentListing, pinned: bool) -> bool:
        """Pin or unpin, caching the listing; returns whether it is pinned now."""
        known = self.agents.set_pinned(listing, pinned)
        return bool(known and known.pinned)

    def remember(self, listing: AgentListing) -> None:
        """Cache the listing of an agent just picked, so it shows offline once used."""
        self.agents.cache_listing(listing)

    async def details(self, handle: str) -> AgentDetails:
        """One agent's listing, insights and local record (the browser's card, `agents show`).
        A listing found is cached (so it merges with what the history knows and shows offline)."""
        handle = normal_handle(handle)
        known = self.agents.get(handle)
        try:
            listing = await self.client.find_handle(handle)
        except AgentverseError:
            cached = known.listing if known else None
            return AgentDetails(handle, cached, None, known, checked=False)
        insights = await self.client.insights(listing.address) if listing and listing.address else None
        if listing is not None:
            self.agents.cache_listing(listing)
            known = self.agents.get(handle)
        return AgentDetails(handle, listing, insights, known)

    async def refresh_known(self, limit: int = 20) -> int:
        """Look up in the marketplace the used and pinned agents it has no listing of yet (by
        handle, else by exact name), so each shows once, with rating and readme. Best effort:
        stops quietly when the marketplace cannot be reached. Returns how many were found."""
        found = 0
        for agent in [a for a in self.agents.known_agents(limit) if a.listing is None]:
            try:
                if agent.handle:
                    listing = await self.client.find_handle(agent.handle)
                else:
                    page = await self.client.search(_query(agent.name))
                    listing = next((a for a in page.agents if a.name.lower() == agent.name.lower()), None)
            except AgentverseError:
                break
            if listing is not None:
                self.agents.cache_listing(listing)
                found += 1
        return found

    async def aclose(self) -> None:
        """Close the marketplace connection, if one was opened."""
        if self._client is not None:
            await self._client.aclose()


def _query(text: str) -> AgentQuery:
    from app.core.agents.agentverse import AgentQuery

    return AgentQuery(text, limit=10)
