"""The garbage collector's settings for the app (see `GcTuning`)."""

from __future__ import annotations

import gc
from typing import ClassVar

GC_THRESHOLDS = (20_000, 20, 20)
"""The collector's thresholds while a turn's reply comes in (see `GcTuning`). Python's default
(700, 10, 10) ran ~1,400 collections while a 20,000-token reply streamed in, 1.4-1.7 s of
it, and full collections of a heap of widgets paused the app for up to 280 ms each."""


class GcTuning:
    """The collector's settings: start-up objects frozen, high thresholds while turns run.

    Only from a turn's start to its end (`turn_started` .. `turn_ended`, called by the
    app where a turn starts and ends) are the thresholds `GC_THRESHOLDS`. At other times
    they are Python's: the widgets of a closed conversation are cyclic garbage, and with
    the high thresholds kept for the whole run, those of dozens of conversations piled up
    before a full collection ran (50 large conversations opened: 217 MB resident instead
    of about 90). A resumed agent wait (nothing streams in) keeps Python's thresholds.

    Only the first app of a process freezes: a later one (tests, benchmarks) would
    freeze the garbage its predecessor left, and it would never be collected.
    """

    _froze_once = False
    _turns: ClassVar[set[tuple[int, object]]] = set()
    """The turns running now, in any app of the process (the thresholds are process-wide)."""
    _saved: ClassVar[tuple[int, int, int] | None] = None
    """The thresholds to restore when the last turn ends."""

    def __init__(self) -> None:
        self._frozen = False

    def start(self) -> None:
        """The app's first frame is out: freeze what start-up made (the first app of a
        process only), and collect again: `asi-chat` pauses the collector for its launch,
        as the imports and the first compose make ~80,000 tracked objects that live on and
        the collector walked them over and over (~50 ms of a 0.4 s launch)."""
        if not GcTuning._froze_once:
            GcTuning._froze_once = self._frozen = True
            gc.freeze()
        gc.enable()

    def stop(self) -> None:
        """The app stops: its turns are over, and what start-up froze is collectable again."""
        for turn in [turn for turn in GcTuning._turns if turn[0] == id(self)]:
            self.turn_ended(turn[1])
        if self._frozen:
            self._frozen = False
            gc.unfreeze()

    def turn_started(self, key: object, *, waiting: bool = False) -> None:
        """A turn (`key`: its conversation) starts: high thresholds until `turn_ended(key)`.

        `waiting`: the turn only waits on an agent (resumed): nothing streams in.
        """
        if waiting:
            return
        if not GcTuning._turns:
            GcTuning._saved = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
        GcTuning._turns.add((id(self), key))

    def turn_ended(self, key: object) -> None:
        """The turn `key` is over (again, or never started, is fine); the last one restores
        the thresholds."""
        GcTuning._turns.discard((id(self), key))
        if not GcTuning._turns and GcTuning._saved is not None:
            gc.set_threshold(*GcTuning._saved)
            GcTuning._saved = None

    @classmethod
    def streaming(cls) -> bool:
        """True while any turn runs (the thresholds are high)."""
        return bool(cls._turns)
