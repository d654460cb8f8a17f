"""Changes to a conversation that ask first, in a dialog: rename and delete. Used by the
sidebar (the highlighted conversation) and the conversation view (the open one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.errors import AsiChatError

if TYPE_CHECKING:
    from app.ui.app import AsiChatApp


def rename_conversation(app: AsiChatApp, conversation_id: int, *, done: Callable[[], object]) -> None:
    """Ask for a new title; `done()` after it is stored."""
    from app.ui.screens.rename import RenameScreen  # (not needed for the first frame)

    def renamed(title: str | None) -> None:
        if title:
            try:
                app.conversations.rename(conversation_id, title)
            except AsiChatError as exc:
                app.notify(str(exc), title="History", severity="error", markup=False)
                return
            done()

    app.push_screen(RenameScreen(app.title_of(conversation_id)), renamed)


def delete_conversation(app: AsiChatApp, conversation_id: int, *, done: Callable[[], object]) -> None:
    """Ask, then delete the conversation (a reply running in it settles first); `done()` after."""
    from app.ui.screens.confirm import ConfirmScreen

    async def confirmed(yes: bool | None) -> None:
        if not yes:
            return
        try:
            runtime = app.late_runtime.runtime
            if runtime is not None:  # a running turn settles before the rows go
                await runtime.chat.delete_conversation(conversation_id)
            else:
                app.conversations.delete(conversation_id)
        except AsiChatError as exc:
            app.notify(str(exc), title="History", severity="error", markup=False, timeout=10)
            return
        done()
        app.notify("Conversation deleted.", markup=False)

    question = f"Delete “{app.title_of(conversation_id)}” and all its messages?"
    app.push_screen(ConfirmScreen(question), confirmed)
