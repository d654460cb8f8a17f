"""MCP tools in the app: a call not yet allowed waits on a card above the message box; `y`
runs it (the answer quotes its result), `n` declines it (the model is told)."""

from __future__ import annotations

import json

import pytest

from app.ui.widgets.tool_approval import ToolApprovalCard
from tests.core.tools.helpers import TIME_SERVER
from tests.ui.helpers import build_app, idle, type_and_send, until, view
from tests.ui.test_chat_widgets import screen_text

pytestmark = pytest.mark.timeout(120)


def _app(sim, db_path, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[mcp]\nstart_timeout = 40\n[mcp.servers.time]\ncommand = {json.dumps(TIME_SERVER)}\n'
                      'args = ["--local-timezone", "UTC"]\n')
    return build_app(sim, db_path, config_file=config)


@pytest.mark.parametrize("key", ["y", "n"])
async def test_the_approval_card_asks_and_y_runs_the_tool_n_declines(sim, db_path, tmp_path, key) -> None:
    app = _app(sim, db_path, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "what time is it in Tokyo?")
        await until(pilot, lambda: app.query(ToolApprovalCard), timeout=60)
        card = app.query_one(ToolApprovalCard)
        await until(pilot, lambda: app.focused is card)  # y / a / n work at once
        shown = screen_text(app)
        assert "get_current_time" in shown and "Asia/Tokyo" in shown
        await pilot.press(key)
        await idle(app, pilot)
        assert not app.query(ToolApprovalCard) and app.focused is view(app).composer
        answer = view(app).chat_pane.message_views()[-1].content
        if key == "y":
            assert "+09:00" in answer
        else:
            assert "+09:00" not in answer and "declined" in answer.lower()


async def test_the_palette_switches_a_server_off_and_sets_a_schema(sim, db_path, tmp_path) -> None:
    from tests.ui.test_branches import _first_command

    app = _app(sim, db_path, tmp_path)
    schema = tmp_path / "city.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"city": {"type": "string"}},
                                  "required": ["city"]}))
    async with app.run_test(size=(140, 40)) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        await pilot.press("ctrl+p", *"Tools of time")
        await until(pilot, lambda: "Tools of time" in _first_command(app))
        await pilot.press("enter")
        await until(pilot, lambda: "tools off: time" in app.sub_title)
        await pilot.press("ctrl+p", *"Structured output")
        await until(pilot, lambda: "Structured output" in _first_command(app))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query("#schema-file"))
        await pilot.press(*str(schema), "enter")
        await until(pilot, lambda: "{} city" in app.sub_title)
        await type_and_send(pilot, "what time is it in Tokyo?")
        await idle(app, pilot)
        assert not app.query(ToolApprovalCard)
        body = sim.requests[-1].body
        assert "tools" not in body  # the switched-off server's tools are not offered
        assert body["response_format"]["json_schema"]["name"] == "city"
