"""The rough edges a new user hits in the app, each as they would meet it."""

from __future__ import annotations

from app.core.store.store import Store, title_from_text
from app.demo import SAMPLE_IMAGE, seed_demo
from app.simulator import Simulator
from app.ui.widgets.message_view import MessageView
from tests.conftest import TEST_KEY
from tests.ui.helpers import build_app, idle, type_and_send, until, view


def notices(app, title: str | None = None) -> list[str]:
    return [n.message for n in app._notifications if title is None or n.title == title]


def _text_of(widget) -> str:
    return "\n".join(strip.text for strip in widget.render_lines(widget.region.reset_offset))


async def test_after_deleting_from_the_list_typing_goes_to_the_composer(db_path) -> None:
    store = Store(db_path)
    seed_demo(store)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await view(app).show(1)
        await pilot.press("ctrl+l", "ctrl+d")
        await pilot.pause(0.2)
        await pilot.press("y")  # confirm
        await until(pilot, lambda: view(app).conversation_id is None)
        await pilot.press(*"hello")
        await pilot.pause(0.1)
        assert view(app).composer.has_focus and view(app).composer.text == "hello"


async def test_c_on_a_selected_message_copies_its_image_link(db_path) -> None:
    store = Store(db_path)
    seed_demo(store)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await view(app).show(2)  # the image conversation
        views = view(app).chat_pane.message_views()
        views[-1].focus()
        await pilot.press("c")
        await pilot.pause(0.1)
        assert app.clipboard == SAMPLE_IMAGE
        views[0].focus()  # the user's prompt: no link to copy
        await pilot.press("c")
        await pilot.pause(0.1)
        assert "This message has no image link." in notices(app)


async def test_rename_offers_the_title_without_the_cut_mark(db_path) -> None:
    prompt = "Please plan a two week hiking trip through the Dolomites for four friends in June"
    store = Store(db_path)
    conversation = store.create_conversation("asi1-mini", title=title_from_text(prompt))
    assert conversation.title.endswith("…")
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await view(app).show(conversation.id)
        await pilot.press("ctrl+r")
        await pilot.pause(0.2)
        field = app.screen.query_one("#title")
        assert field.value == conversation.title[:-1].rstrip()
        await pilot.press("end", *" in summer", "enter")
        await pilot.pause(0.2)
        assert app.store.get_conversation(conversation.id).title == conversation.title[:-1].rstrip() + " in summer"


async def test_a_connection_failure_is_readable_whole_in_a_small_terminal(db_path) -> None:
    with Simulator(api_key=TEST_KEY) as gone:
        url = gone.base_url
    app = build_app(None, db_path, base_url=url)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        (notice,) = notices(app, "Reply failed")
        app.clear_notifications()
        await pilot.pause(0.2)
        reply = view(app).chat_pane.message_views()[-1]
        header = reply.query_one(".message--header")
        shown = " ".join(_text_of(header).split())
        assert " ".join(f"✖ error: {notice}".split()) in shown


async def test_a_wait_the_server_forgot_is_never_announced_as_a_reply(sim, db_path) -> None:
    first = build_app(sim, db_path, poll_attempts=1)
    async with first.run_test(size=(120, 30)) as pilot:
        await type_and_send(pilot, "draw a fox !sim:never")
        await idle(first, pilot)
        (wait,) = first.store.pending_waits()
    with Simulator(api_key=TEST_KEY) as restarted:  # the demo before: a new simulator, no jobs
        app = build_app(restarted, db_path)
        async with app.run_test(size=(120, 30)) as pilot:
            await view(app).show(wait.conversation_id)
            await pilot.pause(0.3)
            await idle(app, pilot)
            assert not notices(app, "Agent reply")
            (failed,) = notices(app, "Reply failed")
            assert "task is gone" in failed
            assert not app.store.pending_waits()
            views = view(app).chat_pane.message_views()
            assert not any("no pending task" in v.content.lower() for v in views)
            ack = next(v for v in views if isinstance(v, MessageView) and v.content == "I've sent the message")
            assert ack.status == "error"


async def test_a_read_only_history_is_announced_once(sim, db_path) -> None:
    store = Store(db_path)
    conversation = store.create_conversation("asi1-mini", title="kept")
    store.add_message(conversation.id, "user", "hi")
    store.close()
    app = build_app(sim, db_path)
    opened = app.store._conn

    def read_only():  # SQLite refuses every write, as on a read-only file (root ignores chmod)
        conn = opened()
        conn.execute("PRAGMA query_only = 1")
        return conn

    app.store._conn = read_only
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: notices(app, "History"))
        await view(app).show(conversation.id)
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        await pilot.press("ctrl+n")
        await type_and_send(pilot, "and a new one")
        await pilot.pause(0.3)
        (notice,) = notices(app, "History")  # said once, not stacked again by each write
        assert "read-only" in notice
        assert view(app).composer.text == "and a new one"  # nothing typed is lost
        reply = view(app).chat_pane.message_views()
        assert reply == [] or "read-only" in (reply[-1].error or "")
