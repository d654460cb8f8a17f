"""`asi-chat import FILE…`: JSON exports back into the history, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from app.cli.common import open_history, setting_options, settings_from
from app.core.errors import AsiChatError
from app.core.sanitize import clean


class ImportFailed(AsiChatError):
    """A file to import could not be read or is not an export; nothing was imported."""

    exit_code = 2


def read_export(path: Path) -> Any:
    """The JSON in `path`, or ImportFailed naming the file and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ImportFailed(f"Cannot read {path} ({reason}); nothing was imported.") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ImportFailed(f"{path} is not an asi-chat JSON export (not JSON: {exc}); nothing was imported.") from None


@click.command(name="import")
@click.argument("files", metavar="FILE…", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@setting_options
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], **flags: Any) -> None:
    """Import conversations from JSON exports (`asi-chat export ID --format json`), every
    branch, session ids, tool calls and images. One already in the history is not imported
    again; if any file is not an export, nothing is imported."""
    from app.core.store.importing import NotAnExport

    exports = [read_export(path) for path in files]  # every file is read before anything is written
    store = open_history(settings_from(ctx, flags))
    try:
        results = store.import_conversations(exports)
    except NotAnExport as exc:
        raise ImportFailed(f"{files[exc.number - 1]} is not a valid asi-chat conversation export"
                           f" ({exc.reason}); nothing was imported.") from None
    for path, (conversation, new) in zip(files, results):
        title = clean(conversation.title or "untitled")
        if new:
            click.echo(f"Imported {path} as conversation {conversation.id} ({title}).", err=True)
        else:
            click.echo(f"{path}: already in the history as conversation {conversation.id} ({title});"
                       " not imported again.", err=True)
