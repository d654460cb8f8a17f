"""A title the user typed with escape sequences in it is drawn inert in the app: its header
and the conversation list show the words, no ESC, BEL or C1 reaches the screen."""

from __future__ import annotations

from pathlib import Path

from app.simulator import Simulator
from tests.ui.helpers import build_app, idle, type_and_send, until

HOSTILE = "giraffes \x1b]52;c;cHduZWQ=\x07\x1b]2;PWNED\x07\x1b[2J\x9b31mtall"


def _screen(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def _inert(text: str) -> bool:
    return not any(ch in "\x1b\x07" or "\x80" <= ch <= "\x9f" for ch in text)


async def test_a_hostile_title_is_shown_without_its_sequences(sim: Simulator, db_path: Path):
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, HOSTILE)
        await idle(app, pilot)
        assert sim.requests[-1].messages[-1]["content"] == HOSTILE  # sent as typed
        await until(pilot, lambda: "giraffes tall ·" in app.sub_title)
        await pilot.pause()
        screen = _screen(app)
        assert _inert(app.sub_title) and _inert(screen)
        assert "giraffes tall" in screen.splitlines()[0]  # the header
        assert screen.count("giraffes tall") >= 2  # … and the conversation list
        assert "PWNED" not in screen and "52;c;" not in screen
