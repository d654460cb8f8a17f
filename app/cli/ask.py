"""`asi-chat ask`: send one prompt, stream the answer, wait for agents."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from app.cli.common import open_history, setting_options, settings_from
from app.core.errors import ConversationNotFound, NotFound


@click.command()
@click.argument("prompt", nargs=-1)
@click.option("-c", "--continue", "continue_", is_flag=True, help="Continue the most recent conversation.")
@click.option("-C", "--conversation", type=int, help="Continue the conversation with this id.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of streaming.")
@click.option("--no-reasoning", is_flag=True, help="Do not print the model's reasoning.")
@click.option("--web-search", is_flag=True, default=None, help="Let the model search the web for this turn.")
@click.option("--temperature", type=click.FloatRange(0, 2), help="Sampling temperature, 0-2 [config: temperature].")
@click.option("--max-tokens", type=click.IntRange(1), help="Cap the reply's tokens [config: max_tokens].")
@click.option("--system", help="System prompt of this conversation, kept for its later turns.")
@click.option("-v", "--verbose", is_flag=True, help="Print the turn's trace on stderr as it happens (agents, polls, progress).")
@click.option("--agent", "agent", metavar="@HANDLE", help="Address this Agentverse agent (its handle goes in the message).")
@click.option("--allow-tool", "allow_tools", multiple=True, metavar="NAME",
              help="Let the model run this MCP tool without asking (repeatable).")
@click.option("--no-tools", is_flag=True, help="Offer no MCP tools for this turn.")
@click.option("--schema", type=click.Path(dir_okay=False, path_type=Path),
              help="Ask for JSON matching this JSON-schema file (kept for the conversation's later turns).")
@setting_options
@click.pass_context
def ask(ctx: click.Context, prompt: tuple[str, ...], continue_: bool, conversation: int | None,
        as_json: bool, no_reasoning: bool, web_search: bool | None, temperature: float | None,
        max_tokens: int | None, system: str | None, agent: str | None, allow_tools: tuple[str, ...],
        no_tools: bool, schema: Path | None, verbose: bool = False, **flags: Any) -> None:
    """Send PROMPT (piped in, or - to read it from stdin), stream the answer, wait for agents."""
    text = _prompt_text(prompt)
    if agent is not None:
        from app.cli.agents import addressed

        text, agent = addressed(text, agent)
    schema_record = None
    if schema is not None:
        from app.cli.tools import read_schema

        schema_record = read_schema(schema)
    settings = settings_from(ctx, flags).with_overrides(web_search=web_search, temperature=temperature,
                                                    max_tokens=max_tokens)
    from app.cli.run_turn import run_ask
    from app.core.runtime import make_runtime

    store = open_history(settings)
    runtime = make_runtime(settings, store)
    if conversation is not None:
        try:
            conv = store.get_conversation(conversation)
        except ConversationNotFound:
            raise ConversationNotFound(f"conversation {conversation} does not exist"
                                       " (`asi-chat list` shows them).") from None
    elif continue_:
        conv = store.latest_conversation()
        if conv is None:
            raise NotFound("No conversation to continue: the history is empty (leave out -c to start one).")
    else:
        conv = store.create_conversation(settings.model)
    if system is not None:
        store.set_system_prompt(conv.id, system)
    if schema_record is not None:
        store.set_response_schema(conv.id, schema_record)
    from app.cli.tools import can_ask, tty_approver

    code = asyncio.run(run_ask(runtime, conv.id, text, as_json=as_json, show_reasoning=not no_reasoning,
                               agent_handle=agent, allowed_tools=allow_tools, use_tools=not no_tools,
                               approver=tty_approver if can_ask() else None, verbose=verbose))
    ctx.exit(code)


def _prompt_text(prompt: tuple[str, ...]) -> str:
    """The words given, else what is piped in (`-` or no words with stdin not a terminal)."""
    if prompt == ("-",) or (not prompt and not sys.stdin.isatty()):
        text = sys.stdin.read()
    elif not prompt:
        raise click.UsageError("Nothing to send: give a prompt, or pipe one in.")
    else:
        text = " ".join(prompt)
    if not text.strip():
        raise click.UsageError("Nothing to send: the prompt is empty.")
    return text
