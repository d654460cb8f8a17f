"""The app as `asi-chat` starts it: the runtime (HTTP client, engine, chat service) is
left to a factory and built in a thread after the first frame, or on the spot when a
message is sent before that."""

from __future__ import annotations

import threading

from app.core.config import load_settings
from app.core.runtime import make_runtime
from app.core.store.store import Store
from app.ui.app import AsiChatApp
from tests.conftest import TEST_KEY
from tests.ui.helpers import idle, turns, type_and_send, until, view


def _app(sim, db_path, *, key: str | None = TEST_KEY) -> tuple[AsiChatApp, list[str]]:
    flags = {"db": db_path, "poll_interval": 0.05, "base_url": sim.base_url}
    if key:
        flags["api_key"] = key
    settings = load_settings(flags, env={}, config_file=db_path.parent / "config.toml")
    store = Store(db_path)
    built_in: list[str] = []

    def factory():
        built_in.append(threading.current_thread().name)
        return make_runtime(settings, store)

    return AsiChatApp(settings, store, None, runtime_factory=factory), built_in


async def test_the_runtime_is_built_in_a_thread_after_the_first_frame(sim, db_path) -> None:
    app, built_in = _app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        assert app.runtime is None  # not before the first frame
        await until(pilot, lambda: app.runtime is not None)
        assert built_in and built_in[0] != threading.main_thread().name
        await type_and_send(pilot, "hello there")
        await idle(app, pilot)
        assert view(app).chat_pane.message_views()[-1].status == "complete"
        assert len(built_in) == 1


async def test_a_message_sent_at_once_builds_the_runtime_on_the_spot(sim, db_path) -> None:
    app, built_in = _app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "quick question")  # before the thread was started
        await idle(app, pilot)
        views = view(app).chat_pane.message_views()
        assert [v.role for v in views] == ["user", "assistant"] and views[-1].status == "complete"
        await pilot.pause(0.3)  # the delayed build finds the runtime there: nothing is built twice
        assert built_in == [threading.main_thread().name]
        await until(pilot, lambda: any(path.endswith("/models") for path in sim.gets))  # still asked for


async def test_without_a_key_the_app_says_so_and_keeps_the_text(sim, db_path) -> None:
    app, _ = _app(sim, db_path, key=None)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.late_runtime.error is not None)
        assert any("ASI_ONE_API_KEY" in n.message for n in app._notifications)
        await type_and_send(pilot, "my carefully typed question")
        await pilot.pause()
        assert view(app).composer.text == "my carefully typed question"


async def test_no_frame_is_drawn_and_dropped_during_the_mount(sim, db_path) -> None:
    # Textual drops a frame drawn inside a batch update (the mount is one) but counts its
    # widgets as drawn: an await in the app's mount let one through, and the composer
    # then stayed off a real terminal's screen until something redrew it.
    app, _ = _app(sim, db_path)
    dropped: list[str] = []
    display = app._display

    def recording(screen, renderable) -> None:
        if renderable is not None and app._batch_count:
            dropped.append(type(renderable).__name__)
        display(screen, renderable)

    app._display = recording
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.2)
        assert app.query_one("#composer").region.height  # drawn with the first frame
    assert dropped == []


async def test_a_conversation_opened_before_its_wait_resumes_shows_the_wait(db_path) -> None:
    """Opened at once after launch, before the runtime is built and the waits an earlier run
    left are resumed: the wait card comes when the wait resumes (the conversation showed
    none, and the agent's answer would not have been drawn in it)."""
    from app.simulator import Simulator
    from app.ui.widgets.agent_wait_card import AgentWaitCard

    with Simulator(api_key=TEST_KEY) as sim:
        app, _ = _app(sim, db_path)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "draw a lighthouse !sim:never")
            await until(pilot, lambda: app.query(AgentWaitCard))
            cid = view(app).conversation_id
        app, _ = _app(sim, db_path)  # the wait was kept: this run resumes it
        async with app.run_test(size=(140, 40)) as pilot:
            assert app.runtime is None
            await pilot.press("ctrl+l", "enter")  # opened from the list at once
            await until(pilot, lambda: view(app).conversation_id == cid)
            await until(pilot, lambda: app.query(AgentWaitCard))
            assert turns(app).get(cid) is not None and len(app.query(AgentWaitCard)) == 1
