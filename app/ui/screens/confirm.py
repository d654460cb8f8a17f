"""Ask a yes/no question, such as whether to delete a conversation."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """The question and two buttons; dismisses with True to go ahead.

    `y` confirms and `n` or Escape cancels from anywhere; Enter presses the
    focused button. Focus starts on Cancel, so a stray Enter is harmless.
    """

    AUTO_FOCUS = "#cancel"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes", show=False),
        Binding("n,escape", "cancel", "No", show=False),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, question: str, *, confirm_label: str = "Delete", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            question: Shown as plain text (it may quote a title, so never as markup).
            confirm_label: The label of the button that confirms.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.question = question
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, markup=False, classes="question")
            with Horizontal(classes="buttons"):
                yield Button(Content(self.confirm_label), variant="error", id="confirm")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        """Go ahead."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Don't."""
        self.dismiss(False)
