"""The chat-pane widgets, driven through Textual's Pilot and checked as a user sees them."""

from __future__ import annotations

import time

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Markdown

from app.core.store.records import Message, MessageStatus
from app.ui.resources import style_files
from app.ui.widgets.agent_wait_card import TICK, AgentWaitCard
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.composer import Composer
from app.ui.widgets.context_meter import ContextMeter
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.message_view import FLUSH_INTERVAL, MessageView
from app.ui.widgets.reasoning_pane import ReasoningPane
from app.ui.widgets.welcome import Welcome
from tests.ui.helpers import cache_image, previews_settled, until

HOSTILE = "[@click=app.quit]x[/] and [b]bold[/b]"
T0 = 1_700_000_000.0
FLUSHED = FLUSH_INTERVAL * 4
STATUS = MessageStatus


def record(id: int, role: str = "assistant", content: str | None = None, *, status: str = "complete",
           reasoning: str = "", error: str | None = None, model: str | None = "asi1-agentic") -> Message:
    text = f"Message {id}: some **markdown** text." if content is None else content
    return Message(id, 1, role, text, reasoning, status, model, None, error, T0 + id, T0 + id)


def history(count: int) -> list[Message]:
    return [record(i, "user" if i % 2 else "assistant") for i in range(1, count + 1)]


def screen_text(app: App) -> str:
    """Every character on the screen, as the user sees it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class Host(App):
    """Composes one widget with the real style sheet and records the messages it posts."""

    CSS_PATH = style_files("chat.tcss")

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget
        self.received: list = []
        self.opened: list[str] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    @on(ImageCard.CopyRequested)
    @on(ImageCard.OpenRequested)
    @on(Composer.Submitted)
    @on(MessageView.Selected)
    @on(Markdown.LinkClicked)
    def _record(self, message) -> None:
        self.received.append(message)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.opened.append(url)

    def of(self, kind: type) -> list:
        return [m for m in self.received if isinstance(m, kind)]


def hosted(widget: Widget) -> tuple[Host, Widget]:
    return Host(widget), widget


async def test_append_only_buffers_and_the_timer_renders() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test() as pilot:
        view = await pane.add_reply("asi1-fast-agentic")
        body = view.query_one(Markdown)
        start = time.perf_counter()
        for _ in range(5_000):
            view.append("tok ")
        assert time.perf_counter() - start < 0.05 and body.source == ""  # nothing rendered per token
        assert view.content == "tok " * 5_000
        await until(pilot, lambda: body.source == "tok " * 5_000)  # (in paced steps: later under load)
        view.append("\n\nsecond paragraph")
        view.append_reasoning("thinking ")
        view.append_reasoning("hard")
        await pilot.pause(FLUSHED)
        assert "second paragraph" in screen_text(app) and view.reasoning == "thinking hard"
        assert view.status == STATUS.STREAMING


async def test_finish_mounts_image_cards_for_safe_image_links_only() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(100, 50)) as pilot:
        view = await pane.add_reply("asi1-agentic")
        view.append("Here: ![monkey](https://agent.example/storage/9f1c) and https://cdn.example/x/y.png.\n")
        view.append("Not these: ![bad](javascript:alert(1)) [x](javascript:alert(2)) https://e.example/page")
        await pilot.pause(FLUSHED)
        assert not view.query(ImageCard)
        await view.finish(STATUS.COMPLETE, message_id=42)
        await pilot.pause()
        urls = [card.url for card in view.query(ImageCard)]
        assert urls == ["https://agent.example/storage/9f1c", "https://cdn.example/x/y.png"]
        assert view.message_id == 42 and view.status == "complete"
        assert pane.latest_image_url() == "https://cdn.example/x/y.png" in screen_text(app)


async def test_finish_with_final_content_status_markers_and_set_message() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(100, 30)) as pilot:
        view = await pane.add_reply("asi1-agentic")
        view.append("draft that will be replaced")
        await view.finish(STATUS.ERROR, error="HTTP 502 from upstream", content="final words")
        await (await pane.add_reply("asi1-agentic")).finish(STATUS.INTERRUPTED)
        stored = await pane.add_reply("asi1-agentic")
        await stored.set_message(record(7, content="stored ![i](https://x.example/i)", reasoning="why",
                                        status=STATUS.AWAITING_AGENT))
        await pilot.pause()
        text = screen_text(app)
        assert "final words" in text and "draft" not in text and "⚠ interrupted" in text
        assert "✖ error: HTTP 502 from upstream" in text and "⏳ waiting for agent" in text
        header = view.query_one(".message--header")
        assert header.has_class("-error") and not header.has_class("-streaming")
        assert (stored.message_id, stored.reasoning, stored.image_urls) == (7, "why", ["https://x.example/i"])


async def test_a_view_dropped_mid_stream_can_still_be_finished() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test() as pilot:
        view = await pane.add_reply("asi1-agentic")
        card = await pane.show_wait("ack", attempt=1, attempts=3, started_at=time.time())
        view.append("hello ![i](https://x.example/i)")
        await pilot.pause(FLUSHED)
        view.append(" more")
        await pane.show_conversation(history(2))  # the user opened another conversation
        view.append(" and more")
        await pilot.pause(FLUSHED)
        await view.finish(STATUS.COMPLETE, message_id=5)
        card.update_progress(2, 3, "late")
        await pilot.pause()
        assert view.content == "hello ![i](https://x.example/i) more and more"
        assert view.image_urls == ["https://x.example/i"] and view.status == "complete"
        assert app.is_running and len(pane.message_views()) == 2


async def test_server_markup_is_shown_literally_and_never_runs() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(100, 60)) as pilot:
        await pane.show_conversation([
            record(1, "user", HOSTILE),
            record(2, "assistant", HOSTILE, status=STATUS.ERROR, error=HOSTILE, model=HOSTILE),
            record(3, "assistant", "# [b]head[/b]\n\n```\n[@click=app.quit]code[/]\n```\n\n"
                                   "| [b]cell[/b] |\n|---|\n| [i]row[/i] |\n\n- [@click=app.bell]item[/]"),
        ])
        reply = await pane.add_reply(HOSTILE)
        reply.append(HOSTILE)
        await pilot.pause(FLUSHED)
        await pane.show_wait(HOSTILE, attempt=1, attempts=3, started_at=time.time(), last_error=HOSTILE)
        await pilot.pause()
        text = screen_text(app)
        assert text.count("[@click=app.quit]x[/]") >= 6 and "[b]bold[/b]" in text
        for literal in ("[b]head[/b]", "[@click=app.quit]code[/]", "[b]cell[/b]", "[i]row[/i]",
                        "[@click=app.bell]item[/]"):
            assert literal in text
        for view in pane.message_views():
            await pilot.click(view, offset=(3, 1))
        await pilot.press("x", "enter")
        assert app.is_running and app.return_code is None


async def test_markdown_links_are_not_opened_but_reported() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(80, 20)) as pilot:
        await pane.show_conversation([record(1, content="[click me](https://example.com/page)")])
        await pilot.pause()
        await pilot.click(pane.message_views()[0].query_one(Markdown).children[0], offset=(2, 0))
        await pilot.pause()
        assert app.opened == [] and [m.href for m in app.of(Markdown.LinkClicked)] == ["https://example.com/page"]


async def test_image_card_keys_post_copy_and_open_requests() -> None:
    url = "https://agent.example/storage/" + "a" * 120
    app, card = hosted(ImageCard(url))
    async with app.run_test(size=(60, 12)) as pilot:
        card.focus()
        await pilot.press("c", "o")
        await pilot.pause()
        assert [m.url for m in app.of(ImageCard.CopyRequested) + app.of(ImageCard.OpenRequested)] == [url, url]
        assert "c copy · o open" in screen_text(app)
        # The full URL is shown, wrapped over several lines.
        assert "".join(line.strip(" │") for line in screen_text(app).splitlines()).count("a" * 120) == 1


async def test_wait_card_shows_progress_and_a_live_clock() -> None:
    now = [T0 + 59]
    app, card = hosted(AgentWaitCard("Working on it", attempt=1, attempts=24, started_at=T0,
                                     clock=lambda: now[0]))
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        assert "0:59" in screen_text(app) and "poll 1 of 24" in screen_text(app)
        card.update_progress(2, 24, last_error="read timeout")
        now[0] = T0 + 61
        await pilot.pause(TICK + 0.1)
        text = screen_text(app)
        for shown in ("poll 2 of 24 · last error: read timeout", "1:01", "esc cancel", "Working on it"):
            assert shown in text
        card.display = False  # hidden: the clock pauses, and catches up when shown again
        await pilot.pause()
        now[0] = T0 + 120
        card.display = True
        await pilot.pause()
        assert "2:00" in screen_text(app)


async def test_show_conversation_is_fast_and_pages_in_older_messages() -> None:
    messages = history(2_000)
    calls: list[int] = []

    def load_older(oldest_id: int) -> list[Message]:
        calls.append(oldest_id)
        return [m for m in messages if m.id < oldest_id][-30:]

    app, pane = hosted(ChatPane())
    async with app.run_test(size=(80, 24)) as pilot:
        start = time.perf_counter()
        await pane.show_conversation(messages[-30:], load_older=load_older)
        assert time.perf_counter() - start < 0.5  # median ~70 ms here; generous for loaded CI
        await pilot.pause()
        views = pane.message_views()
        assert len(views) == 30 and views[-1].message_id == 2_000
        assert pane.scroll_y == pane.max_scroll_y > 0 and calls == []
        pane.scroll_to(y=0, animate=False)
        await until(pilot, lambda: len(pane.message_views()) == 60)
        await pilot.pause()
        # The view did not jump: the message that was at the top is still at the top.
        assert calls == [1_971] and views[0].region.y == pane.content_region.y and pane.scroll_y > 0


async def test_short_history_fills_the_pane_from_older_pages() -> None:
    messages = history(5)
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(80, 40)) as pilot:
        await pane.show_conversation(messages[-2:], load_older=lambda oldest: messages[max(0, oldest - 3):oldest - 1])
        await until(pilot, lambda: len(pane.message_views()) == 5)
        assert [v.message_id for v in pane.message_views()] == [1, 2, 3, 4, 5]


async def test_view_follows_new_text_only_at_the_bottom() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(80, 20)) as pilot:
        await pane.show_conversation(history(20))
        reply = await pane.add_reply("asi1-agentic")
        reply.append("line\n\n" * 20)
        await pilot.pause(FLUSHED)
        assert pane.scroll_y == pane.max_scroll_y > 0
        # The user scrolls up: new text must not pull them down.
        pane.scroll_up(animate=False)
        await pilot.pause()
        held = pane.scroll_y
        reply.append("more\n\n" * 20)
        await pilot.pause(FLUSHED)
        assert pane.scroll_y == held < pane.max_scroll_y
        # Back at the bottom, it follows again.
        pane.scroll_end(animate=False)
        await pilot.pause()
        reply.append("even more\n\n" * 20)
        await pilot.pause(FLUSHED)
        assert pane.scroll_y == pane.max_scroll_y


async def test_welcome_user_message_reply_and_wait_card() -> None:
    app, pane = hosted(ChatPane(clock=lambda: T0 + 5))
    async with app.run_test(size=(90, 30)) as pilot:
        await pane.show_welcome()
        await pilot.pause()
        assert all(hint in screen_text(app) for hint in ("asi-chat --demo", "Ctrl+J", "Ctrl+P", "F2"))
        user = await pane.add_user_message("hello", message_id=3)
        assert not pane.query(Welcome) and user.message_id == 3 and user.content == "hello"
        card = await pane.show_wait("On it", attempt=1, attempts=24, started_at=T0)
        assert await pane.show_wait("On it", attempt=2, attempts=24, started_at=T0) is card
        reply = await pane.add_reply("asi1-agentic")
        assert list(pane.children)[-1] is card and pane.message_views() == [user, reply]  # card stays last
        await pilot.pause()
        assert "poll 2 of 24" in screen_text(app)
        await pane.clear_wait()
        assert not pane.query(AgentWaitCard)


async def test_up_down_j_k_move_focus_between_messages() -> None:
    app, pane = hosted(ChatPane())
    async with app.run_test(size=(80, 24)) as pilot:
        await pane.show_conversation(history(4))
        views = pane.message_views()
        pane.focus()
        for keys, expected in ((["up"], 3), (["k", "up"], 1), (["j"], 2), (["down", "down"], 3)):
            await pilot.press(*keys)
            assert app.focused is views[expected]
        await pilot.pause()
        assert [m.message_view for m in app.of(MessageView.Selected)][:3] == [views[3], views[2], views[1]]


async def test_context_meter_text_and_high_class() -> None:
    app, meter = hosted(ContextMeter())
    async with app.run_test() as pilot:
        meter.update_usage(1_200, 24_000)
        await pilot.pause()
        assert "context 1.2k / 24k ▰▱▱▱▱▱▱▱▱▱ 5%" in screen_text(app) and not meter.has_class("-high")
        meter.update_usage(20_000, 24_000)
        await pilot.pause()
        assert "context 20k / 24k ▰▰▰▰▰▰▰▰▰▱ 83%" in screen_text(app) and meter.has_class("-high")


class ChatLayout(App):
    """The chat pane beside the reasoning pane, with composer and meter below."""

    CSS_PATH = style_files("chat.tcss")
    CSS = "#main { height: 1fr; } ReasoningPane { width: 34; } #bottom { height: auto; }"

    def __init__(self, messages: list[Message] | None = None, *, wait: bool = False) -> None:
        super().__init__()
        self.messages, self.wait = messages, wait

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield ChatPane(clock=lambda: T0 + 83.4)  # a fixed clock: the wait card shows 1:23
            yield ReasoningPane()
        with Vertical(id="bottom"):
            yield Composer()
            yield ContextMeter()

    async def on_mount(self) -> None:
        pane = self.query_one(ChatPane)
        self.query_one(ContextMeter).update_usage(1_234, 24_000)
        if self.messages is None:
            return await pane.show_welcome()
        await pane.show_conversation(self.messages)
        if self.wait:
            await pane.show_wait("I've handed this to the image agent; it usually takes a minute.",
                                 attempt=3, attempts=24, started_at=T0, last_error="read timeout")
        self.query_one(Composer).focus()


CONVERSATION = [
    record(1, "user", "Draw a monkey on a mountain, [b]please[/b]."),
    record(2, "assistant", "Here it is:\n\n![monkey](https://agent.example/storage/9f1c2a)\n\n"
                           "- made by the *image agent*\n- `1024x1024`", reasoning="Delegate to the agent."),
    record(3, "user", "Another one?"),
    record(4, "assistant", "Working on it", status=STATUS.AWAITING_AGENT),
]


def test_snapshot_conversation_with_image_and_wait_card(snap_compare) -> None:
    cache_image("https://agent.example/storage/9f1c2a")  # its half-cell preview, offline
    assert snap_compare(ChatLayout(CONVERSATION, wait=True), terminal_size=(110, 44), run_before=previews_settled)


def test_snapshot_selected_message_with_reasoning(snap_compare) -> None:
    async def select(pilot) -> None:
        view = pilot.app.query_one(ChatPane).message_views()[1]
        view.focus()
        await pilot.app.query_one(ReasoningPane).show_message(view)
        await previews_settled(pilot)

    cache_image("https://agent.example/storage/9f1c2a")
    messages = CONVERSATION[:2] + [record(5, "assistant", "partial", status=STATUS.INTERRUPTED),
                                   record(6, "assistant", "", status=STATUS.ERROR, error="HTTP 500: upstream failed")]
    assert snap_compare(ChatLayout(messages), terminal_size=(110, 40), run_before=select)


def test_snapshot_welcome(snap_compare) -> None:
    assert snap_compare(ChatLayout(), terminal_size=(100, 24))




async def test_a_long_image_link_wraps_after_slashes_and_keeps_its_uuid_whole() -> None:
    from app.ui.widgets.link_text import LinkText, link_lines

    uuid_part = "d48f5af6-622a-4a45-b86c-54981650fd36"
    url = f"https://api.asi1.ai/agentverse/production/storage/{uuid_part}/generated-image-final.png"
    app, card = hosted(ImageCard(url))
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert uuid_part in text  # on one line, not cut at a dash
        rows = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
        start = next(i for i, row in enumerate(rows) if row.startswith("https://"))
        shown = rows[start:start + len(link_lines(url, card.query_one(LinkText).content_size.width))]
        assert "".join(shown) == url and all(row.endswith("/") for row in shown[:-1])
        # The wrapped lines are one hyperlink: every cell of them links to the whole URL.
        strips = card.query_one(LinkText).render_lines(card.query_one(LinkText).region.reset_offset)
        links = {segment.style.link for strip in strips for segment in strip if segment.text.strip()}
        assert links == {url}


def test_link_lines_fold_only_what_cannot_fit() -> None:
    from app.ui.widgets.link_text import link_lines

    assert link_lines("https://a.example/x/y", 80) == ["https://a.example/x/y"]
    assert link_lines("https://a.example/" + "z" * 30, 10) == ["https://", "a.example/", *["z" * 10] * 3]
