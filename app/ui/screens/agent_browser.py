"""Browse the Agentverse marketplace and pick an agent to address (`ctrl+g`).

Search runs as you type (debounced, in an exclusive worker, so typing never waits for the
network); with the box empty, pinned and used agents come first, from the store, so they
are there offline too. Enter dismisses with the agent's handle (the app puts `@handle `
into the composer); `p` pins or unpins (stored at once). Every failure is one line in the status bar.
"""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static

from app.core.agents.agentverse import AgentQuery, MarketplaceRetry
from app.core.agents.directory import AgentDirectory
from app.core.agents.records import AgentListing, SearchPage
from app.core.errors import AsiChatError
from app.ui.widgets.agent_detail import AgentDetail
from app.ui.widgets.agent_filters import AgentFilters
from app.ui.widgets.agent_results import AgentResults

DEBOUNCE = 0.2
"""Seconds of quiet after a key before the search goes out."""
PAGE_SIZE = 30


class AgentBrowserScreen(ModalScreen[str | None]):
    """Search, read about and pick an Agentverse agent; dismisses with its handle or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", show=False),
        Binding("p", "toggle_pin", "Pin", show=False),
        Binding("down", "focus_results", "Results", show=False),
    ]

    def __init__(self, directory: AgentDirectory, *, page_size: int = PAGE_SIZE, query: str = "") -> None:
        """
        Args:
            directory: Marketplace search and the stored agents (read only here).
            page_size: Agents per marketplace request.
        """
        super().__init__()
        self.directory = directory
        self.page_size = page_size
        self.picked: AgentListing | None = None
        """The agent chosen with Enter (the app caches its listing)."""
        self.page: SearchPage | None = None
        """The last marketplace page shown (None before the first, or after a failure)."""
        self._query: AgentQuery | None = None
        self._debounce: Timer | None = None
        self._loading_more = False
        self._pinned: set[str] = set()
        self._prefetched: tuple[AgentQuery, Awaitable[SearchPage]] | None = None
        self._initial = query

    def prefetch(self, query: AgentQuery, page: Awaitable[SearchPage]) -> None:
        """Use `page` (a search already under way) for `query` instead of sending it again:
        the app starts the first search as the key is pressed, before this screen is built."""
        self._prefetched = (query, page)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Agentverse agents"
            yield Input(self._initial, placeholder="Search agents (e.g. image, flights, weather)…", id="agent-query")
            yield AgentFilters(id="agent-filters")
            with Horizontal(id="agent-panes"):
                yield AgentResults(id="agent-results")
                yield AgentDetail(id="agent-detail")
            yield Static("", id="agent-status", markup=False)
            yield Static("Enter address the agent · ↓ results · p pin/unpin · Esc close",
                         classes="hint", markup=False)

    @property
    def results(self) -> AgentResults:
        return self.query_one(AgentResults)

    @property
    def search_box(self) -> Input:
        return self.query_one("#agent-query", Input)

    def on_mount(self) -> None:
        self.search_box.focus()
        self._show_known()
        self._search_now()
        if not self._initial:
            self.run_worker(self._refresh_known, group="agent-known", exit_on_error=False,
                            description="known agents' listings")

    # -- searching -----------------------------------------------------------------------
    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#agent-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def _show_known(self) -> list[AgentListing]:
        """Pinned and used agents (the empty box's first rows); works with no network."""
        try:
            known = self.directory.known()
        except AsiChatError as exc:
            self._status(str(exc), error=True)
            return []
        self._pinned = {a.key for a in known if a.pinned}
        category = self.query_one(AgentFilters).category
        listings = [a.as_listing() for a in known]
        listings = [a for a in listings if category is None or a.category == category]
        self.results.show(listings, self._pinned)
        return listings

    def _current_query(self) -> AgentQuery:
        filters = self.query_one(AgentFilters)
        return AgentQuery(self.search_box.value, sort=filters.sort, category=filters.category,
                          limit=self.page_size)

    @on(Input.Changed, "#agent-query")
    def _typed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, self._search_now)

    @on(AgentFilters.Changed)
    def _filters_changed(self) -> None:
        self._search_now()

    def _search_now(self) -> None:
        self._debounce = None
        self._query = self._current_query()
        self._loading_more = False
        # A callable, not a coroutine: a worker cancelled before it starts leaves nothing unawaited.
        self.run_worker(partial(self._search, self._query), group="agent-search", exclusive=True,
                        exit_on_error=False, description="agent search")

    def _say_retry(self, notice: MarketplaceRetry) -> None:
        if self.is_mounted:
            self._status(notice.describe())

    async def _search(self, query: AgentQuery) -> None:
        self._status("Searching Agentverse…")
        prefetched, self._prefetched = self._prefetched, None
        try:
            if prefetched is not None and prefetched[0] == query:
                page = await prefetched[1]
            else:
                page = await self.directory.search(query, on_retry=self._say_retry)
        except AsiChatError as exc:
            self.call_after_refresh(self.query_one(AgentFilters).build)
            if query is self._query:
                self.page = None
                if not query.text.strip():
                    self._show_known()
                self._status(f"Agentverse: {exc}", error=True)
            return
        if query is not self._query:
            return  # a newer search is under way
        self.page = page
        known = self._show_known() if not query.text.strip() else []
        self.results.show(list(page.agents), self._pinned, append=bool(known))
        self._summarise()
        self.call_after_refresh(self.query_one(AgentFilters).build)  # after the results are shown
        self.call_after_refresh(self._show_detail)  # after the frame with the results

    def _summarise(self) -> None:
        page = self.page
        if page is None:
            return
        if not self.results.listings:
            self._status("No agents match.")
        else:
            self._status(f"{len(self.results.listings)} shown of {page.total} in the marketplace")

    @on(AgentResults.NearEnd)
    def _more(self) -> None:
        page, query = self.page, self._query
        if page is None or query is None or self._loading_more or not page.has_more:
            return
        self._loading_more = True
        self.run_worker(partial(self._next_page, query, page), group="agent-page", exit_on_error=False)

    async def _next_page(self, query: AgentQuery, page: SearchPage) -> None:
        following = AgentQuery(query.text, query.sort, query.direction, query.category,
                               page.offset + page.limit, query.limit)
        try:
            more = await self.directory.search(following, on_retry=self._say_retry)
        except AsiChatError as exc:
            self._status(f"Agentverse: {exc}", error=True)
            self._loading_more = False
            return
        if query is self._query:
            self.page = more
            self.results.show(list(more.agents), self._pinned, append=True)
            self._summarise()
        self._loading_more = False

    # -- details, picking, pinning -------------------------------------------------------
    async def _show_detail(self) -> None:
        # Not in a worker: one cancelled mid-mount by the app closing broke its shutdown.
        listing = self.results.current
        await self.query_one(AgentDetail).show(listing)
        if listing is not None and listing.handle:
            self.run_worker(partial(self._insights, listing), group="agent-insights", exclusive=True,
                            exit_on_error=False, description="agent insights")

    async def _insights(self, listing: AgentListing) -> None:
        """ASI:One's own counts for the agent shown (absent when its endpoint does not answer)."""
        try:
            details = await self.directory.details(listing.handle)
        except AsiChatError:
            return
        if self.results.current is listing:
            self.query_one(AgentDetail).show_insights(listing, details.insights)

    async def _refresh_known(self) -> None:
        """Used and pinned agents the history has no listing of are looked up once, so each
        shows once, with rating and readme (from the next opening of the browser)."""
        try:
            found = await self.directory.refresh_known()
        except AsiChatError:
            return
        del found  # (shown from the next opening on: redrawing the list now would move it under the user)

    @on(OptionList.OptionHighlighted, "#agent-results")
    async def _highlighted(self) -> None:
        await self._show_detail()

    @on(OptionList.OptionSelected, "#agent-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick()

    @on(Input.Submitted, "#agent-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick()

    def _pick(self) -> None:
        listing = self.results.current
        if listing is None:
            self._status("No agent to pick: search for one first.", error=True)
            return
        if not listing.handle:
            self._status(f"{listing.name} has no @handle to address it by.", error=True)
            return
        self.picked = listing
        self.dismiss(listing.handle)

    def action_toggle_pin(self) -> None:
        """Pin (or unpin) the highlighted agent: stored, then shown."""
        listing = self.results.current
        if listing is None:
            return
        try:
            pinned = self.directory.set_pinned(listing, listing.key not in self._pinned)
        except AsiChatError as exc:
            self._status(str(exc), error=True)
            return
        self.show_pinned(listing, pinned)

    def show_pinned(self, listing: AgentListing, pinned: bool) -> None:
        """Show a stored pin."""
        (self._pinned.add if pinned else self._pinned.discard)(listing.key)
        self.results.mark_pinned(listing.key, pinned)
        self._status(f"{'Pinned' if pinned else 'Unpinned'} {listing.name}.")

    def action_focus_results(self) -> None:
        """From the search box, ↓ moves into the results."""
        if self.results.listings:
            self.results.focus()

    def action_cancel(self) -> None:
        """Close without picking."""
        self.dismiss(None)
