"""Who is working: the agents a turn contacted, named in the wait card, the acknowledgement's
header and the conversation list; an answer that lands out of sight is marked and rung."""

from __future__ import annotations

from app.simulator import Simulator
from app.ui.widgets.agent_wait_card import AgentWaitCard
from tests.conftest import TEST_KEY
from tests.ui.helpers import build_app, idle, sidebar, turns, type_and_send, until, view
from tests.ui.test_chat_widgets import screen_text

AGENT = "Image Generation HiDream-I1"


def _list_text(app, index: int = 0) -> str:
    return str(sidebar(app).conversation_list.get_option_at_index(index).prompt.content)


async def test_the_wait_card_header_and_list_name_the_agent(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=3) as sim:
        app = build_app(sim, db_path, poll_interval=0.3)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "draw a lighthouse")  # the manifest names the image agent
            await until(pilot, lambda: app.query(AgentWaitCard) and app.query_one(AgentWaitCard).agent)
            card = app.query_one(AgentWaitCard)
            assert card.agent == AGENT and f"waiting for {AGENT}" in str(card._status_line())
            ack = view(app).chat_pane.message_views()[1]
            assert f"waiting for {AGENT}" in str(ack.query_one(".message--header").render())
            assert "⏳" in _list_text(app) and AGENT in _list_text(app)
            await idle(app, pilot)
            assert AGENT not in _list_text(app)  # the wait is over


async def test_an_answer_out_of_sight_is_marked_until_opened_and_rings_when_unfocused(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=3) as sim:
        app = build_app(sim, db_path, poll_interval=0.3)
        async with app.run_test(size=(140, 40)) as pilot:
            rung = []
            app.bell = lambda: rung.append(True)
            await type_and_send(pilot, "draw a lighthouse")
            await until(pilot, lambda: app.query(AgentWaitCard))
            waited = view(app).conversation_id
            await app.chat_screen.action_new_conversation()  # look elsewhere while the agent works
            app.app_focus = False  # and the terminal loses focus
            await idle(app, pilot)
            notes = [n.message for n in app._notifications if n.title == "Agent reply"]
            assert notes and notes[0].startswith(AGENT)
            assert rung == [True] and "✉" in _list_text(app)
            await view(app).show(waited)
            await pilot.pause(0.1)
            assert "✉" not in _list_text(app)


async def test_notify_off_stays_silent(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=2) as sim:
        app = build_app(sim, db_path, poll_interval=0.2, notify="off")
        async with app.run_test(size=(140, 40)) as pilot:
            rung = []
            app.bell = lambda: rung.append(True)
            await type_and_send(pilot, "draw a lighthouse")
            await until(pilot, lambda: app.query(AgentWaitCard))
            await app.chat_screen.action_new_conversation()
            app.app_focus = False
            await idle(app, pilot)
            assert rung == [] and "✉" in _list_text(app)


def test_a_notification_sequence_where_the_terminal_shows_one_and_the_bell_elsewhere() -> None:
    from app.ui.terminal_notify import notification_sequence

    hostile = "Ref\x1b]52;c;aGk=\x07 Agent; replied"
    assert notification_sequence(hostile, {"TERM_PROGRAM": "WezTerm"}) == "\x1b]9;Ref Agent, replied\x07"  # the OSC 52 removed whole
    assert notification_sequence("x", {"TERM": "foot"}) == "\x1b]777;notify;asi-chat;x\x07"
    assert notification_sequence("x", {"TERM": "xterm-256color"}) is None  # then: the bell


def test_the_notification_goes_through_the_driver_as_app_bell_does(monkeypatch) -> None:
    """Guard: terminal_notify writes through `App._driver`, a private Textual internal."""
    import inspect

    from textual.app import App

    from app.ui.terminal_notify import notify_terminal

    assert "self._driver.write(" in inspect.getsource(App.bell)  # Textual still works this way
    written, rung = [], []

    class Fake:
        is_headless = False
        _driver = type("D", (), {"write": staticmethod(written.append)})()
        bell = staticmethod(lambda: rung.append(True))

    monkeypatch.setenv("TERM_PROGRAM", "iTerm.app")
    notify_terminal(Fake, "Agent replied", "auto")
    notify_terminal(Fake, "Agent replied", "bell")
    notify_terminal(Fake, "Agent replied", "off")
    assert written == ["\x1b]9;Agent replied\x07"] and rung == [True]


async def test_a_stored_acknowledgement_names_its_agent_when_reopened(db_path) -> None:
    """Waiting (a wait an earlier run left, not resumed here) or stopped, the acknowledgement's
    header names who has the task, from the history alone (it said "agent" once reopened)."""
    def header(app) -> str:
        views = view(app).chat_pane.message_views()
        return str(views[1].query_one(".message--header").render()) if len(views) > 1 else ""

    async def reopen(pilot) -> None:  # from the list, as a user does
        await pilot.press("ctrl+l", "enter")
        await until(pilot, lambda: len(view(pilot.app).chat_pane.message_views()) == 2)

    with Simulator(api_key=TEST_KEY) as sim:
        app = build_app(sim, db_path, poll_interval=0.3)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "draw a lighthouse !sim:never")
            await until(pilot, lambda: app.query(AgentWaitCard) and app.query_one(AgentWaitCard).agent)
        app = build_app(sim, db_path, resume_waits=False)  # the wait is kept, not resumed
        async with app.run_test(size=(140, 40)) as pilot:
            await reopen(pilot)
            assert f"⏳ waiting for {AGENT}" in header(app) and not turns(app)
        app = build_app(sim, db_path, poll_interval=0.3)
        async with app.run_test(size=(140, 40)) as pilot:
            await reopen(pilot)
            await until(pilot, lambda: app.query(AgentWaitCard))  # resumed
            assert "⏳" in _list_text(app) and AGENT in _list_text(app)
            await pilot.press("escape")  # stop waiting
            await until(pilot, lambda: "stopped" in header(app))
            assert f"⏹ wait for {AGENT} stopped (F5 waits again)" in header(app)
            await pilot.press("ctrl+n")
            await reopen(pilot)
            assert f"⏹ wait for {AGENT} stopped (F5 waits again)" in header(app)
            await pilot.pause()
            rows = screen_text(app).splitlines()  # the header wraps rather than lose the hint
            assert any(f"wait for {AGENT}" in row for row in rows) and any("(F5 waits again)" in row for row in rows)
