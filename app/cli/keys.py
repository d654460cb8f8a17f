"""`asi-chat keys`: every key of the app with its id (what `[keymap]` in config.toml remaps),
the keys it is bound to now, and what it does."""

from __future__ import annotations

from typing import Any

import click

from app.cli.common import setting_options, settings_from


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@setting_options
@click.pass_context
def keys(ctx: click.Context, as_json: bool, **flags: Any) -> None:
    """The app's keys: id, keys (your [keymap] applied) and what each does."""
    from app.cli.output import print_json
    from app.ui.keys import KEYS, check_keymap

    keymap = settings_from(ctx, flags).keymap
    for problem in check_keymap(keymap):
        click.echo(f"asi-chat: {problem}", err=True)
    rows = [{"id": key.id, "keys": keymap.get(key.id, key.keys), "where": key.where, "does": key.help}
            for key in KEYS]
    if as_json:
        print_json(rows)
        return
    width = max(len(row["id"]) for row in rows)
    keys_width = max(len(row["keys"]) for row in rows)
    for row in rows:
        click.echo(f"{row['id']:<{width}}  {row['keys']:<{keys_width}}  {row['does']}")
