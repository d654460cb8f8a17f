"""Plain, immutable records the history store hands out.

They hold values only (no connection, no lazy loading), so any thread or widget
can keep them as long as it likes. Text the user typed that every view shows (a title, a
search snippet) is held in its shown form: inert, through `sanitize.clean`, whichever
screen, command or export prints it. The database keeps it as typed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.core.sanitize import clean


def make_inert(record: object, *fields: str) -> None:
    """Set each of `fields` of a frozen `record` to its shown form (None stays None)."""
    for name in fields:
        value = getattr(record, name)
        if value:
            object.__setattr__(record, name, clean(value))


class MessageStatus:
    """Every value `messages.status` can take."""

    COMPLETE = "complete"
    STREAMING = "streaming"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    AWAITING_AGENT = "awaiting-agent"
    WAIT_STOPPED = "wait-stopped"
    """Read-side only: an acknowledgement whose wait the user stopped (stored as
    `awaiting-agent` with a stopped wait, so it can be resumed)."""

    ALL = (COMPLETE, STREAMING, INTERRUPTED, ERROR, AWAITING_AGENT)
    # A message in one of these states will not change by itself any more, so its
    # text is final enough to index and to harvest image links from.
    SETTLED = (COMPLETE, INTERRUPTED, ERROR, AWAITING_AGENT)


class Role:
    """The chat roles asi-chat writes (the store accepts any string)."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation; `session_id` is the uuid4 sent to ASI:One as x-session-id.

    `title` is the shown form (escape sequences and controls removed); a title typed with
    an OSC 52 or a CSI in it would otherwise write the clipboard or the terminal's title
    from `list`, `show` or the app's header.
    """

    id: int
    title: str | None
    model: str
    session_id: str
    created_at: float
    updated_at: float
    archived: bool
    active_leaf_id: int | None = None
    """The newest message of the branch on screen (None while the conversation is empty)."""
    web_search: bool = False
    """Ask the server to search the web on each turn of this conversation."""
    system_prompt: str | None = None
    """The conversation's own system prompt (None: the configured default, if any)."""

    def __post_init__(self) -> None:
        make_inert(self, "title")


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A conversation as listed in the sidebar; `waiting` means an agent reply is pending.
    `title` is the shown form, as in `Conversation`."""

    id: int
    title: str | None
    model: str
    session_id: str
    created_at: float
    updated_at: float
    archived: bool
    waiting: bool
    agent: str | None = None
    """Who a pending wait is waiting for, when known (the list's ⏳ names it)."""
    replied: bool = False
    """An agent answered here while the conversation was not open (marked until opened)."""

    def __post_init__(self) -> None:
        make_inert(self, "title")


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message; `usage` is the token counts dict, or None when unknown."""

    id: int
    conversation_id: int
    role: str
    content: str
    reasoning: str
    status: str
    model: str | None
    usage: dict | None
    error: str | None
    created_at: float
    updated_at: float
    parent_id: int | None = None
    """The message this one answers or follows (None for the first of a conversation)."""
    session_id: str | None = None
    """The x-session-id of this message's branch."""


@dataclass(frozen=True, slots=True)
class AgentWait:
    """A pending agent reply the app keeps polling for.

    `message_id` is the assistant message holding the acknowledgement; `claimed_by`
    and `claimed_until` form the lease that keeps two processes from polling at once.
    """

    id: int
    conversation_id: int
    message_id: int | None
    acknowledgement: str
    attempts_made: int
    attempts_total: int
    started_at: float
    next_poll_at: float
    deadline: float | None
    last_error: str | None
    claimed_by: str | None
    claimed_until: float | None
    stopped_at: float | None = None
    """When the user stopped waiting (None while it is waited on or due to be)."""


@dataclass(frozen=True, slots=True)
class ImageLink:
    """An http(s) image URL found in a settled message."""

    id: int
    conversation_id: int
    message_id: int
    url: str
    created_at: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result; `message_id` and `role` are None when the title matched.

    `snippet` is plain text with the matched words between « and »; `rank` is the
    bm25 score (lower is better).
    """

    conversation_id: int
    conversation_title: str | None
    message_id: int | None
    role: str | None
    snippet: str
    rank: float

    def __post_init__(self) -> None:
        # The title and a user's message are stored as typed: show them inert.
        make_inert(self, "conversation_title", "snippet")


def title_from_text(text: str, limit: int = 60) -> str:
    """A conversation title: the first non-empty line, whitespace collapsed, cut at a word."""
    line = next((" ".join(ln.split()) for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if line[limit - 1] != " " and " " in cut:  # else the cut already falls between words
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


# -- rows to records -----------------------------------------------------------
# The store selects these columns in this order and maps rows by position
# (no sqlite3.Row factory: the connection is shared with sqlite-utils).

CONVERSATION_COLUMNS = ("c.id, c.title, c.model, c.session_id, c.created_at, c.updated_at, c.archived,"
                        " c.active_leaf_id, c.web_search, c.system_prompt")
MESSAGE_COLUMNS = ("id, conversation_id, role, content, reasoning, status, model, prompt_tokens,"
                   " completion_tokens, total_tokens, error, created_at, updated_at, parent_id, session_id")
# What a message is read with: a stopped wait shows as its own status.
MESSAGE_SELECT = MESSAGE_COLUMNS.replace(
    " status,", " CASE WHEN status = 'awaiting-agent' AND EXISTS (SELECT 1 FROM agent_waits w"
    " WHERE w.message_id = messages.id AND w.stopped_at IS NOT NULL) THEN 'wait-stopped' ELSE status END,")
WAIT_COLUMNS = ("id, conversation_id, message_id, acknowledgement, attempts_made, attempts_total,"
                " started_at, next_poll_at, deadline, last_error, claimed_by, claimed_until, stopped_at")
IMAGE_COLUMNS = "id, conversation_id, message_id, url, created_at"
USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


def conversation_from_row(row: tuple) -> Conversation:
    """A Conversation from a row of CONVERSATION_COLUMNS."""
    return Conversation(*row[:6], archived=bool(row[6]), active_leaf_id=row[7], web_search=bool(row[8]),
                        system_prompt=row[9])


def summary_from_row(row: tuple) -> ConversationSummary:
    """A ConversationSummary from CONVERSATION_COLUMNS plus the waiting flag."""
    return ConversationSummary(*row[:6], archived=bool(row[6]), waiting=bool(row[10]))


#: The note a reply stopped by the user (Esc, Ctrl-C) is stored with.
INTERRUPTED_NOTE = "Interrupted; the partial reply is kept."
# What versions before December 2026 stored instead: read as the one word used everywhere.
_OLD_INTERRUPTED_NOTE = "Cancelled; the partial reply is kept."


def message_from_row(row: tuple) -> Message:
    """A Message from a row of MESSAGE_COLUMNS; usage is None when no count is known."""
    tokens = row[7:10]
    usage = None if all(t is None for t in tokens) else dict(zip(USAGE_KEYS, tokens))
    error = INTERRUPTED_NOTE if row[10] == _OLD_INTERRUPTED_NOTE else row[10]
    return Message(*row[:7], usage=usage, error=error, created_at=row[11], updated_at=row[12],
                   parent_id=row[13], session_id=row[14])


# -- the JSON export format ------------------------------------------------------

EXPORT_FORMAT = "asi-chat-conversation"


def export_data(conversation: Conversation, messages: list[Message], images: list[ImageLink],
                waits: list[AgentWait]) -> dict:
    """A conversation and everything in it as JSON-ready data: every branch, each message
    with its parent id and its branch's session id."""
    parts = {"messages": messages, "images": images, "waits": waits}
    return {"format": EXPORT_FORMAT, "version": 2, "conversation": asdict(conversation),
            **{name: [asdict(item) for item in items] for name, items in parts.items()}}


def import_rows(data: dict) -> tuple[tuple, int | None, list, list, list]:
    """The values `export_data` output re-creates, keyed by the old message ids.

    Returns the conversation's (title, model, session_id, created_at, updated_at,
    archived) and its old active leaf id; [(old id, old parent id, message columns after
    conversation_id up to updated_at, session id)], oldest first; [(old message id, url,
    created_at)]; [(old message id, wait columns after message_id)]. A version 1 export
    (a single line of messages) gets each message's parent from the one before it. Raises
    KeyError, TypeError or ValueError when `data` is not such an export (also when a message
    or image refers to a message it does not hold).
    """
    if data.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        raise ValueError("not an asi-chat conversation export")
    c = data["conversation"]
    conversation = (c["title"], c["model"], str(c["session_id"]), float(c["created_at"]),
                    float(c["updated_at"]), int(bool(c.get("archived"))))
    rows = sorted(data["messages"], key=lambda m: int(m["id"]))
    branched = int(data.get("version", 1)) >= 2
    messages, previous, known = [], None, set()
    for m in rows:
        if not isinstance(m["role"], str) or not isinstance(m["content"], str):
            raise TypeError(f"message {m['id']} has no text")
        # A stopped wait reads as its own status; it is stored as awaiting-agent.
        status = MessageStatus.AWAITING_AGENT if m["status"] == MessageStatus.WAIT_STOPPED else m["status"]
        if status not in MessageStatus.ALL:
            raise ValueError("unknown message status")
        parent = m.get("parent_id") if branched else previous
        if parent is not None and parent not in known:
            raise ValueError(f"message {m['id']} answers message {parent}, which is not in the export")
        known.add(int(m["id"]))
        messages.append((int(m["id"]), parent, (
            m["role"], m["content"], m.get("reasoning", ""), status, m.get("model"),
            *((m.get("usage") or {}).get(key) for key in USAGE_KEYS), m.get("error"),
            m["created_at"], m["updated_at"]), m.get("session_id") or conversation[2]))
        previous = int(m["id"])
    active = c.get("active_leaf_id") if branched else previous
    images = [(i["message_id"], i["url"], i["created_at"]) for i in data.get("images", [])]
    if any(message_id not in known for message_id, *_ in images):
        raise ValueError("an image belongs to a message that is not in the export")
    waits = [(w["message_id"], tuple(w.get(key) for key in WAIT_COLUMNS.split(", ")[3:]))
             for w in data.get("waits", [])]
    return conversation, active, messages, images, waits
