"""The message box's draft: kept in the history as typed (debounced), one per conversation,
restored when the conversation opens (after quitting or a crash too); set aside while an
old question is edited; measured for the context meter; and a warning before sending what
cannot fit the model's window (Enter again sends it anyway)."""

from __future__ import annotations

from collections.abc import Callable

from app.core.errors import AsiChatError
from app.core.history import context_window, estimate_tokens
from app.core.store.conversations import Conversations
from app.ui.widgets.composer import Composer
from app.ui.widgets.context_meter import ContextMeter, short_count

DEBOUNCE = 0.3
"""Seconds after the last keystroke before the draft is measured and stored: a 1 MB paste
costs one pass, not one per key."""


class Drafts:
    """The draft of the conversation shown in one composer (see the module docstring)."""

    def __init__(self, conversations: Conversations, composer: Composer, meter: ContextMeter,
                 set_timer: Callable, model: Callable[[], str] | None = None) -> None:
        self.conversations = conversations
        self.store = conversations.store
        self.composer = composer
        self.meter = meter
        self._set_timer = set_timer
        self.model = model
        self.conversation_id: int | None = None
        self._timer = None
        self._aside: str | None = None
        """The draft set aside while an old question is edited."""
        self._edits = 0
        self._warned_at: int | None = None
        self._restoring = False

    def changed(self) -> None:
        """The composer's text changed: measure and store it once typing pauses."""
        if self._restoring:
            return
        self._edits += 1
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._set_timer(DEBOUNCE, self._settle)

    def _settle(self) -> None:
        self._timer = None
        text = self.composer.text
        self.meter.update_draft(estimate_tokens(text) if text.strip() else 0)
        if self._aside is None:  # (an old question being edited is not a draft)
            self._save(text)

    def _save(self, text: str) -> None:
        try:
            self.conversations.save_draft(self.conversation_id, text)
        except AsiChatError:
            pass  # a read-only history: the text stays in the box, said once by the app

    def save_now(self) -> None:
        """Store what is typed now (leaving the conversation, or the app closing)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            if self._aside is None:
                self._save(self.composer.text)

    def restore(self, conversation_id: int | None) -> None:
        """Show the draft kept for `conversation_id` (None: a new conversation)."""
        self.save_now()
        self.conversation_id, self._aside = conversation_id, None
        try:
            text = self.store.draft(conversation_id)
        except AsiChatError:
            text = ""
        if text != self.composer.text:
            self._restoring = True
            try:
                self.composer.text = text
                self.composer.move_cursor(self.composer.document.end)
            finally:
                self._restoring = False
        self.meter.update_draft(estimate_tokens(text) if text.strip() else 0)

    def forget(self, conversation_id: int | None) -> None:
        """The draft was sent."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        try:
            self.conversations.save_draft(conversation_id, "")
        except AsiChatError:
            pass
        self.meter.update_draft(0)

    def set_aside(self) -> None:
        """An old question goes into the box: keep the draft to bring back."""
        self.save_now()
        self._aside = self.composer.text

    def take_aside(self) -> str | None:
        """The draft set aside (the edit is being sent), no longer kept here."""
        text, self._aside = self._aside, None
        return text

    def put_back(self, text: str | None) -> None:
        """After the edit was sent and the new branch shown: the draft set aside, back."""
        if text:
            self.composer.text = text
            self.composer.move_cursor(self.composer.document.end)
            self._save(text)

    def bring_back(self) -> None:
        """The edit is over (given up or sent): the draft set aside comes back."""
        if self._aside is None:
            return
        text, self._aside = self._aside, None
        self.composer.text = text
        self.composer.move_cursor(self.composer.document.end)

    def confirm_send(self, text: str) -> bool:
        """True to send `text` now; False (with a notice) the first time it cannot fit the window."""
        model = self.model() if self.model is not None else ""
        tokens, window = estimate_tokens(text), context_window(model)
        if tokens <= window or self._warned_at == self._edits:
            self._warned_at = None
            return True
        self._warned_at = self._edits
        self.composer.notify(
            f"This message is about {short_count(tokens)} tokens, more than {model}'s whole "
            f"{short_count(window)}-token context: the server will likely refuse it. "
            "Shorten it, or press Enter again to send it anyway.",
            title="Too long to fit", severity="warning", markup=False, timeout=12)
        return False
