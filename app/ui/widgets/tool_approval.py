"""The card that asks before a tool runs: tool, server and arguments, and y / a / n.

Self-contained: it shows a `ToolCallRequest` and posts `ToolApprovalCard.Decided` with the
user's `Approval`; whoever mounted it answers the waiting turn (see `CardApprover`).
Everything on it is untrusted text (names and arguments come from the model and the
server): shown as `Text`, never as markup.
"""

from __future__ import annotations

import asyncio
import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from app.core.sanitize import clean
from app.core.tools.approval import Approval, ToolCallRequest

ARGS_SHOWN = 4_000
"""Characters of the arguments shown (a card, not a viewer)."""


def pretty_arguments(arguments: str) -> str:
    """The arguments as indented JSON (as they are, when they are not JSON), cut to ARGS_SHOWN."""
    try:
        text = json.dumps(json.loads(arguments), ensure_ascii=False, indent=2)
    except ValueError:
        text = arguments
    text = clean(text)
    return text if len(text) <= ARGS_SHOWN else text[:ARGS_SHOWN] + f"… ({len(text) - ARGS_SHOWN:,} more)"


class ToolApprovalCard(Widget, can_focus=True):
    """Asks whether a tool call may run: `y` once, `a` always in this conversation, `n` no."""

    DEFAULT_CSS = """
    ToolApprovalCard {
        height: auto;
        border: round $warning;
        padding: 0 1;
        margin: 1 0;
    }
    ToolApprovalCard:focus { border: round $accent; }
    ToolApprovalCard .title { text-style: bold; }
    ToolApprovalCard .keys { color: $text-muted; }
    """

    BINDINGS = [
        Binding("y", "decide('once')", "Allow once", id="tool-approval.once"),
        Binding("a", "decide('always')", "Always allow", id="tool-approval.always"),
        Binding("n", "decide('deny')", "Deny", id="tool-approval.deny"),
    ]

    class Decided(Message):
        """The user answered the card."""

        def __init__(self, card: ToolApprovalCard, request: ToolCallRequest, approval: Approval) -> None:
            super().__init__()
            self.card = card
            self.request = request
            self.approval = approval

    def __init__(self, request: ToolCallRequest, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.request = request
        self.decided: Approval | None = None

    def compose(self) -> ComposeResult:
        title = Text("Run tool ")
        title.append(clean(self.request.tool), style="bold")
        title.append(f" (MCP server {clean(self.request.server)})?")
        yield Static(title, classes="title", markup=False)
        yield Static(Text(pretty_arguments(self.request.arguments)), classes="arguments", markup=False)
        yield Static(Text("y allow once · a always in this conversation · n deny · esc stop the turn"),
                     classes="keys", markup=False)

    def action_decide(self, answer: str) -> None:
        """Answer once: later keys do nothing."""
        if self.decided is not None:
            return
        self.decided = Approval(answer)
        self.post_message(self.Decided(self, self.request, self.decided))


class CardApprover:
    """An `Approver` for the app: mounts a card via `mount` and waits for its answer.

    `mount(card)` puts the card on screen (the screen that owns the chat decides where);
    `decided(message)` is called from the screen's `on_tool_approval_card_decided`.
    """

    def __init__(self, mount) -> None:
        self._mount = mount
        self._waiting: dict[str, asyncio.Future[Approval]] = {}

    async def __call__(self, request: ToolCallRequest) -> Approval:
        future: asyncio.Future[Approval] = asyncio.get_running_loop().create_future()
        self._waiting[request.call_id] = future
        card = ToolApprovalCard(request)
        try:
            await self._mount(card)
            return await future
        finally:
            self._waiting.pop(request.call_id, None)
            if card.is_mounted:
                await card.remove()

    def decided(self, message: ToolApprovalCard.Decided) -> None:
        """Hand the card's answer to the turn waiting for it."""
        future = self._waiting.get(message.request.call_id)
        if future is not None and not future.done():
            future.set_result(message.approval)
