"""The history from the shell: list, search, show, export, resume, rename, delete."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from app.cli.common import open_history, setting_options, settings_from
from app.core.errors import AsiChatError, NotFound


@click.command(name="list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
@setting_options
@click.pass_context
def list_(ctx: click.Context, limit: int, as_json: bool, **flags: Any) -> None:
    """Conversations, newest first (⏳ marks a pending agent wait)."""
    from app.cli.output import iso, print_json

    store = open_history(settings_from(ctx, flags))
    rows = store.list_conversations(limit=limit)
    if as_json:
        print_json([{"id": c.id, "title": c.title, "model": c.model, "session_id": c.session_id,
                     "updated_at": iso(c.updated_at), "waiting": c.waiting} for c in rows])
        return
    if not rows:
        click.echo("No conversations yet.", err=True)
    for c in rows:
        mark = "⏳" if c.waiting else "  "
        click.echo(f"{c.id:>6} {mark} {iso(c.updated_at)}  {c.model:<22} {c.title or '(untitled)'}")


@click.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
@setting_options
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, as_json: bool, **flags: Any) -> None:
    """Full-text search over messages and titles, best match first."""
    from app.cli.output import group_hits, print_json, search_lines

    # Each conversation once (best first), with its best few snippets: read more hits than rows.
    found = group_hits(open_history(settings_from(ctx, flags)).search_messages(query, limit=limit * 10), limit)
    if as_json:
        print_json([{"conversation_id": g.conversation_id, "title": g.title, "rank": g.rank,
                     "title_matches": g.title_matches,
                     "matches": [{"message_id": h.message_id, "role": h.role, "snippet": h.snippet,
                                  "rank": h.rank} for h in g.hits]} for g in found])
        return
    if not found:
        click.echo("No matches.", err=True)
    for line in search_lines(found):
        click.echo(line)


def branch_options(func):
    """`--branch N` / `--all-branches`: which branches a Markdown transcript holds."""
    func = click.option("--all-branches", is_flag=True, help="Every branch, each under its own heading.")(func)
    return click.option("--branch", "branch", type=click.IntRange(1), metavar="N",
                        help="Branch N (numbered as the header lists them) instead of the one last shown.")(func)


def _markdown(data: dict, branch: int | None, all_branches: bool) -> str:
    from app.cli.export import to_markdown

    if branch is not None and all_branches:
        raise click.UsageError("Give --branch N or --all-branches, not both.")
    try:
        return to_markdown(data, branch=branch, all_branches=all_branches)
    except ValueError as exc:  # a branch number it does not have
        raise NotFound(str(exc)) from None


@click.command()
@click.argument("conversation_id", type=int)
@click.option("--trace", "with_trace", is_flag=True, help="Also print each reply's trace (agents, polls, progress).")
@branch_options
@setting_options
@click.pass_context
def show(ctx: click.Context, conversation_id: int, branch: int | None, all_branches: bool, with_trace: bool,
         **flags: Any) -> None:
    """Print the branch of a conversation last shown, with its reasoning (or --branch N, --all-branches)."""
    from app.cli.export import branches, shown_branch
    from app.core.links import shown_text

    store = open_history(settings_from(ctx, flags))
    data = store.export_conversation(conversation_id)
    # Inline images' base64 stays out of the terminal (`export` keeps it).
    click.echo(shown_text(_markdown(data, branch, all_branches)), nl=False)
    if with_trace:
        from app.core.trace import trace_lines

        paths = branches(data)
        chosen = paths if all_branches else [paths[branch - 1 if branch else shown_branch(data, paths)]] if paths else []
        shown = {m["id"] for path in chosen for m in path}
        for message_id, steps in store.conversation_traces(conversation_id).items():
            if message_id in shown:
                click.echo(f"\n## Trace of reply {message_id}\n")
                click.echo("\n".join(shown_text(line) for line in trace_lines(steps)))


@click.command()
@click.argument("conversation_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@branch_options
@setting_options
@click.pass_context
def export(ctx: click.Context, conversation_id: int, fmt: str, output: Path | None, branch: int | None,
           all_branches: bool, **flags: Any) -> None:
    """Export a conversation as Markdown (the branch last shown, or --branch N, --all-branches)
    or JSON (every branch: what `asi-chat import` reads; everything but the key)."""
    from app.cli.output import json_text

    if fmt == "json" and (branch is not None or all_branches):
        raise click.UsageError("--branch and --all-branches are for --format md; JSON holds every branch.")
    data = open_history(settings_from(ctx, flags)).export_conversation(conversation_id)
    text = _markdown(data, branch, all_branches) if fmt == "md" else json_text(data)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AsiChatError(f"Cannot write {output}: {exc.strerror or exc}.") from None
    click.echo(f"Exported conversation {conversation_id} to {output}.", err=True)


@click.command()
@click.argument("conversation_id", type=int, required=False)
@setting_options
@click.pass_context
def resume(ctx: click.Context, conversation_id: int | None, **flags: Any) -> None:
    """Resume pending agent waits (all, or one conversation's, including a wait stopped in
    the app) and print the results; each on its own branch and session, with a fresh budget."""
    from app.cli.run_turn import run_resume
    from app.core.runtime import make_runtime

    settings = settings_from(ctx, flags)
    store = open_history(settings)
    waits = []
    if conversation_id is not None:
        store.get_conversation(conversation_id)
        for stopped in store.stopped_waits(conversation_id):
            waits.append(store.restart_wait(stopped.id, settings.poll_attempts))
    waits += store.pending_waits(conversation_id)
    waits = list({w.id: w for w in waits if w is not None}.values())
    if not waits:
        click.echo("No pending agent waits.", err=True)
        return
    ctx.exit(asyncio.run(run_resume(make_runtime(settings, store), waits)))


@click.command()
@click.argument("conversation_id", type=int)
@click.argument("title", nargs=-1, required=True)
@setting_options
@click.pass_context
def rename(ctx: click.Context, conversation_id: int, title: tuple[str, ...], **flags: Any) -> None:
    """Give a conversation a new title."""
    new_title = " ".join(" ".join(title).split())
    if not new_title:
        raise click.UsageError("The title is empty.")
    store = open_history(settings_from(ctx, flags))
    store.rename_conversation(conversation_id, new_title)
    click.echo(f"Renamed {conversation_id} to {new_title!r}.", err=True)


@click.command()
@click.argument("conversation_id", type=int)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@setting_options
@click.pass_context
def delete(ctx: click.Context, conversation_id: int, yes: bool, **flags: Any) -> None:
    """Delete a conversation and everything in it."""
    store = open_history(settings_from(ctx, flags))
    conv = store.get_conversation(conversation_id)
    if not yes:
        click.confirm(f"Delete conversation {conv.id} ({conv.title or 'untitled'})?", abort=True, err=True)
    store.delete_conversation(conv.id)
    click.echo(f"Deleted conversation {conv.id}.", err=True)
