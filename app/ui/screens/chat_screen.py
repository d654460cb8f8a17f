"""The chat screen: the conversation list | the open conversation | reasoning and trace.

It composes the three areas and holds what acts across them: the keys that work from
anywhere on it (new conversation, search, the list, the chat, the agent browser, the
gallery, the reasoning pane), the layout for the terminal's width, and the watch kept on
every running turn (the list's marks, notices). Messages come up from the areas, methods go
down to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Header

from app.core.config import save_setting
from app.core.errors import AsiChatError
from app.ui.areas.conversation_view import ConversationView
from app.ui.areas.right_pane import RightPane
from app.ui.areas.sidebar import Sidebar
from app.ui.areas.turn_watch import LOOK_AROUND, TurnWatch
from app.ui.keys import CONVERSATION, KEYS, PALETTE_ONLY, SCREEN, bindings
from app.ui.layout import LIST_MAX, LIST_MIN, LIST_STEP, Layout, list_width
from app.ui.textual_tuning.screen import TunedScreen
from app.ui.widgets.conversation_list import ConversationList
from app.ui.widgets.message_view import MessageView
from app.ui.widgets.tool_approval import CardApprover, ToolApprovalCard
from app.ui.widgets.trace_view import TraceView

if TYPE_CHECKING:
    from app.core.runtime import Runtime
    from app.core.turn import Turn
    from app.ui.app import AsiChatApp


class ChatScreen(TunedScreen):
    """The app's main screen (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(SCREEN)

    app: AsiChatApp

    def __init__(self) -> None:
        super().__init__(id="_default")
        self.turn_watch = TurnWatch(self)
        self.approver: CardApprover | None = None
        self._list_preference: int | None = None

    def compose(self) -> ComposeResult:
        app = self.app
        yield Header()
        with Horizontal(id="main"):
            yield Sidebar(app.store, id="sidebar")
            yield ConversationView(id="center")
            yield RightPane(activity=app.input_activity, id="right")
        yield Footer()

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one(Sidebar)

    @property
    def conversation_view(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def right_pane(self) -> RightPane:
        return self.query_one(RightPane)

    def on_mount(self) -> None:
        self._list_preference = self.app.settings.list_width
        self.apply_layout(self.app.size.width)
        self.set_focus(self.conversation_view.composer)  # at once: a key typed next (ctrl+f) may move it
        if self.app.late_runtime.runtime is not None:  # (one built later is given it when ready)
            self.install_approver(self.app.late_runtime.runtime)
        with suppress(AsiChatError):  # answers that came while they were not open, in an earlier run too
            for conversation_id in self.app.store.unread():
                self.sidebar.conversation_list.mark_replied(conversation_id, True)

    # -- layout ------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        # In the same layout pass as the screen's resize (from the app's own Resize, one
        # frame would pair the old width with the new arrangement: a chat of 0 columns).
        self.apply_layout(event.size.width)

    def on_screen_resume(self) -> None:
        # A screen on top (gallery, viewer, a dialog) took the resizes meanwhile.
        self.apply_layout(self.app.size.width)

    def apply_layout(self, columns: int) -> None:
        """Classes and widths for a terminal `columns` wide (app/ui/layout.py)."""
        layout = Layout.for_width(columns, self._list_preference)
        self.set_class(layout.narrow, "-narrow")
        self.set_class(layout.compact, "-compact")
        self.sidebar.styles.width = layout.sidebar
        self.right_pane.styles.width = layout.right

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # In a compact layout the list is a layer shown while focus is in it (ctrl+l,
        # ctrl+f, a click); opening a conversation moves focus away and it steps aside.
        focused = self.focused
        self.set_class(focused is not None and self.sidebar in focused.ancestors_with_self, "-show-list")

    def action_toggle_reasoning(self) -> None:
        """Hide the right pane beside the chat, or show it over a narrow chat."""
        if self.has_class("-narrow"):
            self.toggle_class("-show-reasoning")
        else:
            self.toggle_class("-hide-reasoning")

    def reasoning_visible(self) -> bool:
        """True when the right pane is on screen (beside the chat or over it)."""
        if self.has_class("-narrow"):
            return self.has_class("-show-reasoning")
        return not self.has_class("-hide-reasoning")

    def resize_list(self, step: int) -> None:
        """Move the list's edge `step` columns (negative: narrower) and remember it."""
        columns = self.app.size.width
        current = list_width(columns, self._list_preference)
        wanted = max(LIST_MIN, min(LIST_MAX, current + step))
        if list_width(columns, wanted) == current:
            self.notify("The list cannot get any " + ("wider here." if step > 0 else "narrower."), markup=False)
            return
        self._list_preference = wanted
        self.apply_layout(columns)
        config_file = self.app.settings.config_file
        if config_file is not None:
            try:
                save_setting(config_file, "list_width", wanted)
            except (OSError, AsiChatError, ValueError) as exc:
                self.notify(f"Could not save the list width: {exc}", severity="warning", markup=False)

    # -- keys that work from anywhere on the screen ------------------------------------

    async def action_new_conversation(self) -> None:
        await self.conversation_view.show_new()
        self.conversation_view.composer.focus()

    def action_search(self) -> None:
        self.sidebar.start_search()

    def action_focus_list(self) -> None:
        if self.sidebar.conversation_list.has_focus:
            self.conversation_view.composer.focus()
        else:
            self.sidebar.conversation_list.focus()

    def action_focus_chat(self) -> None:
        self.conversation_view.toggle_chat_focus()

    async def action_search_hit(self, step: int) -> None:
        await self.conversation_view.search_hit(step, self.sidebar.conversation_list.filter_query)

    async def action_agent_browser(self) -> None:
        from app.ui.areas.agents import open_agent_browser  # (the marketplace client: not for launch)

        await open_agent_browser(self.app, self.conversation_view.address_agent)

    def action_image_gallery(self) -> None:
        self.conversation_view.open_gallery()

    # -- messages from the areas -------------------------------------------------------

    @on(ConversationList.Opened)
    async def _opened(self, event: ConversationList.Opened) -> None:
        view = self.conversation_view
        await view.show(event.conversation_id)
        self.sidebar.clear_search()
        if event.hit is None or not await view.reveal_hit(event.hit.message_id, event.query):
            view.composer.focus()

    @on(ConversationView.Changed)
    def _conversation_changed(self, event: ConversationView.Changed) -> None:
        if event.conversation_id is None:
            self.sidebar.clear_search()  # a new conversation: the whole list again
        self.sidebar.conversation_list.reload(select=event.conversation_id)
        if event.conversation_id is not None:
            self.sidebar.conversation_list.mark_replied(event.conversation_id, False)  # seen now
            with suppress(AsiChatError):
                self.app.conversations.set_unread(event.conversation_id, False)

    @on(ConversationView.TurnStarted)
    def _turn_started(self, event: ConversationView.TurnStarted) -> None:
        self.follow(event.turn)

    @on(Sidebar.Done)
    def _search_done(self) -> None:
        self.conversation_view.composer.focus()

    @on(MessageView.Selected)
    async def _message_selected(self, event: MessageView.Selected) -> None:
        view = event.message_view
        if self.conversation_view.is_live_reply(view):
            return  # the live reply's reasoning is already streaming there
        store = self.app.store
        calls = store.tool_calls(view.message_id) if view.message_id is not None else []
        with suppress(AsiChatError):
            self.right_pane.show_trace(store.trace(view.message_id) if view.message_id is not None else [])
        await self.right_pane.reasoning_pane.show_message(view, [(c.call_id, c.name, c.args, c.result) for c in calls])

    def install_approver(self, runtime: Runtime) -> None:
        """Tool calls of the turns started here are asked about on a card above the message box."""
        if self.approver is None:
            self.approver = CardApprover(self.conversation_view.mount_approval)
        runtime.chat.approver = self.approver

    @on(TraceView.AgentSelected)
    async def _trace_agent(self, event: TraceView.AgentSelected) -> None:
        from app.ui.areas.agents import open_agent_browser

        await open_agent_browser(self.app, self.conversation_view.address_agent, query=event.handle)

    @on(ToolApprovalCard.Decided)
    def _tool_decided(self, event: ToolApprovalCard.Decided) -> None:
        event.stop()
        if self.approver is not None:
            self.approver.decided(event)
        self.conversation_view.composer.focus()

    def runtime_ready(self, runtime: Runtime) -> None:
        """The runtime is there: tool approvals, and a look at the waits others hold."""
        self.install_approver(runtime)
        self.turn_watch.look_around()
        self.set_interval(LOOK_AROUND, self.turn_watch.look_around)

    @on(Sidebar.Deleted)
    async def _deleted(self, event: Sidebar.Deleted) -> None:
        if self.conversation_view.conversation_id == event.conversation_id:
            await self.conversation_view.show_new()
        self.conversation_view.composer.focus()  # where the user can type

    def follow(self, turn: Turn) -> None:
        """Keep watch on a running turn (list marks, notices) until it ends."""
        self.turn_watch.follow(turn)

    @work(group="resume", exit_on_error=False)
    async def resume_pending_waits(self) -> None:
        """Wait again for the agents an earlier run left waited on."""
        runtime = self.app.late_runtime.ensure()
        if runtime is None:
            return
        try:
            turns = runtime.chat.resume_pending()
        except AsiChatError as exc:  # e.g. a read-only or damaged history: say so, keep running
            self.notify(str(exc), title="History", severity="error", markup=False, timeout=10)
            return
        for turn in turns:
            self.follow(turn)
            if turn.conversation_id == self.conversation_view.conversation_id:  # opened before it resumed
                self.conversation_view.attach(turn)

    # -- the palette -----------------------------------------------------------------

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's entries for this screen's keys and the open conversation's."""
        view = self.conversation_view
        for key in KEYS:
            if not key.palette:
                continue
            target = self if key.where == SCREEN else view if key.where == CONVERSATION else None
            if target is not None:
                yield SystemCommand(f"{key.label} ({self.app.key_of(key)})", key.help,
                                    lambda t=target, a=key.action: t.run_action(a))
        for action, label, help_text in PALETTE_ONLY:
            yield SystemCommand(label, help_text, lambda a=action: view.run_action(a))
        for server in self.app.settings.mcp.servers:
            yield SystemCommand(f"Tools of {server.name}: on / off", "Offer this MCP server's tools in this"
                                " conversation, or not", lambda name=server.name: view.toggle_server(name))
        yield SystemCommand("Structured output…", "A JSON schema file the answers of this conversation follow",
                            view.choose_schema)
        yield SystemCommand("Wider list", "Widen the conversation list (remembered)",
                            lambda: self.resize_list(LIST_STEP))
        yield SystemCommand("Narrower list", "Narrow the conversation list (remembered)",
                            lambda: self.resize_list(-LIST_STEP))
