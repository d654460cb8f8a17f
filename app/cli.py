"""The `asi-chat` command: the full-screen app, and shell commands over the same history."""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

import click

from app.core.config import Settings, load_settings
from app.core.errors import AsiChatError, ConversationNotFound

_SETTING_OPTIONS = (
    click.option("--api-key", help="ASI:One API key (prefer $ASI_ONE_API_KEY: flags show in `ps`)."),
    click.option("--base-url", help="API base URL [$ASI_ONE_BASE_URL; default https://api.asi1.ai/v1]."),
    click.option("--model", help="Model for new conversations, any name (`asi-chat models` lists them)"
                 " [$ASI_CHAT_MODEL; asi1]."),
    click.option("--poll-interval", type=float, help="Seconds between agent polls [$ASI_CHAT_POLL_INTERVAL; 5]."),
    click.option("--poll-attempts", type=int, help="Polls before giving up on an agent [$ASI_CHAT_POLL_ATTEMPTS; 24]."),
    click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="History database [$ASI_CHAT_DB]."),
    click.option("--demo", is_flag=True, default=None, help="Use the embedded simulator and a separate demo database."),
)
_SETTING_NAMES = ("api_key", "base_url", "model", "poll_interval", "poll_attempts", "db", "demo")


def setting_options(func):
    """Accept the settings flags both before and after the subcommand."""
    for option in reversed(_SETTING_OPTIONS):
        func = option(func)
    return func


def _settings(ctx: click.Context, flags: dict[str, Any]) -> Settings:
    """Settings from file, env and flags; with --demo, the simulator is started too."""
    merged = dict((ctx.find_root().obj or {}).get("flags", {}))
    merged.update({k: v for k, v in flags.items() if k in _SETTING_NAMES and v is not None})
    demo = merged.pop("demo", False)
    explicit_db = merged.get("db")
    settings = load_settings(merged)
    if demo:
        from app.demo import start_demo

        simulator, settings = start_demo(settings, db=explicit_db)
        ctx.call_on_close(simulator.stop)
        ctx.meta["asi_chat.demo"] = True
    return settings


def _store(settings: Settings):
    from app.core.errors import StoreError
    from app.core.runtime import open_store

    store = open_store(settings)
    try:
        # Replies left "streaming" by a killed asi-chat become "interrupted" at the next start.
        store.recover_interrupted()
        if click.get_current_context().meta.get("asi_chat.demo"):
            from app.demo import seed_demo

            seed_demo(store)  # the same sample history as the app's demo, whichever starts first
    except StoreError:
        pass  # best effort: a read-only history can still be listed and shown
    return store


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@setting_options
@click.version_option(package_name="asi-chat")
@click.pass_context
def cli(ctx: click.Context, **flags: Any) -> None:
    """Chat with ASI:One's agentic models. Without a command, opens the full-screen app."""
    ctx.obj = {"flags": {k: v for k, v in flags.items() if v is not None}}
    if ctx.invoked_subcommand is None:
        settings = _settings(ctx, {})
        # No garbage collections until the app's first frame (`GcTuning.start` turns
        # them on again; `run_app` in any case).
        gc.disable()
        from app.ui.image_renderer import detect_renderer, start_terminal_query

        # Ask the terminal what it can draw now: it answers while the app is imported,
        # and must be asked before the app owns the terminal.
        query = start_terminal_query(settings.image_preview)
        from app.ui.app import run_app

        detect_renderer(settings.image_preview, query)

        run_app(settings, demo=bool(flags.get("demo")))


@cli.command()
@click.argument("prompt", nargs=-1, required=True)
@click.option("-c", "--continue", "continue_", is_flag=True, help="Continue the most recent conversation.")
@click.option("-C", "--conversation", type=int, help="Continue the conversation with this id.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of streaming.")
@click.option("--no-reasoning", is_flag=True, help="Do not print the model's reasoning.")
@click.option("--web-search", is_flag=True, default=None, help="Let the model search the web for this turn.")
@click.option("--temperature", type=click.FloatRange(0, 2), help="Sampling temperature, 0-2 [config: temperature].")
@click.option("--max-tokens", type=click.IntRange(1), help="Cap the reply's tokens [config: max_tokens].")
@click.option("--system", help="System prompt of this conversation, kept for its later turns.")
@click.option("--agent", "agent", metavar="@HANDLE", help="Address this Agentverse agent (its handle goes in the message).")
@setting_options
@click.pass_context
def ask(ctx: click.Context, prompt: tuple[str, ...], continue_: bool, conversation: int | None,
        as_json: bool, no_reasoning: bool, web_search: bool | None, temperature: float | None,
        max_tokens: int | None, system: str | None, agent: str | None, **flags: Any) -> None:
    """Send PROMPT (use - to read it from stdin), stream the answer, wait for agents."""
    text = sys.stdin.read() if prompt == ("-",) else " ".join(prompt)
    if not text.strip():
        raise click.UsageError("Nothing to send: the prompt is empty.")
    if agent is not None:
        from app.cli_agents import addressed

        text, agent = addressed(text, agent)
    settings = _settings(ctx, flags).with_overrides(web_search=web_search, temperature=temperature,
                                                    max_tokens=max_tokens)
    from app.ask import run_ask
    from app.core.runtime import make_runtime

    store = _store(settings)
    runtime = make_runtime(settings, store)
    if conversation is not None:
        try:
            conv = store.get_conversation(conversation)
        except ConversationNotFound:  # a usage error: exit 2, like a bad flag
            click.echo(f"asi-chat: conversation {conversation} does not exist (`asi-chat list` shows them).",
                       err=True)
            ctx.exit(2)
    elif continue_ and (latest := store.latest_conversation()) is not None:
        conv = latest
    else:
        conv = store.create_conversation(settings.model)
    if system is not None:
        store.set_system_prompt(conv.id, system)
    code = asyncio.run(run_ask(runtime, conv.id, text, as_json=as_json, show_reasoning=not no_reasoning,
                               agent_handle=agent))
    ctx.exit(code)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@setting_options
@click.pass_context
def models(ctx: click.Context, as_json: bool, **flags: Any) -> None:
    """Models: the built-in catalogue and what the server offers now, with context windows."""
    from app.models_cli import run_models

    run_models(_settings(ctx, flags), as_json=as_json)


@cli.command(name="list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
@setting_options
@click.pass_context
def list_(ctx: click.Context, limit: int, as_json: bool, **flags: Any) -> None:
    """Conversations, newest first (⏳ marks a pending agent wait)."""
    from app.cli_output import iso, print_json

    store = _store(_settings(ctx, flags))
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


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True)
@setting_options
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, as_json: bool, **flags: Any) -> None:
    """Full-text search over messages and titles, best match first."""
    from app.cli_output import group_hits, print_json, search_lines

    # Each conversation once (best first), with its best few snippets: read more hits than rows.
    found = group_hits(_store(_settings(ctx, flags)).search_messages(query, limit=limit * 10), limit)
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


@cli.command()
@click.argument("conversation_id", type=int)
@setting_options
@click.pass_context
def show(ctx: click.Context, conversation_id: int, **flags: Any) -> None:
    """Print a whole conversation with its reasoning."""
    from app.core.links import shown_text
    from app.export import to_markdown

    store = _store(_settings(ctx, flags))
    # Inline images' base64 stays out of the terminal (`export` keeps it).
    click.echo(shown_text(to_markdown(store.export_conversation(conversation_id))), nl=False)


@cli.command()
@click.argument("conversation_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@setting_options
@click.pass_context
def export(ctx: click.Context, conversation_id: int, fmt: str, output: Path | None, **flags: Any) -> None:
    """Export a conversation as Markdown or JSON (everything but the key)."""
    import json

    from app.export import to_markdown

    data = _store(_settings(ctx, flags)).export_conversation(conversation_id)
    text = to_markdown(data) if fmt == "md" else json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AsiChatError(f"Cannot write {output}: {exc.strerror or exc}.") from None
    click.echo(f"Exported conversation {conversation_id} to {output}.", err=True)


@cli.command()
@click.argument("conversation_id", type=int, required=False)
@setting_options
@click.pass_context
def resume(ctx: click.Context, conversation_id: int | None, **flags: Any) -> None:
    """Resume pending agent waits (all, or one conversation's, including a wait stopped in
    the app) and print the results; each on its own branch and session, with a fresh budget."""
    from app.ask import run_resume
    from app.core.runtime import make_runtime

    settings = _settings(ctx, flags)
    store = _store(settings)
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


@cli.command()
@click.argument("conversation_id", type=int)
@click.argument("title", nargs=-1, required=True)
@setting_options
@click.pass_context
def rename(ctx: click.Context, conversation_id: int, title: tuple[str, ...], **flags: Any) -> None:
    """Give a conversation a new title."""
    new_title = " ".join(" ".join(title).split())
    if not new_title:
        raise click.UsageError("The title is empty.")
    store = _store(_settings(ctx, flags))
    store.rename_conversation(conversation_id, new_title)
    click.echo(f"Renamed {conversation_id} to {new_title!r}.", err=True)


@cli.command()
@click.argument("conversation_id", type=int)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@setting_options
@click.pass_context
def delete(ctx: click.Context, conversation_id: int, yes: bool, **flags: Any) -> None:
    """Delete a conversation and everything in it."""
    store = _store(_settings(ctx, flags))
    conv = store.get_conversation(conversation_id)
    if not yes:
        click.confirm(f"Delete conversation {conv.id} ({conv.title or 'untitled'})?", abort=True, err=True)
    store.delete_conversation(conv.id)
    click.echo(f"Deleted conversation {conv.id}.", err=True)


@cli.command()
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--api-key", "key", default="sk-sim-demo", show_default=True, help="Key the simulator accepts.")
@click.option("--chunk-delay", default=0.02, show_default=True, type=float, help="Seconds between stream events.")
def simulator(port: int, key: str, chunk_delay: float) -> None:
    """Run the embedded ASI:One simulator on 127.0.0.1 until Ctrl-C."""
    from app.simulator import Simulator

    sim = Simulator(api_key=key, port=port, chunk_delay=chunk_delay).start()
    click.echo(f"ASI:One simulator on {sim.base_url}  (key: {key})", err=True)
    click.echo(f"Try: ASI_ONE_BASE_URL={sim.base_url} ASI_ONE_API_KEY={key} asi-chat", err=True)
    click.echo(f"Its Agentverse marketplace: ASI_CHAT_AGENTVERSE_URL={sim.origin}", err=True)
    try:
        sim.wait_forever()
    finally:
        sim.stop()


from app.cli_agents import agents as _agents  # noqa: E402 - it builds on the helpers above

cli.add_command(_agents)

from app.cli_images import images  # noqa: E402 - registered after the helpers it uses

cli.add_command(images)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; errors become one line on stderr and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="asi-chat", standalone_mode=False)
    except SystemExit as exc:
        from click.utils import PacifyFlushWrapper

        # Click ends a command whose stdout reader went away (`asi-chat list | head -1`)
        # with exit 1; the reader has all it wanted: quietly done (see README).
        if not isinstance(sys.stdout, PacifyFlushWrapper):
            raise
        del exc
        code = 0
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click wraps Ctrl-C in Abort
            click.echo("Interrupted; what arrived so far is kept.", err=True)
            code = 130
        else:
            click.echo("Aborted.", err=True)
            code = 1
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("\nInterrupted; what arrived so far is kept.", err=True)
        code = 130
    except BrokenPipeError:  # `asi-chat list | head -1`: the reader has all it wanted
        from app.cli_output import stdout_closed

        stdout_closed()
        code = 0
    except AsiChatError as exc:
        click.echo(f"asi-chat: {exc.message}", err=True)
        code = exc.exit_code
    except Exception as exc:  # noqa: BLE001 - no traceback ever reaches a user
        click.echo(f"asi-chat: unexpected error: {type(exc).__name__}: {exc}", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
