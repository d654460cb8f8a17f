"""8. A conversation with 20 images (1024 × 1024 PNGs from the simulator, half-cell previews):
the real app headless (`run_test`). Opening it: Enter on it in the list until the frame
showing its newest message; with an empty image cache (each image fetched over HTTP) and a
warm one. Then the previews on screen until drawn, and scrolling to the top and back a
few lines per step: each step's time to its frame, while previews load as they come into view.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import common
from common import PaintClock, build_app, median, percentile, row, until
from ptyapp import SimulatorProcess

IMAGES = 20


def seed(db: Path, origin: str) -> tuple[int, int, int]:
    """(the image conversation, its newest message, a short one to switch from); with
    `origin` "" the same conversation without images."""
    from app.core.store.store import Store

    store = Store(db)
    short = store.create_conversation("asi1-agentic", title="short")
    store.add_message(short.id, "user", "hello")
    store.add_message(short.id, "assistant", "Hello! How can I help?")
    images = store.create_conversation("asi1-agentic", title="twenty images" if origin else "no images")
    newest = 0
    for n in range(IMAGES):
        store.add_message(images.id, "user", f"draw picture number {n} of a monkey on a mountain")
        # Without an origin: the same conversation without images, to compare with.
        image = f"![generated-image]({origin}/sim-images/large?n={n})" if origin else "(no image)"
        newest = store.add_message(images.id, "assistant", f"Here is picture {n}:\n\n{image}").id
    store.close()
    return images.id, newest, short.id


async def open_by_enter(app, pilot, conversation_id: int) -> None:
    app.chat_screen.sidebar.conversation_list.focus()
    assert app.chat_screen.sidebar.conversation_list.select_conversation(conversation_id)
    await pilot.pause(0.05)
    await pilot.press("enter")


async def measure(quick: bool) -> list[dict]:
    from app.core.images.cache import ImageCache
    from app.ui.image_renderer import ImagePreviews
    from app.ui.widgets.image_preview import ImagePreview

    repeat = 3 if quick else 7
    tmp = Path(tempfile.mkdtemp(prefix="asi-chat-images-"))
    opens: dict[str, list[float]] = {"none": [], "cold": [], "warm": []}
    drawn, steps, mounted, loaded = [], [], 0, 0
    with SimulatorProcess() as sim:
        origin = sim.base_url.removesuffix("/v1")
        db = tmp / "images.db"
        images_id, newest, short = seed(db, origin)
        plain_id, plain_newest, _ = seed(db, "")  # for comparison, under the same load
        app = build_app(db, sim.base_url, image_preview="halfcell")
        async with app.run_test(size=common.SIZE) as pilot:
            clock = PaintClock(app)
            await until(lambda: app.chat_screen.sidebar.conversation_list.option_count > 0)
            for run in range(repeat + 1):
                for cache in ("none", "cold", "warm"):
                    target, last = (plain_id, plain_newest) if cache == "none" else (images_id, newest)
                    if cache == "cold":  # a new, empty cache: every preview is fetched
                        app.image_previews = ImagePreviews("halfcell", ImageCache(tmp / f"cache-{run}"))
                    elif cache == "warm":  # the same cache, a new app run: files found, nothing fetched
                        app.image_previews = ImagePreviews("halfcell", app.image_previews.cache)
                    await open_by_enter(app, pilot, short)
                    await until(lambda: app.chat_screen.conversation_view.conversation_id == short)
                    await pilot.pause(0.2)
                    app.chat_screen.sidebar.conversation_list.focus()
                    app.chat_screen.sidebar.conversation_list.select_conversation(target)
                    await pilot.pause(0.1)

                    def shown() -> bool:
                        views = app.chat_screen.conversation_view.chat_pane.message_views()
                        return app.chat_screen.conversation_view.conversation_id == target and bool(views) and views[-1].message_id == last

                    frame = clock.expect(shown)
                    started = time.perf_counter()
                    await pilot.press("enter")
                    opens[cache].append((await frame - started) * 1000)
                    if cache == "none":
                        await pilot.pause(0.2)
                        continue
                    on_screen = lambda: [p for p in app.screen.query(ImagePreview) if p.state != "waiting"]  # noqa: E731
                    await until(lambda: on_screen() and all(p.state == "shown" for p in on_screen()))
                    drawn.append((time.perf_counter() - started) * 1000)
                    if cache == "cold" and run:
                        steps += await scroll_through(app, clock)
                        loaded = sum(p.state == "shown" for p in app.screen.query(ImagePreview))
                    await pilot.pause(0.2)
            mounted = len(app.screen.query(ImagePreview))
    for name, runs in opens.items():
        opens[name] = runs[1:]  # the first open also warms caches (sqlite pages, CSS, Pillow)
    drawn = drawn[2:]
    for name, runs in opens.items():
        print(f"  open {name}: " + " ".join(f"{r:.0f}" for r in runs) + " ms", file=sys.stderr, flush=True)
    return [
        row("8 open 20 images", "the same 40 messages without images", median(opens["none"]), "ms", None,
            note="for scale, under the same load"),
        row("", "open, image cache empty", median(opens["cold"]), "ms", 300,
            note=f"{mounted} cards mounted, previews fetched when on screen"),
        row("", "open, image cache warm", median(opens["warm"]), "ms", 300),
        row("", "open → previews on screen drawn", median(drawn), "ms", None,
            note="cold and warm runs together"),
        row("", "scroll step → frame, p95", percentile(steps, 95), "ms", 50,
            note=f"{len(steps)} steps of 5 lines, cold cache; max {max(steps):.0f} ms; "
                 f"{loaded} of {IMAGES} previews drawn on the way"),
    ]


async def scroll_through(app, clock) -> list[float]:
    """Scroll to the top 5 lines at a time and back: each step's time to its frame (ms)."""
    pane = app.chat_screen.conversation_view.chat_pane
    times = []
    for direction in (-5, 5):
        while (direction < 0 and pane.scroll_y > 0) or (direction > 0 and pane.scroll_y < pane.max_scroll_y):
            frame = clock.expect(lambda: True)
            started = time.perf_counter()
            pane.scroll_relative(y=direction, animate=False)
            times.append((await frame - started) * 1000)
            await asyncio.sleep(0.03)  # a person's key repeat is about 30 a second
    return times


def run(quick: bool) -> list[dict]:
    return asyncio.run(measure(quick))


if __name__ == "__main__":
    common.main(run, __doc__)
