"""What a history file's schema version is, readable without sqlite-utils.

sqlite-utils records each applied migration by name in `_sqlite_migrations`. Opening a
file that is up to date needs only those names, read with plain `sqlite3`: sqlite-utils
(~25 ms to import, with dateutil and pluggy) is loaded only to upgrade a file
(`app.core.store.migrations`, whose list a test keeps equal to `NAMES`).
"""

from __future__ import annotations

import sqlite3

MIGRATION_SET = "asi-chat"
MIGRATIONS_TABLE = "_sqlite_migrations"
NAMES = (
    "m001_conversations_messages", "m002_agent_waits", "m003_images", "m004_search", "m110_branches",
    "m120_conversation_options", "m121_tool_calls", "m122_message_extras", "m130_agents",
    "m140_inline_images", "m150_drafts", "m151_traces", "m152_mcp_tools", "m153_servers_off",
)
"""Every migration of `app.core.store.migrations`, oldest first."""


def state(conn: sqlite3.Connection) -> str:
    """What a file holds, read without writing: 'new', 'ours', 'old' (ours, with migrations
    to apply), 'foreign' or 'newer'. Raises sqlite3.DatabaseError when SQLite cannot read it."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables - {"sqlite_sequence"}:
        return "new"
    if MIGRATIONS_TABLE not in tables:
        return "foreign"
    # The table itself, not its (covering) index: a damaged first page is then found here.
    done = {r[0] for r in conn.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} NOT INDEXED WHERE migration_set = ?", (MIGRATION_SET,))}
    if not done:
        return "foreign"
    if done - set(NAMES):
        return "newer"
    return "old" if set(NAMES) - done else "ours"
