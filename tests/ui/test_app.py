"""The whole app, driven from the keyboard with Pilot, against the simulator over HTTP."""

from __future__ import annotations

from app.core.store.store import Store
from app.simulator import Simulator, faults
from app.ui.widgets.agent_wait_card import AgentWaitCard
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.composer import Composer
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.welcome import Welcome
from tests.conftest import TEST_KEY
from tests.ui.helpers import build_app, idle, sidebar, turns, type_and_send, until, view

IMAGE_PROMPT = "generate an image of a monkey on a mountain"


async def test_launch_focuses_composer_and_welcomes(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        assert isinstance(app.focused, Composer)
        welcome = app.query_one(Welcome)
        text = str(welcome.render())
        assert "Enter" in text and "--demo" in text
        assert "asi-chat" in app.title and app.sub_title == "new conversation · asi1"
        await pilot.press("h", "i")
        assert view(app).composer.text == "hi"


async def test_the_demo_welcome_does_not_suggest_the_demo(sim, db_path) -> None:
    app = build_app(sim, db_path)
    app.demo = True  # as `asi-chat --demo` makes it
    async with app.run_test(size=(140, 40)):
        text = str(app.query_one(Welcome).render())
        assert "Enter" in text and "--demo" not in text and "simulator answers" in text


async def test_send_streams_answer_and_reasoning(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        views = view(app).chat_pane.message_views()
        assert [v.role for v in views] == ["user", "assistant"]
        assert views[-1].content.startswith("## Hello") and views[-1].status == "complete"
        assert "The user is asking" in view(app).reasoning_pane.text
        assert view(app).reasoning_pane.border_title == "Reasoning · message"  # no longer "· live"
        assert view(app).composer.text == ""
        (conv,) = app.store.list_conversations()
        assert conv.title == "hello"
        assert [m.status for m in app.store.messages(conv.id)] == ["complete", "complete"]
        assert sidebar(app).conversation_list.conversation_ids() == [conv.id]


async def test_deferral_wait_card_image_card_and_ctrl_y(sim, db_path) -> None:
    app = build_app(sim, db_path, poll_interval=0.3)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, IMAGE_PROMPT)
        await until(pilot, lambda: app.query(AgentWaitCard))
        card = app.query_one(AgentWaitCard)
        assert "I've sent the message" in card.acknowledgement
        await until(pilot, lambda: card.attempt >= 1)
        assert "⏳" in str(sidebar(app).conversation_list.get_option_at_index(0).prompt)
        await idle(app, pilot)
        assert not app.query(AgentWaitCard)
        assert view(app).reasoning_pane.border_title == "Reasoning · message"  # the agent's reply ended it
        (image,) = app.query(ImageCard)
        assert image.url.startswith(sim.origin + "/agentverse/production/storage/")
        await pilot.press("ctrl+y")
        assert app.clipboard == image.url
        assert "⏳" not in str(sidebar(app).conversation_list.get_option_at_index(0).prompt)


async def test_escape_cancels_and_keeps_partial_text(db_path) -> None:
    with Simulator(api_key=TEST_KEY, chunk_delay=0.03) as slow:
        app = build_app(slow, db_path)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "hello there")
            await until(pilot, lambda: turns(app) and len(next(iter(turns(app).values())).content) > 20)
            await pilot.press("escape")
            await idle(app, pilot)
            reply = view(app).chat_pane.message_views()[-1]
            assert reply.status == "interrupted"
            stored = app.store.messages(view(app).conversation_id)[-1]
            assert stored.status == "interrupted" and stored.content
            assert reply.content.startswith(stored.content[:20])


async def test_switching_conversations_while_two_agents_wait(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=4) as sim:
        app = build_app(sim, db_path, poll_interval=0.25)
        async with app.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "draw a fox")
            await until(pilot, lambda: app.query(AgentWaitCard))
            first = view(app).conversation_id
            await pilot.press("ctrl+n")
            await type_and_send(pilot, "paint a whale")
            await until(pilot, lambda: len(turns(app)) == 2 and all(t.waiting for t in turns(app).values()))
            second = view(app).conversation_id
            assert first != second
            # open the first conversation: its wait card is shown, the other keeps waiting
            await view(app).show(first)
            await pilot.pause(0.05)
            assert app.query_one(AgentWaitCard)
            assert "draw a fox" in view(app).chat_pane.message_views()[0].content
            # and a third, ordinary turn runs meanwhile
            await pilot.press("ctrl+n")
            await type_and_send(pilot, "hello")
            await idle(app, pilot)
            for conversation_id in (first, second):
                assert "![generated-image](" in app.store.messages(conversation_id)[-1].content
            assert not app.store.pending_waits()


async def test_pending_wait_resumes_on_launch(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=3) as sim:
        first = build_app(sim, db_path, resume_waits=False, poll_attempts=1)
        async with first.run_test(size=(140, 40)) as pilot:
            await type_and_send(pilot, "draw a lighthouse")
            await idle(first, pilot)
        (wait,) = Store(db_path).pending_waits()
        Store(db_path).update_wait(wait.id, attempts_total=10)
        app = build_app(sim, db_path)
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: turns(app))
            assert "⏳" in str(sidebar(app).conversation_list.get_option_at_index(0).prompt)
            await idle(app, pilot)
            assert not app.store.pending_waits()
            assert "![generated-image](" in app.store.messages(wait.conversation_id)[-1].content
        assert {r.session_id for r in sim.requests} == {Store(db_path).get_conversation(wait.conversation_id).session_id}


async def test_rename_delete_search_and_model_switch(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "tell me about giraffes")
        await idle(app, pilot)
        await pilot.press("ctrl+n")
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        hello_id = view(app).conversation_id
        # rename
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press(*"Greeting", "enter")  # the old title is selected: typing replaces it
        await pilot.pause(0.1)
        assert app.store.get_conversation(hello_id).title == "Greeting"
        assert "Greeting" in app.sub_title
        # model switch
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("home", "down", "enter")  # the second model: asi1-ultra
        await pilot.pause(0.1)
        assert app.store.get_conversation(hello_id).model == "asi1-ultra"
        assert "asi1-ultra" in app.sub_title
        # search as you type filters the list by message content
        await pilot.press("ctrl+f", *"giraf")
        await until(pilot, lambda: len(sidebar(app).conversation_list.conversation_ids()) == 1)
        giraffes_id = sidebar(app).conversation_list.conversation_ids()[0]
        assert giraffes_id != hello_id
        await pilot.press("enter")  # to the list
        await pilot.press("enter")  # open it
        await pilot.pause(0.1)
        assert view(app).conversation_id == giraffes_id
        assert "Giraffes are fascinating" in view(app).chat_pane.message_views()[-1].content
        await pilot.press("ctrl+f", "escape")
        await until(pilot, lambda: len(sidebar(app).conversation_list.conversation_ids()) == 2)
        # delete (with confirmation)
        await pilot.press("ctrl+l", "ctrl+d")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.store.count_conversations() == 2
        await pilot.press("ctrl+d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause(0.1)
        assert [c.id for c in app.store.list_conversations()] == [hello_id]
        assert view(app).conversation_id is None


async def test_errors_are_shown_without_a_crash(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        sim.add_fault(faults.Status(401))
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        reply = view(app).chat_pane.message_views()[-1]
        assert reply.status == "error" and "failed to authenticate user" in (reply.error or "")
        assert any("rejected the API key" in n.message for n in app._notifications)
        assert view(app).reasoning_pane.border_title == "Reasoning · message" and not view(app).reasoning_pane.is_live
        # the app keeps working
        await type_and_send(pilot, "hello again")
        await idle(app, pilot)
        assert view(app).chat_pane.message_views()[-1].status == "complete"


async def test_server_markup_is_inert(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "hello !sim:escapes")
        await idle(app, pilot)
        reply = view(app).chat_pane.message_views()[-1]
        assert "[@click=app.quit]x[/]" in reply.content
        assert "\x1b" not in reply.content and "\x9b" not in reply.content
        await pilot.click(ChatPane)
        assert app.is_running


async def test_missing_key_keeps_the_typed_text(db_path) -> None:
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(140, 40)) as pilot:
        assert any("ASI_ONE_API_KEY" in n.message for n in app._notifications)
        await type_and_send(pilot, "my carefully typed question")
        await pilot.pause()
        assert view(app).composer.text == "my carefully typed question"


async def test_theme_is_remembered(sim, db_path) -> None:
    config = db_path.parent / "config.toml"
    app = build_app(sim, db_path, config_file=config)
    async with app.run_test(size=(140, 40)) as pilot:
        app.theme = "nord"
        await pilot.pause(0.1)
    assert 'theme = "nord"' in config.read_text()
    again = build_app(sim, db_path, config_file=config)
    async with again.run_test(size=(140, 40)):
        assert again.theme == "nord"


async def test_only_http_links_are_opened_or_copied(sim, db_path) -> None:
    from app.ui.links import copy_link, open_link

    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)):
        assert not copy_link(app, "javascript:alert(1)")
        assert not open_link(app, "file:///etc/passwd")
        assert app.clipboard == ""


async def test_every_action_is_in_the_command_palette(sim, db_path) -> None:
    from app.ui.keys import KEYS

    app = build_app(sim, db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for key in KEYS:
            assert f"{key.label} ({key.keys})" in titles or not key.palette
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Reasoning (ctrl")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not app.chat_screen.right_pane.display
