"""What every command shares: the settings flags (before or after the subcommand), the
settings they make (with --demo, the simulator started), and the history opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from app.core.config import Settings, load_settings

_SETTING_OPTIONS = (
    click.option("--api-key", help="ASI:One API key (prefer $ASI_ONE_API_KEY: flags show in `ps`)."),
    click.option("--base-url", help="API base URL [$ASI_ONE_BASE_URL; default https://api.asi1.ai/v1]."),
    click.option("--model", help="Model for new conversations, any name (`asi-chat models` lists them)"
                 " [$ASI_CHAT_MODEL; asi1]."),
    click.option("--poll-interval", metavar="SECONDS", help="Seconds between agent polls, 0.05-3600 [$ASI_CHAT_POLL_INTERVAL; 5]."),
    click.option("--poll-attempts", metavar="N", help="Polls before giving up on an agent [$ASI_CHAT_POLL_ATTEMPTS; 24]."),
    click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="History database [$ASI_CHAT_DB]."),
    click.option("--demo", is_flag=True, default=None, help="Use the embedded simulator and a separate demo database."),
)
_SETTING_NAMES = ("api_key", "base_url", "model", "poll_interval", "poll_attempts", "db", "demo")


def setting_options(func):
    """Accept the settings flags both before and after the subcommand."""
    for option in reversed(_SETTING_OPTIONS):
        func = option(func)
    return func


def settings_from(ctx: click.Context, flags: dict[str, Any]) -> Settings:
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


def open_history(settings: Settings):
    """The history of these settings, housekept (and seeded with --demo); a read-only one is
    opened to read only (`Store.read_only`)."""
    from app.core.errors import StoreError
    from app.core.runtime import open_store

    store = open_store(settings)
    if store.read_only:  # read commands work as they are; a write says "read-only" (exit 6)
        return store
    try:
        # Replies left "streaming" by a killed asi-chat become "interrupted" at the next start.
        store.recover_interrupted()
        if click.get_current_context().meta.get("asi_chat.demo"):
            from app.demo import seed_demo

            seed_demo(store)  # the same sample history as the app's demo, whichever starts first
    except StoreError:
        pass  # best effort: a read-only history can still be listed and shown
    return store
