"""The app's web-search toggle, the model picker's "Other…" and server models, and tool calls
shown live in the reasoning pane (Pilot, against the simulator over HTTP)."""

from __future__ import annotations

from app.core.config import Settings
from app.core.models import write_cache
from app.ui.screens.model_name import ModelNameScreen
from app.ui.screens.model_picker import ModelPickerScreen
from app.ui.widgets.composer import Composer
from app.ui.widgets.tool_calls import ToolCallList
from tests.ui.helpers import build_app, idle, type_and_send, until, view

SIZE = (140, 40)


async def test_f3_from_the_composer_toggles_web_search_per_conversation(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.focused, Composer)
        await pilot.press("f8")  # a new conversation: remembered until it is created
        assert "🌐 web search" in app.sub_title and isinstance(app.focused, Composer)
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        assert sim.requests[-1].body["web_search"] is True
        assert app.store.get_conversation(view(app).conversation_id).web_search
        assert "🌐 web search" in app.sub_title
        await pilot.press("f8")
        assert "web search" not in app.sub_title
        await type_and_send(pilot, "and again")
        await idle(app, pilot)
        assert "web_search" not in sim.requests[-1].body
        assert not app.store.get_conversation(view(app).conversation_id).web_search
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Web search (f8)" in commands


async def test_tool_calls_show_in_the_reasoning_pane_as_they_happen(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tools = view(app).reasoning_pane.query_one(ToolCallList)
        assert not tools.display or tools.has_class("-empty")
        await type_and_send(pilot, "search the web for okapis")
        await until(pilot, lambda: tools.lines and "→" in tools.lines[0])
        await idle(app, pilot)
        (line,) = tools.lines
        assert line.startswith("🔧 web_search: okapis → 1. Okapis - Wikipedia")
        assert "🔧 web_search" in str(tools.render())
        await pilot.press("ctrl+n")
        await until(pilot, lambda: tools.lines == [])


async def test_hostile_tool_calls_stay_inert_in_the_pane(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "hello !sim:websearch=hostile")
        await idle(app, pilot)
        (line,) = view(app).reasoning_pane.query_one(ToolCallList).lines
        assert "\x1b" not in line and "\x07" not in line and "[@click=app.quit]" in line  # shown literally
        assert app.is_running


async def test_other_model_typed_in_the_picker(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        await pilot.press("end", "enter")  # "Other…" is last
        await until(pilot, lambda: isinstance(app.screen, ModelNameScreen))
        await pilot.press(*"two words", "enter")  # refused, kept for editing
        assert isinstance(app.screen, ModelNameScreen)
        await pilot.press("ctrl+u", *"asi1-graph", "enter")
        await until(pilot, lambda: not isinstance(app.screen, (ModelPickerScreen, ModelNameScreen)))
        assert app.store.get_conversation(view(app).conversation_id).model == "asi1-graph"
        assert "asi1-graph" in app.sub_title
        await type_and_send(pilot, "again")
        await idle(app, pilot)
        assert sim.requests[-1].body["model"] == "asi1-graph"


async def test_the_picker_lists_what_the_server_offers(sim, db_path) -> None:
    write_cache(Settings(base_url=sim.base_url, db=db_path), ["asi1", "asi1-graph"])
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        ids = [o.id for o in app.screen.query_one("#models").options]
        assert ids[:6] == ["asi1", "asi1-ultra", "asi1-mini", "asi1-agentic", "asi1-fast-agentic",
                           "asi1-extended-agentic"]
        assert ids[6] == "asi1-graph" and len(ids) == 8
        graph = app.screen.query_one("#models").get_option("asi1-graph").prompt.plain
        assert "Offered by the server" in graph and "unknown window" in graph


async def test_the_app_refreshes_the_model_list_in_the_background(sim, db_path) -> None:
    sim.model_list.append("asi1-brand-new")
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        from app.core.models import known_models

        await until(pilot, lambda: "asi1-brand-new" in [m.name for m in known_models(app.settings)])
        assert isinstance(app.focused, Composer)


async def test_a_selected_message_shows_its_stored_tool_calls(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "search the web for okapis")
        await idle(app, pilot)
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        tools = view(app).reasoning_pane.query_one(ToolCallList)
        await view(app).show(view(app).conversation_id)  # as after a restart: views of stored messages
        await until(pilot, lambda: len(view(app).chat_pane.message_views()) == 4)
        replies = [v for v in view(app).chat_pane.message_views() if v.role == "assistant"]
        searched, plain = replies
        assert searched.message_id is not None and "I searched the web" in searched.content
        searched.focus()
        await until(pilot, lambda: tools.lines and tools.lines[0].startswith("🔧 web_search: okapis →"))
        plain.focus()
        await until(pilot, lambda: tools.lines == [])


async def test_the_context_meter_counts_the_system_prompt(sim, db_path) -> None:
    from app.core.history import estimate_tokens
    from app.ui.widgets.context_meter import ContextMeter, short_count

    prompt = "Be terse. " * 300
    app = build_app(sim, db_path, system_prompt=prompt)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = str(app.query_one(ContextMeter).render())
        assert shown.startswith(f"context {short_count(estimate_tokens(prompt))} / 200k")


async def test_f4_sets_the_system_prompt_from_the_composer(sim, db_path) -> None:
    from app.ui.screens.system_prompt import SystemPromptScreen

    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")  # before the conversation exists: kept for it
        await until(pilot, lambda: isinstance(app.screen, SystemPromptScreen))
        await pilot.press(*"Answer in French.", "ctrl+j", *"Briefly.", "enter")
        await until(pilot, lambda: not isinstance(app.screen, SystemPromptScreen))
        assert isinstance(app.focused, Composer)
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        assert sim.requests[-1].messages[0] == {"role": "system", "content": "Answer in French.\nBriefly."}
        assert app.store.get_conversation(view(app).conversation_id).system_prompt == "Answer in French.\nBriefly."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SystemPromptScreen))
        await pilot.press("escape")  # cancel: unchanged
        await until(pilot, lambda: not isinstance(app.screen, SystemPromptScreen))
        assert app.store.get_conversation(view(app).conversation_id).system_prompt == "Answer in French.\nBriefly."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SystemPromptScreen))
        await pilot.press("ctrl+r")  # cleared
        await until(pilot, lambda: not isinstance(app.screen, SystemPromptScreen))
        assert app.store.get_conversation(view(app).conversation_id).system_prompt is None
        await type_and_send(pilot, "again")
        await idle(app, pilot)
        assert sim.requests[-1].messages[0]["role"] == "user"
        assert "System prompt (ctrl+s)" in [c.title for c in app.get_system_commands(app.screen)]
