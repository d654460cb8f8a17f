"""The full-screen app: conversation list | chat pane | reasoning pane."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from app.core.config import Settings, save_setting
from app.core.errors import AsiChatError
from app.core.history import context_usage
from app.core.links import is_safe_url
from app.core.store import Store, title_from_text
from app.ui.component_styles import ComponentStyleCache
from app.ui.conversation_actions import ConversationActions
from app.ui.image_actions import ImageActions
from app.ui.links import copy_link, copy_text, open_link
from app.ui.quick_start import QuickStart
from app.ui.resources import style_files
from app.ui.turn_presenter import LiveTurn, TurnPresenter
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.composer import Composer
from app.ui.widgets.context_meter import ContextMeter
from app.ui.widgets.conversation_list import ConversationList
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.main_screen import GcTuning
from app.ui.widgets.message_view import MessageView
from app.ui.widgets.reasoning_pane import ReasoningPane
from app.ui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from app.core.runtime import Runtime

PAGE = 40  # messages mounted when a conversation opens; older ones load on scroll

# (key, action, footer label, palette help, shown in footer)
KEYS: list[tuple[str, str, str, str, bool]] = [
    ("ctrl+n", "new_conversation", "New", "Start a new conversation", True),
    ("ctrl+y", "copy_image", "Copy image", "Copy the newest image link of this conversation", True),
    ("ctrl+o", "open_image", "Open image", "Open the newest image link in the browser", False),
    ("ctrl+g", "image_gallery", "Images", "Every image in the history, newest first", False),
    ("escape", "cancel_turn", "Cancel", "Cancel the running reply or agent wait", True),
    ("ctrl+f", "search", "Search", "Search conversations", True),
    ("f2", "switch_model", "Model", "Switch this conversation's model", True),
    ("ctrl+r", "rename", "Rename", "Rename this conversation", False),
    ("ctrl+d", "delete", "Delete", "Delete this conversation", False),
    ("ctrl+b", "toggle_reasoning", "Reasoning", "Show or hide the reasoning pane", False),
    ("ctrl+l", "focus_list", "List", "Focus the conversation list", False),
    ("ctrl+t", "focus_chat", "Chat", "Focus the chat (↑/↓ move between messages)", False),
    ("ctrl+e", "focus_composer", "Compose", "Focus the message box", False),
    ("ctrl+x", "copy_message", "Copy message", "Copy the selected (or last) message", False),
]


class AsiChatApp(QuickStart, ConversationActions, ImageActions, App[None]):
    """asi-chat: chat with ASI:One's agentic models, wait for agents, keep everything."""

    TITLE = "asi-chat"
    CSS_PATH = style_files()
    ESCAPE_TO_MINIMIZE = False
    # ctrl+y must win over the composer's redo: copying the image link is the product's key.
    BINDINGS = [Binding(key, action, label, show=show, priority=key == "ctrl+y")
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
        self.presenter = TurnPresenter(self)
        self._turn_workers: dict[int, object] = {}
        self._gc = GcTuning()

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="sidebar"):
                yield SearchBar(id="search", classes="-hidden")
                yield ConversationList(self.store, id="conversations")
            with Vertical(id="center"):
                yield ChatPane(id="chat")
                yield Composer(id="composer")
                yield ContextMeter(id="context")
            yield ReasoningPane(id="reasoning")
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

    async def on_mount(self) -> None:
        self._gc.start()
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.composer.focus()
        self.conversation_list.reload()
        await self._show_new_conversation()
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
            self.sub_title = f"new conversation · {self.new_model}"
        else:
            self.sub_title = f"{self.title_of(self.current_id)} · {self.current_model()}"

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
        used, window = context_usage(messages, model)
        self.query_one(ContextMeter).update_usage(used, window)

    # -- opening conversations ---------------------------------------------------------
    async def _show_new_conversation(self) -> None:
        self.current_id = None
        for turn in self.presenter.live.values():
            turn.view = None
        await self.chat_pane.show_welcome()
        await self.reasoning_pane.clear()
        self._update_title()
        self._update_context()

    async def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation (its newest page first) and any turn running in it."""
        for turn in self.presenter.live.values():
            turn.view = None
        self.current_id = conversation_id
        live = self.presenter.live.get(conversation_id)
        messages = self.store.messages_page(conversation_id, limit=PAGE)
        if live is not None and not live.waiting and messages and messages[-1].status == "streaming":
            messages = messages[:-1]  # the live turn shows its own, newer text

        def load_older(before_id: int) -> list:
            return self.store.messages_page(conversation_id, before_id=before_id, limit=PAGE)

        await self.chat_pane.show_conversation(messages, load_older=load_older)
        self.conversation_list.select_conversation(conversation_id)
        await self.reasoning_pane.clear()
        if live is not None:
            await self.presenter.attach(live)
        self._update_title()
        self._update_context()

    @on(ConversationList.Opened)
    async def _on_opened(self, event: ConversationList.Opened) -> None:
        await self.open_conversation(event.conversation_id)
        self.composer.focus()

    # -- sending -----------------------------------------------------------------------
    @on(Composer.Submitted)
    async def _on_submitted(self, event: Composer.Submitted) -> None:
        await self.send(event.text)

    async def send(self, text: str) -> None:
        """Send `text` in the open conversation (creating one if needed)."""
        if self._ensure_runtime() is None:
            self.composer.text = text
            self.notify(self.runtime_error or "Cannot send.", severity="error", markup=False)
            return
        if self.current_id is None:
            try:
                conversation = self.store.create_conversation(self.new_model, title=title_from_text(text))
            except AsiChatError as exc:
                self.composer.text = text
                self.notify(str(exc), title="History", severity="error", markup=False, timeout=10)
                return
            self.current_id = conversation.id
            await self.chat_pane.show_conversation([])
        elif self.current_id in self.presenter.live:
            self.composer.text = text
            worker = self._turn_workers.get(self.current_id)
            if self.presenter.live[self.current_id].finishing and worker is not None:
                # Only the last lines of the reply are still being drawn: send right after.
                self.run_worker(self._send_when_drawn(worker, self.current_id, text), exit_on_error=False)
                return
            self.notify("A reply is still running here: wait, or press Esc to cancel it.",
                        severity="warning", markup=False)
            return
        conversation_id = self.current_id
        model = self.current_model()
        await self.chat_pane.add_user_message(text)
        turn = LiveTurn(conversation_id, model)
        turn.view = await self.chat_pane.add_reply(model)
        await self.reasoning_pane.start_live()
        events = self.runtime.chat.send(conversation_id, text, model=model)
        self._start(turn, events)
        self.conversation_list.reload(select=conversation_id)
        self._update_title()

    async def _send_when_drawn(self, worker: Worker, conversation_id: int, text: str) -> None:
        """Send `text` once the reply being drawn is done, unless the user moved on (the
        text stays in the composer meanwhile, so nothing is lost)."""
        with suppress(WorkerCancelled, WorkerFailed):
            await worker.wait()
        if self.current_id == conversation_id and self.composer.text == text:
            self.composer.text = ""
            await self.send(text)

    def _start(self, turn: LiveTurn, events) -> None:
        worker = self.run_worker(self.presenter.consume(turn, events), group=f"turn-{turn.conversation_id}",
                                 exit_on_error=False, description="turn")
        self._turn_workers[turn.conversation_id] = worker

    def turn_ended(self, conversation_id: int) -> None:
        """Called by the presenter when a turn (or wait) is over, however it ended."""
        self._turn_workers.pop(conversation_id, None)
        self.conversation_list.reload()
        if conversation_id == self.current_id:
            self._update_context()

    # -- actions -----------------------------------------------------------------------
    async def action_new_conversation(self) -> None:
        await self._show_new_conversation()
        self.composer.focus()

    async def action_cancel_turn(self) -> None:
        conversation_id = self.current_id
        worker = self._turn_workers.get(conversation_id) if conversation_id is not None else None
        if worker is None:
            return
        live = self.presenter.live.get(conversation_id)
        worker.cancel()
        if live is not None and live.waiting:
            for wait in self.store.pending_waits(conversation_id):
                self.store.clear_wait(wait.id)
            await self.chat_pane.clear_wait()
            self.conversation_list.mark_waiting(conversation_id, False)
            self.notify("Stopped waiting for the agent.", markup=False)
        else:
            self.notify("Reply cancelled; the partial text is kept.", markup=False)

    def _latest_image(self) -> str | None:
        if self.current_id is None:
            return None
        image = self.store.latest_image(self.current_id)
        url = image.url if image else self.chat_pane.latest_image_url()
        return url if url and is_safe_url(url) else None  # an inline (data:) image has no link

    def action_copy_image(self) -> None:
        url = self._latest_image()
        if url is None:
            self.notify("No image link in this conversation yet.", markup=False)
        else:
            copy_link(self, url)

    def action_open_image(self) -> None:
        url = self._latest_image()
        if url is None:
            self.notify("No image link in this conversation yet.", markup=False)
        else:
            open_link(self, url)

    @on(ImageCard.CopyRequested)
    def _copy_card(self, event: ImageCard.CopyRequested) -> None:
        copy_link(self, event.url)

    @on(ImageCard.OpenRequested)
    def _open_card(self, event: ImageCard.OpenRequested) -> None:
        open_link(self, event.url)

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        open_link(self, event.href)

    @on(MessageView.Selected)
    async def _message_selected(self, event: MessageView.Selected) -> None:
        if self.current_id is not None and self.current_id in self.presenter.live and \
                event.message_view is self.presenter.live[self.current_id].view:
            return  # the live reply's reasoning is already streaming there
        await self.reasoning_pane.show_message(event.message_view)

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

    def action_toggle_reasoning(self) -> None:
        pane = self.reasoning_pane
        pane.display = not pane.display

    def action_focus_list(self) -> None:
        self.conversation_list.focus()

    def action_focus_chat(self) -> None:
        views = self.chat_pane.message_views()
        (views[-1] if views else self.chat_pane).focus()

    def action_focus_composer(self) -> None:
        self.composer.focus()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, action, label, help_text, _ in KEYS:
            yield SystemCommand(f"{label} ({key})", help_text, lambda a=action: self.run_action(a))

    async def on_unmount(self) -> None:
        self._gc.stop()
        if self.runtime is not None:
            await self.runtime.aclose()


def run_app(settings: Settings, *, demo: bool = False) -> None:
    """Open the store and run the app until the user quits (the runtime is built after its first frame)."""
    from app.core.runtime import make_runtime, open_store

    store = open_store(settings)
    if demo:
        from app.demo import seed_demo

        seed_demo(store)
    AsiChatApp(settings, store, None, runtime_factory=lambda: make_runtime(settings, store), demo=demo).run()
