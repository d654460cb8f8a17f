"""The app's actions that ask first, in a dialog: switch model, rename, delete.

A mixin of `AsiChatApp` (kept apart so app.py stays readable); it uses the app's store,
panes and `current_id`.
"""

from __future__ import annotations

from app.core.config import MODELS


class ConversationActions:
    """`action_switch_model`, `action_rename` and `action_delete` of `AsiChatApp`."""

    def action_switch_model(self) -> None:
        def chosen(model: str | None) -> None:
            if model is None or model not in MODELS:
                return
            if self.current_id is None:
                self.new_model = model
            else:
                self.store.set_conversation_model(self.current_id, model)
                self.conversation_list.reload(select=self.current_id)
            self._update_title()
            self._update_context()
            self.notify(f"Model: {model}", markup=False)

        from app.ui.screens.model_picker import ModelPickerScreen  # (not needed for the first frame)

        self.push_screen(ModelPickerScreen(self.current_model()), chosen)

    def action_rename(self) -> None:
        conversation_id = self.current_id
        if conversation_id is None:
            self.notify("Open a conversation to rename it.", markup=False)
            return

        def renamed(title: str | None) -> None:
            if title:
                self.store.rename_conversation(conversation_id, title)
                self.conversation_list.reload(select=conversation_id)
                self._update_title()

        from app.ui.screens.rename import RenameScreen

        self.push_screen(RenameScreen(self.title_of(conversation_id)), renamed)

    def action_delete(self) -> None:
        conversation_id = self.current_id
        if conversation_id is None:
            self.notify("Open a conversation to delete it.", markup=False)
            return

        async def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            worker = self._turn_workers.get(conversation_id)
            if worker is not None:
                worker.cancel()
            self.store.delete_conversation(conversation_id)
            self.conversation_list.reload()
            await self._show_new_conversation()
            self.notify("Conversation deleted.", markup=False)

        question = f"Delete “{self.title_of(conversation_id)}” and all its messages?"
        from app.ui.screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(question), confirmed)
