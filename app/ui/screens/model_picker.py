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

from app.core.models import CATALOGUE as MODELS
from app.core.models import ModelInfo, model_info, window_label
from app.ui.screens.model_name import ModelNameScreen

CURRENT_MARK = "●"
OTHER_ID = "\x00other"
"""The id of the "Other…" entry (no model name can hold a NUL)."""


def context_window(tokens: int | None) -> str:
    """A context window as people say it: 32000 → "32K tokens" (None: "unknown window")."""
    return window_label(tokens)


def model_prompt(model: ModelInfo, current: bool) -> Content:
    """Three lines: the name (marked when current), its purpose, latency and window."""
    mark = f"{CURRENT_MARK} " if current else "  "
    if model.source == "server":  # only the server's list names it: nothing more is known
        about = "Offered by the server"
        details = f"  {context_window(None)} (history trimmed to 32K)"
    else:
        about = model.purpose + (" · agentic" if model.agentic and "agentic" not in model.purpose else "")
        details = f"  {model.latency} latency · {context_window(model.context_tokens)}"
    return Content.assemble(mark, (model.name, "bold"), "\n", f"  {about}", "\n", (details, "dim"))


def other_prompt() -> Content:
    """The last entry: type any other model name."""
    return Content.assemble("  ", ("Other…", "bold"), "\n", "  Type any model name the server accepts")


class ModelPickerScreen(ModalScreen[str | None]):
    """The known models (the catalogue, plus the server's list when it was fetched) and
    "Other…" to type any name; the current one marked and highlighted.

    Dismisses with the chosen model's name, or None on Escape.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, current: str, models: list[ModelInfo] | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            current: The name of the model in use now.
            models: The models to offer (default: the catalogue); the current one is
                added when it is not among them.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.current = current
        self.models = list(models if models is not None else MODELS.values())
        if current not in {m.name for m in self.models}:
            self.models.append(model_info(current))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Choose a model"
            options: list[Option | None] = []
            for model in self.models:
                # None draws a rule between the multi-line options.
                options += [Option(model_prompt(model, model.name == self.current), id=model.name), None]
            options.append(Option(other_prompt(), id=OTHER_ID))
            yield OptionList(*options, id="models", markup=False)
            yield Static("Enter to choose · Esc to cancel", classes="hint", markup=False)

    def on_mount(self) -> None:
        options = self.query_one("#models", OptionList)
        options.highlighted = options.get_option_index(self.current)

    @on(OptionList.OptionSelected, "#models")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id != OTHER_ID:
            self.dismiss(event.option_id)
            return

        def typed(name: str | None) -> None:
            if name:
                self.dismiss(name)

        self.app.push_screen(ModelNameScreen(), typed)

    def action_cancel(self) -> None:
        """Close without changing the model."""
        self.dismiss(None)
