"""`InputActivity`: when the user last typed, as the pacing of streamed text needs to know it.

The app owns one and stamps it on every key (other than Enter); the widgets that stream
text are handed it. Only keys typed after a turn started count for that turn: the keys of
the prompt itself, typed just before Enter, never slow its reply down.
"""

from __future__ import annotations

import time
from collections.abc import Callable

TYPING_WINDOW = 1.0
"""Seconds after a key during which the user counts as typing."""

KEY_PRIORITY = 0.03
"""Seconds after a key during which its echo should not wait for a rendering step: the
focused widget gets the key, and the screen draws the change, a few tasks later."""


class InputActivity:
    """The user's typing: `typed()` on each key, `echoed()` once it is on screen."""

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.last_key_at = float("-inf")
        """When the last key (other than Enter) reached the app, on `clock`."""
        self._echo_listeners: list[Callable[[], object]] = []

    def now(self) -> float:
        """The current time on this object's clock (what `since` arguments are on)."""
        return self._clock()

    def typed(self) -> None:
        """A key (other than Enter) reached the app now."""
        self.last_key_at = self._clock()

    def typing_recently(self, since: float = float("-inf")) -> bool:
        """A key typed after `since` reached the app in the last `TYPING_WINDOW` seconds."""
        return self.last_key_at > since and self._clock() - self.last_key_at < TYPING_WINDOW

    def key_just_typed(self, since: float = float("-inf")) -> bool:
        """A key typed after `since` came in just now (see `KEY_PRIORITY`)."""
        return self.last_key_at > since and self._clock() - self.last_key_at < KEY_PRIORITY

    def echoed(self) -> None:
        """The last typed key is on screen: tell the listeners (a step may start now)."""
        for listener in list(self._echo_listeners):
            listener()

    def listen(self, listener: Callable[[], object]) -> None:
        """Call `listener()` whenever a typed key is on screen, until `forget(listener)`."""
        if listener not in self._echo_listeners:
            self._echo_listeners.append(listener)

    def forget(self, listener: Callable[[], object]) -> None:
        """Stop calling `listener` (again is fine)."""
        if listener in self._echo_listeners:
            self._echo_listeners.remove(listener)
