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
    """One line such as `context 1.2k / 24k ▰▱▱▱▱▱▱▱▱▱ 5%`; with a draft in the composer,
    `context 1.2k + draft 40k / 24k ▰▰▰▰▰▰▰▰▰▰ 172%` (class `-over` when it cannot fit)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._used, self._window, self._draft, self._spent = 0, 0, 0, 0

    def update_usage(self, used: int, window: int, spent: int = 0) -> None:
        """Show `used` tokens out of a `window`-token context (window 0: count only), and the
        `spent` tokens the conversation's turns used so far (as the server counted them)."""
        self._used, self._window, self._spent = max(0, used), window, max(0, spent)
        self._render_usage()

    def update_draft(self, tokens: int) -> None:
        """Add the estimate of the text being written (0: none)."""
        self._draft = max(0, tokens)
        self._render_usage()

    def _spent_text(self) -> str:
        return f" · {short_count(self._spent)} tokens used" if self._spent else ""

    def _render_usage(self) -> None:
        used, window, draft = self._used, self._window, self._draft
        counted = f"{short_count(used)} + draft {short_count(draft)}" if draft else short_count(used)
        if window <= 0:
            self.set_class(False, "-high")
            self.set_class(False, "-over")
            self.update(Text(f"context {counted}{self._spent_text()}"))
            return
        total = used + draft
        share = total / window
        # Any usage lights at least one bar, so a short chat does not look empty.
        filled = min(BARS, math.ceil(share * BARS)) if total else 0
        text = Text(f"context {counted} / {short_count(window)} ")
        text.append("▰" * filled, style="bold")
        text.append("▱" * (BARS - filled))
        text.append(f" {round(share * 100)}%")
        if draft and draft > window:
            text.append("  too long to send", style="bold")
        text.append(self._spent_text(), style="dim")
        self.set_class(share > HIGH, "-high")
        self.set_class(draft > window, "-over")
        self.update(text)
