"""Each notice once at a time: the same toast is not stacked again while it is still shown.

Why: a read-only history was announced twice. At launch the app tries its one write of
housekeeping (marking replies a killed process left "streaming" as interrupted), which
fails on a read-only file and is announced; the user's first message then failed the same
way and stacked an identical toast under the first. Any repeated failure did the same.
"""

from __future__ import annotations

import time

from textual.notifications import SeverityLevel


class OnceNotices:
    """App mixin: `notify` skips a notice identical (title, text, severity) to one still on screen."""

    _shown_until: dict[tuple[str, str, str], float]

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """As `App.notify`, unless the same notice is still displayed."""
        shown = self.__dict__.setdefault("_shown_until", {})
        now = time.monotonic()
        key = (title, str(message), severity)
        if shown.get(key, 0.0) > now:
            return
        lasts = self.NOTIFICATION_TIMEOUT if timeout is None else timeout  # type: ignore[attr-defined]
        shown[key] = now + lasts
        for old in [k for k, until in shown.items() if until <= now]:
            del shown[old]
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)  # type: ignore[misc]

    def clear_notifications(self) -> None:
        """As `App.clear_notifications`; the cleared notices may be shown again."""
        self.__dict__.get("_shown_until", {}).clear()
        super().clear_notifications()  # type: ignore[misc]
