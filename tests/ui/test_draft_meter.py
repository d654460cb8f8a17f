"""The context meter counts the draft, and a message that cannot fit is not sent unasked."""

from __future__ import annotations

from app.ui.widgets.context_meter import ContextMeter
from tests.ui.helpers import build_app, idle, until, view


def _meter(app) -> str:
    return str(app.query_one(ContextMeter).render())


async def test_the_meter_counts_a_pasted_draft_and_sending_it_asks_first(sim, db_path) -> None:
    app = build_app(sim, db_path, model="asi1-fast-agentic")  # a 24k window
    async with app.run_test(size=(120, 30)) as pilot:
        assert _meter(app).startswith("context 0 / 24k")
        big = "word " * 60_000  # 300 kB: about 100k tokens, four times the 24k window
        view(app).composer.focus()
        view(app).composer.insert(big)  # what a paste does
        await until(pilot, lambda: "draft" in _meter(app))
        assert "draft 100k / 24k" in _meter(app) and "too long to send" in _meter(app)
        assert app.query_one(ContextMeter).has_class("-over")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert view(app).conversation_id is None and view(app).composer.text == big.rstrip() + " "  # kept, not sent
        (warning,) = [n.message for n in app._notifications if n.title == "Too long to fit"]
        assert "about 100k tokens" in warning and "Enter again" in warning
        await pilot.press("enter")  # unchanged: sent anyway
        await until(pilot, lambda: view(app).conversation_id is not None)
        await idle(app, pilot)
        assert app.store.messages(view(app).conversation_id)[0].content == big.rstrip()
        await until(pilot, lambda: "draft" not in _meter(app))


async def test_an_edited_draft_is_asked_about_again(sim, db_path) -> None:
    app = build_app(sim, db_path, model="asi1-fast-agentic")  # a 24k window
    async with app.run_test(size=(120, 30)) as pilot:
        view(app).composer.focus()
        view(app).composer.insert("word " * 30_000)
        await pilot.press("enter")
        await pilot.press("x", "enter")  # changed since the warning: asked again
        await pilot.pause(0.2)
        assert view(app).conversation_id is None and view(app).composer.text.endswith("x")
