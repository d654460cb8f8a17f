"""Image previews in the app: loading then the picture, reasons, the viewer and the gallery."""

from __future__ import annotations

import base64

import pytest

from app.simulator.images import IMAGE_PNG
from app.ui.areas.conversation_view import FIRST_PAGE
from app.ui.screens.image_gallery import GalleryItem, ImageGallery
from app.ui.screens.image_viewer import ImageViewer
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.image_preview import ImagePreview
from app.ui.widgets.message_view import MessageView
from tests.conftest import TEST_KEY
from tests.ui.helpers import build_app, idle, type_and_send, until, view


def card_text(card: ImageCard) -> str:
    """What the card's text lines say (title, preview status, link, hint)."""
    from textual.widgets import Static

    lines = [str(s.render()) for s in card.query(Static) if s.display]
    return "\n".join(lines + [card.query_one(ImagePreview).status])


async def delivered(pilot, prompt: str) -> ImageCard:
    await type_and_send(pilot, prompt)
    await idle(pilot.app, pilot)
    await until(pilot, lambda: pilot.app.query(ImageCard))
    return pilot.app.query(ImageCard).last()


async def test_the_card_shows_loading_then_the_preview(sim, db_path) -> None:
    app = build_app(sim, db_path, image_preview="halfcell")
    async with app.run_test(size=(120, 50)) as pilot:
        card = await delivered(pilot, "draw it !sim:image=slow")  # served after 0.5 s
        preview = card.query_one(ImagePreview)
        await until(pilot, lambda: preview.state == "loading")  # on screen: the fetch has started
        assert "loading…" in card_text(card)
        await until(pilot, lambda: preview.state == "shown")
        assert preview.result.path.read_bytes() == IMAGE_PNG.read_bytes()
        # The image host never gets the ASI:One key (nor any credential).
        assert sim.gets["/sim-images/slow"] == 1
        # (GET /v1/models goes to the ASI:One base URL: the key belongs there, not on image hosts)
        fetched = [h for h in sim.get_headers if not h[":path"].endswith("/models")]
        assert fetched and not any("authorization" in h or TEST_KEY in str(h) for h in fetched)
        await until(pilot, lambda: "96 × 64 · 1 KB · PNG" in card_text(card))  # pixel size, file size, type
        assert "loading" not in card_text(card)
        lines = preview.render_lines(preview.region.reset_offset)  # what the preview draws
        assert len(lines) == 10 and sum("▀" in line.text for line in lines) == 10


@pytest.mark.parametrize(("kind", "reason"), [
    ("html", "no preview: not an image"),
    ("huge", "no preview: too large: 40 MB, limit 20 MB"),
    ("missing", "no preview: not found (404)"),
    # from the configured host (the simulator) to another port of loopback: not followed
    ("redirect-port-9", "no preview: refused: loopback address 127.0.0.1"),
])
async def test_the_card_says_why_there_is_no_preview(sim, db_path, kind: str, reason: str) -> None:
    app = build_app(sim, db_path, image_preview="halfcell")
    async with app.run_test(size=(120, 50)) as pilot:
        card = await delivered(pilot, f"draw it !sim:image={kind}")
        preview = card.query_one(ImagePreview)
        await until(pilot, lambda: preview.state == "refused")
        assert reason in card_text(card)
        card.focus()
        await pilot.press("c")  # the link can still be copied
        assert app.clipboard == f"{sim.origin}/sim-images/{kind}"


async def test_previews_off_fetch_nothing(sim, db_path) -> None:
    app = build_app(sim, db_path, image_preview="off")
    async with app.run_test(size=(120, 50)) as pilot:
        card = await delivered(pilot, "draw it !sim:image=png")
        await pilot.pause(0.3)
        assert "no preview: previews off" in card_text(card)
        assert sim.gets["/sim-images/png"] == 0


async def test_previews_load_only_when_on_screen(sim, db_path) -> None:
    app = build_app(sim, db_path, image_preview="halfcell")
    store = app.store
    conversation = store.create_conversation("asi1-fast-agentic", title="many images")
    for n in range(8):
        store.add_message(conversation.id, "user", f"picture {n}")
        store.add_message(conversation.id, "assistant",
                          f"![generated-image]({sim.origin}/sim-images/redirects-{n + 1})")
    async with app.run_test(size=(100, 30)) as pilot:
        await view(app).show(conversation.id)
        await pilot.pause(0.5)
        previews = list(app.query(ImagePreview))
        assert len(previews) == FIRST_PAGE // 2  # the newest messages first
        await until(pilot, lambda: previews[-1].state != "waiting")  # (a card must stay on screen a moment)
        await pilot.pause(0.3)
        shown = [p for p in previews if p.state != "waiting"]
        assert 0 < len(shown) < len(previews)  # only what is on screen (the bottom) is fetched
        assert previews[-1].state != "waiting" and previews[0].state == "waiting"
        view(app).chat_pane.scroll_home(animate=False)  # the older ones load, and the oldest is fetched
        await until(pilot, lambda: len(app.query(ImagePreview)) == 8)
        view(app).chat_pane.scroll_home(animate=False)
        await until(pilot, lambda: app.query(ImagePreview).first().state != "waiting")


async def test_viewer_opens_saves_without_overwriting_and_goes_back(sim, db_path, tmp_path) -> None:
    app = build_app(sim, db_path, image_preview="halfcell")
    async with app.run_test(size=(120, 50)) as pilot:
        card = await delivered(pilot, "a monkey on a mountain !sim:image=png")
        card.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ImageViewer))
        viewer = app.screen
        assert viewer.prompt.startswith("a monkey on a mountain")
        await until(pilot, lambda: viewer.result is not None)
        viewer.save_dir = tmp_path / "saved"
        await pilot.press("s")
        await until(pilot, lambda: viewer.saved is not None)
        first = viewer.saved
        await pilot.press("s")
        await until(pilot, lambda: viewer.saved != first)
        assert first.name.startswith("a-monkey-on-a-mountain-sim-image-png") and first.suffix == ".png"
        assert viewer.saved.name == first.stem + "-2.png"
        assert first.read_bytes() == viewer.saved.read_bytes() == IMAGE_PNG.read_bytes()
        await pilot.press("c")
        assert app.clipboard == f"{sim.origin}/sim-images/png"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ImageViewer))
        assert app.screen.query(ImageCard)


async def test_the_viewer_keeps_only_what_the_terminal_can_show(sim, db_path) -> None:
    """A big image is held scaled to the screen, not at full size (memory: 49 MP held whole
    is ~150 MB, and every resize copied it again: benchmarks/big_image_memory.py)."""
    from textual_image.widget import HalfcellImage

    app = build_app(sim, db_path, image_preview="halfcell")
    async with app.run_test(size=(100, 40)) as pilot:
        card = await delivered(pilot, "a large one !sim:image=large")
        card.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ImageViewer) and app.screen.query(HalfcellImage))
        held = app.screen.query_one(HalfcellImage).image
        assert not isinstance(held, (str, bytes)) and not hasattr(held, "__fspath__")
        # 100 columns × 40 rows of half-cells show 100 × 80 pixels: the 1024-pixel square
        # image is held at 100 × 100 (its box is square), not at full size.
        assert held.size == (100, 100)


async def test_an_inline_image_shows_without_its_base64_and_copies_its_file(sim, db_path) -> None:
    app = build_app(sim, db_path, image_preview="halfcell")
    async with app.run_test(size=(120, 50)) as pilot:
        card = await delivered(pilot, "draw it !sim:image=data")
        preview = card.query_one(ImagePreview)
        await until(pilot, lambda: preview.state == "shown")
        shown = view(app).chat_pane.message_views()[-1]
        payload = base64.b64encode(IMAGE_PNG.read_bytes()).decode()
        assert payload in shown.content and payload in app.store.messages(view(app).conversation_id)[-1].content
        assert "iVBOR" not in app.export_screenshot()  # nowhere on screen: body, card, list
        assert "inline image/png" in card_text(card)
        card.focus()
        await pilot.press("c")
        assert app.clipboard == str(preview.result.path)


async def test_gallery_lists_newest_first_and_jumps_to_the_message(sim, db_path) -> None:
    app = build_app(sim, db_path, image_preview="halfcell")
    async with app.run_test(size=(120, 50)) as pilot:
        await delivered(pilot, "first picture !sim:image=png")
        first_conversation = view(app).conversation_id
        await pilot.press("ctrl+n")
        await delivered(pilot, "second picture !sim:image=data")
        view(app).composer.focus()
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ImageGallery))
        items = list(app.screen.query(GalleryItem))
        assert [i.image.prompt.split(" !")[0] for i in items] == ["second picture", "first picture"]
        assert items[0].has_focus
        await pilot.press("down", "enter")
        await until(pilot, lambda: not isinstance(app.screen, ImageGallery))
        await until(pilot, lambda: view(app).conversation_id == first_conversation)
        focused = app.focused
        assert isinstance(focused, MessageView) and focused.message_id == items[1].image.message_id


async def test_gallery_views_copies_and_opens_the_focused_image_and_says_its_prompt_once(
        sim, db_path, monkeypatch) -> None:
    import webbrowser

    from app.ui import links

    opened: list[str] = []
    monkeypatch.setattr(links, "has_graphical_browser", lambda: True)
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: opened.append(url))
    app = build_app(sim, db_path, image_preview="halfcell")
    async with app.run_test(size=(120, 50)) as pilot:
        await delivered(pilot, "a red kite over the hills !sim:image=png")
        view(app).composer.focus()
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ImageGallery))
        gallery = app.screen
        from tests.ui.test_chat_widgets import screen_text

        await until(pilot, lambda: "a red kite over the hills" in screen_text(app))
        assert screen_text(app).count("a red kite over the hills") == 1, screen_text(app)
        await pilot.press("c")
        assert app.clipboard == f"{sim.origin}/sim-images/png"
        await pilot.press("o")
        await until(pilot, lambda: opened == [f"{sim.origin}/sim-images/png"])
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, ImageViewer))
        assert app.screen.url == f"{sim.origin}/sim-images/png"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is gallery)
