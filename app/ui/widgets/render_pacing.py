"""How a streaming reply is paced: rendered in steps that leave room for frames and keys.

Tokens only ever touch a buffer; a timer renders what arrived. When a fast model outruns
the screen, the backlog is rendered in steps aimed at a fixed time each, and while the
user types a key's echo goes before any step (the app stamps `last_key_at` on each key).
"""

from __future__ import annotations

import time

from textual.app import App

FLUSH_INTERVAL = 0.05
"""Seconds between renders of streamed text; tokens only ever touch a buffer."""

SLOW_FRAME = 0.02
"""A frame after a step slower than this halves the render rate (to 10 per second): each
frame re-lays out and repaints the whole pane, which costs more as the reply grows, and
the time goes to reading the stream and rendering it instead."""

STEP_SECONDS = 0.04
"""Aim of one rendering step. A fast model outruns the screen: what has arrived is then
rendered in steps of about this long, one per frame, so keys and frames get in between
(one Markdown append of a whole backlog blocked the app for seconds). The frame after
a step lays out what it added, so it takes about as long again."""

TYPING_STEP_SECONDS = 0.012
"""The aim while the user types (a key in the last `TYPING_WINDOW` seconds): the echo
of a key waits for at most the step under way and its frame."""
TYPING_WINDOW = 1.0

TYPING_INTERVAL = 0.2
"""While the user types, a step starts right after a key's echo has been drawn (the next
key is then furthest away), and no sooner than this after the last step ..."""
TYPING_MAX_GAP = 0.5
"""... and no later than this: the reply keeps coming in while the user types."""

KEY_PRIORITY = 0.03
"""Seconds after a key during which no rendering step starts (see `key_waiting`)."""

FIRST_STEP = 4096
"""Characters rendered by the first step; later steps scale with the time steps take."""
STEP_RANGE = (512, 262_144)


def user_typing(app: App) -> bool:
    """A key (other than Enter) reached the app in the last `TYPING_WINDOW` seconds."""
    return time.perf_counter() - getattr(app, "last_key_at", 0.0) < TYPING_WINDOW


def key_waiting(app: App) -> bool:
    """A key came in just now: its echo should not wait for a rendering step.

    The app stamps `last_key_at` when a key reaches it; the focused widget gets the
    key, and the screen draws the change, a few tasks later. A step started in
    between (about a frame long) would delay the echo by that much.
    """
    return time.perf_counter() - getattr(app, "last_key_at", 0.0) < KEY_PRIORITY


def next_step(step: int, seconds: float, *, typing: bool) -> int:
    """The size of the next step, after a full one of `step` characters took `seconds`."""
    aim = TYPING_STEP_SECONDS if typing else STEP_SECONDS
    scale = aim / max(seconds, 0.001)
    low, high = STEP_RANGE
    return int(min(max(step * min(max(scale, 0.5), 4.0), low), high))
