"""How a streaming reply is paced: rendered in steps that leave room for frames and keys.

Tokens only ever touch a buffer; a timer renders what arrived. When a fast model outruns
the screen, the backlog is rendered in steps aimed at a fixed time each, and while the
user types a key's echo goes before any step (`InputActivity` says when the user typed).
`PacedMarkdownStream` applies these; only keys typed after a turn started count for it.
"""

from __future__ import annotations

FLUSH_INTERVAL = 0.05
"""Seconds between renders of streamed text; tokens only ever touch a buffer."""

SLOW_FRAME = 0.02
"""A frame after a step slower than this halves the render rate (to 10 per second): each
frame re-lays out and repaints the whole pane, which costs more as the reply grows, and
the time goes to reading the stream and rendering it instead."""

STEP_SECONDS = 0.5
"""Aim of one rendering step. A fast model outruns the screen: what has arrived is then
rendered in steps of about this long, one per frame, so keys and frames get in between
(one Markdown append of a whole backlog blocked the app for seconds). Each step and the
frame after it pay a fixed cost (the layout of the whole pane, ~40 ms with a 20,000-token
reply) whatever they add, so short steps make the whole reply take longer: at 0.08 s a
20,000-token backlog took 4.5-5 s to draw, at 0.25 s 2.1 s, at 0.4 s 2.0 s, at 0.5 s
1.9 s (real terminal, medians of 8 runs alternating; key echo p95 the same, 33-35 ms).
While the reply still arrives the steps come out shorter (reading the stream shares the
time). Nobody waits on the longer steps but for the first key typed during one: a key
makes the next step a short one (`TYPING_STEP_SECONDS`), and a model streaming at a
person's reading pace never builds a backlog."""

TYPING_STEP_SECONDS = 0.012
"""The aim while the user types (a key in the last `TYPING_WINDOW` seconds, see
`app.ui.input_activity`): the echo of a key waits for at most the step under way and its frame."""

TYPING_INTERVAL = 1.0
"""While the user types, a step starts right after a key's echo has been drawn (the next
key is then furthest away), and no sooner than this after the last step ... Each step
delays about one key by its layout (30-70 ms with a long reply on screen): at one step
per 0.2 s that was one key in four or five (echo p95 80 ms), at one per second one in
twelve or more (p95 34-46 ms)."""
TYPING_MAX_GAP = 1.5
"""... and no later than this: the reply keeps coming in while the user types."""

FIRST_STEP = 4096
"""Characters rendered by the first step, before `StepSizer` has measured a step."""
STEP_RANGE = (512, 262_144)
MIN_SAMPLE = 1024
"""Steps shorter than this are not measured: their fixed costs would hide the rate."""


class StepSizer:
    """How many characters the next step renders: the rate of the last steps times the aim
    (`STEP_SECONDS`, or `TYPING_STEP_SECONDS` while the user types)."""

    def __init__(self) -> None:
        self.rate: float | None = None
        """Characters rendered per second, averaged over the last measured steps."""

    def size(self, *, typing: bool) -> int:
        """Characters for the next step (a caller takes a little more rather than leave a
        scrap for a step of its own: see `split`)."""
        if self.rate is None:
            return FIRST_STEP // 4 if typing else FIRST_STEP
        low, high = STEP_RANGE
        return int(min(max(self.rate * (TYPING_STEP_SECONDS if typing else STEP_SECONDS), low), high))

    def measured(self, chars: int, seconds: float) -> None:
        """A step rendered `chars` characters in `seconds`."""
        rate = chars / max(seconds, 0.001)
        if chars >= MIN_SAMPLE:
            # A faster step counts at once: each step pays a fixed cost, so a small one
            # looks slower than a big one would be, and averaging up from the first
            # (cold) step took five steps to reach the aim. A slower one counts half.
            self.rate = rate if self.rate is None or rate > self.rate else (self.rate + rate) / 2
        elif self.rate is not None and rate > self.rate:
            # Fixed costs only make a short step look slower, never faster: a faster one
            # counts. (Else one slow first step, the app busy mounting, left every later
            # step at the smallest size, too small to be measured: 3× slower.)
            self.rate = (self.rate + rate) / 2


def split(text: str, size: int) -> tuple[str, str]:
    """`text` cut after `size` characters into (this step, the rest); a rest under a
    quarter of the step joins it (its own step would cost a step's fixed cost, and a
    frame, for little)."""
    if len(text) - size < size // 4:
        return text, ""
    return text[:size], text[size:]
