"""`asi-chat models`: every known model, where it is known from, agentic or not, its window."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from app.cli.common import setting_options, settings_from
from app.core.models import cached, fetch_models, merge, window_label, write_cache


async def _server_names(settings) -> tuple[list[str] | None, str | None]:
    """The server's names now, else the cache's, and a note saying which fell back."""
    if settings.api_key:
        try:
            names = await fetch_models(settings.base_url, settings.api_key)
        except Exception as exc:  # noqa: BLE001 - optional endpoint
            reason = type(exc).__name__ if not str(exc) else str(exc).splitlines()[0][:100]
            problem = f"the server's model list is unavailable ({reason})"
        else:
            try:
                write_cache(settings, names)
            except OSError:
                pass
            return names, None
    else:
        problem = "no API key, so the server was not asked"
    entry = cached(settings)
    if entry is not None:
        return entry[0], f"{problem}; showing the list cached earlier."
    return None, f"{problem}; showing the built-in catalogue only."


def run_models(settings, *, as_json: bool) -> None:
    """Print the merged list (stdout) and any fallback note (stderr)."""
    from app.cli.output import print_json

    names, note = asyncio.run(_server_names(settings))
    if note:
        click.echo(f"asi-chat: {note}", err=True)
    models = merge(names)
    if as_json:
        print_json([{"name": m.name, "source": m.source,
                     "agentic": None if m.source == "server" else m.agentic,
                     "context_tokens": m.context_tokens, "purpose": m.purpose or None,
                     "latency": m.latency or None, "default": m.name == settings.model}
                    for m in models])
        return
    for m in models:
        mark = "●" if m.name == settings.model else " "
        agentic = "?" if m.source == "server" else "agentic" if m.agentic else "-"
        click.echo(f"{mark} {m.name:<24} {m.source:<9} {agentic:<8} {window_label(m.context_tokens):<15}"
                   f" {m.purpose}".rstrip())
    sys.stdout.flush()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@setting_options
@click.pass_context
def models(ctx: click.Context, as_json: bool, **flags: Any) -> None:
    """Models: the built-in catalogue and what the server offers now, with context windows."""
    run_models(settings_from(ctx, flags), as_json=as_json)
