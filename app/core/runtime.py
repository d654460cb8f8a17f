"""Assemble the working parts from settings: store, client, engine, chat service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.config import Settings, require_key
from app.core.store.store import Store, default_db_path

if TYPE_CHECKING:
    from app.core.chat import ChatService
    from app.core.client import AsiOneClient
    from app.core.engine import TurnEngine


def db_path(settings: Settings) -> Path:
    """The history file these settings use."""
    return settings.db or default_db_path()


def open_store(settings: Settings) -> Store:
    """Open (creating and migrating if needed) the history database."""
    return Store(db_path(settings))


@dataclass
class Runtime:
    """A client, engine and chat service sharing one store."""

    settings: Settings
    store: Store
    client: AsiOneClient
    engine: TurnEngine
    chat: ChatService

    async def aclose(self) -> None:
        """Stop the MCP servers (if any started) and close the connection pool."""
        if self.chat.tools is not None:
            await self.chat.tools.aclose()
        await self.client.aclose()


def make_runtime(settings: Settings, store: Store) -> Runtime:
    """Everything needed to run turns; raises ConfigError when there is no key."""
    # Imported here, not above: the client pulls in httpx (~50 ms), and the app builds
    # its runtime only after its first frame is on screen.
    from app.core.chat import ChatService
    from app.core.client import AsiOneClient
    from app.core.engine import TurnEngine

    client = AsiOneClient(
        api_key=require_key(settings),
        base_url=settings.base_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
    )
    from app.core.models import known_models
    from app.core.options import TurnDefaults

    client.known_models = lambda: [m.name for m in known_models(settings)]
    engine = TurnEngine(client, poll_interval=settings.poll_interval, poll_attempts=settings.poll_attempts)
    tools = None
    if settings.mcp.servers:  # nothing of the mcp SDK is imported here: servers start with a turn
        from app.core.tools.servers import McpManager

        tools = McpManager(settings.mcp, db_path(settings).parent, secret=settings.api_key)
    return Runtime(settings, store, client, engine,
                   ChatService(store, engine, defaults=TurnDefaults.from_settings(settings), tools=tools))
