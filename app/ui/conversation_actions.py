"""The app's actions that ask first, in a dialog: switch model, rename, delete.

A mixin of `AsiChatApp` (kept apart so app.py stays readable); it changes the history
only through `Conversations` and the chat service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.errors import AsiChatError
from app.core.models import known_models, valid_name

if TYPE_CHECKING:
    from app.core.runtime import Runtime
    from app.core.store.conversations import Conversations


class ConversationActions:
    """`action_switch_model`, `action_rename` and `action_delete` of `AsiChatApp`."""

    # Declared for the type checker: the app provides these.
    conversations: Conversations
    runtime: Runtime | None
    current_id: int | None
    new_model: str

    def action_switch_model(self) -> None:
        def chosen(model: str | None) -> None:
            if model is None or valid_name(model) is None:
                return
            if self.current_id is None:
                self.new_model = model
            else:
                self.conversations.set_model(self.current_id, model)
                self.conversation_list.reload(select=self.current_id)
            self._update_title()
            self._update_context()
            self.notify(f"Model: {model}", markup=False)

        from app.ui.screens.model_picker import ModelPickerScreen  # (not needed for the first frame)

        self.push_screen(ModelPickerScreen(self.current_model(), known_models(self.settings)), chosen)

    def system_prompt_now(self) -> str | None:
        """The system prompt the open (or next new) conversation's turns send."""
        if self.current_id is None:
            return getattr(self, "new_system_prompt", None) or self.settings.system_prompt
        return self.store.get_conversation(self.current_id).system_prompt or self.settings.system_prompt

    def apply_new_options(self, conversation_id: int) -> None:
        """Give a just-created conversation the options chosen before it existed."""
        if getattr(self, "new_web_search", False):
            self.conversations.set_web_search(conversation_id, True)
        if getattr(self, "new_system_prompt", None):
            self.conversations.set_system_prompt(conversation_id, self.new_system_prompt)
        self.new_web_search, self.new_system_prompt = False, None

    def action_edit_system_prompt(self) -> None:
        own = (getattr(self, "new_system_prompt", None) if self.current_id is None
               else self.store.get_conversation(self.current_id).system_prompt)

        def edited(text: str | None) -> None:
            if text is None:
                return
            if self.current_id is None:
                self.new_system_prompt = text or None  # applied when the conversation is created
            else:
                self.conversations.set_system_prompt(self.current_id, text or None)
            self._update_context()
            self.notify("System prompt saved." if text else "System prompt cleared.", markup=False)

        from app.ui.screens.system_prompt import SystemPromptScreen  # (not needed for the first frame)

        self.push_screen(SystemPromptScreen(own, self.settings.system_prompt), edited)

    def web_search_on(self) -> bool:
        """True when the open (or next new) conversation's turns ask for web search."""
        if self.settings.web_search:
            return True
        if self.current_id is None:
            return getattr(self, "new_web_search", False)
        return self.store.get_conversation(self.current_id).web_search

    def web_search_mark(self) -> str:
        """What the sub-title adds after the model name."""
        return " · 🌐 web search" if self.web_search_on() else ""

    def action_toggle_web_search(self) -> None:
        if self.settings.web_search:
            self.notify("Web search is on for every conversation (web_search in the config file).",
                        markup=False)
            return
        enabled = not self.web_search_on()
        if self.current_id is None:
            self.new_web_search = enabled  # applied when the conversation is created
        else:
            self.conversations.set_web_search(self.current_id, enabled)
        self._update_title()
        self.notify(f"Web search: {'on' if enabled else 'off'}", markup=False)

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
        from app.ui.screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(question), confirmed)
