"""The app's agent actions: open the agent browser (`ctrl+g`), address the agent picked, pin.

A mixin of `AsiChatApp` (like `ConversationActions`): it uses the app's store, settings
and composer. The marketplace client is made on first use and closed with the app.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from app.core.agents.directory import AgentDirectory
from app.core.errors import AsiChatError

if TYPE_CHECKING:
    from app.ui.screens.agent_browser import AgentBrowserScreen


class AgentActions:
    """`action_agent_browser` and the pin handler of `AsiChatApp`."""

    _agent_directory: AgentDirectory | None = None

    @property
    def agent_directory(self) -> AgentDirectory:
        """The marketplace and the stored agents (made on first use)."""
        if self._agent_directory is None:
            self._agent_directory = AgentDirectory(self.store, self.settings)
        return self._agent_directory

    def action_agent_browser(self) -> None:
        """Open the agent browser; the agent picked is addressed in the composer."""
        # (Imported on first use: the marketplace client's httpx is ~45 ms of launch.)
        from app.ui.screens.agent_browser import AgentBrowserScreen

        if isinstance(self.screen, AgentBrowserScreen):
            return
        browser = AgentBrowserScreen(self.agent_directory)
        self._prefetch_first_page(browser)

        def picked(handle: str | None) -> None:
            if handle:
                self.address_agent(handle)
                if browser.picked is not None:
                    try:
                        self.agent_directory.remember(browser.picked)
                    except AsiChatError:
                        pass  # only the offline cache is lost
            self.composer.focus()

        self.push_screen(browser, picked)

    def _prefetch_first_page(self, browser: AgentBrowserScreen) -> None:
        """Send the empty box's search now, while the screen is still being built."""
        from app.core.agents.agentverse import AgentQuery
        from app.ui.screens.agent_browser import PAGE_SIZE

        query = AgentQuery(limit=PAGE_SIZE)
        task = asyncio.ensure_future(self.agent_directory.search(query, on_retry=browser._say_retry))
        # Retrieved even if the screen closes first (no "exception never retrieved").
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        browser.prefetch(query, task)

    def address_agent(self, handle: str) -> None:
        """Put `@handle ` into the composer at the cursor (on its own if the composer is empty)."""
        composer = self.composer
        mention = f"@{handle} "
        if not composer.text.strip():
            composer.text = mention
            composer.move_cursor(composer.document.end)
            return
        row, column = composer.cursor_location
        line = composer.document.get_line(row)
        if column > 0 and not line[column - 1].isspace():
            mention = " " + mention
        composer.insert(mention)

    def on_agent_browser_screen_pin_requested(self, event: AgentBrowserScreen.PinRequested) -> None:
        """Store a pin asked for in the browser, then show it there."""
        try:
            pinned = self.agent_directory.set_pinned(event.listing, event.pinned)
        except AsiChatError as exc:
            event.browser._status(str(exc), error=True)
            return
        event.browser.show_pinned(event.listing, pinned)

    async def close_agent_directory(self) -> None:
        """Close the marketplace connection (the app is closing)."""
        if self._agent_directory is not None:
            await self._agent_directory.aclose()
