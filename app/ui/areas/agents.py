"""The agent browser (ctrl+g), opened over the chat screen: the agent picked is addressed in
the message box; pins are stored as they are asked for. The marketplace client is made on
first use (its httpx is ~45 ms of launch) and closed with the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.errors import AsiChatError

if TYPE_CHECKING:
    from app.core.agents.directory import AgentDirectory
    from app.ui.app import AsiChatApp


def agent_directory(app: AsiChatApp) -> AgentDirectory:
    """The app's marketplace and stored agents (made on first use)."""
    if app.agent_directory is None:
        from app.core.agents.directory import AgentDirectory

        app.agent_directory = AgentDirectory(app.store, app.settings)
    return app.agent_directory


async def open_agent_browser(app: AsiChatApp, address: Callable[[str], object], *, query: str = "") -> None:
    """Push the agent browser (searching `query`, e.g. an agent's handle from the trace);
    `address(handle)` with the agent picked."""
    from app.core.agents.agentverse import AgentQuery
    from app.ui.screens.agent_browser import PAGE_SIZE, AgentBrowserScreen

    if isinstance(app.screen, AgentBrowserScreen):
        return
    directory = agent_directory(app)
    browser = AgentBrowserScreen(directory, query=query)
    if not query:
        # The empty box's search is sent now, while the screen is still being built.
        first = AgentQuery(limit=PAGE_SIZE)
        task = asyncio.ensure_future(directory.search(first, on_retry=browser._say_retry))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved even if the screen closes first
        browser.prefetch(first, task)

    def picked(handle: str | None) -> None:
        if handle:
            address(handle)
            if browser.picked is not None:
                try:
                    directory.remember(browser.picked)
                except AsiChatError:
                    pass  # only the offline cache is lost

    await app.push_screen(browser, picked)  # on screen before the next key is read
