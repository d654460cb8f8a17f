"""Edit the open conversation's system prompt."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from app.ui.widgets.composer import Composer

CLEARED = ""
"""What the screen dismisses with when the prompt was cleared (None means cancelled)."""


class SystemPromptScreen(ModalScreen[str | None]):
    """A multi-line box prefilled with the conversation's own system prompt.

    Enter saves, Ctrl+J adds a line, Ctrl+R clears it (back to the configured default),
    Escape cancels. Dismisses with the text, `CLEARED`, or None.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        # Priority: the box has focus, and a cleared prompt cannot be sent with Enter.
        Binding("ctrl+r", "clear_prompt", "Clear", show=False, priority=True),
    ]

    def __init__(self, current: str | None, default: str | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            current: The conversation's own system prompt, if any.
            default: The configured default, named in the hint.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.current = current or ""
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "System prompt"
            yield Composer(self.current, placeholder="How the model should answer in this conversation",
                           id="system-prompt")
            fallback = "the default from the config file" if self.default else "none"
            yield Static(f"Enter to save · Ctrl+J new line · Ctrl+R clear (then: {fallback}) · Esc cancel",
                         classes="hint", markup=False)

    @on(Composer.Submitted, "#system-prompt")
    def _save(self, event: Composer.Submitted) -> None:
        event.stop()
        self.dismiss(event.text.strip())

    def action_clear_prompt(self) -> None:
        """Remove the conversation's own prompt."""
        self.dismiss(CLEARED)

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
