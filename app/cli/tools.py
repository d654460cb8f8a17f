"""`asi-chat tools`: the configured MCP servers, started, with their tools; and how `ask`
asks about a tool call on the terminal."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path
from typing import Any

import click

from app.cli.common import setting_options, settings_from
from app.core.sanitize import clean
from app.core.tools.approval import Approval, ToolCallRequest

ANSWERS = {"y": Approval.ONCE, "yes": Approval.ONCE, "a": Approval.ALWAYS, "always": Approval.ALWAYS,
           "n": Approval.DENY, "no": Approval.DENY, "": Approval.DENY}


def can_ask() -> bool:
    """True when there is a person at a terminal to ask (stdin and stderr are ttys)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _ask_line(request: ToolCallRequest) -> Approval:
    args = clean(request.arguments)
    while True:
        sys.stderr.write(f"\nRun {clean(request.tool)} (MCP server {clean(request.server)}) with {args}?"
                         " [y]es / [a]lways / [n]o: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:  # end of input: nobody said yes
            return Approval.DENY
        answer = ANSWERS.get(line.strip().lower())
        if answer is not None:
            return answer


async def tty_approver(request: ToolCallRequest) -> Approval:
    """Ask on the terminal (stderr, stdin) in a thread, so the turn's loop goes on. A daemon
    thread: Ctrl-C while the question waits ends the program at once (an executor's thread
    would be joined at exit, blocked in readline until Enter)."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[Approval] = loop.create_future()

    def ask() -> None:
        try:
            result = _ask_line(request)
        except (OSError, ValueError):  # the terminal went away
            result = Approval.DENY
        loop.call_soon_threadsafe(lambda: answer.done() or answer.set_result(result))

    threading.Thread(target=ask, name="tool-approval", daemon=True).start()
    return await answer


def read_schema(path: Path) -> dict:
    """A `--schema` file as the stored schema `{"name": <stem>, "schema": <the file>}`."""
    from app.core.tools.schema import read_schema as read

    try:
        return read(path)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--schema") from None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@setting_options
@click.pass_context
def tools(ctx: click.Context, as_json: bool, **flags: Any) -> None:
    """Start the configured MCP servers and list them, their status and their tools."""
    settings = settings_from(ctx, flags)
    if not settings.mcp.servers:
        if as_json:
            click.echo(json.dumps({"servers": []}))
        else:
            click.echo(f"No MCP servers configured: add [mcp.servers.NAME] to {settings.config_file}.", err=True)
        return
    from app.core.runtime import db_path
    from app.core.tools.servers import McpManager

    manager = McpManager(settings.mcp, db_path(settings).parent, secret=settings.api_key)

    async def listing() -> tuple[list[str], list[dict], dict]:
        try:
            problems = await manager.start()
            return problems, manager.status(), {t.name: t for t in manager.offered().values()}
        finally:
            await manager.aclose()

    problems, servers, offered = asyncio.run(listing())
    by_tool = {(t.server, t.tool): name for name, t in offered.items()}
    for server in servers:
        for tool in server["tools"]:
            tool["offered_as"] = by_tool.get((server["name"], tool["name"]))
    if as_json:
        click.echo(json.dumps({"servers": servers}, ensure_ascii=False))
        return
    for server in servers:
        line = f"{server['name']} ({server['transport']}): {server['status']}"
        click.echo(line + (f" — {server['error']}" if server["error"] else ""))
        for tool in server["tools"]:
            description = " ".join(tool["description"].split())[:100]
            click.echo(f"  {clean(tool['offered_as'] or tool['name'])}" + (f"  {description}" if description else ""))
    ctx.exit(4 if problems and len(problems) == len(servers) else 0)  # none could start: a failure (exit 4)
