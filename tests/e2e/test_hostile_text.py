"""Hostile server text never takes over the terminal, the clipboard, or the app.

The real app runs in tmux with `set-clipboard on` (an OSC 52 write would land in tmux's
paste buffers) and `allow-rename on` (a title or window name change would show in
`#{pane_title}` / `#{window_name}`), while the simulator puts OSC 52, OSC 0, CSI, 8-bit
CSI, bidi overrides and Textual markup into answers, reasoning, image alt text and error
bodies. Links with other schemes than http(s) are neither opened nor copied.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from textual.widgets import Markdown

from app.core.links import data_ref
from app.simulator import Simulator
from app.simulator.faults import ESCAPE_PAYLOAD
from app.ui.widgets.image_card import ImageCard
from tests.conftest import TEST_KEY
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env, script_reply, wait_for
from tests.ui.helpers import build_app, idle, type_and_send, view

MARKUP = "[@click=app.quit]x[/]"
HOSTILE_LINKS = [
    "Links: [docs](file:///etc/passwd), ![x](javascript:alert(1)), ",
    "![y](data:image/png;base64,AAAA), ![z](ftp://h.test/z.png), ",
    "\x1b]8;;file:///etc/passwd\x1b\\click me\x1b]8;;\x1b\\ and [run](javascript:alert(2)).\n",
]
NON_HTTP = ["file:///etc/passwd", "javascript:alert(1)", "data:image/png;base64,AAAA",
            "ftp://h.test/z.png", "javascript:alert(2)"]


def _browser(tmp_path: Path) -> tuple[str, Path]:
    """A $BROWSER that only writes down what it was asked to open."""
    log = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), log


def test_hostile_text_stays_inert_in_a_real_terminal(monkeypatch, db_path, tmp_path) -> None:
    browser, opened = _browser(tmp_path)
    with Simulator(api_key=TEST_KEY) as sim:
        script_reply(monkeypatch, sim, "links please", HOSTILE_LINKS, [f"Thinking {ESCAPE_PAYLOAD} on"])
        term = Tmux(app_env(sim.base_url, db_path, BROWSER=browser))
        try:
            app = term.start(*app_command())
            term.wait_for(app, "Message ASI:One")
            title, name = term.display(app, "#{pane_title}"), term.display(app, "#{window_name}")

            def untouched() -> None:
                assert term.buffers() == [] and not opened.exists()  # no clipboard write
                assert term.display(app, "#{pane_title}") == title  # no title change
                assert term.display(app, "#{window_name}") == name
                assert not term.dead(app)

            def send(text: str, until: str) -> str:
                term.send(app, "C-n")
                term.type(app, text)
                term.send(app, "Enter")
                screen = term.wait_for(app, lambda s: until in s or term.buffers())  # (fail fast)
                untouched()
                return screen

            # escapes in the answer and the reasoning: removed whole, markup shown as text
            screen = send("hello !sim:escapes", "Ask a follow-up")
            assert MARKUP in screen and "]52;c;" not in screen and "pwned" not in screen
            # in an agent's image reply and its alt text
            send("draw a bird !sim:escapes", "Here is your image")
            # in an error body
            send("hello !sim:status=500 !sim:retry-after=0.05 !sim:escapes", "Reply failed")
            # links of other schemes: neither copied (ctrl+y) nor opened (ctrl+o)
            send("links please", "click me")
            term.send(app, "C-y")
            term.send(app, "C-o")
            term.wait_for(app, "No image link in this conversation yet.")

            untouched()
            assert "pwned" not in title + name

            # The checks can see a copy and an opening: an http(s) image link is both.
            send("draw a cat", "c copy · o open")
            term.send(app, "C-y")
            wait_for(term.buffers, what="the OSC 52 copy")
            term.send(app, "C-o")
            wait_for(opened.exists, what="the browser")
            (url,) = term.buffers()
            assert url.startswith("http://127.0.0.1") and opened.read_text().split() == [url]
        finally:
            term.close()


async def test_non_http_links_are_neither_opened_nor_copied(monkeypatch, sim, db_path) -> None:
    opened: list[str] = []
    monkeypatch.setenv("BROWSER", "true")  # as if there were a graphical browser
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url))
    script_reply(monkeypatch, sim, "links please", HOSTILE_LINKS)
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "links please")
        await idle(app, pilot)
        reply = view(app).chat_pane.message_views()[-1]
        assert "\x1b" not in reply.content and "click me" in reply.content
        # The inline image gets a card (it is not an image: its card says so) but it is no link.
        assert [card.url for card in app.query(ImageCard)] == ["data:image/png;base64,AAAA"]
        assert [i.url for i in app.store.images(view(app).conversation_id)] == [data_ref("data:image/png;base64,AAAA")]
        markdown = reply.query_one(Markdown)
        for href in NON_HTTP:  # as if each link were clicked
            markdown.post_message(Markdown.LinkClicked(markdown, href))
        await pilot.press("ctrl+y", "ctrl+o")
        await pilot.pause(0.2)
        assert opened == [] and app.clipboard == ""
        refusals = [n.message for n in app._notifications if "Refused to open" in n.message]
        assert len(refusals) == len(NON_HTTP)
        # a real http(s) link is opened: the check above could have seen it
        markdown.post_message(Markdown.LinkClicked(markdown, "https://example.test/page"))
        await pilot.pause(0.2)
        assert opened == ["https://example.test/page"]
        assert app.is_running and os.environ.get("BROWSER") == "true"
