"""`asi-chat acp`: serve the Agent Client Protocol on stdio, for editors (Zed, JetBrains, Toad)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from app.cli.common import open_history, setting_options, settings_from


@click.command()
@setting_options
@click.pass_context
def acp(ctx: click.Context, **flags: Any) -> None:
    """Be an ACP agent on stdin/stdout (JSON-RPC); logs go to acp.log beside the history."""
    from app.acp.transport import take_stdout

    # First of all: from here on stdout carries protocol messages only.
    protocol_fd = take_stdout()
    settings = settings_from(ctx, flags)
    from app.acp.server import log_to_file, serve
    from app.core.runtime import db_path, make_runtime

    store = open_history(settings)
    log_to_file(db_path(settings).with_name("acp.log"))
    runtime = make_runtime(settings, store)
    asyncio.run(serve(runtime, protocol_fd))
