"""Fault injection for the ASI:One simulator.

Each fault is a small dataclass. A fault reaches a request in one of two ways:

* queued programmatically with ``Simulator.add_fault(fault, times=N)``: the next N
  chat-completion requests each consume one queue entry, whatever their prompt;
* written into the prompt as a directive, e.g. ``!sim:cut`` or ``!sim:tokens=3000``, so
  end-to-end tests can trigger faults through the real CLI/TUI. A directive applies to the
  request whose last user message (other than "Any update?") contains it. ``*N`` after a
  directive (``!sim:status=503*2``) limits it to the first N requests that carry it for
  the same session and prompt, which gives "fail twice, then succeed" across retries.

Directive names: status=CODE, retry-after=SECONDS (modifies status), cut[=N],
error-event[=data|event|N], slow=SECONDS, keepalive, crlf, escapes, malformed,
think-tags, reasoning-content[=FIELD], content-parts, empty, reasoning-only, big=BYTES, huge-line=BYTES, bad-utf8,
never, poll-error[=CODE], progress[=N], two-agents, agent-fails, agent-storage, big-manifest[=BYTES], tokens=N,
websearch[=asi|openai|missing|huge|hostile], image=KIND (see images.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

# Every kind of terminal trick a hostile or broken upstream could smuggle into text:
# OSC 52 clipboard write, OSC 0 title change, CSI clear screen + colour, 8-bit CSI,
# a bidi override and Textual markup that would quit the app if rendered as markup.
ESCAPE_PAYLOAD = (
    "\x1b]52;c;aGk=\x07"
    "\x1b]0;pwned\x07"
    "\x1b[2J\x1b[31m"
    "\x9b31m"
    "\u202e"
    "[@click=app.quit]x[/]"
)
# Alt text for an image link carrying an OSC 52 write (the `]` also ends the alt text).
ESCAPE_ALT_TEXT = "\x1b]52;c;aGk=\x07x"


@dataclass
class Status:
    """Reply with HTTP status `code` (and `Retry-After` when `retry_after` is set).

    `body` may be a dict (sent as JSON), str or bytes; None picks the default body for
    the code (401/403 bodies as seen in the wild, else an OpenAI-style server error).
    """

    code: int
    retry_after: float | None = None
    body: Any = None


@dataclass
class Cut:
    """Start streaming normally, send `after_chunks` content chunks, then drop the socket."""

    after_chunks: int = 3


@dataclass
class ErrorEvent:
    """After `after_chunks` content chunks, send an in-band error under HTTP 200.

    style "data": ``data: {"error": {...}}``; style "event": ``event: error`` + data line.
    A non-streaming request gets HTTP 200 with an ``{"error": {...}}`` body instead.
    """

    after_chunks: int = 3
    style: str = "data"


@dataclass
class SlowFirstByte:
    """Sleep `seconds` before the status line is sent."""

    seconds: float = 2.0


@dataclass
class KeepAlive:
    """Send an SSE comment line (``: keep-alive``) between events."""


@dataclass
class CRLF:
    """Use ``\\r\\n`` line endings throughout the SSE body."""


@dataclass
class Escapes:
    """Put terminal escapes, bidi overrides and Textual markup into reasoning and content."""


@dataclass
class Malformed:
    """Insert one event whose JSON is broken among the good ones."""


@dataclass
class ThinkTags:
    """No `thought` field: reasoning travels in the content as split ``<think>`` tags."""


@dataclass
class ReasoningContent:
    """OpenAI-compatible stream: reasoning in ``choices[0].delta.<field>``."""

    field: str = "reasoning_content"


@dataclass
class ContentParts:
    """Content as a list of parts (``[{"type": "text", "text": …}]``), streamed and not."""


@dataclass
class Empty:
    """A valid stream that carries neither reasoning nor content."""


@dataclass
class ReasoningOnly:
    """A valid stream with reasoning but no content."""


@dataclass
class BigReply:
    """Content of about `size_bytes` bytes of markdown, sent in large chunks."""

    size_bytes: int = 1_000_000


@dataclass
class HugeLine:
    """After two content chunks, one content event `size_bytes` long (sent in 1 MB pieces)."""

    size_bytes: int = 50_000_000


@dataclass
class BadUtf8:
    """One content event carries raw invalid UTF-8 bytes and an escaped NUL."""


@dataclass
class AgentNeverFinishes:
    """The session's image job never becomes ready; polls keep getting the acknowledgement."""


@dataclass
class PollError:
    """The next poll for the session's pending job gets HTTP `status`; the job stays pending."""

    status: int = 500


@dataclass
class Tokens:
    """A markdown answer of exactly `n` content chunks (one token each), sent without delay."""

    n: int = 1000


@dataclass
class WebSearch:
    """Answer with a web-search tool call first, in wire shape `style` (see web_search.py)."""

    style: str = "asi"


@dataclass
class Progress:
    """The agent sends `n` progress messages ("Generating…", several wordings) before its result."""

    n: int = 2


@dataclass
class TwoAgents:
    """Two agents work in sequence: the first poll hands over to a second agent (a new
    acknowledgement and manifest), whose result comes as an `agent-storage://` link."""


@dataclass
class AgentFails:
    """The agent fails: the poll after the acknowledgement reports its failure as the answer."""


@dataclass
class BigManifest:
    """The deferral's `executable_data` carries a manifest of about `size_bytes` bytes."""

    size_bytes: int = 1_000_000


@dataclass
class AgentStorage:
    """The agent delivers its image as an `agent-storage://https://…` link."""


@dataclass
class ImageKind:
    """The reply delivers a test image of `kind` at once (see app/simulator/images.py)."""

    kind: str = "png"


Fault = (
    Status | Cut | ErrorEvent | SlowFirstByte | KeepAlive | CRLF | Escapes | Malformed | ThinkTags
    | ReasoningContent | ContentParts | Empty | ReasoningOnly | BigReply | HugeLine | BadUtf8 | AgentNeverFinishes
    | PollError | Tokens | WebSearch | ImageKind | Progress | TwoAgents | AgentFails | AgentStorage | BigManifest
)
FAULT_TYPES: tuple[type, ...] = Fault.__args__  # type: ignore[attr-defined]

# Faults that change the bytes of a stream; their presence rules out a verbatim replay.
SHAPING_TYPES: tuple[type, ...] = (
    Cut, ErrorEvent, KeepAlive, CRLF, Escapes, Malformed, ThinkTags, ReasoningContent,
    ContentParts, Empty, ReasoningOnly, BadUtf8, WebSearch,
)

F = TypeVar("F")


class FaultSet:
    """The faults active for one request, looked up by type."""

    def __init__(self, faults: Iterable[Any] = ()) -> None:
        self.items: list[Any] = list(faults)

    def get(self, kind: type[F]) -> F | None:
        """Return the first active fault of type `kind`, or None."""
        for fault in self.items:
            if isinstance(fault, kind):
                return fault
        return None

    def has_any(self, kinds: tuple[type, ...]) -> bool:
        """True when at least one active fault is of one of `kinds`."""
        return any(isinstance(fault, kinds) for fault in self.items)

    def __contains__(self, kind: type) -> bool:
        return self.get(kind) is not None

    def __bool__(self) -> bool:
        return bool(self.items)

    def __repr__(self) -> str:
        return f"FaultSet({self.items!r})"


@dataclass
class Directive:
    """One parsed ``!sim:`` directive: its source text, the fault and an optional limit."""

    token: str
    fault: Any
    times: int | None = None


DIRECTIVE_RE = re.compile(r"!sim:([a-z][a-z0-9_-]*)(?:=([^\s*]+))?(?:\*(\d+))?", re.IGNORECASE)


def _error_event(value: str | None) -> ErrorEvent:
    if value is None:
        return ErrorEvent()
    if value.isdigit():
        return ErrorEvent(after_chunks=int(value))
    if value not in ("data", "event"):
        raise ValueError(value)
    return ErrorEvent(style=value)


def _reasoning_content(value: str | None) -> ReasoningContent:
    if value is None:
        return ReasoningContent()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(value)
    return ReasoningContent(field=value)


_BUILDERS: dict[str, Callable[[str | None], Any]] = {
    "status": lambda v: Status(int(v) if v else 500),
    "cut": lambda v: Cut(int(v)) if v else Cut(),
    "error-event": _error_event,
    "slow": lambda v: SlowFirstByte(float(v) if v else 2.0),
    "keepalive": lambda v: KeepAlive(),
    "crlf": lambda v: CRLF(),
    "escapes": lambda v: Escapes(),
    "malformed": lambda v: Malformed(),
    "think-tags": lambda v: ThinkTags(),
    "reasoning-content": _reasoning_content,
    "content-parts": lambda v: ContentParts(),
    "empty": lambda v: Empty(),
    "reasoning-only": lambda v: ReasoningOnly(),
    "big": lambda v: BigReply(int(v) if v else 1_000_000),
    "huge-line": lambda v: HugeLine(int(v) if v else 50_000_000),
    "bad-utf8": lambda v: BadUtf8(),
    "never": lambda v: AgentNeverFinishes(),
    "poll-error": lambda v: PollError(int(v) if v else 500),
    "tokens": lambda v: Tokens(int(v) if v else 1000),
    "websearch": lambda v: WebSearch(v.lower() if v else "asi"),
    "image": lambda v: ImageKind(v or "png"),
    "progress": lambda v: Progress(int(v) if v else 2),
    "two-agents": lambda v: TwoAgents(),
    "agent-fails": lambda v: AgentFails(),
    "agent-storage": lambda v: AgentStorage(),
    "big-manifest": lambda v: BigManifest(int(v) if v else 1_000_000),
}


def parse_directives(text: str) -> list[Directive]:
    """Parse every ``!sim:name[=value][*times]`` directive in `text`.

    Unknown names and unparsable values are ignored: a typo must not crash the server.
    ``retry-after=S`` is folded into the status directive of the same text.
    """
    directives: list[Directive] = []
    retry_after: float | None = None
    for match in DIRECTIVE_RE.finditer(text or ""):
        name, value, times = match.group(1).lower(), match.group(2), match.group(3)
        try:
            if name == "retry-after":
                retry_after = float(value) if value else 1.0
                continue
            builder = _BUILDERS.get(name)
            if builder is None:
                continue
            fault = builder(value)
        except ValueError:
            continue
        directives.append(Directive(match.group(0), fault, int(times) if times else None))
    if retry_after is not None:
        for directive in directives:
            if isinstance(directive.fault, Status):
                directive.fault = dataclasses.replace(directive.fault, retry_after=retry_after)
    return directives


def strip_directives(text: str) -> str:
    """Return `text` without its ``!sim:`` directives (so replies do not echo them)."""
    return " ".join(DIRECTIVE_RE.sub(" ", text or "").split())
