"""The tool approval card in a tiny app: what it shows, and y / a / n."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from app.core.tools.approval import Approval, ToolCallRequest
from app.ui.widgets.tool_approval import CardApprover, ToolApprovalCard
from tests.ui.helpers import until

HOSTILE = ToolCallRequest("c1", "get_current_time", "time",
                          '{"timezone": "Asia/Tokyo", "note": "[bold red]x[/] \\u001b]52;c;ZXZpbA==\\u0007"}')


class CardApp(App):
    def __init__(self, request: ToolCallRequest) -> None:
        super().__init__()
        self.request = request
        self.answers: list[Approval] = []

    def compose(self) -> ComposeResult:
        yield ToolApprovalCard(self.request)

    def on_tool_approval_card_decided(self, message: ToolApprovalCard.Decided) -> None:
        self.answers.append(message.approval)


def shown(app: App) -> str:
    return "\n".join(str(s.render()) for s in app.query(Static))


@pytest.mark.parametrize("key, answer", [("y", Approval.ONCE), ("a", Approval.ALWAYS), ("n", Approval.DENY)])
async def test_keys_answer_once(key, answer) -> None:
    app = CardApp(HOSTILE)
    async with app.run_test() as pilot:
        app.query_one(ToolApprovalCard).focus()
        await pilot.press(key, "y", "n")
        await until(pilot, lambda: app.answers)
        await pilot.pause()
        assert app.answers == [answer]


async def test_card_shows_tool_server_and_pretty_arguments_as_inert_text() -> None:
    app = CardApp(HOSTILE)
    async with app.run_test():
        text = shown(app)
        assert "Run tool get_current_time (MCP server time)?" in text
        assert '  "timezone": "Asia/Tokyo",' in text  # pretty JSON, indented
        assert "[bold red]x[/]" in text  # markup shown as text
        assert "\x1b" not in text and "\x07" not in text


class ApproverApp(App):
    """Where the card goes and who hears its answer: what the main screen will do."""

    def __init__(self) -> None:
        super().__init__()
        self.approver = CardApprover(lambda card: self.screen.mount(card))

    def on_tool_approval_card_decided(self, message: ToolApprovalCard.Decided) -> None:
        self.approver.decided(message)


async def test_card_approver_waits_for_the_answer_then_removes_the_card() -> None:
    app = ApproverApp()
    async with app.run_test() as pilot:
        answer = asyncio.create_task(app.approver(HOSTILE))
        await until(pilot, lambda: app.query(ToolApprovalCard))
        assert not answer.done()  # the turn waits for the user
        app.query_one(ToolApprovalCard).focus()
        await pilot.press("a")
        await until(pilot, answer.done)
        assert answer.result() is Approval.ALWAYS
        await until(pilot, lambda: not app.query(ToolApprovalCard))
