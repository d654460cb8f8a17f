"""The full-screen app: conversation list | chat pane | reasoning pane."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown

from app.core.agents.store import AgentStore
from app.core.config import Settings, save_setting
from app.core.errors import AsiChatError
from app.core.history import context_usage
from app.core.store.conversations import Conversations
from app.core.store.store import Store, title_from_text
from app.core.turn import Turn
from app.ui.agent_actions import AgentActions
from app.ui.branch_actions import BranchActions
from app.ui.component_styles import ComponentStyleCache
from app.ui.conversation_actions import ConversationActions
from app.ui.draft_guard import DraftGuard
from app.ui.focus_actions import FocusActions
from app.ui.image_actions import ImageActions
from app.ui.keys import KEYS, PALETTE_ONLY, PRIORITY  # noqa: F401 - KEYS and PALETTE_ONLY are this module's API too
from app.ui.layout import ResponsiveLayout
from app.ui.links import copy_text, open_link
from app.ui.notices import OnceNotices
from app.ui.quick_start import QuickStart
from app.ui.quiet_input import QuietInput
from app.ui.resources import style_files
from app.ui.search_hits import SearchHits
from app.ui.turn_presenter import Panes, TurnPresenter
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.composer import Composer
from app.ui.widgets.context_meter import ContextMeter
from app.ui.widgets.conversation_list import ConversationList
from app.ui.widgets.main_screen import GcTuning
from app.ui.widgets.message_view import MessageView
from app.ui.widgets.reasoning_pane import ReasoningPane
from app.ui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from app.core.runtime import Runtime

PAGE = 40  # messages mounted at a time as the user scrolls back
FIRST_PAGE = 12
"""Messages mounted when a conversation opens: a screenful and more, so its newest are on
screen sooner (each message is a few widgets, an image card a dozen: 40 of them took
~0.4 s in a real terminal); older ones load as the user scrolls up (`PAGE` at a time),
or at once when these do not fill the pane."""

class AsiChatApp(QuickStart, ConversationActions, BranchActions, AgentActions, ImageActions, FocusActions,
                 ResponsiveLayout, SearchHits, DraftGuard, OnceNotices, QuietInput, App[None]):
    """asi-chat: chat with ASI:One's agentic models, wait for agents, keep everything."""

    TITLE = "asi-chat"
    CSS_PATH = style_files()
    ESCAPE_TO_MINIMIZE = False
    # ctrl+y must win over the composer's redo (copying the image link is the product's key),
    # ctrl+d over its delete-right.
    BINDINGS = [Binding(key, action, label, show=show, priority=key in PRIORITY)
                for key, action, label, _, show in KEYS] + [
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, settings: Settings, store: Store, runtime: Runtime | None, *,
                 runtime_error: str | None = None, resume_waits: bool = True,
                 runtime_factory: Callable[[], Runtime] | None = None, demo: bool = False) -> None:
        """`runtime_factory` (with `runtime` None) builds the runtime after the first frame;
        `demo` says the built-in simulator answers (`asi-chat --demo`)."""
        super().__init__()
        self.demo = demo
        self.stylesheet = ComponentStyleCache(variables=self.get_css_variables())  # before any CSS is read
        self.settings = settings
        self.store = store
        self.runtime = runtime
        self.runtime_error = runtime_error
        self.resume_waits = resume_waits
        self._runtime_factory = runtime_factory
        self.current_id: int | None = None
        self.new_model = settings.model
        self.conversations = Conversations(store, busy=lambda cid: self.running_turn(cid) is not None)
        self.presenter: TurnPresenter | None = None  # built on mount, with the panes
        self.editing: int | None = None
        """The user message being edited: Enter sends the composer's text as a new branch."""
        self._gc = GcTuning()

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="sidebar"):
                yield SearchBar(id="search", classes="-hidden")
                yield ConversationList(self.store, id="conversations")
            with Vertical(id="center"):
                yield ChatPane(id="chat", activity=self.input_activity, welcome=True)
                yield Composer(id="composer")
                yield ContextMeter(id="context")
            yield ReasoningPane(id="reasoning", activity=self.input_activity)
        yield Footer()

    @property
    def chat_pane(self) -> ChatPane:
        return self.query_one(ChatPane)

    @property
    def reasoning_pane(self) -> ReasoningPane:
        return self.query_one(ReasoningPane)

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def running_turns(self) -> dict[int, Turn]:
        """The turns running in this app's chat service, by conversation."""
        return self.runtime.chat.turns if self.runtime is not None else {}

    def running_turn(self, conversation_id: int | None) -> Turn | None:
        return self.running_turns.get(conversation_id) if conversation_id is not None else None

    def on_mount(self) -> None:
        self.presenter = TurnPresenter(Panes(
            chat=self.chat_pane, reasoning=self.reasoning_pane, conversations=self.conversation_list,
            notify=self.notify, open_id=lambda: self.current_id, title_of=self.title_of,
            ended=self.turn_ended, alert=self._agent_answered_elsewhere))
        self.call_after_refresh(self._gc.start)
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.apply_layout()
        self.composer.confirm_send = self.confirm_draft  # app.ui.draft_guard
        self.composer.focus()
        self.conversation_list.reload()
        # A new conversation, its welcome text composed with the chat pane: nothing here
        # may wait (an await lets Textual draw a frame inside the mount's batch update,
        # which it then discards, and the widgets it drew stay off screen until redrawn).
        self.current_id = None
        self._update_title()
        self._update_context()
        if self.runtime_error:
            self.notify(self.runtime_error, title="Cannot send yet", severity="warning", markup=False, timeout=10)
        self.call_after_refresh(self._after_first_frame)

    def _remember_theme(self, theme: object) -> None:
        if self.settings.config_file is None:
            return
        try:
            save_setting(self.settings.config_file, "theme", self.theme)
        except (OSError, AsiChatError) as exc:
            self.notify(f"Could not save the theme: {exc}", severity="warning", markup=False)

    def _update_title(self) -> None:
        if self.current_id is None:
            self.sub_title = f"new conversation · {self.new_model}{self.web_search_mark()}"
        else:
            self.sub_title = f"{self.title_of(self.current_id)} · {self.current_model()}{self.web_search_mark()}"

    def title_of(self, conversation_id: int) -> str:
        try:
            return self.store.get_conversation(conversation_id).title or "untitled"
        except AsiChatError:
            return "deleted conversation"

    def current_model(self) -> str:
        if self.current_id is None:
            return self.new_model
        return self.store.get_conversation(self.current_id).model

    def _update_context(self) -> None:
        model = self.current_model()
        messages = self.store.messages(self.current_id) if self.current_id is not None else []
        used, window = context_usage(messages, model, self.system_prompt_now())
        self.query_one(ContextMeter).update_usage(used, window)

    # -- opening conversations ---------------------------------------------------------
    async def _show_new_conversation(self) -> None:
        self.current_id = None
        self.presenter.detach_all()
        await self.chat_pane.show_welcome()
        await self.reasoning_pane.clear()
        self._update_title()
        self._update_context()

    async def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation (its newest page first) and any turn running in it."""
        self.presenter.detach_all()
        self.current_id = conversation_id
        self.conversation_list.mark_replied(conversation_id, False)  # seen now
        live = self.running_turn(conversation_id)
        messages = self.store.messages_page(conversation_id, limit=FIRST_PAGE)
        if live is not None and live.wait is None and live.message_id is not None:
            if messages and messages[-1].id == live.message_id and messages[-1].status == "streaming":
                messages = messages[:-1]  # the live turn shows its own, newer text
            else:
                live = None  # stored whole already: the stored message is what to show

        def load_older(before_id: int) -> list:
            return self.store.messages_page(conversation_id, before_id=before_id, limit=PAGE)

        await self.chat_pane.show_conversation(messages, load_older=load_older, marks=self.store.branch_marks,
                                               agents=AgentStore(self.store).wait_labels)
        self.conversation_list.select_conversation(conversation_id)
        await self.reasoning_pane.clear()
        if live is not None and not await self.presenter.attach(live):
            await self.open_conversation(conversation_id)  # it ended meanwhile: the store has it all
            return
        self._update_title()
        self._update_context()

    @on(ConversationList.Opened)
    async def _on_opened(self, event: ConversationList.Opened) -> None:
        await self.open_conversation(event.conversation_id)
        self.hit_query = event.query  # what n / N / F3 look for here (app.ui.search_hits)
        if event.hit is None or not await self.open_at_hit(event.hit.message_id, event.query):
            self.composer.focus()

    # -- sending -----------------------------------------------------------------------
    @on(Composer.Submitted)
    async def _on_submitted(self, event: Composer.Submitted) -> None:
        await self.send(event.text)

    async def send(self, text: str) -> None:
        """Send `text` in the open conversation (creating one if needed), or as the new
        version of the message being edited."""
        if self._ensure_runtime() is None:
            self.composer.text = text
            self.notify(self.runtime_error or "Cannot send.", severity="error", markup=False)
            return
        chat, editing = self.runtime.chat, self.editing
        try:
            if self.current_id is None:
                conversation = self.conversations.create(self.new_model, title=title_from_text(text))
                self.apply_new_options(conversation.id)  # web search, system prompt chosen before
                self.current_id = conversation.id
                await self.chat_pane.show_conversation([])
            if editing is not None:
                turn = chat.edit(editing, text, model=self.current_model())
            else:
                turn = chat.start(self.current_id, text, model=self.current_model())
        except AsiChatError as exc:  # a reply still runs here, or the history cannot be written
            self.composer.text = text
            self.notify(str(exc), title="Not sent", severity="warning", markup=False, timeout=8)
            return
        self.editing = None
        self.composer.remove_class("-editing")
        self.watch_turn(turn)
        if editing is not None:
            await self.open_conversation(turn.conversation_id)  # the new branch, with the turn attached
        else:
            await self.chat_pane.add_user_message(text, message_id=turn.prompt_id)
            if not await self.presenter.attach(turn, await self.chat_pane.add_reply(turn.model)):
                await self.open_conversation(turn.conversation_id)  # over already: show what is stored
        self.conversation_list.reload(select=turn.conversation_id)
        self._update_title()

    def _agent_answered_elsewhere(self, text: str) -> None:
        """Tell the terminal when an agent answered out of sight and the terminal is not
        focused (Textual's app focus events): a notification where supported, else the
        bell (`notify = auto|bell|off`)."""
        if not self.app_focus:
            from app.ui.terminal_notify import notify_terminal

            notify_terminal(self, text, self.settings.notify)

    def watch_turn(self, turn: Turn) -> None:
        """Show a running turn's events as they come (a worker per turn)."""
        self.presenter.track(turn)
        if turn.wait is not None and turn.agent_label:  # a resumed wait: the list names its agent
            self.conversation_list.mark_waiting(turn.conversation_id, True, turn.agent_label)
        self.run_worker(self.presenter.consume(turn), group=f"turn-{turn.conversation_id}",
                        exit_on_error=False, description="turn")
        self._gc.turn_started(turn.conversation_id, waiting=turn.wait is not None)

    def turn_ended(self, conversation_id: int) -> None:
        """Called by the presenter when a turn (or wait) is over, however it ended."""
        self._gc.turn_ended(conversation_id)
        self.conversation_list.reload()
        if conversation_id == self.current_id:
            self._update_context()
            with suppress(AsiChatError):  # a new branch's reply now has its n/m
                shown = self.store.messages_page(conversation_id, limit=PAGE)
                self.chat_pane.set_branches(self.store.branch_marks(shown))

    # -- actions -----------------------------------------------------------------------
    async def action_new_conversation(self) -> None:
        await self._show_new_conversation()
        self.composer.focus()

    async def action_cancel_turn(self) -> None:
        """Esc: cancel the running reply, stop the agent wait, or give up an edit."""
        turn = self.running_turn(self.current_id)
        if turn is None:
            if self.editing is not None:
                self.cancel_edit()
            return
        if turn.wait is not None:
            await self.runtime.chat.stop_wait(turn.conversation_id)  # the presenter shows it stopped
        else:
            await self.runtime.chat.cancel(turn.conversation_id)

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        open_link(self, event.href)

    @on(MessageView.Selected)
    async def _message_selected(self, event: MessageView.Selected) -> None:
        turn = self.running_turn(self.current_id)
        if turn is not None and event.message_view is self.presenter.view_of(turn):
            return  # the live reply's reasoning is already streaming there
        message_id = event.message_view.message_id
        calls = self.store.tool_calls(message_id) if message_id is not None else []
        await self.reasoning_pane.show_message(
            event.message_view, [(c.call_id, c.name, c.args, c.result) for c in calls])

    def action_copy_message(self) -> None:
        focused = self.focused if isinstance(self.focused, MessageView) else None
        views = self.chat_pane.message_views()
        view = focused or next((v for v in reversed(views) if v.role == "assistant"), None)
        if view is None or not view.content:
            self.notify("No message to copy.", markup=False)
            return
        copy_text(self, view.content, "message")

    def action_search(self) -> None:
        bar = self.query_one(SearchBar)
        bar.remove_class("-hidden")
        bar.focus()

    @on(SearchBar.QueryChanged)
    def _search_changed(self, event: SearchBar.QueryChanged) -> None:
        self.conversation_list.set_filter(event.query)

    @on(SearchBar.Submitted)
    def _search_submitted(self) -> None:
        self.conversation_list.focus()

    @on(SearchBar.Closed)
    def _search_closed(self) -> None:
        self.query_one(SearchBar).add_class("-hidden")
        self.conversation_list.set_filter("")
        self.conversation_list.focus()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, action, label, help_text, _ in KEYS:
            yield SystemCommand(f"{label} ({key})", help_text, lambda a=action: self.run_action(a))
        for action, label, help_text in PALETTE_ONLY:
            yield SystemCommand(label, help_text, lambda a=action: self.run_action(a))
        yield from self.layout_commands()

    async def on_unmount(self) -> None:
        self._gc.stop()
        await self.close_agent_directory()
        if self.runtime is not None:
            await self.runtime.chat.shutdown()  # each turn stores what it had
            await self.runtime.aclose()


def run_app(settings: Settings, *, demo: bool = False) -> None:
    """Open the store and run the app until the user quits (the runtime is built after its first frame)."""
    from app.core.runtime import make_runtime, open_store

    try:
        store = open_store(settings)
        if demo:
            from app.demo import seed_demo

            seed_demo(store)
        AsiChatApp(settings, store, None, runtime_factory=lambda: make_runtime(settings, store), demo=demo).run()
    finally:
        gc.enable()  # (`asi-chat` pauses it for the launch; `GcTuning.start` resumes it)
