"""The wait card naming its agent ("waiting for Ref Image Agent · poll 3/24 · 0:15")."""

from __future__ import annotations

from app.ui.widgets.agent_wait_card import AgentWaitCard
from tests.ui.helpers import until
from tests.ui.test_chat_widgets import T0, hosted, screen_text


async def test_wait_card_names_the_agent_and_its_poll_count() -> None:
    now = [T0 + 15]
    app, card = hosted(AgentWaitCard("I've sent the message", attempt=3, attempts=24, started_at=T0,
                                     clock=lambda: now[0], agent="Ref Image Agent"))
    async with app.run_test(size=(70, 12)) as pilot:
        await pilot.pause()
        assert "waiting for Ref Image Agent · poll 3/24 · 0:15" in screen_text(app)
        card.update_progress(4, 24)
        await pilot.pause()
        assert "waiting for Ref Image Agent · poll 4/24 · 0:15" in screen_text(app)
        card.set_agent("[bold]Evil[/bold]")  # third-party text: shown literally
        await pilot.pause()
        assert "waiting for [bold]Evil[/bold] · poll 4/24" in screen_text(app)


async def test_wait_card_without_an_agent_name_shows_its_poll_count() -> None:
    app, card = hosted(AgentWaitCard("Working on it", attempt=1, attempts=24, started_at=T0,
                                     clock=lambda: T0 + 15))
    async with app.run_test(size=(70, 12)) as pilot:
        await pilot.pause()
        assert "waiting for agent · poll 1/24 · 0:15" in screen_text(app)


async def test_wait_card_shows_the_latest_progress_message() -> None:
    app, card = hosted(AgentWaitCard("I've sent the message", attempt=6, attempts=24, started_at=T0,
                                     clock=lambda: T0 + 35, agent="Image Generation HiDream-I1"))
    async with app.run_test(size=(90, 12)) as pilot:
        card.set_progress("Generating…")
        card.update_progress(7, 24)
        await until(pilot, lambda: "Image Generation HiDream-I1: Generating…  · poll 7/24 · 0:35" in screen_text(app))
        card.set_progress("[@click=app.quit]Still working[/]")  # third-party text: literal
        await until(pilot, lambda: "[@click=app.quit]Still working[/]  · poll 7/24" in screen_text(app))
        assert app.is_running
