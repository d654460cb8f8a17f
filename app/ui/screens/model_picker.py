"""Choose which ASI:One model a conversation continues with."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.core.models import CATALOGUE as MODELS, ModelInfo, window_label

CURRENT_MARK = "●"


def context_window(tokens: int | None) -> str:
    """A context window as people say it: 32000 → "32K tokens" (None: "unknown window")."""
    return window_label(tokens)


def model_prompt(model: ModelInfo, current: bool) -> Content:
    """Three lines: the name (marked when current), its purpose, latency and window."""
    mark = f"{CURRENT_MARK} " if current else "  "
    return Content.assemble(
        mark, (model.name, "bold"), "\n",
        f"  {model.purpose}", "\n",
        (f"  {model.latency or 'unknown'} latency · {context_window(model.context_tokens)}", "dim"),
    )


class ModelPickerScreen(ModalScreen[str | None]):
    """Every model in `MODELS`, the current one marked and highlighted.

    Dismisses with the chosen model's name, or None on Escape.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, current: str, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """
        Args:
            current: The name of the model in use now.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Choose a model"
            options: list[Option | None] = []
            for name, model in MODELS.items():
                # None draws a rule between the three-line options.
                options += [Option(model_prompt(model, name == self.current), id=name), None]
            yield OptionList(*options[:-1], id="models", markup=False)
            yield Static("Enter to choose · Esc to cancel", classes="hint", markup=False)

    def on_mount(self) -> None:
        if self.current in MODELS:
            options = self.query_one("#models", OptionList)
            options.highlighted = options.get_option_index(self.current)

    @on(OptionList.OptionSelected, "#models")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)

    def action_cancel(self) -> None:
        """Close without changing the model."""
        self.dismiss(None)
