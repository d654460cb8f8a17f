"""How image previews are drawn, and the fetching service the preview widgets share.

textual-image draws with the kitty graphics protocol or sixel where the terminal supports
them, else with coloured half-cell blocks (plain tmux, most SSH sessions), else plain
unicode. Finding out needs the terminal's replies to queries, which only works before
Textual owns stdin: `detect_renderer` is called by `asi-chat`'s app launch, before the
app starts (never by shell commands or tests). Without it, "auto" means half-cell blocks,
which every colour terminal shows.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.images.cache import ImageCache
from app.core.images.fetcher import FetchLimits, FetchResult, fetch_image, limits_for

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

RENDERERS = ("kitty", "sixel", "halfcell", "unicode")
THUMBNAILS_KEPT = 64
_detected: str | None = None


def thumbnail(path: Path, box: int) -> Any:
    """The image at `path` scaled to fit `box` × `box` pixels, decoded (runs in a thread).

    Only the scaled copy outlives the call: `thumbnail` asks the decoder for a smaller
    draft (JPEG) and reduces before resampling, and the full-size pixels are closed here.
    A 49-megapixel image held whole costs ~150 MB, and every resize of a widget that
    holds it makes more full-size copies."""
    from PIL import Image

    with Image.open(path) as image:
        image.thumbnail((box, box))
        return image.convert("RGB") if image.mode not in ("RGB", "RGBA") else image.copy()


def _cell_pixels() -> tuple[int, int]:
    """A terminal cell's size in pixels, as textual-image knows it (10 × 20 if unknown)."""
    try:
        from textual_image import _terminal

        cell = _terminal.get_cell_size()
        if cell.width > 0 and cell.height > 0:
            return cell.width, cell.height
    except Exception:  # noqa: BLE001 - no terminal to ask: a common cell size
        pass
    return 10, 20


_DA1_REPLY = re.compile(r"\x1b\[\?([0-9;]*)c$")
# A kitty graphics query, the cell size in pixels, then "primary device attributes"
# (DA1), which every terminal answers: terminals reply in order, so DA1's answer ends
# the wait, with or without the others before it. One round trip instead of
# textual-image's three queries, each waiting 0.1 s for a terminal that does not answer.
_KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
_QUERY = _KITTY_QUERY + "\x1b[16t" + "\x1b[c"
# tmux and GNU screen take an APC sequence (ESC _ … ESC \) as a new pane title, which
# then stays after the app quits; they never pass kitty graphics on unasked either. So
# inside one, only the cell size and DA1 are asked (DA1 still says whether it draws sixel).
_MULTIPLEXER_QUERY = "\x1b[16t" + "\x1b[c"
_CELL_REPLY = re.compile(r"\x1b\[6;(\d+);(\d+)t")


def in_multiplexer() -> bool:
    """True inside tmux or GNU screen (their own variables, or the TERM they set)."""
    import os

    term = os.environ.get("TERM", "")
    return bool(os.environ.get("TMUX") or os.environ.get("STY")) or term.startswith(("tmux", "screen"))


class TerminalQuery:
    """Asks the terminal what it can draw, and reads the answer later.

    `start()` sends the query with the terminal in cbreak mode (the answer is neither
    echoed nor held for a newline); the answer arrives while Python imports the app, so
    `answer()` rarely waits. POSIX terminals only; elsewhere there is nothing to ask.
    """

    def __init__(self) -> None:
        self._mode: Any = None
        self._fd = -1

    def start(self) -> bool:
        """Send the query; False when stdin/stdout is no terminal (nothing was sent)."""
        try:
            import termios
            import tty

            if not (sys.__stdin__ and sys.__stdout__ and sys.__stdin__.isatty() and sys.__stdout__.isatty()):
                return False
            self._fd = sys.__stdin__.fileno()
            self._mode = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd, termios.TCSANOW)
            sys.__stdout__.write(_MULTIPLEXER_QUERY if in_multiplexer() else _QUERY)
            sys.__stdout__.flush()
            return True
        except (ImportError, OSError, ValueError, AttributeError):
            self._restore()
            return False

    def answer(self, timeout: float = 0.05) -> tuple[bool, bool]:
        """(kitty graphics, sixel); raises TimeoutError when the terminal says nothing.

        (It has had the whole import of the app to answer: `timeout` is extra.) The cell
        size it tells goes to textual-image, which would otherwise ask again."""
        import os
        import select

        reply = ""
        try:
            while not _DA1_REPLY.search(reply):
                if not select.select([self._fd], [], [], timeout)[0]:
                    raise TimeoutError("the terminal did not answer")
                reply += os.read(self._fd, 1).decode("latin-1")
        finally:
            self._restore()
        attributes = _DA1_REPLY.search(reply).group(1).split(";")
        if cell := _CELL_REPLY.search(reply):
            _remember_cell_size(int(cell.group(2)), int(cell.group(1)))
        return "\x1b_G" in reply and ";OK\x1b" in reply, "4" in attributes

    def _restore(self) -> None:
        if self._mode is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSANOW, self._mode)
            self._mode = None


def _remember_cell_size(width: int, height: int) -> None:
    """Give textual-image the cell size (pixels), unless the window size ioctl has it."""
    if width <= 0 or height <= 0:
        return
    from textual_image import _terminal

    if hasattr(_terminal.get_cell_size, "_result"):
        return
    try:
        rows, columns, screen_width, screen_height = _terminal.get_tiocgwinsz()
        if screen_width and screen_height and rows and columns:
            return  # textual-image finds it the same way, without asking
    except OSError:
        pass
    _terminal.get_cell_size._result = _terminal.CellSize(width, height)  # type: ignore[attr-defined]


def _cell_size_known_or_default() -> None:
    """Settle the cell size without asking: textual-image's own query would wait 0.1 s
    for a terminal that did not answer ours (and divides by a zero-column window)."""
    from textual_image import _terminal

    try:
        rows, columns, screen_width, screen_height = _terminal.get_tiocgwinsz()
        if screen_width and screen_height and rows and columns:
            return
    except OSError:
        pass
    if not hasattr(_terminal.get_cell_size, "_result"):
        _terminal.get_cell_size._result = _terminal.CellSize(10, 20)  # type: ignore[attr-defined]


def start_terminal_query(setting: str) -> TerminalQuery | None:
    """For "auto": send the query now, so its answer comes while the app is imported."""
    if setting != "auto":
        return None
    query = TerminalQuery()
    return query if query.start() else None


class _NoTerminal:
    """stdout as textual-image's import-time check sees it: not a terminal (we asked already)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def detect_renderer(setting: str = "auto", query: TerminalQuery | None = None) -> str:
    """Ask the terminal (for "auto"; `query` if it was started already) and remember the
    renderer previews will use. Must run before the Textual app starts. Returns the
    renderer's name, or "off". textual-image itself (and Pillow, ~30 ms) is imported
    later, by `load_previews`: after the app's first frame."""
    global _detected
    if setting == "off":
        _detected = "off"
        return _detected
    chosen = setting if setting in RENDERERS else "halfcell"
    try:
        tty = bool(sys.__stdout__ and sys.__stdout__.isatty() and sys.__stdin__ and sys.__stdin__.isatty())
        if setting == "auto" and query is None and tty:
            query = start_terminal_query(setting)
        if query is not None:
            kitty, sixel = query.answer()
            # Sixel first, as textual-image does: terminals with both (WezTerm, Konsole)
            # draw sixel right; kitty has no sixel.
            chosen = "sixel" if sixel else "kitty" if kitty else "halfcell"
    except TimeoutError:
        chosen = "halfcell"
    except (OSError, ValueError, ImportError, AttributeError):
        chosen = "halfcell" if tty else "unicode"
    except Exception:  # noqa: BLE001 - TerminalError and the like: half-cells draw anywhere
        chosen = "halfcell"
    try:
        if not sys.__stdout__:
            raise OSError("stdout is closed")
        if chosen in ("halfcell", "unicode") or query is not None:
            _cell_size_known_or_default()  # asked already, or characters: nothing more to ask
        else:
            # A forced kitty/sixel: textual-image's own cell-size query, while it still can.
            from textual_image import _terminal

            _terminal.get_cell_size()
    except Exception:  # noqa: BLE001 - no terminal at all (stdout closed): no previews
        chosen = "off"
    _detected = chosen
    return _detected


_loaded = threading.Lock()


def load_previews() -> bool:
    """Import textual-image (safe in any thread, once the cell size is settled by
    `detect_renderer` or never asked for): False when it cannot draw (no stdout).

    textual-image asks the terminal when its renderable package is imported, which must
    not happen once the app runs: it is imported telling it we asked already."""
    with _loaded:
        if "textual_image.widget" in sys.modules:
            return True
        try:
            from textual_image import _terminal

            _cell_size_known_or_default()
            _terminal.get_cell_size()  # by the window size ioctl, or as settled: never by asking
            real, sys.__stdout__ = sys.__stdout__, _NoTerminal(sys.__stdout__)
            try:
                import textual_image.renderable  # noqa: F401
                import textual_image.widget  # noqa: F401
            finally:
                sys.__stdout__ = real
        except Exception:  # noqa: BLE001 - TerminalError: stdout closed
            return False
        return True


def renderer_for(setting: str) -> str:
    """The renderer for the `image_preview` setting: forced, detected, or half-cell."""
    if setting == "off" or setting in RENDERERS:
        return setting
    return _detected or "halfcell"


def widget_class(renderer: str) -> type[Widget] | None:
    """The textual-image widget class of `renderer` (None when previews are off)."""
    if renderer == "off" or not load_previews():
        return None
    from textual_image import widget

    return {"kitty": widget.TGPImage, "sixel": widget.SixelImage,
            "halfcell": widget.HalfcellImage}.get(renderer, widget.UnicodeImage)


def renderable_class(renderer: str) -> type | None:
    """The Rich renderable of `renderer` when it needs no widget of its own (half-cell,
    unicode: plain coloured characters), else None."""
    if renderer not in ("halfcell", "unicode") or not load_previews():
        return None
    from textual_image.renderable import HalfcellImage, UnicodeImage

    return HalfcellImage if renderer == "halfcell" else UnicodeImage


@dataclass
class ImagePreviews:
    """What every preview widget of one app shares: renderer, cache, limits, one fetch per URL."""

    renderer: str
    cache: ImageCache = field(default_factory=ImageCache)
    limits: FetchLimits = field(default_factory=FetchLimits)
    _fetches: dict[str, asyncio.Future[FetchResult]] = field(default_factory=dict)
    _thumbnails: OrderedDict[tuple[str, int], Any] = field(default_factory=OrderedDict)
    # Threads hold the interpreter lock part of the time: a few at once, so frames and
    # keys still get their turn while a screenful of previews loads.
    _fetching: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(3))
    _decoding: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))

    async def fetch(self, url: str) -> FetchResult:
        """The fetch result for `url`; cards showing the same image share one fetch."""
        future = self._fetches.get(url)
        if future is None:
            future = asyncio.ensure_future(self._fetch(url))
            self._fetches[url] = future
            # Refusals are remembered for this run only; a success is in the cache anyway.
        return await asyncio.shield(future)

    async def _fetch(self, url: str) -> FetchResult:
        async with self._fetching:
            return await asyncio.to_thread(fetch_image, url, self.cache, self.limits)

    async def thumbnail(self, path: Path, box: int) -> Any:
        """The image at `path` scaled to fit `box` pixels square (kept for the next card)."""
        key = (str(path), box)
        if key in self._thumbnails:
            self._thumbnails.move_to_end(key)
            return self._thumbnails[key]
        async with self._decoding:
            image = await asyncio.to_thread(thumbnail, path, box)
        self._thumbnails[key] = image
        while len(self._thumbnails) > THUMBNAILS_KEPT:
            self._thumbnails.popitem(last=False)
        return image

    async def scaled(self, path: Path, box: int) -> Any:
        """The image at `path` scaled to fit `box` pixels square, not kept (the viewer's)."""
        async with self._decoding:
            return await asyncio.to_thread(thumbnail, path, box)

    def screen_box(self, columns: int, rows: int) -> int:
        """Pixels a picture filling `columns` × `rows` cells can show: more would be
        scaled away on every draw, and held in memory for nothing."""
        if self.renderer in ("halfcell", "unicode"):
            return max(64, columns, rows * 2)
        width, height = _cell_pixels()
        return max(64, columns * width, rows * height)

    def thumbnail_box(self, rows: int) -> int:
        """Pixels a preview of `rows` rows needs: half-cells have two a row, sixel and
        kitty graphics about 20 (a cell's height)."""
        return max(64, rows * 6) if self.renderer in ("halfcell", "unicode") else rows * 48

    def forget(self, url: str) -> None:
        """Drop the remembered result for `url` (the next fetch tries again)."""
        self._fetches.pop(url, None)


def previews_for(app: App[Any]) -> ImagePreviews:
    """The app's `ImagePreviews`, made on first use from `app.settings.image_preview`."""
    previews = getattr(app, "image_previews", None)
    if previews is None:
        settings = getattr(app, "settings", None)
        previews = ImagePreviews(renderer_for(getattr(settings, "image_preview", "auto")))
        if settings is not None:
            previews.limits = limits_for(settings)  # its ASI:One and Agentverse hosts trusted
        app.image_previews = previews  # type: ignore[attr-defined]
    return previews
