"""Building the real app against the simulator, and waiting for what a user would see."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from app.core.config import load_settings
from app.core.runtime import make_runtime
from app.core.store.store import Store
from app.simulator import Simulator
from app.ui.app import AsiChatApp
from app.ui.areas.conversation_view import ConversationView
from app.ui.areas.sidebar import Sidebar
from tests.conftest import TEST_KEY


def build_app(sim: Simulator | None, db: Path, *, key: str | None = TEST_KEY, resume_waits: bool = True,
              config_file: Path | None = None, **settings_kw) -> AsiChatApp:
    flags = {"db": db, "poll_interval": 0.05, **settings_kw}
    if sim is not None:
        flags["base_url"] = sim.base_url
    if key:
        flags["api_key"] = key
    settings = load_settings(flags, env={}, config_file=config_file or db.parent / "config.toml")
    store = Store(db)
    runtime, error = None, None
    if key:
        runtime = make_runtime(settings, store)
        runtime.client.backoff_base = 0.01
    else:
        error = "No API key: set ASI_ONE_API_KEY, or try the simulator with --demo."
    return AsiChatApp(settings, store, runtime, runtime_error=error, resume_waits=resume_waits)


def view(app: AsiChatApp) -> ConversationView:
    """The open conversation's area."""
    return app.chat_screen.conversation_view


def sidebar(app: AsiChatApp) -> Sidebar:
    """The search box and conversation list's area."""
    return app.chat_screen.sidebar


def turns(app: AsiChatApp) -> dict:
    """The turns running in the app's chat service, by conversation."""
    return app.runtime.chat.turns if app.runtime is not None else {}


def watching(app: AsiChatApp) -> bool:
    """True while the chat screen still follows some turn to its end, or draws one."""
    return bool(app.chat_screen.turn_watch.turns) or app.chat_screen.conversation_view.drawing


async def until(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` is true (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.02)


async def idle(app: AsiChatApp, pilot) -> None:
    """Wait until no turn or agent wait is running."""
    await until(pilot, lambda: not turns(app) and not watching(app), timeout=15)
    await pilot.pause(0.1)
    await asyncio.sleep(0)


async def type_and_send(pilot, text: str) -> None:
    app = pilot.app
    view(app).composer.focus()
    view(app).composer.text = text
    await pilot.press("enter")


def cache_image(url: str, data: bytes | None = None) -> None:
    """Put an image (the simulator's PNG by default) in the cache under `url`: its preview
    then shows without any network, as an image fetched before does."""
    from app.core.images.cache import ImageCache
    from app.core.images.fetcher import verify_image
    from app.simulator.images import IMAGE_PNG

    data = IMAGE_PNG.read_bytes() if data is None else data
    ImageCache().put(url, data, *verify_image(data))


async def previews_settled(pilot, timeout: float = 10.0) -> None:
    """Wait until every image preview on screen has loaded (or said why not), then a frame."""
    from app.ui.widgets.image_preview import ImagePreview

    def on_screen(preview: ImagePreview) -> bool:
        try:
            return bool(pilot.app.screen.find_widget(preview).visible_region.area)
        except Exception:  # noqa: BLE001 - not laid out (yet)
            return False

    def settled() -> bool:
        return all(p.state in ("shown", "refused", "off") for p in pilot.app.screen.query(ImagePreview)
                   if on_screen(p))

    await pilot.pause(0.1)  # the first refresh: what is on screen is seen
    await until(pilot, settled, timeout)
    await pilot.pause(0.1)
