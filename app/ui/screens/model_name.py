"""Type any model name (the model picker's "Other…" entry)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from app.core.models import valid_name


class ModelNameScreen(ModalScreen[str | None]):
    """An input for a model name the catalogue does not list.

    Dismisses with the name, or None on Escape; a name with spaces or control
    characters is refused with a one-line hint and the text is kept for editing.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Another model"
            yield Input(placeholder="Model name, e.g. asi1-graph", id="model-name")
            yield Static("Any name the server accepts · Enter to use · Esc to cancel",
                         classes="hint", id="model-name-hint", markup=False)

    @on(Input.Submitted, "#model-name")
    def _use(self, event: Input.Submitted) -> None:
        event.stop()
        name = valid_name(event.value)
        if name is None:
            self.query_one("#model-name-hint", Static).update(
                "A model name is one word without spaces · Esc to cancel")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
