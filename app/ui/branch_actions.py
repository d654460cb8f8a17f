"""The app's actions on a selected message: edit, regenerate, switch branch, fork, and
waiting again for a stopped agent.

A mixin of `AsiChatApp`, kept apart so app.py stays readable. Everything it changes goes
through the chat service (turns) or `Conversations` (branch on screen, forks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.errors import AsiChatError
from app.core.store.records import Message, MessageStatus, Role
from app.ui.widgets.chat_pane import ChatPane
from app.ui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from app.core.runtime import Runtime
    from app.core.store.conversations import Conversations
    from app.core.store.store import Store
    from app.core.turn import Turn
    from app.ui.widgets.composer import Composer


class BranchActions:
    """Edit / regenerate / branch / fork / wait-again actions of `AsiChatApp`."""

    # Declared for the type checker: the app provides these.
    store: Store
    runtime: Runtime | None
    conversations: Conversations
    current_id: int | None
    editing: int | None
    composer: Composer
    chat_pane: ChatPane

    def _selected_message(self, *, fallback_role: str | None = None) -> Message | None:
        """The stored message of the focused view (or the newest of `fallback_role`)."""
        focused = self.focused if isinstance(self.focused, MessageView) else None
        views = self.chat_pane.message_views()
        view = focused or next((v for v in reversed(views) if fallback_role in (None, v.role)), None)
        return self._message_of(view) if view is not None else None

    def _refuse(self, text: str) -> None:
        self.notify(text, severity="warning", markup=False, timeout=6)

    async def on_chat_pane_message_action(self, event: ChatPane.MessageAction) -> None:
        # (A handler by name: `@on` is not collected from a mixin that is not a MessagePump.)
        event.stop()
        message = self._message_of(event.view)
        if message is None:
            self._refuse("That message is still being written; try again when it is done.")
            return
        match event.action:
            case "edit":
                self.begin_edit(message)
            case "regenerate":
                await self.regenerate_message(message)
            case "branch_back" | "branch_next":
                await self.switch_branch(message, -1 if event.action == "branch_back" else 1)

    def _message_of(self, view: MessageView) -> Message | None:
        if view.message_id is None:
            return None
        try:
            return self.store.get_message(view.message_id)
        except AsiChatError:
            return None

    # -- edit ------------------------------------------------------------------------

    def begin_edit(self, message: Message) -> None:
        """Put a user message in the composer; Enter sends it as a new branch from there."""
        if message.role != Role.USER:
            self._refuse("Only your own messages can be edited: press r to ask again for this reply.")
            return
        if self.running_turn(message.conversation_id) is not None:
            self._refuse("A reply is still running here: wait, or press Esc to cancel it, then edit.")
            return
        self.editing = message.id
        self.composer.text = message.content
        self.composer.add_class("-editing")
        self.composer.focus()
        self.composer.move_cursor(self.composer.document.end)
        self.notify("Editing: Enter sends it as a new branch; Esc gives up the edit.", markup=False)

    def cancel_edit(self) -> None:
        """Give up an edit (the composer keeps the text, as a normal message)."""
        self.editing = None
        self.composer.remove_class("-editing")
        self.notify("Edit given up; the text stays in the message box.", markup=False)

    def action_edit_message(self) -> None:
        message = self._selected_message(fallback_role=Role.USER)
        if message is None:
            self._refuse("Select a message of yours (ctrl+t, then ↑/↓) to edit it.")
        else:
            self.begin_edit(message)

    # -- regenerate --------------------------------------------------------------------

    async def regenerate_message(self, message: Message) -> None:
        """Ask again for a reply (or for the reply to a user message): a new branch."""
        if self._ensure_runtime() is None:
            self._refuse(self.runtime_error or "Cannot send.")
            return
        try:
            turn = self.runtime.chat.regenerate(message.id, model=self.current_model())
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        await self._show_new_turn(turn)

    async def action_regenerate(self) -> None:
        message = self._selected_message(fallback_role=Role.ASSISTANT)
        if message is None:
            self._refuse("There is no reply here to ask again for.")
        else:
            await self.regenerate_message(message)

    async def _show_new_turn(self, turn: Turn) -> None:
        self.watch_turn(turn)
        await self.open_conversation(turn.conversation_id)  # attaches the running turn
        if (view := self.presenter.view_of(turn)) is not None:
            view.focus()  # the selection stays on the reply asked for again
        self.conversation_list.reload(select=turn.conversation_id)

    # -- branches ------------------------------------------------------------------------

    async def switch_branch(self, message: Message, step: int) -> None:
        """Show the sibling branch before (-1) or after (1) the selected message."""
        try:
            leaf = self.conversations.switch_branch(message, step)
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        if leaf is None:
            if len(self.store.siblings(message)) < 2:
                self._refuse("This message has no other branch: e edits a question, r asks again for a reply.")
            return
        position = self.store.siblings(message).index(message.id) + step
        await self.open_conversation(message.conversation_id)
        self._focus_branch_point(message.parent_id, position)

    def _focus_branch_point(self, parent_id: int | None, position: int) -> None:
        """Keep the selection on the message whose branch was switched."""
        for view in self.chat_pane.message_views():
            if view.branch is not None and view.branch[0] == position + 1 and view.message_id is not None:
                try:
                    if self.store.get_message(view.message_id).parent_id == parent_id:
                        view.focus()
                        return
                except AsiChatError:
                    return

    async def action_fork(self) -> None:
        message = self._selected_message()
        if message is None:
            self._refuse("There is no message to fork from yet.")
            return
        try:
            conversation = self.conversations.fork(message)
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        self.conversation_list.reload(select=conversation.id)
        await self.open_conversation(conversation.id)
        self.composer.focus()
        self.notify(f"Forked into “{conversation.title}”.", markup=False)

    # -- waits -------------------------------------------------------------------------

    async def action_resume_wait(self) -> None:
        """Wait again (a fresh budget of polls) for this conversation's stopped agent."""
        if self.current_id is None or self._ensure_runtime() is None:
            self._refuse("Open a conversation with a stopped agent wait first.")
            return
        try:
            turn = self.runtime.chat.restart_wait(self.current_id)
        except AsiChatError as exc:
            self._refuse(str(exc))
            return
        if turn is None:
            self._refuse("No agent wait here to start again.")
            return
        self.conversation_list.mark_waiting(turn.conversation_id, True)
        for view in self.chat_pane.message_views():
            if view.message_id == turn.ack_id:
                view.status = MessageStatus.AWAITING_AGENT
        self.watch_turn(turn)
        await self.presenter.attach(turn)
