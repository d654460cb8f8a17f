"""The history database schema, as named sqlite-utils migrations.

Each migration is a plain function so a test can build a file exactly as an earlier
version left it (`MIGRATIONS.apply(db, stop_before="m003_images")`). Never edit a
step that has shipped: add a new one.

Statements run one at a time through `db.execute` because `executescript` would
commit the transaction `Store` holds around the whole upgrade.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from app.core.links import data_image_urls, data_ref, image_links
from app.core.store.schema import MIGRATION_SET

MIGRATIONS = Migrations(MIGRATION_SET)

# The unicode61 tokenizer folds case and (with remove_diacritics 2) accents, so
# "Café" finds "cafe"; the 2- and 3-character prefix indexes make the
# search-as-you-type prefix query on a short last word cheap.
FTS_OPTIONS = "tokenize='unicode61 remove_diacritics 2', prefix='2 3'"

# A streaming message is rewritten on every flush of the reply; indexing each
# partial version would make every flush re-tokenise the whole text. So a message
# is in the index exactly when its status is not 'streaming', and the triggers
# below keep that invariant (an external-content FTS5 'delete' must be given the
# values that were indexed, so the conditions on both sides have to agree).
def _message_triggers(new: str, old: str) -> dict[str, str]:
    """The message FTS triggers, indexing `new`/`old` (SQL over the row's `new.`/`old.` values)."""
    return {
        "messages_fts_insert": f"""
            CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
            WHEN new.status != 'streaming' BEGIN
                INSERT INTO messages_fts(rowid, content)
                VALUES (new.id, {new});
            END""",
        "messages_fts_delete": f"""
            CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
            WHEN old.status != 'streaming' BEGIN
                INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.id, {old});
            END""",
        # One trigger with two ordered statements: the old row must leave the index
        # before the new one enters it under the same rowid.
        "messages_fts_update": f"""
            CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
            BEGIN
                INSERT INTO messages_fts(messages_fts, rowid, content)
                SELECT 'delete', old.id, {old}
                WHERE old.status != 'streaming'
                  AND (new.status = 'streaming' OR old.content IS NOT new.content);
                INSERT INTO messages_fts(rowid, content)
                SELECT new.id, {new}
                WHERE new.status != 'streaming'
                  AND (old.status = 'streaming' OR old.content IS NOT new.content);
            END""",
    }


_CONVERSATION_TRIGGERS: dict[str, str] = {
    "conversations_fts_insert": """
        CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
            INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
        END""",
    "conversations_fts_delete": """
        CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
            INSERT INTO conversations_fts(conversations_fts, rowid, title)
            VALUES ('delete', old.id, old.title);
        END""",
    "conversations_fts_update": """
        CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations
        WHEN old.title IS NOT new.title BEGIN
            INSERT INTO conversations_fts(conversations_fts, rowid, title)
            VALUES ('delete', old.id, old.title);
            INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
        END""",
}


def strip_payloads_sql(column: str) -> str:
    """SQL for `column` without the base64 payloads of its first two data: images.

    An image delivered inline is megabytes of base64: indexing it would bloat the index
    with meaningless tokens. Pure SQL (no function to register) so that any connection,
    also one of an older asi-chat or the sqlite3 shell, can still write messages; a
    third inline image in one message stays indexed (harmless, only bigger).
    """
    def strip(x: str) -> str:
        at = f"instr({x}, ';base64,')"
        rest = f"substr({x}, {at})"
        return (f"(CASE WHEN {at} = 0 THEN {x} ELSE substr({x}, 1, {at} - 1) || ' ' || "
                f"CASE WHEN instr({rest}, ')') = 0 THEN '' ELSE substr({rest}, instr({rest}, ')')) END END)")

    return strip(strip(column))


RAW_FTS_TRIGGERS: dict[str, str] = {**_message_triggers("new.content", "old.content"),
                                    **_CONVERSATION_TRIGGERS}
"""The triggers m004_search created (messages indexed as stored)."""

FTS_TRIGGERS: dict[str, str] = {
    **_message_triggers(strip_payloads_sql("new.content"), strip_payloads_sql("old.content")),
    **_CONVERSATION_TRIGGERS,
}
"""The current triggers (since m140): messages indexed without data: image payloads."""


def _run(db: Database, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m001_conversations_messages(db: Database) -> None:
    """Conversations and their messages."""
    _run(
        db,
        # AUTOINCREMENT so an id the UI still holds never comes back as another row.
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT,
            model TEXT NOT NULL,
            session_id TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
        )""",
        "CREATE INDEX conversations_updated_at ON conversations(updated_at)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN
                ('complete', 'streaming', 'interrupted', 'error', 'awaiting-agent')),
            model TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            total_tokens INTEGER,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX messages_conversation ON messages(conversation_id, id)",
        # Partial index: only the handful of streaming rows, for recover_interrupted().
        "CREATE INDEX messages_streaming ON messages(updated_at) WHERE status = 'streaming'",
    )


@MIGRATIONS()
def m002_agent_waits(db: Database) -> None:
    """Pending agent replies and the lease that serialises polling them."""
    _run(
        db,
        """CREATE TABLE agent_waits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
            acknowledgement TEXT NOT NULL DEFAULT '',
            attempts_made INTEGER NOT NULL DEFAULT 0,
            attempts_total INTEGER NOT NULL,
            started_at REAL NOT NULL,
            next_poll_at REAL NOT NULL,
            deadline REAL,
            last_error TEXT,
            claimed_by TEXT,
            claimed_until REAL
        )""",
        "CREATE INDEX agent_waits_conversation ON agent_waits(conversation_id)",
        "CREATE INDEX agent_waits_message ON agent_waits(message_id)",
    )


@MIGRATIONS()
def m003_images(db: Database) -> None:
    """Image links found in messages, backfilled from the messages already stored."""
    _run(
        db,
        """CREATE TABLE images (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (message_id, url)
        )""",
        "CREATE INDEX images_conversation ON images(conversation_id, id)",
    )
    rows = db.execute(
        "SELECT id, conversation_id, content, updated_at FROM messages "
        "WHERE status != 'streaming' AND content LIKE '%http%' ORDER BY id"
    ).fetchall()
    db.conn.executemany(
        "INSERT OR IGNORE INTO images (conversation_id, message_id, url, created_at) "
        "VALUES (?, ?, ?, ?)",
        [
            (conversation_id, message_id, url, updated_at)
            for message_id, conversation_id, content, updated_at in rows
            for url in image_links(content)
        ],
    )


@MIGRATIONS()
def m004_search(db: Database) -> None:
    """Full-text search over message text and conversation titles."""
    _run(
        db,
        f"""CREATE VIRTUAL TABLE messages_fts USING fts5(
            content, content='messages', content_rowid='id', {FTS_OPTIONS})""",
        f"""CREATE VIRTUAL TABLE conversations_fts USING fts5(
            title, content='conversations', content_rowid='id', {FTS_OPTIONS})""",
    )
    # As shipped: messages indexed as stored (m140 strips data: payloads since).
    create_fts_triggers(db, RAW_FTS_TRIGGERS)
    rebuild_fts(db, indexed="content")


@MIGRATIONS()
def m110_branches(db: Database) -> None:
    """Conversations become trees: every message has a parent and the session id of its
    branch; a conversation remembers the leaf of the branch on screen; a wait can be stopped.

    Existing histories become single-branch trees (each message's parent is the one
    before it); an acknowledgement left awaiting an agent with no wait (an earlier version
    deleted the wait when the user stopped it) gets a stopped wait, so it can be resumed.
    """
    _run(
        db,
        "ALTER TABLE messages ADD COLUMN parent_id INTEGER",
        "ALTER TABLE messages ADD COLUMN session_id TEXT",
        "ALTER TABLE conversations ADD COLUMN active_leaf_id INTEGER",
        "ALTER TABLE agent_waits ADD COLUMN stopped_at REAL",
        """UPDATE messages SET parent_id = (
            SELECT max(p.id) FROM messages p
            WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id)""",
        """UPDATE messages SET session_id = (
            SELECT c.session_id FROM conversations c WHERE c.id = messages.conversation_id)""",
        """UPDATE conversations SET active_leaf_id = (
            SELECT max(m.id) FROM messages m WHERE m.conversation_id = conversations.id)""",
        """INSERT INTO agent_waits (conversation_id, message_id, acknowledgement, attempts_made,
                attempts_total, started_at, next_poll_at, stopped_at)
            SELECT m.conversation_id, m.id, m.content, 0, 24, m.created_at, m.updated_at, m.updated_at
            FROM messages m WHERE m.status = 'awaiting-agent'
            AND NOT EXISTS (SELECT 1 FROM agent_waits w WHERE w.message_id = m.id)""",
        "CREATE INDEX messages_parent ON messages(parent_id)",
    )


def create_fts_triggers(db: Database, triggers: dict[str, str] | None = None) -> None:
    """Create the triggers that keep both FTS indexes current (the current ones by default)."""
    _run(db, *(FTS_TRIGGERS if triggers is None else triggers).values())


def drop_fts_triggers(db: Database) -> None:
    """Drop the FTS triggers (bulk loads only; call rebuild_fts and create_fts_triggers after)."""
    _run(db, *(f"DROP TRIGGER IF EXISTS {name}" for name in FTS_TRIGGERS))


def rebuild_fts(db: Database, indexed: str | None = None) -> None:
    """Re-index every row, with exactly the rows and text the triggers would have indexed.

    `indexed` is the SQL of a message's indexed text (the current triggers' by default).
    """
    indexed = strip_payloads_sql("content") if indexed is None else indexed
    # Not the FTS5 'rebuild' command: it would index streaming messages too and
    # break the invariant the triggers rely on.
    _run(
        db,
        "INSERT INTO messages_fts(messages_fts) VALUES ('delete-all')",
        "INSERT INTO messages_fts(rowid, content) "
        f"SELECT id, {indexed} FROM messages WHERE status != 'streaming'",
        "INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild')",
    )


def migration_names() -> list[str]:
    """Names of all migrations, oldest first (for `apply(stop_before=...)`)."""
    return [migration.name for migration in MIGRATIONS._migrations]


@MIGRATIONS()
def m120_conversation_options(db: Database) -> None:
    """Per-conversation turn options: web search on or off, and its own system prompt."""
    _run(
        db,
        "ALTER TABLE conversations ADD COLUMN web_search INTEGER NOT NULL DEFAULT 0"
        " CHECK (web_search IN (0, 1))",
        "ALTER TABLE conversations ADD COLUMN system_prompt TEXT",
    )


@MIGRATIONS()
def m121_tool_calls(db: Database) -> None:
    """The tool calls of each reply, in order, with their names, args and results searchable."""
    _run(
        db,
        """CREATE TABLE tool_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            call_id TEXT NOT NULL,
            name TEXT NOT NULL,
            args TEXT NOT NULL DEFAULT '{}',
            result TEXT,
            position INTEGER NOT NULL,
            UNIQUE (message_id, call_id)
        )""",
        "CREATE INDEX tool_calls_message ON tool_calls(message_id, position)",
        f"""CREATE VIRTUAL TABLE tool_calls_fts USING fts5(
            name, args, result, content='tool_calls', content_rowid='id', {FTS_OPTIONS})""",
        """CREATE TRIGGER tool_calls_fts_insert AFTER INSERT ON tool_calls BEGIN
            INSERT INTO tool_calls_fts(rowid, name, args, result)
            VALUES (new.id, new.name, new.args, coalesce(new.result, ''));
        END""",
        """CREATE TRIGGER tool_calls_fts_delete AFTER DELETE ON tool_calls BEGIN
            INSERT INTO tool_calls_fts(tool_calls_fts, rowid, name, args, result)
            VALUES ('delete', old.id, old.name, old.args, coalesce(old.result, ''));
        END""",
        """CREATE TRIGGER tool_calls_fts_update AFTER UPDATE ON tool_calls BEGIN
            INSERT INTO tool_calls_fts(tool_calls_fts, rowid, name, args, result)
            VALUES ('delete', old.id, old.name, old.args, coalesce(old.result, ''));
            INSERT INTO tool_calls_fts(rowid, name, args, result)
            VALUES (new.id, new.name, new.args, coalesce(new.result, ''));
        END""",
    )


@MIGRATIONS()
def m122_message_extras(db: Database) -> None:
    """Raw reply extras (executable_data, metadata, intermediate_steps) as JSON text."""
    _run(db, "ALTER TABLE messages ADD COLUMN extras TEXT")


@MIGRATIONS()
def m130_agents(db: Database) -> None:
    """Agentverse agents used or pinned (with a cached listing for offline use), and which
    agents each message involved."""
    _run(
        db,
        # `key` is the handle, else the address, else the name (AgentRef.key).
        """CREATE TABLE agents (
            key TEXT PRIMARY KEY,
            handle TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            first_used REAL,
            last_used REAL,
            use_count INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
            listing TEXT
        )""",
        "CREATE INDEX agents_last_used ON agents(last_used)",
        """CREATE TABLE message_agents (
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            agent_key TEXT NOT NULL REFERENCES agents(key) ON DELETE CASCADE,
            PRIMARY KEY (message_id, agent_key)
        ) WITHOUT ROWID""",
        "CREATE INDEX message_agents_agent ON message_agents(agent_key)",
    )


@MIGRATIONS()
def m140_inline_images(db: Database) -> None:
    """Inline (data:) images: searched without their base64 payloads, listed in `images`.

    The message keeps what the server sent; the index gets the text around the image,
    and the `images` table a short reference (`links.data_ref`) instead of megabytes.
    """
    drop_fts_triggers(db)
    create_fts_triggers(db)
    rows = db.execute(
        "SELECT id, conversation_id, content, updated_at FROM messages "
        "WHERE status != 'streaming' AND content LIKE '%;base64,%' ORDER BY id"
    ).fetchall()
    if rows:
        rebuild_fts(db)
    db.conn.executemany(
        "INSERT OR IGNORE INTO images (conversation_id, message_id, url, created_at) "
        "VALUES (?, ?, ?, ?)",
        [(conversation_id, message_id, data_ref(url), updated_at)
         for message_id, conversation_id, content, updated_at in rows
         for url in data_image_urls(content)],
    )


@MIGRATIONS()
def m150_drafts(db: Database) -> None:
    """What the user has typed and not sent, per conversation (key 0: a new conversation);
    the conversations an agent answered in while they were not open (the list's ✉)."""
    _run(
        db,
        """CREATE TABLE unread (
            conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE
        )""",
        """CREATE TABLE drafts (
            conversation_key INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
        """CREATE TRIGGER drafts_of_deleted AFTER DELETE ON conversations BEGIN
            DELETE FROM drafts WHERE conversation_key = old.id;
        END""",
    )


@MIGRATIONS()
def m151_traces(db: Database) -> None:
    """Each reply's trace (the agent network at work), as a JSON list of steps.

    Replies stored before this get a trace made from what they stored when it is read
    (`TraceStore.trace`): filling rows here would freeze the first version of that fold.
    """
    _run(
        db,
        """CREATE TABLE traces (
            message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
            steps TEXT NOT NULL DEFAULT '[]',
            updated_at REAL
        )""",
    )


@MIGRATIONS()
def m152_mcp_tools(db: Database) -> None:
    """Client-side (MCP) tool calls: their server, status and time; the tools a conversation
    always allows; a conversation's structured-output schema."""
    _run(
        db,
        "ALTER TABLE tool_calls ADD COLUMN server TEXT",
        "ALTER TABLE tool_calls ADD COLUMN status TEXT",
        "ALTER TABLE tool_calls ADD COLUMN duration_ms INTEGER",
        "ALTER TABLE conversations ADD COLUMN response_schema TEXT",
        """CREATE TABLE tool_allowances (
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            tool TEXT NOT NULL,
            PRIMARY KEY (conversation_id, tool)
        )""",
    )


@MIGRATIONS()
def m153_servers_off(db: Database) -> None:
    """The MCP servers a conversation switched off (its turns are not offered their tools)."""
    _run(
        db,
        """CREATE TABLE servers_off (
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            server TEXT NOT NULL,
            PRIMARY KEY (conversation_id, server)
        )""",
    )
