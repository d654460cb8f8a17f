"""`asi-chat agents …`: search the Agentverse marketplace, list used and pinned agents, pin."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from app.cli.common import open_history, setting_options, settings_from
from app.core.errors import NotFound

_SORTS = ("relevancy", "interactions", "created-at", "last-modified")


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _rating(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    """Columns padded to their widest cell (names cut at 40 characters)."""
    rows = [tuple(cell[:40] for cell in row) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _handle_arg(value: str) -> str:
    from app.core.agents.records import normal_handle

    handle = normal_handle(value)
    if not handle or not value.strip().lstrip("@") == handle:
        raise click.UsageError(f"Not an agent handle: {value!r} (handles look like @image-gen-hidream).")
    return handle


def addressed(text: str, agent: str) -> tuple[str, str]:
    """`ask --agent @h`: the text with the handle in it (prepended unless already there), and h.

    ASI:One documents no request field for a target: the handle travels in the message.
    """
    from app.core.agents.names import handles_in_prompt

    handle = _handle_arg(agent)
    if handle not in handles_in_prompt(text):
        text = f"@{handle} {text}"
    return text, handle


async def _search(settings, query, *, retries: int = 3):
    from app.core.agents.agentverse import AgentverseClient

    def say(notice) -> None:
        click.echo(notice.describe(), err=True)

    async with AgentverseClient.from_settings(settings, on_retry=say, max_retries=retries) as client:
        return await client.search(query)


@click.group()
def agents() -> None:
    """Agentverse agents: search the marketplace, list the ones used or pinned, pin them."""


@agents.command(name="search")
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON records instead of a table.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 50))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--sort", type=click.Choice(_SORTS), default="relevancy", show_default=True)
@click.option("--asc", is_flag=True, help="Ascending order (default: descending).")
@click.option("--category", help="Only agents of this category (e.g. 'Image Generation').")
@setting_options
@click.pass_context
def search_agents(ctx: click.Context, query: tuple[str, ...], as_json: bool, limit: int, offset: int,
                  sort: str, asc: bool, category: str | None, **flags: Any) -> None:
    """Search the Agentverse marketplace (public: the ASI:One key is never sent there)."""
    from app.cli.output import print_json
    from app.core.agents.agentverse import AgentQuery

    settings = settings_from(ctx, flags)
    page = asyncio.run(_search(settings, AgentQuery(" ".join(query), sort=sort, direction="asc" if asc else "desc",
                                                    category=category, offset=offset, limit=limit)))
    if as_json:
        print_json([a.to_dict() for a in page.agents])
        return
    if not page.agents:
        click.echo("No agents found.", err=True)
        return
    _table([(a.shown_handle or a.address[:20], a.name, _rating(a.rating), str(a.total_interactions),
             _rate(a.recent_success_rate)) for a in page.agents],
           ("HANDLE", "NAME", "RATING", "INTERACTIONS", "SUCCESS"))
    shown = page.offset + len(page.agents)
    if page.has_more:
        click.echo(f"{page.offset + 1}–{shown} of {page.total}; more with --offset {shown}.", err=True)


def _known_list(ctx: click.Context, flags: dict, as_json: bool, which: str) -> None:
    from app.cli.output import iso, print_json
    from app.core.agents.store import AgentStore

    settings = settings_from(ctx, flags)
    store = open_history(settings)
    asyncio.run(_refresh(settings, store))
    agent_store = AgentStore(store)
    rows = agent_store.agents_used() if which == "used" else agent_store.agents_pinned()
    if as_json:
        print_json([a.to_dict() for a in rows])
        return
    if not rows:
        click.echo("No agents used yet." if which == "used" else "No pinned agents.", err=True)
        return
    _table([(f"@{a.handle}" if a.handle else "", a.name, _rating(a.listing.rating if a.listing else None),
             str(a.use_count), iso(a.last_used) if a.last_used else "–", "📌" if a.pinned else "") for a in rows],
           ("HANDLE", "NAME", "RATING", "USES", "LAST USED", "PINNED"))


async def _refresh(settings, store) -> None:
    """Fetch the listings the history lacks (so each agent shows once, with its rating);
    quietly nothing when the marketplace cannot be reached."""
    from app.core.agents.agentverse import AgentverseClient
    from app.core.agents.directory import AgentDirectory

    async with AgentverseClient.from_settings(settings, max_retries=0, timeout=3.0) as client:
        await AgentDirectory(store, settings, client).refresh_known()


@agents.command(name="used")
@click.option("--json", "as_json", is_flag=True)
@setting_options
@click.pass_context
def used_agents(ctx: click.Context, as_json: bool, **flags: Any) -> None:
    """Agents that worked on (or were addressed in) your conversations, most recent first."""
    _known_list(ctx, flags, as_json, "used")


@agents.command(name="pinned")
@click.option("--json", "as_json", is_flag=True)
@setting_options
@click.pass_context
def pinned_agents(ctx: click.Context, as_json: bool, **flags: Any) -> None:
    """Pinned agents (shown first in the app's agent browser, also offline)."""
    _known_list(ctx, flags, as_json, "pinned")


@agents.command(name="pin")
@click.argument("handle")
@click.option("--force", is_flag=True, help="Pin it even when the marketplace does not list it.")
@setting_options
@click.pass_context
def pin_agent(ctx: click.Context, handle: str, force: bool, **flags: Any) -> None:
    """Pin an agent by @handle (its marketplace listing is cached when reachable)."""
    from app.core.agents.store import AgentStore

    handle = _handle_arg(handle)
    settings = settings_from(ctx, flags)
    store = open_history(settings)
    details = asyncio.run(_details(settings, store, handle))
    if not details.checked:  # offline: a pin works with what is known
        click.echo(f"asi-chat: pinned without a listing (could not check @{handle} in the marketplace)", err=True)
    elif not details.listed and not force:
        raise NotFound(f"@{handle} is not in the Agentverse marketplace; `--force` pins it anyway.")
    known = AgentStore(store).pin(details.listing or f"@{handle}")
    click.echo(f"Pinned {known.name} (@{handle}).", err=True)


async def _details(settings, store, handle: str):
    """`AgentDirectory.details` with a client that tries once (a shell waits for no backoff)."""
    from app.core.agents.agentverse import AgentverseClient
    from app.core.agents.directory import AgentDirectory

    async with AgentverseClient.from_settings(settings, max_retries=0) as client:
        return await AgentDirectory(store, settings, client).details(handle)


async def addressed_warning(settings, store, handle: str) -> str | None:
    """What to tell a user who addresses `@handle` (`ask --agent`) that the marketplace does not
    list: the message still goes (ASI:One may know it), but a typo should not pass silently."""
    try:
        details = await _details(settings, store, handle)
    except Exception:  # noqa: BLE001 - a warning must never stop the question
        return None
    if not details.checked:
        return f"could not check @{handle} in the Agentverse marketplace; sending anyway."
    if not details.listed:
        return f"@{handle} is not in the Agentverse marketplace; sending anyway."
    return None


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


@agents.command(name="show")
@click.argument("handle")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@setting_options
@click.pass_context
def show_agent(ctx: click.Context, handle: str, as_json: bool, **flags: Any) -> None:
    """An agent's trust signals: rating, interactions, recent success rate, ASI:One's own
    counts (when its insights endpoint answers), your uses, and its readme."""
    from app.cli.output import print_json

    handle = _handle_arg(handle)
    settings = settings_from(ctx, flags)
    details = asyncio.run(_details(settings, open_history(settings), handle))
    if not details.checked:
        click.echo(f"asi-chat: could not reach the marketplace; showing what is known of @{handle}.", err=True)
    if not details.listed and not details.known:
        raise NotFound(f"@{handle} is not in the Agentverse marketplace.")
    data = details.to_dict()
    if as_json:
        print_json(data)
        return
    click.echo(f"{data['name'] or '@' + handle} (@{handle})")
    click.echo(f"  address              {data['address'] or '–'}")
    click.echo(f"  rating               {_rating(data['rating'])}")
    click.echo(f"  interactions         {_count(data['total_interactions'])} total,"
               f" {_count(data['recent_interactions'])} in 90 days")
    click.echo(f"  recent success rate  {_rate(data['recent_success_rate'])}")
    if data["asi1_interactions"] is not None or data["asi1_successes"] is not None:
        click.echo(f"  via ASI:One          {_count(data['asi1_interactions'])} interactions,"
                   f" {_count(data['asi1_successes'])} successful")
    click.echo(f"  your uses            {data['uses']}{'  📌 pinned' if data['pinned'] else ''}")
    if data["description"]:
        click.echo(f"\n{data['description']}")
    if data["readme"]:
        click.echo(f"\n{data['readme']}")


@agents.command(name="unpin")
@click.argument("handle")
@setting_options
@click.pass_context
def unpin_agent(ctx: click.Context, handle: str, **flags: Any) -> None:
    """Unpin an agent."""
    from app.core.agents.store import AgentStore

    handle = _handle_arg(handle)
    agent_store = AgentStore(open_history(settings_from(ctx, flags)))
    known = agent_store.get(handle)
    if known is None or not known.pinned:
        raise click.ClickException(f"@{handle} is not pinned.")
    agent_store.unpin(f"@{handle}")
    click.echo(f"Unpinned {known.name} (@{handle}).", err=True)
