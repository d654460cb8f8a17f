"""Branches in the app, driven by keys as a user would: edit, regenerate, switch, fork,
stop and resume a wait, delete mid-turn; every key from where focus usually is."""

from __future__ import annotations

from pathlib import Path

from app.simulator import Simulator, faults
from app.ui.areas.conversation_view import FIRST_PAGE
from app.ui.keys import CONVERSATION, KEYS, SCREEN
from app.ui.widgets.agent_wait_card import AgentWaitCard
from tests.conftest import TEST_KEY
from tests.ui.helpers import build_app, idle, sidebar, turns, type_and_send, until, view

README = Path(__file__).resolve().parents[2] / "README.md"


def _headers(app) -> list[str]:
    return [str(v.query_one(".message--header").render()) for v in view(app).chat_pane.message_views()]


def _bodies(app) -> list[str]:
    return [v.content for v in view(app).chat_pane.message_views()]


async def _select(pilot, index: int) -> None:
    """ctrl+t (when the chat is not focused yet), then ↑/↓ to the message at `index`."""
    app = pilot.app
    views = view(app).chat_pane.message_views()
    if app.focused not in views:
        view(app).composer.focus()
        await pilot.press("ctrl+t")  # selects the newest
    target = views[index]
    while app.focused is not target:
        await pilot.press("up" if views.index(app.focused) > views.index(target) else "down")
    assert app.focused is target


async def test_edit_sends_a_new_branch_and_arrows_switch_between_them(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "first question")
        await idle(app, pilot)
        await _select(pilot, 0)
        await pilot.press("e")
        assert view(app).composer.text == "first question" and app.focused is view(app).composer
        view(app).composer.text = "better question"
        await pilot.press("enter")
        await idle(app, pilot)
        assert _bodies(app)[0] == "better question" and len(view(app).chat_pane.message_views()) == 2
        assert "2/2" in _headers(app)[0]
        await _select(pilot, 0)
        await pilot.press("left")
        await pilot.pause(0.2)
        assert _bodies(app)[0] == "first question" and "1/2" in _headers(app)[0]
        await pilot.press("right")
        await pilot.pause(0.2)
        assert _bodies(app)[0] == "better question"
    # The branch on screen is remembered: a new app shows it again.
    again = build_app(sim, db_path)
    async with again.run_test(size=(140, 40)) as pilot:
        await view(again).show(1)
        await pilot.pause(0.1)
        assert _bodies(again)[0] == "better question"


async def test_r_asks_again_and_keeps_the_first_answer(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        first = _bodies(app)[1]
        await _select(pilot, 1)
        await pilot.press("r")
        await idle(app, pilot)
        assert "2/2" in _headers(app)[1]
        assert len({r.session_id for r in sim.requests}) == 2  # a new branch, a new session
        await _select(pilot, 1)
        await pilot.press("left")
        await pilot.pause(0.2)
        assert _bodies(app)[1] == first


async def test_r_on_a_failed_reply_sends_the_prompt_again(sim, db_path) -> None:
    app = build_app(sim, db_path)
    sim.add_fault(faults.Status(400))
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "keep this prompt")
        await idle(app, pilot)
        assert "error" in _headers(app)[1]
        await _select(pilot, 1)
        await pilot.press("r")
        await idle(app, pilot)
        assert [m["content"] for m in sim.requests[-1].messages] == ["keep this prompt"]
        assert "error" not in _headers(app)[1] and "2/2" in _headers(app)[1]


async def test_editing_while_a_reply_runs_is_refused_and_loses_nothing(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.03) as slow:
        app = build_app(slow, db_path)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "a slow one")
            await until(pilot, lambda: turns(app))
            await _select(pilot, 0)
            await pilot.press("e")
            assert view(app).editing is None and view(app).composer.text == ""
            await pilot.press("escape")  # Esc from the chat cancels the reply
            await idle(app, pilot)
            assert "interrupted" in _headers(app)[1]


async def test_esc_stops_a_wait_shown_as_stopped_and_f5_waits_again(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=3) as sim:
        app = build_app(sim, db_path, poll_interval=0.2)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "draw a lighthouse")
            await until(pilot, lambda: app.query(AgentWaitCard))
            await pilot.press("escape")
            await idle(app, pilot)
            assert not app.query(AgentWaitCard)
            assert "stopped (F5 waits again)" in _headers(app)[1] and "waiting for" not in _headers(app)[1]
            assert "⏳" not in str(sidebar(app).conversation_list.get_option_at_index(0).prompt)
            await view(app).show(1)  # reopened, still stopped
            await pilot.pause(0.1)
            assert "stopped (F5 waits again)" in _headers(app)[1]
            await pilot.press("f5")
            await until(pilot, lambda: app.query(AgentWaitCard))
            await idle(app, pilot)
            assert "![generated-image](" in _bodies(app)[-1] and "stopped (F5" not in _headers(app)[1]


async def test_delete_mid_stream_from_the_list_settles_the_turn_and_focus_can_type(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.03) as slow:
        app = build_app(slow, db_path)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "a long-running prompt")
            await until(pilot, lambda: turns(app))
            errors = []
            app.notify = lambda text, **kw: errors.append(text) if kw.get("severity") == "error" else None
            await pilot.press("ctrl+l", "ctrl+d")
            await pilot.pause(0.2)
            await pilot.press("y")
            await until(pilot, lambda: app.store.count_conversations() == 0)
            await idle(app, pilot)
            assert errors == [] and app.focused is view(app).composer


def _first_command(app) -> str:
    from textual.command import CommandList

    found = app.screen.query(CommandList)
    return str(found.first().get_option_at_index(0).prompt) if found and found.first().option_count else ""


async def test_fork_from_the_palette_opens_a_copy(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "one")
        await idle(app, pilot)
        await pilot.press("ctrl+p", *"Fork into")
        await until(pilot, lambda: "Fork into a new conversation" in _first_command(app))
        await pilot.press("enter")
        await until(pilot, lambda: view(app).conversation_id == 2)
        assert view(app).conversation_id == 2 and _bodies(app)[0] == "one"
        assert app.store.get_conversation(2).session_id != app.store.get_conversation(1).session_id


async def test_every_key_works_from_the_composer(sim, db_path, monkeypatch) -> None:
    """Each binding of KEYS, pressed with the composer focused, reaches its action."""
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        for key in KEYS:
            if key.where not in (SCREEN, CONVERSATION):
                continue  # a selected message's or the list's keys
            target = app.chat_screen if key.where == SCREEN else view(app)
            calls = []
            monkeypatch.setattr(target, f"action_{key.action.split('(')[0]}", lambda *a, _c=calls: _c.append(a))
            view(app).composer.focus()
            view(app).composer.text = "draft"
            await pilot.press(key.keys)
            await until(pilot, lambda: calls, timeout=2)
            assert calls, f"{key.keys} did not reach {key.action} from the composer"
            monkeypatch.undo()


async def test_older_pages_loaded_on_scroll_show_their_branches(sim, db_path) -> None:
    app = build_app(sim, db_path)
    store = app.store
    conversation = store.create_conversation("asi1")
    question = store.add_message(conversation.id, "user", "the first question")
    store.add_message(conversation.id, "assistant", "one answer")
    store.add_message(conversation.id, "assistant", "another answer", parent_id=question.id,
                      session_id="another", activate=True)
    for n in range(FIRST_PAGE):  # enough newer messages to push it off the first page
        store.add_message(conversation.id, "user" if n % 2 == 0 else "assistant", f"later {n}")
    async with app.run_test(size=(140, 40)) as pilot:
        await view(app).show(conversation.id)
        assert "another answer" not in _bodies(app)  # not on the first page
        view(app).chat_pane.scroll_home(animate=False)

        def marked() -> bool:
            views = [v for v in view(app).chat_pane.message_views() if v.content == "another answer"]
            headers = [h for v in views for h in v.query(".message--header")]
            return bool(headers) and "2/2" in str(headers[0].render())

        await until(pilot, marked)
