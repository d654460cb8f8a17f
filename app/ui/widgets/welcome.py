"""What an empty chat pane shows: how to send, and where the commands are."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

WELCOME_LINES = (
    ("Welcome to asi-chat", "bold"),
    ("", ""),
    ("Type a message and press Enter to send; Ctrl+J adds a newline.", ""),
    ("Ctrl+P lists all commands; F2 switches the model.", ""),
    ("", ""),
)
NO_KEY_YET = "No API key yet? `asi-chat --demo` tries everything on a built-in simulator."
IN_DEMO = ("This is the demo: a built-in simulator answers. Ask for an image of a monkey "
           "on a mountain to see an agent at work.")


class Welcome(Static):
    """A short help text for a new, empty conversation."""

    def __init__(self, *, demo: bool = False, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        lines = (*WELCOME_LINES, (IN_DEMO if demo else NO_KEY_YET, "dim"))
        text = Text("\n").join(Text(line, style=style) for line, style in lines)
        super().__init__(text, name=name, id=id, classes=classes)
