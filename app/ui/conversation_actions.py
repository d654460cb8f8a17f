"""The app's actions that ask first, in a dialog: switch model, rename, delete.

A mixin of `AsiChatApp` (kept apart so app.py stays readable); it changes the history
only through `Conversations` and the chat service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.config import MODELS
from app.core.errors import AsiChatError
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.model_picker import ModelPickerScreen
from app.ui.screens.rename import RenameScreen

if TYPE_CHECKING:
    from app.core.conversations import Conversations
    from app.core.runtime import Runtime


class ConversationActions:
    """`action_switch_model`, `action_rename` and `action_delete` of `AsiChatApp`."""

    # Declared for the type checker: the app provides these.
    conversations: Conversations
    runtime: Runtime | None
    current_id: int | None
    new_model: str

    def action_switch_model(self) -> None:
        def chosen(model: str | None) -> None:
            if model is None or model not in MODELS:
                return
            if self.current_id is None:
                self.new_model = model
            else:
                self.conversations.set_model(self.current_id, model)
                self.conversation_list.reload(select=self.current_id)
            self._update_title()
            self._update_context()
            self.notify(f"Model: {model}", markup=False)

        self.push_screen(ModelPickerScreen(self.current_model()), chosen)

    def action_rename(self) -> None:
        conversation_id = self.current_id
        if conversation_id is None:
            self.notify("Open a conversation to rename it.", markup=False)
            return

        def renamed(title: str | None) -> None:
            if title:
                self.conversations.rename(conversation_id, title)
                self.conversation_list.reload(select=conversation_id)
                self._update_title()

        self.push_screen(RenameScreen(self.title_of(conversation_id)), renamed)

    def action_delete(self) -> None:
        conversation_id = self.current_id
        if conversation_id is None:
            self.notify("Open a conversation to delete it.", markup=False)
            return

        async def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                if self.runtime is not None:  # a running turn settles before the rows go
                    await self.runtime.chat.delete_conversation(conversation_id)
                else:
                    self.conversations.delete(conversation_id)
            except AsiChatError as exc:
                self.notify(str(exc), title="History", severity="error", markup=False, timeout=10)
                return
            self.conversation_list.reload()
            if self.current_id in (conversation_id, None):
                await self._show_new_conversation()
            self.composer.focus()  # where the user can type
            self.notify("Conversation deleted.", markup=False)

        question = f"Delete “{self.title_of(conversation_id)}” and all its messages?"
        self.push_screen(ConfirmScreen(question), confirmed)
