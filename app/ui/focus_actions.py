"""Moving around from the keyboard: the list, the chat and the message box, and the
reasoning pane. A mixin of `AsiChatApp`; ctrl+l and ctrl+t toggle back to the message box,
so every place can be left the way it was reached."""

from __future__ import annotations


class FocusActions:
    """`action_focus_list`, `action_focus_chat`, `action_focus_composer`, `action_toggle_reasoning`."""

    def action_toggle_reasoning(self) -> None:
        self.toggle_reasoning_pane()  # app.ui.layout: beside the chat, or over a narrow one

    def action_focus_list(self) -> None:
        if self.conversation_list.has_focus:
            self.composer.focus()
        else:
            self.conversation_list.focus()

    def action_focus_chat(self) -> None:
        focused = self.focused
        if focused is not None and self.chat_pane in focused.ancestors_with_self:
            self.composer.focus()
            return
        views = self.chat_pane.message_views()
        (views[-1] if views else self.chat_pane).focus()

    def action_focus_composer(self) -> None:
        self.composer.focus()
