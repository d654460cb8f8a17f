"""The centre area: the open conversation (its chat pane, message box and context meter),
what it is (its id, the branch shown, the draft, the options a new one will get) and what
acts on it: send, cancel, edit, regenerate, switch branches, fork, wait again, copy, image
keys, model, web search, system prompt, rename, delete.

A running turn shown here is drawn by a `TurnFollower` in a worker of this view, cancelled
whenever the view shows something else.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from app.core.errors import AsiChatError
from app.core.history import context_usage
from app.core.store.records import Message, MessageStatus, Role
from app.core.store.store import title_from_text
from app.core.turn import Turn
from app.ui.areas.drafts import Drafts
from app.ui.areas.turn_follower import TurnFollower
from app.ui.keys import CONVERSATION, bindings
from app.ui.links import copy_link, copy_text, open_link
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.composer import Composer
from app.ui.widgets.context_meter import ContextMeter
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from app.ui.app import AsiChatApp
    from app.ui.widgets.reasoning_pane import ReasoningPane

PAGE = 40  # messages mounted at a time as the user scrolls back
FIRST_PAGE = 12
"""Messages mounted when a conversation opens: a screenful and more, so its newest are on
screen sooner (each message is a few widgets, an image card a dozen: 40 of them took
~0.4 s in a real terminal); older ones load as the user scrolls up (`PAGE` at a time),
or at once when these do not fill the pane."""
GALLERY_LIMIT = 500


class ConversationView(Vertical):
    """The open conversation (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(CONVERSATION)

    app: AsiChatApp

    class Changed(TextualMessage):
        """Another conversation is shown (None: a new one), or the shown one changed."""

        def __init__(self, conversation_id: int | None) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class TurnStarted(TextualMessage):
        """A turn started from here (sent, edited, regenerated, waited for again)."""

        def __init__(self, turn: Turn) -> None:
            super().__init__()
            self.turn = turn

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conversation_id: int | None = None
        """The conversation shown (None: a new one, not stored until its first message)."""
        self.editing: int | None = None
        """The user message being edited: Enter sends the composer's text as a new branch."""
        self.new_model: str | None = None
        self.new_web_search = False
        self.new_system_prompt: str | None = None
        """Options chosen for the new conversation before it exists (applied when it is made)."""
        self.hit_query = ""
        """The search the conversation was opened from: what n / N / F3 look for."""
        self.drafts: Drafts | None = None
        self._follower: TurnFollower | None = None
        self._select_reply = False
        self._changing = asyncio.Lock()
        """Held while what is shown changes (open, new, send): keys handled by the screen and
        by this view run in different message queues, and must not interleave (ctrl+n, then
        text and Enter typed at once)."""

    def compose(self) -> ComposeResult:
        activity = self.app.input_activity
        yield ChatPane(id="chat", activity=activity, welcome=True)
        yield Composer(id="composer")
        yield ContextMeter(id="context")

    def on_mount(self) -> None:
        self.new_model = self.app.settings.model
        self.drafts = Drafts(self.app.conversations, self.composer, self.meter, self.set_timer, self.model)
        self.composer.confirm_send = self.drafts.confirm_send
        self.drafts.restore(None)
        self.refresh_header()

    @property
    def chat_pane(self) -> ChatPane:
        return self.query_one(ChatPane)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def meter(self) -> ContextMeter:
        return self.query_one(ContextMeter)

    @property
    def reasoning_pane(self) -> ReasoningPane:
        return self.screen.right_pane.reasoning_pane

    @property
    def running_turn(self) -> Turn | None:
        """The turn running in the conversation shown, if any."""
        runtime = self.app.late_runtime.runtime
        if runtime is None or self.conversation_id is None:
            return None
        return runtime.chat.turns.get(self.conversation_id)

    @property
    def drawing(self) -> bool:
        """True while a turn is still being drawn here (running, or its end still drawing)."""
        return any(worker.group == "follow" and not worker.is_finished for worker in self.workers)

    def is_live_reply(self, view: MessageView) -> bool:
        """True for the view a running turn is streaming into."""
        return self._follower is not None and view is self._follower.reply

    # -- what is shown -----------------------------------------------------------------

    def model(self) -> str:
        """The model the shown (or new) conversation's turns use."""
        if self.conversation_id is None:
            return self.new_model or self.app.settings.model
        return self.app.store.get_conversation(self.conversation_id).model

    def system_prompt(self) -> str | None:
        """The system prompt the shown (or new) conversation's turns send."""
        if self.conversation_id is None:
            return self.new_system_prompt or self.app.settings.system_prompt
        return self.app.store.get_conversation(self.conversation_id).system_prompt or self.app.settings.system_prompt

    def web_search_on(self) -> bool:
        if self.app.settings.web_search:
            return True
        if self.conversation_id is None:
            return self.new_web_search
        return self.app.store.get_conversation(self.conversation_id).web_search

    def refresh_header(self) -> None:
        """The app's sub-title (title · model · web search · schema · servers off) and the meter."""
        mark = " · 🌐 web search" if self.web_search_on() else ""
        if self.conversation_id is not None:
            with suppress(AsiChatError):
                store = self.app.store
                if (schema := store.response_schema(self.conversation_id)) is not None:
                    mark += f" · {{}} {schema.get('name', 'schema')}"
                if off := sorted(store.servers_off(self.conversation_id)):
                    mark += f" · tools off: {', '.join(off)}"
        if self.conversation_id is None:
            self.app.sub_title = f"new conversation · {self.model()}{mark}"
        else:
            self.app.sub_title = f"{self.app.title_of(self.conversation_id)} · {self.model()}{mark}"
        self.refresh_meter()

    def refresh_meter(self) -> None:
        """The context meter: the history that will be sent (the reply streaming now too),
        and the tokens the conversation's turns used so far."""
        store, conversation_id = self.app.store, self.conversation_id
        messages = store.messages(conversation_id) if conversation_id is not None else []
        used, window = context_usage(messages, self.model(), self.system_prompt())
        spent = 0
        if conversation_id is not None:
            with suppress(AsiChatError):
                spent = store.conversation_usage(conversation_id).total_tokens
        self.meter.update_usage(used, window, spent)

    async def _stop_following(self) -> None:
        self._follower = None
        for worker in [w for w in self.workers if w.group == "follow"]:
            worker.cancel()
            with suppress(Exception):
                await worker.wait()

    async def show_new(self) -> None:
        """A new conversation: the welcome text, the new conversation's draft."""
        async with self._changing:
            await self._show_new()

    async def _show_new(self) -> None:
        # The draft first, before anything is awaited: keys typed meanwhile belong to the new one.
        self._leave()
        self.drafts.restore(None)
        self.conversation_id = None
        await self._stop_following()
        await self.chat_pane.show_welcome()
        await self.reasoning_pane.clear()
        self.screen.right_pane.show_trace([])
        self.refresh_header()
        self.post_message(self.Changed(None))

    async def show(self, conversation_id: int) -> None:
        """Show a stored conversation (its newest page first) and any turn running in it."""
        async with self._changing:
            await self._show(conversation_id)

    async def _show(self, conversation_id: int) -> None:
        self._leave()
        self.drafts.restore(conversation_id)  # (before anything is awaited, as in `_show_new`)
        await self._stop_following()
        store = self.app.store
        self.conversation_id = conversation_id
        live = self.running_turn
        messages = store.messages_page(conversation_id, limit=FIRST_PAGE)
        if live is not None and live.wait is None and live.message_id is not None:
            if messages and messages[-1].id == live.message_id and messages[-1].status == MessageStatus.STREAMING:
                messages = messages[:-1]  # the turn draws its own reply, from its log
            elif messages and messages[-1].id == live.message_id:
                live = None  # stored whole already: the stored message is what to show

        def load_older(before_id: int) -> list:
            return store.messages_page(conversation_id, before_id=before_id, limit=PAGE)

        from app.core.agents.store import AgentStore

        await self.chat_pane.show_conversation(messages, load_older=load_older, marks=store.branch_marks,
                                               agents=AgentStore(store).wait_labels)
        await self.reasoning_pane.clear()
        self._show_newest_trace(messages)
        if live is not None:
            self.attach(live)
        self.refresh_header()
        self.post_message(self.Changed(conversation_id))

    def _show_newest_trace(self, messages: list[Message]) -> None:
        newest = next((m for m in reversed(messages) if m.role == Role.ASSISTANT), None)
        steps = []
        if newest is not None:
            with suppress(AsiChatError):
                steps = self.app.store.trace(newest.id)
        self.screen.right_pane.show_trace(steps)

    def mount_approval(self, card) -> AwaitMount:
        """Put a tool-approval card above the message box, with the keys' focus (y / a / n)."""
        mounted = self.mount(card, before=self.composer)
        self.call_after_refresh(card.focus)
        return mounted

    def _leave(self) -> None:
        """Before showing something else: the draft kept, an edit given up."""
        if self.editing is not None:
            self.cancel_edit(quiet=True)
        self.drafts.save_now()

    def attach(self, turn: Turn, reply: MessageView | None = None) -> TurnFollower:
        """Draw the running `turn` here (replaying what it has so far), in a worker."""
        select, self._select_reply = self._select_reply, False
        right = self.screen.right_pane
        right.show_trace(turn.trace)
        follower = self._follower = TurnFollower(turn, self.chat_pane, self.reasoning_pane, reply, trace=right,
                                                 on_reply=(lambda view: view.focus()) if select else None)

        gc_tuning, key = self.app.gc_tuning, ("drawn", id(follower))

        async def follow() -> None:
            # The collector's high thresholds last while the reply is drawn, which goes on
            # (paced) after its last byte came.
            gc_tuning.turn_started(key, waiting=turn.wait is not None and reply is None)
            try:
                await follower.run()
            finally:
                gc_tuning.turn_ended(key)
            self._turn_drawn(turn)

        self.run_worker(follow(), group="follow", exit_on_error=False, description="turn")
        return follower

    def _turn_drawn(self, turn: Turn) -> None:
        """The turn shown here is over and drawn: its n/m branch marks, the meter."""
        self.refresh_meter()
        with suppress(AsiChatError):  # a new branch's reply now has its n/m
            shown = self.app.store.messages_page(turn.conversation_id, limit=PAGE)
            self.chat_pane.set_branches(self.app.store.branch_marks(shown))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "follow" and event.state == WorkerState.SUCCESS:
            if self._follower is not None and not self._follower.turn.running:
                self._follower = None

    # -- sending -----------------------------------------------------------------------

    @on(Composer.Changed)
    def _typed(self, event: Composer.Changed) -> None:
        if event.text_area is self.composer:
            self.drafts.changed()

    def on_unmount(self) -> None:
        if self.drafts is not None:
            self.drafts.save_now()

    @on(Composer.Submitted)
    async def _submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        await self.send(event.text)

    async def send(self, text: str) -> None:
        """Send `text` here (making the conversation if it is new), or as the new version of
        the message being edited."""
        async with self._changing:
            await self._send(text)

    async def _send(self, text: str) -> None:
        runtime = self.app.late_runtime.ensure()
        if runtime is None:
            self.composer.text = text
            self.notify(self.app.late_runtime.error or "Cannot send.", severity="error", markup=False)
            return
        chat, editing = runtime.chat, self.editing
        try:
            if self.conversation_id is None:
                conversation = self.app.conversations.create(self.model(), title=title_from_text(text))
                self._apply_new_options(conversation.id)
                self.drafts.forget(None)
                self.drafts.conversation_id = conversation.id
                self.conversation_id = conversation.id
                await self.chat_pane.show_conversation([])
            if editing is not None:
                turn = chat.edit(editing, text, model=self.model())
            else:
                turn = chat.start(self.conversation_id, text, model=self.model())
        except AsiChatError as exc:  # a reply still runs here, or the history cannot be written
            self.composer.text = text
            self.notify(str(exc), title="Not sent", severity="warning", markup=False, timeout=8)
            return
        self.drafts.forget(self.conversation_id)
        self._started(turn)
        if editing is not None:
            self.editing = None
            self.composer.remove_class("-editing")
            aside = self.drafts.take_aside()
            await self._show(turn.conversation_id)  # the new branch, with the turn attached
            self.drafts.put_back(aside)
        else:
            await self.chat_pane.add_user_message(text, message_id=turn.prompt_id)
            self.attach(turn, await self.chat_pane.add_reply(turn.model))
            self.refresh_header()
            self.post_message(self.Changed(turn.conversation_id))

    def _started(self, turn: Turn) -> None:
        # To the screen at once: this view is busy drawing the turn's start, and what the
        # screen does for a turn (the collector's settings) should begin with its first bytes.
        self.screen.post_message(self.TurnStarted(turn))

    def _apply_new_options(self, conversation_id: int) -> None:
        conversations = self.app.conversations
        if self.new_web_search:
            conversations.set_web_search(conversation_id, True)
        if self.new_system_prompt:
            conversations.set_system_prompt(conversation_id, self.new_system_prompt)
        self.new_web_search, self.new_system_prompt = False, None

    async def action_cancel_turn(self) -> None:
        """Esc: cancel the running reply, stop the agent wait, or give up an edit."""
        turn = self.running_turn
        if turn is None:
            if self.editing is not None:
                self.cancel_edit()
            return
        chat = self.app.late_runtime.runtime.chat
        if turn.wait is not None:
            await chat.stop_wait(turn.conversation_id)  # the follower shows it stopped
        else:
            await chat.cancel(turn.conversation_id)
        self.refresh_meter()

    # -- a selected message: edit, regenerate, branches, fork --------------------------

    def _message_of(self, view: MessageView | None) -> Message | None:
        if view is None or view.message_id is None:
            return None
        try:
            return self.app.store.get_message(view.message_id)
        except AsiChatError:
            return None

    def _selected(self, *, fallback_role: str | None = None) -> Message | None:
        """The stored message of the selected view (or the newest of `fallback_role`)."""
        focused = self.screen.focused if isinstance(self.screen.focused, MessageView) else None
        views = self.chat_pane.message_views()
        return self._message_of(focused or next((v for v in reversed(views) if fallback_role in (None, v.role)),
                                                None))

    def _refuse(self, text: str) -> None:
        self.notify(text, severity="warning", markup=False, timeout=6)

    @on(ChatPane.MessageAction)
    async def _message_action(self, event: ChatPane.MessageAction) -> None:
        event.stop()
        message = self._message_of(event.view)
        if message is None:
            self._refuse("That message is still being written; try again when it is done.")
            return
        match event.action:
            case "edit":
                self.begin_edit(message)
            case "regenerate":
                await self.regenerate(message)
            case "branch_back" | "branch_next":
                await self.switch_branch(message, -1 if event.action == "branch_back" else 1)

    def begin_edit(self, message: Message) -> None:
        """Put a user message in the composer (the draft set aside); Enter sends it as a new branch."""
        if message.role != Role.USER:
            self._refuse("Only your own messages can be edited: press r to ask again for this reply.")
            return
        if self.running_turn is not None:
            self._refuse("A reply is still running here: wait, or press Esc to cancel it, then edit.")
            return
        if self.editing is None:
            self.drafts.set_aside()
        self.editing = message.id
        self.composer.text = message.content
        self.composer.add_class("-editing")
        self.composer.focus()
        self.composer.move_cursor(self.composer.document.end)
        self.notify("Editing: Enter sends it as a new branch; Esc gives up the edit and brings your draft back.",
                    markup=False)

    def cancel_edit(self, *, quiet: bool = False) -> None:
        """Give up an edit: the draft set aside comes back."""
        self.editing = None
        self.composer.remove_class("-editing")
        self.drafts.bring_back()
        if not quiet:
            self.notify("Edit given up; your draft is back.", markup=False)

    def action_edit_message(self) -> None:
        message = self._selected(fallback_role=Role.USER)
        if message is None:
            self._refuse("Select a message of yours (ctrl+t, then ↑/↓) to edit it.")
        else:
            self.begin_edit(message)

    async def regenerate(self, message: Message) -> None:
        """Ask again for a reply (or for the reply to a user message): a new branch, selected."""
        runtime = self.app.late_runtime.ensure()
        if runtime is None:
            self._refuse(self.app.late_runtime.error or "Cannot send.")
            return
        try:
            turn = runtime.chat.regenerate(message.id, model=self.model())
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        self._started(turn)
        self._select_reply = True  # the new reply, once added, is selected: ← / → work from it
        await self.show(turn.conversation_id)  # attaches the running turn

    async def action_regenerate(self) -> None:
        message = self._selected(fallback_role=Role.ASSISTANT)
        if message is None:
            self._refuse("There is no reply here to ask again for.")
        else:
            await self.regenerate(message)

    async def switch_branch(self, message: Message, step: int) -> None:
        """Show the sibling branch before (-1) or after (1) `message`, keeping it selected."""
        store = self.app.store
        try:
            leaf = self.app.conversations.switch_branch(message, step)
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        if leaf is None:
            if len(store.siblings(message)) < 2:
                self._refuse("This message has no other branch: e edits a question, r asks again for a reply.")
            return
        position = store.siblings(message).index(message.id) + step
        await self.show(message.conversation_id)
        for view in self.chat_pane.message_views():
            if view.branch is not None and view.branch[0] == position + 1 and view.message_id is not None:
                with suppress(AsiChatError):
                    if store.get_message(view.message_id).parent_id == message.parent_id:
                        view.focus()
                        return

    async def action_fork(self) -> None:
        message = self._selected()
        if message is None:
            self._refuse("There is no message to fork from yet.")
            return
        try:
            conversation = self.app.conversations.fork(message)
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        await self.show(conversation.id)
        self.composer.focus()
        self.notify(f"Forked into “{conversation.title}”.", markup=False)

    async def action_resume_wait(self) -> None:
        """F5: wait again (a fresh budget of polls) for this conversation's stopped agent."""
        runtime = self.app.late_runtime.ensure() if self.conversation_id is not None else None
        if runtime is None:
            self._refuse("Open a conversation with a stopped agent wait first.")
            return
        try:
            turn = runtime.chat.restart_wait(self.conversation_id)
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        if turn is None:
            await self.show(self.conversation_id)  # what another asi-chat stored meanwhile
            self._refuse("No agent wait here to start again.")
            return
        for view in self.chat_pane.message_views():
            if view.message_id == turn.ack_id:
                view.status = MessageStatus.AWAITING_AGENT
        self._started(turn)
        await self._stop_following()
        self.attach(turn)

    # -- copying, images, search hits ------------------------------------------------

    def action_copy_message(self) -> None:
        focused = self.screen.focused if isinstance(self.screen.focused, MessageView) else None
        views = self.chat_pane.message_views()
        view = focused or next((v for v in reversed(views) if v.role == Role.ASSISTANT), None)
        if view is None or not view.content:
            self.notify("No message to copy.", markup=False)
            return
        copy_text(self.app, view.content, "message")

    def _latest_image(self) -> str | None:
        from app.core.links import is_safe_url

        if self.conversation_id is None:
            return None
        image = self.app.store.latest_image(self.conversation_id)
        url = image.url if image else self.chat_pane.latest_image_url()
        return url if url and is_safe_url(url) else None  # an inline (data:) image has no link

    def action_copy_image(self) -> None:
        url = self._latest_image()
        if url is None:
            self.notify("No image link in this conversation yet.", markup=False)
        else:
            copy_link(self.app, url)

    def action_open_image(self) -> None:
        url = self._latest_image()
        if url is None:
            self.notify("No image link in this conversation yet.", markup=False)
        else:
            open_link(self.app, url)

    @on(ImageCard.CopyRequested)
    def _copy_card(self, event: ImageCard.CopyRequested) -> None:
        event.stop()
        copy_link(self.app, event.url)

    @on(ImageCard.OpenRequested)
    def _open_card(self, event: ImageCard.OpenRequested) -> None:
        event.stop()
        open_link(self.app, event.url)

    @on(ImageCard.ViewRequested)
    def _view_card(self, event: ImageCard.ViewRequested) -> None:
        event.stop()
        from app.ui.screens.image_viewer import ImageViewer

        self.app.push_screen(ImageViewer(event.card.url, self._prompt_before(event.card)))

    @on(ImageCard.CopyPathRequested)
    def _copy_card_path(self, event: ImageCard.CopyPathRequested) -> None:
        event.stop()
        result = event.card.result
        if result is None:
            self.notify("The inline image is not saved yet (or is not an image).", markup=False)
        else:
            copy_text(self.app, str(result.path), "image file path")

    def _prompt_before(self, card: ImageCard) -> str:
        """The user message just before the reply holding `card` (the image's prompt)."""
        view = next((a for a in card.ancestors if isinstance(a, MessageView)), None)
        views = self.chat_pane.message_views()
        if view not in views:
            return ""
        return next((v.content for v in reversed(views[:views.index(view)]) if v.role == Role.USER), "")

    def open_gallery(self) -> None:
        """Every image in the history, newest first; Enter goes to its message."""
        from app.core.images.files import history_images, source
        from app.ui.screens.image_gallery import ImageGallery

        store = self.app.store
        try:
            entries = [(image, source(store, image)) for image in history_images(store, GALLERY_LIMIT)]
        except AsiChatError as exc:
            self.notify(str(exc), title="History", severity="error", markup=False)
            return

        async def jump(target: tuple[int, int] | None) -> None:
            if target is not None:
                await self.show_message(*target)

        self.app.push_screen(ImageGallery(entries), jump)

    async def show_message(self, conversation_id: int, message_id: int) -> None:
        """Open a conversation at one of its messages (selected)."""
        try:
            await self.show(conversation_id)
        except AsiChatError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        view = await self.chat_pane.reveal(message_id)
        if view is None:
            self.notify("That message is further up: scroll up to it.", markup=False)
        else:
            view.focus()

    async def reveal_hit(self, message_id: int, query: str) -> bool:
        """Show the message a search found (selected); False if it is gone."""
        self.hit_query = query
        return await self.chat_pane.reveal(message_id) is not None

    async def search_hit(self, step: int, list_query: str = "") -> None:
        """Show the next (1) or previous (-1) message here matching the search."""
        from app.core.store.search import message_hits

        query = self.hit_query or list_query
        if not query:
            self.notify("Search first (ctrl+f), then n / N or F3 / shift+F3 step through the hits.", markup=False)
            return
        if self.conversation_id is None:
            return
        try:
            hits = message_hits(self.app.store, query, self.conversation_id)
        except AsiChatError as exc:
            self.notify(str(exc), title="Search", severity="error", markup=False)
            return
        if not hits:
            self.notify(f"No message here matches “{query}”.", markup=False)
            return
        focused = self.screen.focused
        current = focused.message_id if isinstance(focused, MessageView) else None
        if current is None:
            marked = self.chat_pane.query_children(".-search-hit")
            current = marked.first().message_id if marked else None
        if current is None:
            target = hits[-1] if step > 0 else hits[0]  # from nowhere: the newest (n) / oldest (N)
        else:
            later = [mid for mid in hits if (mid > current if step > 0 else mid < current)]
            if later:
                target = later[0] if step > 0 else later[-1]
            else:
                target = hits[0] if step > 0 else hits[-1]
                self.notify("Search wrapped around.", markup=False)
        self.hit_query = query
        await self.chat_pane.reveal(target)

    # -- focus and the composer ------------------------------------------------------

    def toggle_chat_focus(self) -> None:
        """ctrl+t: the newest message selected (again: back to the message box)."""
        focused = self.screen.focused
        if focused is not None and self.chat_pane in focused.ancestors_with_self:
            self.composer.focus()
            return
        views = self.chat_pane.message_views()
        (views[-1] if views else self.chat_pane).focus()

    def address_agent(self, handle: str) -> None:
        """Put `@handle ` into the composer at the cursor (on its own if the composer is empty)."""
        composer = self.composer
        mention = f"@{handle} "
        if not composer.text.strip():
            composer.text = mention
            composer.move_cursor(composer.document.end)
        else:
            row, column = composer.cursor_location
            line = composer.document.get_line(row)
            if column > 0 and not line[column - 1].isspace():
                mention = " " + mention
            composer.insert(mention)
        composer.focus()

    # -- the conversation's settings (dialogs) ---------------------------------------

    def action_switch_model(self) -> None:
        from app.core.models import known_models, valid_name
        from app.ui.screens.model_picker import ModelPickerScreen  # (not needed for the first frame)

        def chosen(model: str | None) -> None:
            if model is None or valid_name(model) is None:
                return
            if self.conversation_id is None:
                self.new_model = model
            else:
                self.app.conversations.set_model(self.conversation_id, model)
                self.post_message(self.Changed(self.conversation_id))
            self.refresh_header()
            self.notify(f"Model: {model}", markup=False)

        self.app.push_screen(ModelPickerScreen(self.model(), known_models(self.app.settings)), chosen)

    def action_edit_system_prompt(self) -> None:
        from app.ui.screens.system_prompt import SystemPromptScreen  # (not needed for the first frame)

        own = (self.new_system_prompt if self.conversation_id is None
               else self.app.store.get_conversation(self.conversation_id).system_prompt)

        def edited(text: str | None) -> None:
            if text is None:
                return
            if self.conversation_id is None:
                self.new_system_prompt = text or None  # applied when the conversation is made
            else:
                self.app.conversations.set_system_prompt(self.conversation_id, text or None)
            self.refresh_meter()
            self.notify("System prompt saved." if text else "System prompt cleared.", markup=False)

        self.app.push_screen(SystemPromptScreen(own, self.app.settings.system_prompt), edited)

    def action_toggle_web_search(self) -> None:
        if self.app.settings.web_search:
            self.notify("Web search is on for every conversation (web_search in the config file).", markup=False)
            return
        enabled = not self.web_search_on()
        if self.conversation_id is None:
            self.new_web_search = enabled  # applied when the conversation is made
        else:
            self.app.conversations.set_web_search(self.conversation_id, enabled)
        self.refresh_header()
        self.notify(f"Web search: {'on' if enabled else 'off'}", markup=False)

    def toggle_server(self, server: str) -> None:
        """Offer an MCP server's tools to this conversation's turns, or not (palette)."""
        if self.conversation_id is None:
            self.notify("Send a first message, then switch tools for this conversation.", markup=False)
            return
        off = server not in self.app.store.servers_off(self.conversation_id)
        self.app.conversations.set_server_off(self.conversation_id, server, off)
        self.refresh_header()
        self.notify(f"Tools of {server}: {'off' if off else 'on'} in this conversation.", markup=False)

    def choose_schema(self) -> None:
        """Ask for structured output in this conversation: a JSON schema file (palette)."""
        if self.conversation_id is None:
            self.notify("Send a first message, then give the conversation a schema.", markup=False)
            return
        from app.ui.screens.schema_file import SchemaFileScreen

        conversation_id = self.conversation_id
        current = self.app.store.response_schema(conversation_id)

        def chosen(schema: dict | None) -> None:
            if schema is None:
                return
            self.app.conversations.set_response_schema(conversation_id, schema or None)
            self.refresh_header()
            self.notify(f"Structured output: {schema['name']}" if schema else "No structured output.", markup=False)

        self.app.push_screen(SchemaFileScreen(current.get("name") if current else None), chosen)

    def action_rename(self) -> None:
        if self.conversation_id is None:
            self.notify("Open a conversation to rename it.", markup=False)
            return
        from app.ui.areas.dialogs import rename_conversation

        conversation_id = self.conversation_id

        def renamed() -> None:
            self.refresh_header()
            self.post_message(self.Changed(conversation_id))

        rename_conversation(self.app, conversation_id, done=renamed)

    def action_delete(self) -> None:
        if self.conversation_id is None:
            self.notify("Open a conversation to delete it.", markup=False)
            return
        from app.ui.areas.dialogs import delete_conversation

        async def deleted() -> None:
            await self.show_new()
            self.composer.focus()

        delete_conversation(self.app, self.conversation_id, done=lambda: self.call_later(deleted))
