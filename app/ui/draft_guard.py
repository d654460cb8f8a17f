"""The composer's draft in the context meter, and a warning before sending what cannot fit.

A mixin of `AsiChatApp`. The estimate is debounced (`DRAFT_DEBOUNCE` after the last
change) and costs one pass over the text, so a 1 MB paste does not slow typing. A draft
larger than the model's whole window is not sent on the first Enter: a notice says so,
and Enter again (the text unchanged) sends it anyway.
"""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import TextArea

from app.core.history import context_window, estimate_tokens
from app.ui.widgets.context_meter import ContextMeter, short_count

DRAFT_DEBOUNCE = 0.3
"""Seconds after the last keystroke before the draft is measured."""


class DraftGuard:
    """`on_text_area_changed` (the composer's) and `confirm_draft` of `AsiChatApp`."""

    _draft_timer: Timer | None = None
    _draft_edits = 0
    """Edits of the composer so far: a warning is for one unchanged draft."""
    _warned_at: int | None = None

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id != "composer":
            return
        self._draft_edits += 1
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self._measure_draft)  # type: ignore[attr-defined]

    def _measure_draft(self) -> None:
        self._draft_timer = None
        try:
            text = self.composer.text  # type: ignore[attr-defined]
            meter = self.query_one(ContextMeter)  # type: ignore[attr-defined]
        except NoMatches:  # closing, or a modal screen on top: the next edit measures it
            return
        meter.update_draft(estimate_tokens(text) if text.strip() else 0)

    def confirm_draft(self, text: str) -> bool:
        """True to send `text` now; False (with a notice) the first time it cannot fit the window."""
        tokens, model = estimate_tokens(text), self.current_model()  # type: ignore[attr-defined]
        window = context_window(model)
        if tokens <= window or self._warned_at == self._draft_edits:
            self._warned_at = None
            return True
        self._warned_at = self._draft_edits
        self.notify(  # type: ignore[attr-defined]
            f"This message is about {short_count(tokens)} tokens, more than {model}'s whole "
            f"{short_count(window)}-token context: the server will likely refuse it. "
            "Shorten it, or press Enter again to send it anyway.",
            title="Too long to fit", severity="warning", markup=False, timeout=12)
        return False
