"""The full-screen app: what is global (settings, the history, the runtime, themes, the
keymap, the palette, notices, quitting). What is on screen, and what acts on it, is the
chat screen's and its areas' (app/ui/screens/chat_screen.py)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Markdown

from app.core.config import Settings, save_setting
from app.core.errors import AsiChatError
from app.core.store.conversations import Conversations
from app.core.store.store import Store
from app.ui.component_styles import ComponentStyleCache
from app.ui.input_activity import InputActivity
from app.ui.keys import APP, KEYS, PALETTE_ONLY, Key, bindings, check_keymap  # noqa: F401 - KEYS, PALETTE_ONLY: this module's API too
from app.ui.late_runtime import LateRuntime
from app.ui.links import open_link
from app.ui.resources import style_files
from app.ui.screens.chat_screen import ChatScreen
from app.ui.textual_tuning.gc import GcTuning

if TYPE_CHECKING:
    from app.core.agents.directory import AgentDirectory
    from app.core.runtime import Runtime


class AsiChatApp(App[None]):
    """asi-chat: chat with ASI:One's agentic models, wait for agents, keep everything."""

    TITLE = "asi-chat"
    CSS_PATH = style_files()
    ESCAPE_TO_MINIMIZE = False
    BINDINGS = bindings(APP)

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
        self.resume_waits = resume_waits
        self.late_runtime = LateRuntime(self, runtime, runtime_factory, runtime_error, self._runtime_ready)
        self.conversations = Conversations(store, busy=self._busy)
        self.input_activity = InputActivity()
        """The user's typing: the panes whose streamed text it paces are handed it."""
        self.gc_tuning = GcTuning()
        self.agent_directory: AgentDirectory | None = None
        """The marketplace and the stored agents (app/ui/areas/agents.py makes it on first use)."""
        self._shown_until: dict[tuple[str, str, str], float] = {}
        self.set_keymap(dict(settings.keymap))

    @property
    def runtime(self) -> Runtime | None:
        return self.late_runtime.runtime

    def _busy(self, conversation_id: int) -> bool:
        runtime = self.late_runtime.runtime
        return runtime is not None and conversation_id in runtime.chat.turns

    def get_default_screen(self) -> Screen:
        return ChatScreen()

    @property
    def chat_screen(self) -> ChatScreen:
        """The main screen (whatever is on top of it)."""
        return next(screen for screen in self.screen_stack if isinstance(screen, ChatScreen))

    def on_mount(self) -> None:
        self.call_after_refresh(self.gc_tuning.start)
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for problem in check_keymap(self.settings.keymap):
            self.notify(problem, title="Keys", severity="warning", markup=False, timeout=10)
        if self.late_runtime.error:
            self.notify(self.late_runtime.error, title="Cannot send yet", severity="warning", markup=False,
                        timeout=10)
        self.call_after_refresh(self.late_runtime.after_first_frame)

    def _runtime_ready(self) -> None:
        """Once there is a runtime: refresh the model list, resume the waits left pending."""
        from app.core.models import refresh_models

        self.chat_screen.runtime_ready(self.late_runtime.runtime)
        self.run_worker(refresh_models(self.settings), name="model list", exit_on_error=False)
        if self.resume_waits:
            self.chat_screen.resume_pending_waits()

    def _remember_theme(self, theme: object) -> None:
        if self.settings.config_file is None:
            return
        try:
            save_setting(self.settings.config_file, "theme", self.theme)
        except (OSError, AsiChatError) as exc:
            self.notify(f"Could not save the theme: {exc}", severity="warning", markup=False)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.key != "enter":
            # While the user types, a reply renders in short steps and lets each key's echo
            # go first (MessageView). Enter sends: the reply should then come at full speed.
            self.input_activity.typed()
            self.call_after_refresh(self._key_reached_widget)
        await super().on_event(event)

    def _key_reached_widget(self) -> None:
        # The focused widget has handled the key by now; the frame after shows it.
        self.call_after_refresh(self.input_activity.echoed)

    # -- what every part of the app asks --------------------------------------------

    def title_of(self, conversation_id: int) -> str:
        try:
            return self.store.get_conversation(conversation_id).title or "untitled"
        except AsiChatError:
            return "deleted conversation"

    def key_of(self, key: Key) -> str:
        """The keys a key id is bound to now (the user's keymap first)."""
        return self.settings.keymap.get(key.id, key.keys)

    def alert(self, text: str) -> None:
        """An agent answered out of sight: tell the terminal when it is not focused (a
        notification where supported, else the bell; `notify = auto|bell|off`)."""
        if not self.app_focus:
            from app.ui.terminal_notify import notify_terminal

            notify_terminal(self, text, self.settings.notify)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """As `App.notify`, unless the same notice is still on screen (a read-only history
        was announced at launch and again at the first message, stacked)."""
        now = time.monotonic()
        key = (title, str(message), severity)
        if self._shown_until.get(key, 0.0) > now:
            return
        self._shown_until[key] = now + (self.NOTIFICATION_TIMEOUT if timeout is None else timeout)
        for old in [k for k, until in self._shown_until.items() if until <= now]:
            del self._shown_until[old]
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def clear_notifications(self) -> None:
        """As `App.clear_notifications`; the cleared notices may be shown again."""
        self._shown_until.clear()
        super().clear_notifications()

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Every link Textual would open (a Markdown's, a Link's) goes through the one opener:
        http(s) only, and not without a graphical browser."""
        open_link(self, url)

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        open_link(self, event.href)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, ChatScreen):
            yield from screen.commands()

    async def on_unmount(self) -> None:
        self.gc_tuning.stop()
        if self.agent_directory is not None:
            await self.agent_directory.aclose()
        runtime = self.late_runtime.runtime
        if runtime is not None:
            await runtime.chat.shutdown()  # each turn stores what it had
            await runtime.aclose()


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
