"""The layout follows the terminal: small terminals keep a readable chat, wide ones a wide list."""

from __future__ import annotations

from app.core.config import read_config_file
from app.core.store.store import Store
from app.ui.layout import CHAT_MIN, list_width
from tests.ui.helpers import build_app, sidebar, until, view

LONG_TITLE = "Planning the spring hiking trip to the Dolomites"  # 48 characters


def _seed(db_path, count: int = 3) -> None:
    store = Store(db_path)
    for n in range(count):
        conversation = store.create_conversation("asi1-mini", title=f"{LONG_TITLE} {n}")
        store.add_message(conversation.id, "user", f"question {n}")
    store.close()


def _width(app, selector: str) -> int:
    widget = app.query_one(selector)
    return widget.region.width if widget.display else 0


async def test_at_80_columns_the_chat_takes_the_width(db_path) -> None:
    _seed(db_path)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        assert _width(app, "#center") >= CHAT_MIN
        assert _width(app, "#sidebar") == 0 and _width(app, "#reasoning") == 0
        # ctrl+l brings the list back over the chat; opening a conversation puts it away.
        await pilot.press("ctrl+l")
        await pilot.pause(0.1)
        assert sidebar(app).conversation_list.has_focus and _width(app, "#sidebar") > 24
        assert _width(app, "#center") == 80  # a layer over the chat, not a squeeze
        await pilot.press("enter")
        await until(pilot, lambda: view(app).conversation_id is not None)
        await pilot.pause(0.1)
        assert view(app).composer.has_focus and _width(app, "#sidebar") == 0
        # ctrl+b shows the reasoning as a layer too, and hides it again.
        await pilot.press("ctrl+b")
        await pilot.pause(0.1)
        assert _width(app, "#reasoning") >= 28 and _width(app, "#center") == 80
        await pilot.press("ctrl+b")
        await pilot.pause(0.1)
        assert _width(app, "#reasoning") == 0


async def test_ctrl_f_shows_the_hidden_list_with_the_search_box(db_path) -> None:
    _seed(db_path)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f", *"hiking")
        await pilot.pause(0.3)
        assert _width(app, "#sidebar") > 0 and app.query_one("#search").has_focus


async def test_between_90_and_120_the_reasoning_steps_aside(db_path) -> None:
    _seed(db_path)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.1)
        assert _width(app, "#sidebar") >= 24 and _width(app, "#reasoning") == 0
        assert _width(app, "#center") >= CHAT_MIN


async def test_the_layout_follows_a_live_resize(db_path) -> None:
    _seed(db_path)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(240, 50)) as pilot:
        for columns in (240, 80, 130, 100, 240, 89):
            await pilot.resize_terminal(columns, 40)
            await pilot.pause(0.2)
            assert _width(app, "#center") >= min(CHAT_MIN, columns), columns
            assert (_width(app, "#reasoning") > 0) == (columns >= 120), columns
            assert (_width(app, "#sidebar") > 0) == (columns >= 90), columns
            assert _width(app, "#center") + _width(app, "#sidebar") + _width(app, "#reasoning") == columns


async def test_a_wide_terminal_shows_whole_titles(db_path) -> None:
    _seed(db_path)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(240, 50)) as pilot:
        await pilot.pause(0.2)
        assert _width(app, "#sidebar") >= 60
        shown = "\n".join(strip.text for strip in sidebar(app).conversation_list.render_lines(
            sidebar(app).conversation_list.region.reset_offset))
        assert f"{LONG_TITLE} 0" in shown  # whole


async def test_the_list_is_resized_from_the_palette_and_remembered(db_path, tmp_path) -> None:
    _seed(db_path)
    config = tmp_path / "config.toml"
    app = build_app(None, db_path, key=None, config_file=config)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause(0.1)
        before = _width(app, "#sidebar")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Wider list", "Narrower list"} <= titles
        await pilot.press("ctrl+p", *"Wider list")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert _width(app, "#sidebar") == before + 4
    assert read_config_file(config)["list_width"] == before + 4
    again = build_app(None, db_path, key=None, config_file=config)
    async with again.run_test(size=(200, 40)) as pilot:
        await pilot.pause(0.1)
        assert _width(again, "#sidebar") == before + 4


def test_the_list_never_squeezes_the_chat_below_its_minimum() -> None:
    assert list_width(100, 64) == 40
    assert list_width(240, None) == 60 and list_width(300, None) == 64
    assert list_width(240, 10) == 24
