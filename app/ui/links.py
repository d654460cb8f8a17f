"""Copying and opening links: only http(s) ever leaves the app.

Copy goes both to the system clipboard (pyperclip, where one exists) and to the
terminal's clipboard through OSC 52 (`App.copy_to_clipboard`), which is what works
over SSH. Both are best effort; the notification says what happened.
"""

from __future__ import annotations

import os
import sys

from textual.app import App

from app.core.links import is_safe_url


def _system_copy(text: str) -> bool:
    try:
        import pyperclip

        pyperclip.copy(text)
        return True
    except Exception:  # noqa: BLE001 - PyperclipException, or no clipboard program at all
        return False


def copy_text(app: App, text: str, what: str) -> None:
    """Copy `text` (already known to be safe to copy) and notify."""
    app.copy_to_clipboard(text)  # OSC 52: reaches the local terminal even over SSH

    def system_copy() -> None:
        _system_copy(text)

    app.run_worker(system_copy, thread=True, group="clipboard", exit_on_error=False)
    preview = text if len(text) <= 120 else text[:117] + "…"
    app.notify(preview, title=f"Copied {what}", markup=False)


def copy_link(app: App, url: str) -> bool:
    """Copy an http(s) link; refuse anything else."""
    if not is_safe_url(url):
        app.notify("Only http(s) links can be copied.", severity="warning", markup=False)
        return False
    copy_text(app, url, "image link")
    return True


def has_graphical_browser() -> bool:
    """False over SSH or on a headless box, where `webbrowser` would start a console
    browser (lynx, w3m) inside the very terminal the app is drawing in."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return not os.environ.get("SSH_CONNECTION")
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_link(app: App, url: str) -> bool:
    """Open an http(s) link in the system browser; refuse anything else."""
    if not is_safe_url(url):
        app.notify(f"Refused to open a non-http(s) link: {url[:80]}", severity="warning", markup=False)
        return False
    if not has_graphical_browser():
        copy_text(app, url, "link (no browser here)")
        return False

    def launch() -> None:
        import webbrowser  # (not needed for the first frame)

        try:
            webbrowser.open(url, new=2)
        except Exception:  # noqa: BLE001 - no browser is not an error worth a crash
            pass

    app.run_worker(launch, thread=True, group="browser", exit_on_error=False)
    app.notify(url, title="Opening in browser", markup=False)
    return True
