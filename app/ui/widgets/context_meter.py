"""How much of the model's context window the conversation uses."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

BARS = 10
HIGH = 0.8
"""Above this share of the window the meter gets the `-high` class."""


def short_count(tokens: int) -> str:
    """A token count for humans: 950, 1.2k, 24k."""
    if tokens < 1000:
        return str(tokens)
    if tokens < 10_000:
        return f"{tokens / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    return f"{round(tokens / 1000)}k"


class ContextMeter(Static):
    """One line such as `context 1.2k / 24k ▰▱▱▱▱▱▱▱▱▱ 5%`."""

    def update_usage(self, used: int, window: int) -> None:
        """Show `used` tokens out of a `window`-token context (window 0: count only)."""
        used = max(0, used)
        if window <= 0:
            self.set_class(False, "-high")
            self.update(Text(f"context {short_count(used)}"))
            return
        share = used / window
        # Any usage lights at least one bar, so a short chat does not look empty.
        filled = min(BARS, math.ceil(share * BARS)) if used else 0
        text = Text(f"context {short_count(used)} / {short_count(window)} ")
        text.append("▰" * filled, style="bold")
        text.append("▱" * (BARS - filled))
        text.append(f" {round(share * 100)}%")
        self.set_class(share > HIGH, "-high")
        self.update(text)
