"""The conversation list, the search bar and the modal screens, driven through Pilot."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, OptionList

from app.core.models import CATALOGUE as MODELS
from app.core.store.store import Store
from app.ui.relative_time import relative_time
from app.ui.resources import style_files
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.model_picker import ModelPickerScreen
from app.ui.screens.rename import RenameScreen
from app.ui.widgets.conversation_list import ConversationList
from app.ui.widgets.search_bar import SearchBar
from tests.ui.test_chat_widgets import until

HOSTILE_TITLE = "[@click=app.quit]x[/]"
BOLD_TITLE = "[b]bold[/b]"


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calendar-day answers ("yesterday", "Mar 3") must not depend on the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "h.db") as s:
        yield s


class ListApp(App):
    """A search bar over a conversation list, wired the way the real app wires them."""

    CSS_PATH = style_files("sidebar.tcss", "screens.tcss")
    AUTO_FOCUS = "ConversationList"

    def __init__(self, store: Store, **list_options) -> None:
        super().__init__()
        self.store = store
        self.list_options = list_options
        self.received: list[Message] = []

    def compose(self) -> ComposeResult:
        yield SearchBar()
        yield ConversationList(self.store, id="conversations", **self.list_options)

    @property
    def conversations(self) -> ConversationList:
        return self.query_one(ConversationList)

    def on_search_bar_query_changed(self, event: SearchBar.QueryChanged) -> None:
        self.conversations.set_filter(event.query)

    @on(SearchBar.QueryChanged)
    @on(SearchBar.Submitted)
    @on(SearchBar.Closed)
    @on(ConversationList.Opened)
    @on(OptionList.OptionSelected)
    @on(Input.Changed)
    def _record(self, event: Message) -> None:
        self.received.append(event)

    def sent(self, kind: type[Message]) -> list:
        return [message for message in self.received if isinstance(message, kind)]


def prompt_lines(conversations: ConversationList, index: int) -> list[str]:
    return conversations.get_option_at_index(index).prompt.plain.split("\n")


async def settle(pilot) -> None:
    """Let search workers finish (cancelled ones too) and their results arrive."""
    for _ in range(500):
        if all(worker.is_finished for worker in pilot.app.workers):
            return await pilot.pause()
        await pilot.pause(0.01)


# -- relative_time ----------------------------------------------------------------

NOW = datetime(2025, 7, 15, 12, 0, tzinfo=UTC).timestamp()  # used with the utc fixture


@pytest.mark.parametrize(("ago", "expected"), [
    (0, "now"), (59, "now"), (-3600, "now"), (60, "1m"), (5 * 60 + 30, "5m"), (3599, "59m"), (3600, "1h"),
    (3 * 3600, "3h"), (23 * 3600, "23h"), (25 * 3600, "yesterday"), (36 * 3600, "yesterday"),
    (37 * 3600, "2d"), (4 * 86400, "4d"), (6 * 86400, "6d"), (7 * 86400, "Jul 8"), (134 * 86400, "Mar 3"),
    (364 * 86400, "Jul 16"), (365 * 86400 + 3600, "2024-07-15"), (500 * 86400, "2024-03-02"),
])
def test_relative_time(utc: None, ago: float, expected: str) -> None:
    assert relative_time(NOW - ago, NOW) == expected


# -- the list ------------------------------------------------------------------------

async def test_list_shows_newest_first_with_title_model_and_badge(store: Store) -> None:
    first = store.create_conversation("asi1-agentic", "First chat")
    untitled = store.create_conversation("asi1-fast-agentic")
    last = store.create_conversation("asi1-extended-agentic", "Latest chat")
    store.add_wait(untitled.id, None, "working on it", 3, time.time() + 60)
    app = ListApp(store)
    async with app.run_test() as pilot:
        conversations = app.conversations
        assert conversations.conversation_ids() == [last.id, untitled.id, first.id]
        assert prompt_lines(conversations, 0) == ["Latest chat", "asi1-extended-agentic · now"]
        assert prompt_lines(conversations, 1) == ["⏳ (untitled)", "asi1-fast-agentic · now"]
        assert prompt_lines(conversations, 2) == ["First chat", "asi1-agentic · now"]
        assert conversations.highlighted_conversation_id == last.id
        assert conversations.get_option_at_index(0).id == str(last.id)
        assert conversations.border_title == "Conversations"
        assert conversations.select_conversation(first.id)
        assert not conversations.select_conversation(9999)
        await pilot.press("enter")
        await pilot.pause()
        assert [(m.conversation_id, m.control) for m in app.sent(ConversationList.Opened)] == [
            (first.id, conversations)]
        # The raw OptionList message is translated, not passed on as well.
        assert not app.sent(OptionList.OptionSelected)


async def test_reload_badges_and_highlight(store: Store) -> None:
    ids = [store.create_conversation("asi1-agentic", f"Chat {n}").id for n in range(4)]
    app = ListApp(store)
    async with app.run_test():
        conversations = app.conversations
        conversations.select_conversation(ids[1])
        wait = store.add_wait(ids[2], None, "ack", 3, time.time() + 60)
        store.add_message(ids[0], "user", "hello")  # moves chat 0 to the top
        conversations.reload()
        assert conversations.conversation_ids() == [ids[0], ids[3], ids[2], ids[1]]
        assert conversations.highlighted_conversation_id == ids[1]
        assert prompt_lines(conversations, 2)[0] == "⏳ Chat 2"
        conversations.reload(select=ids[0])
        assert conversations.highlighted_conversation_id == ids[0]
        store.clear_wait(wait.id)
        store.list_conversations = None  # mark_waiting must not read the store
        conversations.mark_waiting(ids[2], False)
        conversations.mark_waiting(ids[3], True)
        conversations.mark_waiting(12345, True)  # not loaded: ignored
        assert [prompt_lines(conversations, n)[0] for n in range(4)] == [
            "Chat 0", "⏳ Chat 3", "Chat 2", "Chat 1"]
        del store.list_conversations
        store.delete_conversation(ids[0])
        conversations.reload()  # the highlight keeps its place: on the next one down
        assert conversations.highlighted_conversation_id == ids[3]


async def test_markup_in_titles_is_shown_literally_and_inert(store: Store) -> None:
    hostile = store.create_conversation("asi1-agentic", HOSTILE_TITLE)
    bold = store.create_conversation("asi1-agentic", BOLD_TITLE)
    app = ListApp(store)
    async with app.run_test(size=(60, 20)) as pilot:
        conversations = app.conversations
        shown = "\n".join(conversations.render_line(y).text for y in range(conversations.size.height))
        assert HOSTILE_TITLE in shown and BOLD_TITLE in shown
        # Clicking the hostile title opens it; it does not run app.quit.
        await pilot.click(ConversationList, offset=(4, 3))
        await pilot.pause()
        assert app.is_running
        assert [m.conversation_id for m in app.sent(ConversationList.Opened)] == [hostile.id]
        conversations.set_filter(HOSTILE_TITLE)
        assert HOSTILE_TITLE in conversations.border_title.replace("\\[", "[")
        await settle(pilot)
        assert app.is_running and bold.id not in conversations.conversation_ids()


def seed(store: Store, rows: list[tuple[str | None, str, float]]) -> list[int]:
    """Conversations (title, model, updated_at) in one transaction; ids newest first."""
    with sqlite3.connect(store.path) as conn:
        conn.executemany("INSERT INTO conversations (title, model, session_id, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?)",
                         [(title, model, str(uuid.uuid4()), at, at) for title, model, at in rows])
        ids = [row[0] for row in conn.execute("SELECT id FROM conversations ORDER BY updated_at DESC, id DESC")]
    conn.close()
    return ids


async def test_ten_thousand_conversations_load_lazily(store: Store) -> None:
    start = time.time() - 10_000
    ids = seed(store, [(f"Conversation {n}", "asi1-agentic", start + n) for n in range(10_000)])
    app = ListApp(store)
    async with app.run_test(size=(60, 30)) as pilot:
        conversations = app.conversations
        assert conversations.conversation_ids() == ids[:100]
        assert str(conversations.border_subtitle) == "100 of 10,000"
        conversations.reload()
        assert len(conversations.conversation_ids()) == 100
        # Scrolling to the end (wheel, scrollbar) reads the next page; the highlight stays.
        conversations.scroll_end(animate=False, immediate=True)
        assert conversations.conversation_ids() == ids[:200]
        assert conversations.highlighted_conversation_id == ids[0]
        # A reload re-reads down to the highlight, and no further.
        conversations.select_conversation(ids[50])
        conversations.reload()
        assert conversations.highlighted_conversation_id == ids[50]
        assert len(conversations.conversation_ids()) == 100
        # Walking down to within LOAD_AHEAD of the end reads exactly one more page.
        conversations.highlighted = 88
        await pilot.press("down")
        assert len(conversations.conversation_ids()) == 100
        await pilot.press("down")
        assert conversations.conversation_ids() == ids[:200]
        # End: the oldest at once, below a row for those between, until a thread reads them (held here).
        held, read = threading.Event(), store.list_conversations
        store.list_conversations = lambda limit=50, offset=0: (limit != -1 or held.wait(5)) and read(limit, offset)
        await pilot.press("end")
        assert conversations.highlighted_conversation_id == ids[-1]
        assert conversations.get_option_at_index(200).prompt.plain == "⋯ loading 9,700 more…"
        await pilot.press("up")
        held.set()
        await until(pilot, lambda: len(conversations.conversation_ids()) == 10_000)
        assert conversations.conversation_ids() == ids and conversations.highlighted_conversation_id == ids[-2]
        assert conversations.scroll_y == conversations.max_scroll_y  # the view stayed put
        assert str(conversations.border_subtitle) == "10,000 conversations"
        await pilot.press("home")
        assert conversations.highlighted_conversation_id == ids[0]


async def test_filter_by_title_and_content_then_back(store: Store) -> None:
    giraffe = store.create_conversation("asi1-agentic", "Giraffe facts")
    store.create_conversation("asi1-agentic", "Cooking pasta")
    monkey = store.create_conversation("asi1-agentic", "Holiday plans")
    store.add_message(monkey.id, "assistant", "We could climb the monkey mountain.")
    app = ListApp(store)
    async with app.run_test() as pilot:
        conversations = app.conversations
        everything = conversations.conversation_ids()
        conversations.set_filter("giraffe")
        assert conversations.filter_query == "giraffe"
        assert conversations.border_title == "Conversations · matching 'giraffe'"
        await settle(pilot)
        assert conversations.conversation_ids() == [giraffe.id]
        assert str(conversations.border_subtitle) == "1 found"
        conversations.set_filter("  monk ")  # a prefix of a word in a message
        await settle(pilot)
        assert conversations.filter_query == "monk"
        assert conversations.conversation_ids() == [monkey.id]
        # Only the latest of several quick searches is shown.
        conversations.set_filter("pasta")
        conversations.set_filter("giraffe")
        await settle(pilot)
        assert conversations.conversation_ids() == [giraffe.id]
        conversations.set_filter("nothing like this")
        await settle(pilot)
        assert conversations.conversation_ids() == [] and str(conversations.border_subtitle) == "no matches"
        conversations.set_filter("   ")
        assert conversations.filter_query == "" and conversations.border_title == "Conversations"
        assert conversations.conversation_ids() == everything and len(everything) == 3


async def test_search_as_you_type_through_the_search_bar(store: Store) -> None:
    store.create_conversation("asi1-agentic", "Cooking pasta")
    giraffe = store.create_conversation("asi1-agentic", "Giraffe facts")
    app = ListApp(store)
    async with app.run_test() as pilot:
        app.query_one(SearchBar).focus()
        await pilot.press("g")
        await settle(pilot)  # a lone letter is looked up in titles only, and the list says so
        assert str(app.conversations.border_subtitle) == "1 found in titles"
        await pilot.press(*"ir")
        await settle(pilot)
        assert [m.query for m in app.sent(SearchBar.QueryChanged)] == ["g", "gi", "gir"]
        assert app.conversations.conversation_ids() == [giraffe.id]
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert [m.query for m in app.sent(SearchBar.Submitted)] == ["gir"]
        assert app.query_one(SearchBar).value == ""
        assert [type(m) for m in app.received[-2:]] == [SearchBar.QueryChanged, SearchBar.Closed]
        assert app.received[-2].query == ""
        assert [m for m in app.received if type(m) is Input.Changed] == []  # translated
        assert len(app.conversations.conversation_ids()) == 2


async def test_hostile_search_strings_do_not_crash(store: Store) -> None:
    store.create_conversation("asi1-agentic", "AND the NEAR title")
    app = ListApp(store)
    async with app.run_test() as pilot:
        for query in ['"', "AND", "*", "NEAR(", ")", '"a" OR', "title:x", "[b]", "\x00", "-x"]:
            app.conversations.set_filter(query)
            await settle(pilot)
            assert app.is_running and app.conversations.filter_query == query.strip()


# -- the modal screens ---------------------------------------------------------------

class ModalApp(App):
    """Pushes one screen and records what it was dismissed with."""

    CSS_PATH = style_files("sidebar.tcss", "screens.tcss")

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.modal = screen
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.modal, self.results.append)


async def run_modal(screen: Screen, *keys: str) -> list[object]:
    app = ModalApp(screen)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        return app.results


@pytest.mark.parametrize(("current", "keys", "expected"), [
    (HOSTILE_TITLE, (*"New", "enter"), "New"),  # prefilled and selected: typing replaces it
    ("Old", ("escape",), None),
    ("Old", ("enter",), None),  # unchanged
    ("Old", ("backspace", "enter"), None),  # emptied
    (None, ("space", "space", "enter"), None),  # blank
    ("Old", ("end", "space", "space", "enter"), None),  # unchanged once stripped
    (None, (*"  Trip  ", "enter"), "Trip"),
])
async def test_rename_results(current: str | None, keys: tuple[str, ...], expected: str | None) -> None:
    assert await run_modal(RenameScreen(current), *keys) == [expected]


@pytest.mark.parametrize(("keys", "expected"), [
    (("y",), True), (("n",), False), (("escape",), False), (("enter",), False),  # focus starts on Cancel
    (("left", "enter"), True), (("shift+tab", "enter"), True),
])
async def test_confirm_results(keys: tuple[str, ...], expected: bool) -> None:
    assert await run_modal(ConfirmScreen("Delete it?"), *keys) == [expected]


async def test_confirm_shows_the_question_literally_and_works_with_push_screen_wait() -> None:
    app = App(css_path=style_files("screens.tcss"))
    async with app.run_test() as pilot:
        question = f"Delete “{HOSTILE_TITLE}”?"
        worker = app.run_worker(app.push_screen_wait(ConfirmScreen(question, confirm_label="Remove")))
        await pilot.pause()
        assert app.screen.focused.id == "cancel"
        assert str(app.screen.query_one("#confirm", Button).label) == "Remove"
        assert app.screen.query_one(".question").render().plain == question
        await pilot.click("#confirm")
        assert await worker.wait() is True and app.is_running


async def test_model_picker_lists_every_model_and_marks_the_current_one() -> None:
    app = ModalApp(ModelPickerScreen("asi1-fast-agentic"))
    async with app.run_test() as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.has_focus
        assert [o.id for o in options.options] == [*MODELS, "\x00other"]
        assert options.highlighted_option.id == "asi1-fast-agentic"
        for option, window in zip(options.options, ["200K", "200K", "200K", "32K", "24K", "64K"]):
            model, text = MODELS[option.id], option.prompt.plain
            assert model.purpose in text and f"{model.latency} latency · {window} tokens" in text
        assert [o.id for o in options.options if "●" in o.prompt.plain] == ["asi1-fast-agentic"]


@pytest.mark.parametrize(("keys", "expected"), [
    (("enter",), "asi1-agentic"), (("escape",), None), (("down", "up", "enter"), "asi1-agentic"),
    (("up", "enter"), "asi1-mini"),
    (("down", "enter"), "asi1-fast-agentic"),
])
async def test_model_picker_results(keys: tuple[str, ...], expected: str | None) -> None:
    assert await run_modal(ModelPickerScreen("asi1-agentic"), *keys) == [expected]


async def test_model_picker_wraps_around_to_other_then_the_last_model() -> None:
    assert await run_modal(ModelPickerScreen("asi1"), "up", "up", "enter") == ["asi1-extended-agentic"]
    assert await run_modal(ModelPickerScreen("asi1"), "up", "enter", *"my-model", "enter") == ["my-model"]
    assert await run_modal(ModelPickerScreen("asi1"), "up", "enter", "escape") == []  # back in the picker


# -- snapshots -----------------------------------------------------------------------

def test_conversation_list_snapshot(snap_compare, utc: None, tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db")
    ids = seed(store, [("Trip to the monkey mountain", "asi1-agentic", NOW - 30),
                       ("Agent booking a table for four people", "asi1-extended-agentic", NOW - 300),
                       (BOLD_TITLE, "asi1-fast-agentic", NOW - 3 * 3600),
                       (None, "asi1-agentic", NOW - 30 * 3600),
                       ("Quarterly report", "asi1-agentic", NOW - 40 * 86400)])
    store.add_wait(ids[1], None, "ack", 3, NOW + 60)
    assert snap_compare(ListApp(store, now=lambda: NOW), terminal_size=(40, 16))


def test_model_picker_snapshot(snap_compare) -> None:
    assert snap_compare(ModalApp(ModelPickerScreen("asi1-agentic")), terminal_size=(70, 20))
