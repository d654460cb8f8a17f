"""What users met before the screen was made of areas, each driven as a user does (keys from
where focus is): the reply asked for again is selected, search opens and closes as it should,
drafts are never lost, the layout follows the terminal under any screen, the meter counts."""

from __future__ import annotations

from app.ui.screens.image_gallery import ImageGallery
from app.ui.widgets.conversation_list import ConversationList
from app.ui.widgets.message_view import MessageView
from app.ui.widgets.search_bar import SearchBar
from tests.ui.helpers import build_app, idle, sidebar, turns, type_and_send, until, view
from tests.ui.test_branches import _bodies, _headers, _select


async def test_after_r_the_new_reply_is_selected_and_left_shows_the_first(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        first = _bodies(app)[1]
        await _select(pilot, 1)
        await pilot.press("r")
        await idle(app, pilot)
        views = view(app).chat_pane.message_views()
        assert app.focused is views[1] and "2/2" in _headers(app)[1]  # selected, no ↑ ↓ needed
        await pilot.press("left")
        await until(pilot, lambda: "1/2" in _headers(app)[1])
        assert _bodies(app)[1] == first


async def test_search_enter_opens_the_first_match_down_moves_in_esc_goes_back(sim, db_path) -> None:
    app = build_app(sim, db_path)
    store = app.store
    for title, text in (("zebras", "the zebra has stripes"), ("lions", "the lion sleeps")):
        conversation = store.create_conversation("asi1", title=title)
        store.add_message(conversation.id, "user", text)
    async with app.run_test(size=(140, 40)) as pilot:
        listed = sidebar(app).conversation_list
        await pilot.press("ctrl+f", *"zebra")
        await until(pilot, lambda: listed.filter_query == "zebra" and listed.option_count == 1
                    and listed._search_worker is None)
        await pilot.press("enter")  # opens the highlighted (first) match, at its message
        await until(pilot, lambda: view(app).conversation_id is not None)
        await until(pilot, lambda: isinstance(app.focused, MessageView))
        assert app.focused.content == "the zebra has stripes"
        assert listed.filter_query == "" and not sidebar(app).search_bar.display  # the filter is gone
        await pilot.press("ctrl+f", *"lion")
        await until(pilot, lambda: listed.filter_query == "lion" and listed.option_count == 1
                    and listed._search_worker is None)
        await pilot.press("down")
        assert isinstance(app.focused, ConversationList)
        await pilot.press("ctrl+f")
        assert isinstance(app.focused, SearchBar)
        await pilot.press("escape")
        assert app.focused is view(app).composer  # letters typed next are not lost
        await pilot.press("h", "i")
        assert view(app).composer.text == "hi"
        assert listed.filter_query == ""
        await pilot.press("ctrl+n")
        await type_and_send(pilot, "a new one")
        await idle(app, pilot)
        assert listed.option_count == 3  # the new conversation is listed (no filter left over)


async def test_edit_sets_the_draft_aside_and_esc_brings_it_back(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "the old question")
        await idle(app, pilot)
        await pilot.press(*"my draft")
        await pilot.press("ctrl+t", "up")
        await pilot.press("e")
        assert view(app).composer.text == "the old question"
        await pilot.press("escape")
        assert view(app).composer.text == "my draft"
        await pilot.press("enter")  # sends the draft, not the old question
        await idle(app, pilot)
        assert _bodies(app)[-2] == "my draft"


async def test_a_draft_stays_with_its_conversation_and_survives_quitting(sim, db_path) -> None:
    app = build_app(sim, db_path)
    store = app.store
    first = store.create_conversation("asi1", title="first")
    second = store.create_conversation("asi1", title="second")
    async with app.run_test(size=(140, 40)) as pilot:
        await view(app).show(first.id)
        await pilot.press(*"half a thought")
        await view(app).show(second.id)
        assert view(app).composer.text == ""  # the draft did not follow
        await pilot.press(*"other")
        await view(app).show(first.id)
        assert view(app).composer.text == "half a thought"
        await pilot.press("ctrl+n")
        assert view(app).composer.text == ""
        await pilot.press(*"for a new one")
        await until(pilot, lambda: store.draft(None) == "for a new one")  # stored as typed (debounced)
    again = build_app(sim, db_path)
    async with again.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert view(again).composer.text == "for a new one"  # the new conversation's draft
        await view(again).show(second.id)
        assert view(again).composer.text == "other"


async def test_the_main_screen_follows_a_resize_made_under_the_gallery(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-compact")
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ImageGallery))
        await pilot.resize_terminal(160, 48)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ImageGallery))
        await pilot.pause()
        assert not app.screen.has_class("-narrow") and not app.screen.has_class("-compact")
        assert app.chat_screen.right_pane.display and sidebar(app).region.width > 0


async def test_the_meter_counts_the_history_while_a_reply_streams_and_after_esc(sim, db_path) -> None:
    app = build_app(sim, db_path)
    sim.chunk_delay = 0.03
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "tell me a long story about the sea")
        await until(pilot, lambda: turns(app))
        meter = str(view(app).meter.render())
        assert not meter.startswith("context 0 "), meter
        await pilot.press("escape")
        await idle(app, pilot)
        meter = str(view(app).meter.render())
        assert not meter.startswith("context 0 "), meter


async def test_the_unread_mark_survives_a_restart(db_path) -> None:
    from app.simulator import Simulator
    from app.ui.widgets.agent_wait_card import AgentWaitCard
    from tests.conftest import TEST_KEY
    from tests.ui.test_who_is_working import _list_text

    with Simulator(api_key=TEST_KEY, agent_polls=2) as sim:
        app = build_app(sim, db_path, poll_interval=0.2)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "draw a lighthouse")
            await until(pilot, lambda: app.query(AgentWaitCard))
            waited = view(app).conversation_id
            await app.chat_screen.action_new_conversation()  # look elsewhere while the agent works
            await idle(app, pilot)
            assert "✉" in _list_text(app)
        again = build_app(sim, db_path)
        async with again.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: "✉" in _list_text(again))
            await view(again).show(waited)
            await until(pilot, lambda: "✉" not in _list_text(again))
        third = build_app(sim, db_path)
        async with third.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            assert "✉" not in _list_text(third)


async def test_a_wait_another_asi_chat_held_is_taken_over_when_it_lets_go(db_path) -> None:
    from app.simulator import Simulator
    from tests.conftest import TEST_KEY
    from tests.ui.test_who_is_working import _list_text

    with Simulator(api_key=TEST_KEY, agent_polls=2) as sim:
        first = build_app(sim, db_path, poll_attempts=1, poll_interval=0.2)
        async with first.run_test(size=(140, 40)) as pilot:  # an agent that outlasts its budget
            await type_and_send(pilot, "draw a fox !sim:never")
            await idle(first, pilot)
        (wait,) = first.store.pending_waits()
        app = build_app(sim, db_path, poll_interval=0.2, resume_waits=False)
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: app.runtime is not None)
            # Another asi-chat (`asi-chat resume` elsewhere) holds the wait now.
            app.store.claim_wait(wait.id, "another-host:1", 60)
            app.chat_screen.turn_watch.look_around()
            assert wait.conversation_id not in turns(app)  # held there: left alone
            await until(pilot, lambda: "⏳" in _list_text(app))
            app.store.release_wait(wait.id, "another-host:1")  # that process gave up (or exited)
            app.chat_screen.turn_watch.look_around()
            assert wait.conversation_id in turns(app)  # taken over here, a fresh budget


async def test_the_draft_set_aside_comes_back_after_the_edit_is_sent(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "the old question")
        await idle(app, pilot)
        await pilot.press(*"my draft")
        await pilot.press("ctrl+t", "up", "e")
        view(app).composer.text = "the better question"
        await pilot.press("enter")
        await idle(app, pilot)
        assert _bodies(app)[0] == "the better question"
        assert view(app).composer.text == "my draft"


async def test_escape_in_the_list_ends_the_search(sim, db_path) -> None:
    app = build_app(sim, db_path)
    conversation = app.store.create_conversation("asi1", title="giraffes")
    app.store.add_message(conversation.id, "user", "tall giraffes")
    async with app.run_test(size=(140, 40)) as pilot:
        listed = sidebar(app).conversation_list
        await pilot.press("ctrl+f", "g")
        await until(pilot, lambda: listed.filter_query == "g" and listed._search_worker is None)
        await pilot.press("down")
        assert isinstance(app.focused, ConversationList)
        await pilot.press("escape")
        assert app.focused is view(app).composer and listed.filter_query == ""
        await pilot.press("z")
        assert view(app).composer.text == "z"
