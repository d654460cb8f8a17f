"""Ask for a conversation's new title."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class RenameScreen(ModalScreen[str | None]):
    """A title input, prefilled with the current title and selected so typing replaces it.

    Dismisses with the new title (stripped), or None when it is empty, unchanged,
    or Escape was pressed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, current_title: str | None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            current_title: The title to start from (None for an untitled conversation).
        """
        super().__init__(name=name, id=id, classes=classes)
        self.current_title = current_title or ""
        # A title made from the first message ends in "…" where it was cut: that mark is
        # not part of the title, so it is not offered (nor saved) as such.
        self.prefill = self.current_title.removesuffix("…").rstrip()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Rename conversation"
            # Input shows its value literally, so a title holding markup is safe here.
            yield Input(self.prefill, placeholder="Title", id="title")
            yield Static("Enter to save · Esc to cancel", classes="hint", markup=False)

    @on(Input.Submitted, "#title")
    def _save(self, event: Input.Submitted) -> None:
        event.stop()
        title = event.value.strip()
        self.dismiss(title if title and title != self.current_title.strip() else None)

    def action_cancel(self) -> None:
        """Close without renaming."""
        self.dismiss(None)
