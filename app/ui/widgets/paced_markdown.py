"""`PacedMarkdownStream`: Textual's `MarkdownStream`, rendering in steps paced for a person.

Textual's stream appends whatever arrived as soon as the last append is done. That is
right for a slow model; a fast one outruns the screen, and one append of a whole backlog
blocked the app (frames, keys) for seconds. This stream renders what arrived at most every
`FLUSH_INTERVAL` (tokens only touch a buffer), in steps sized to take about `STEP_SECONDS`
with a frame drawn after each, and, while the user types, in short steps that wait for
each key's echo (`render_pacing`). Used by the chat's replies and the reasoning pane.

Only keys typed after the stream started (the turn's start) count as typing: the keys of
the prompt, typed just before Enter, never slow its reply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress

from textual.widget import MountError
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from app.ui.input_activity import InputActivity
from app.ui.widgets.render_pacing import FLUSH_INTERVAL, SLOW_FRAME, TYPING_INTERVAL, TYPING_MAX_GAP, StepSizer, split

FRAME_WAIT = 0.5
"""At most this long is waited for the frame after a step (the app may be closing)."""


class PacedMarkdownStream(MarkdownStream):
    """A `MarkdownStream` whose appends are paced (see the module docstring).

    `feed()` buffers (cheap, synchronous); `write()` is `MarkdownStream`'s awaitable form.
    `stop()` renders what is still buffered, in steps as while streaming;
    `stop(render_rest=False)` drops it.
    """

    def __init__(self, markdown_widget: Markdown, activity: InputActivity | None = None, *,
                 transform: Callable[[str], str] | None = None) -> None:
        """
        Args:
            markdown_widget: The document to append to.
            activity: The user's typing (None: nobody types, e.g. in widget tests).
            transform: Applied to each fed fragment, in order (e.g. `ParagraphBreaker.feed`).
        """
        super().__init__(markdown_widget)
        self.activity = activity if activity is not None else InputActivity()
        self.started_at = self.activity.now()
        """When the stream (the turn) started: keys typed before it do not count."""
        self._transform = transform
        self._sizer = StepSizer()
        self._last_step = float("-inf")
        self._frame_cost = 0.0  # seconds the frame after the last step took
        self._backlog = False  # the last step left text behind: the next goes after its frame
        self._finishing = False
        self._echo = asyncio.Event()

    # -- the user's typing ------------------------------------------------------------
    @property
    def typing(self) -> bool:
        """The user typed since the stream started, in the last `TYPING_WINDOW` seconds."""
        return self.activity.typing_recently(since=self.started_at)

    def _key_echoed(self) -> None:
        self._echo.set()

    # -- feeding ---------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self.activity.listen(self._key_echoed)
        super().start()

    def feed(self, fragment: str) -> None:
        """Buffer a fragment; the stream's task renders it."""
        if self._stopped:
            raise RuntimeError("Can't write to the stream after it has stopped.")
        if fragment:
            self._pending.append(self._transform(fragment) if self._transform else fragment)
            self._new_markup.set()

    async def write(self, markdown_fragment: str) -> None:
        self.feed(markdown_fragment)
        await asyncio.sleep(0)

    @property
    def pending(self) -> str:
        """What was fed and is not rendered yet (after `transform`)."""
        return "".join(self._pending)

    async def stop(self, *, render_rest: bool = True) -> None:
        """Stop the stream: render what is buffered (in paced steps), or drop it.

        Key echoes are listened to until the rest is rendered: while the user types, each
        step of it waits for one (not forgetting them first, the rest of a long reply
        was drawn a short step every `TYPING_MAX_GAP` seconds)."""
        task, self._task = self._task, None
        self._stopped = True
        try:
            if task is None:
                return
            if render_rest and not task.done():
                self._finishing = True
                self._new_markup.set()
                self._echo.set()
                await task
            else:
                self._pending.clear()
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        finally:
            self.activity.forget(self._key_echoed)

    # -- rendering -------------------------------------------------------------------
    async def _run(self) -> None:
        with suppress(asyncio.CancelledError):
            while True:
                if not self._pending:
                    if self._finishing:
                        return
                    self._new_markup.clear()
                    await self._new_markup.wait()
                    continue
                await self._pace()
                if self._pending:
                    await self._step()

    async def _pace(self) -> None:
        """Wait until the next step is due."""
        if self.typing:
            await self._typing_pause()
        elif not self._backlog and not self._finishing:
            # Batch what arrives: a step each FLUSH_INTERVAL, half as often after a slow frame.
            interval = FLUSH_INTERVAL * (2 if self._frame_cost > SLOW_FRAME else 1)
            if (wait := self._last_step + interval - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
        if self.activity.key_just_typed(since=self.started_at):
            await self._next_frame()  # the key's echo goes first

    async def _typing_pause(self) -> None:
        """While the user types, wait for a key's echo (`TYPING_INTERVAL` after the last
        step at least), or `TYPING_MAX_GAP` at most."""
        deadline = self._last_step + TYPING_MAX_GAP
        while self.typing and (left := deadline - time.perf_counter()) > 0:
            self._echo.clear()
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._echo.wait(), left)
            if self._echo.is_set() and time.perf_counter() - self._last_step >= TYPING_INTERVAL:
                return

    async def _step(self) -> None:
        """Render one step of what is buffered, then let a frame be drawn if more waits."""
        text = "".join(self._pending)
        self._pending.clear()
        fragment, rest = split(text, self._sizer.size(typing=self.typing))
        if rest:
            self._pending.append(rest)
        self._backlog = bool(rest)
        self._last_step = started = time.perf_counter()
        widget = self.markdown_widget
        try:
            await asyncio.shield(widget.append(fragment))
        except MountError:
            if widget.is_attached:
                raise  # else: removed mid-append (another conversation was opened)
        done = time.perf_counter()
        self._sizer.measured(len(fragment), done - started)
        if self._pending:
            await self._next_frame()
            self._frame_cost = time.perf_counter() - done
        else:
            widget.app.call_after_refresh(self._frame_done, done)

    def _frame_done(self, stepped: float) -> None:
        self._frame_cost = time.perf_counter() - stepped

    async def _next_frame(self) -> None:
        """Until the app has drawn a frame (at most `FRAME_WAIT`)."""
        drawn = asyncio.Event()
        try:
            self.markdown_widget.app.call_after_refresh(drawn.set)
        except Exception:  # noqa: BLE001 - no app any more (closing): nothing to wait for
            return
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(drawn.wait(), FRAME_WAIT)
