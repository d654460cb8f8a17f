"""`AgentDirectory`: the marketplace and the agents asi-chat knows, behind one object.

What the agent browser talks to: `search` (the marketplace, over a client made on first
use), `known` (pinned and used agents from the store, available offline) and the writes
an app action makes (`set_pinned`, `remember`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.core.agents.records import AgentListing, SearchPage
from app.core.agents.store import AgentStore, KnownAgent

if TYPE_CHECKING:
    from app.core.agents.agentverse import AgentQuery, AgentverseClient, MarketplaceRetry
    from app.core.store.store import Store


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

    async def aclose(self) -> None:
        """Close the marketplace connection, if one was opened."""
        if self._client is not None:
            await self._client.aclose()
