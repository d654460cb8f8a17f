"""Regenerate the README's screenshots from the demo: `python screenshots/make_screenshots.py`.

Runs the real app headless against the embedded simulator and a fresh demo database,
drives it from the keyboard, and saves SVGs next to this script.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.config import load_settings  # noqa: E402
from app.core.runtime import make_runtime  # noqa: E402
from app.core.store.store import Store  # noqa: E402
from app.demo import DEMO_KEY, seed_demo  # noqa: E402
from app.simulator import Simulator  # noqa: E402
from app.ui.app import AsiChatApp  # noqa: E402
from app.ui.screens.image_gallery import ImageGallery  # noqa: E402
from app.ui.screens.image_viewer import ImageViewer  # noqa: E402
from app.ui.widgets.agent_wait_card import AgentWaitCard  # noqa: E402
from app.ui.widgets.image_card import ImageCard  # noqa: E402
from app.ui.widgets.image_preview import ImagePreview  # noqa: E402

HERE = Path(__file__).resolve().parent
SIZE = (150, 42)


async def until(pilot, condition, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(str(condition))
        await pilot.pause(0.05)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Simulator(api_key=DEMO_KEY, agent_polls=3) as sim:
        db = Path(tmp) / "demo.db"
        os.environ["ASI_CHAT_CACHE"] = str(Path(tmp) / "cache")  # not the user's image cache
        settings = load_settings({"db": db, "api_key": DEMO_KEY, "base_url": sim.base_url,
                                  "poll_interval": 0.6, "image_preview": "halfcell",
                                  "agentverse_url": sim.origin},
                                 env={}, config_file=Path(tmp) / "c.toml")
        store = Store(db)
        seed_demo(store)
        app = AsiChatApp(settings, store, make_runtime(settings, store))
        async with app.run_test(size=SIZE) as pilot:
            # 1. main view: a conversation with its reasoning, all three panes
            await pilot.press("ctrl+n")
            app.chat_screen.conversation_view.composer.text = "Hi, tell me about giraffes"
            await pilot.press("enter")
            await until(pilot, lambda: not ((app.runtime.chat.turns if app.runtime else {}) or (bool(app.chat_screen.turn_watch.turns) or app.chat_screen.conversation_view.drawing)))
            await pilot.pause(0.5)
            app.save_screenshot("main.svg", str(HERE))
            # 2. an agent wait in progress
            await pilot.press("ctrl+n")
            app.chat_screen.conversation_view.composer.text = "use Hi-dream model to generate image of monkey sitting on top of mountain"
            await pilot.press("enter")
            await until(pilot, lambda: app.query(AgentWaitCard) and app.query_one(AgentWaitCard).attempt >= 1)
            await pilot.pause(0.3)
            app.save_screenshot("agent-wait.svg", str(HERE))
            # 3. the image delivered
            await until(pilot, lambda: app.query(ImageCard))
            await pilot.pause(0.5)
            await pilot.press("ctrl+y")
            await pilot.pause(0.3)
            app.save_screenshot("image.svg", str(HERE))
            # 4. the image seen large: the viewer, then every image in the gallery
            app.query(ImageCard).last().focus()
            await pilot.press("v")
            await until(pilot, lambda: isinstance(app.screen, ImageViewer) and app.screen.result is not None)
            await pilot.pause(0.5)
            app.save_screenshot("image-viewer.svg", str(HERE))
            await pilot.press("escape", "f9")
            await until(pilot, lambda: isinstance(app.screen, ImageGallery))
            await until(pilot, lambda: all(p.state not in ("waiting", "loading")
                                           for p in app.screen.query(ImagePreview)))
            await pilot.pause(0.5)
            app.save_screenshot("image-gallery.svg", str(HERE))
            await pilot.press("escape")
            app.chat_screen.conversation_view.composer.focus()
            # 5. search as you type
            await pilot.press("ctrl+f", *"giraf")
            await pilot.pause(0.6)
            app.save_screenshot("search.svg", str(HERE))
            # 6. the agent browser: the marketplace searched as you type
            await pilot.press("escape")
            app.chat_screen.conversation_view.composer.focus()
            await pilot.press("ctrl+g")
            await until(pilot, lambda: type(app.screen).__name__ == "AgentBrowserScreen")
            await pilot.press(*"image")
            await pilot.pause(1.2)
            app.save_screenshot("agent-browser.svg", str(HERE))
            await pilot.press("escape")
            # 7. a small terminal (80 x 24): the chat takes the width, the panes step aside
            await pilot.resize_terminal(80, 24)
            await app.chat_screen.conversation_view.show(app.store.latest_conversation().id)  # the image one
            app.chat_screen.conversation_view.composer.focus()
            await pilot.pause(0.6)
            app.save_screenshot("small-terminal.svg", str(HERE))
    for name in ("main", "agent-wait", "image", "image-viewer", "image-gallery", "search", "agent-browser",
                 "small-terminal"):
        print(HERE / f"{name}.svg")


if __name__ == "__main__":
    asyncio.run(main())
