"""Ask for a structured-output schema file for the open conversation (palette)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from app.core.tools.schema import read_schema


class SchemaFileScreen(ModalScreen[dict | None]):
    """An input for a JSON schema file. Dismisses with the schema read from it (`{"name",
    "schema"}`), `{}` when the box is left empty (no schema any more), or None on Escape; a
    file that cannot be read is one line and the text stays for editing."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Structured output"
            yield Input(placeholder="A JSON schema file, e.g. ~/city.json", id="schema-file")
            now = f"Now: {self.current}" if self.current else "Now: none"
            yield Static(f"{now} · Enter to use · empty: none · Esc to cancel", classes="hint",
                         id="schema-file-hint", markup=False)

    @on(Input.Submitted, "#schema-file")
    def _use(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.dismiss({})
            return
        try:
            self.dismiss(read_schema(Path(event.value.strip())))
        except ValueError as exc:
            self.query_one("#schema-file-hint", Static).update(f"{exc} · Esc to cancel")

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
