"""Typed events: what a reply stream carries, and what a turn reports to a front end.

Stream events come out of the protocol parser (server bytes -> events); turn events come
out of the turn engine. Both are small frozen dataclasses consumed with `match`.
All text in them is already sanitised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core.growing_text import GrowingReply, GrowingText

# --- stream events (protocol parser output) -------------------------------------------


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning."""

    text: str


@dataclass(frozen=True, slots=True)
class ContentDelta:
    """A piece of the answer."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts reported by the server."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True, slots=True)
class Finish:
    """The server said the reply is complete (`finish_reason`)."""

    reason: str


@dataclass(frozen=True, slots=True)
class StreamError:
    """An error the server delivered inside a 200 stream."""

    message: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Retrying:
    """The client is about to retry a request that failed before any reply arrived."""

    attempt: int
    retries: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool the model (or the server for it) called: web search, an agent, a function.

    `args` is JSON text; `result` is None until the server reports one. The same `id` may
    arrive again with more filled in: the later one wins.
    """

    id: str
    name: str
    args: str = "{}"
    result: str | None = None
    server: str | None = None
    """The MCP server of a client-side tool (None: the server's own tool, or an agent)."""
    status: str | None = None
    """A client-side call's state: pending, running, ok, error, failed, timeout, declined."""
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Extras:
    """Raw top-level extras of a reply (`executable_data`, `metadata`, `intermediate_steps`)."""

    data: dict


@dataclass(frozen=True, slots=True)
class ExecutableData:
    """A non-empty top-level `executable_data` list (agent manifests, tool calls), kept raw.

    Raw JSON values: read it only through `agent_names.agents_from_executable_data`,
    which sanitises what it keeps.
    """

    items: tuple


StreamEvent = ReasoningDelta | ContentDelta | Usage | Finish | StreamError | ToolCall | Extras | ExecutableData


def merge_extras(into: dict, data: dict) -> dict:
    """Fold one chunk's extras into a reply's: lists grow, other values are replaced."""
    for key, value in data.items():
        if isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = into[key] + value
        else:
            into[key] = value
    return into




class Completion(GrowingReply):
    """A whole reply, gathered from a stream or read from a non-streaming body.

    `content` and `reasoning` read as strings; `apply` grows them in linear time.
    """

    __slots__ = ("_content", "_reasoning", "usage", "finish_reason", "tool_calls", "extras")

    def __init__(self, content: str = "", reasoning: str = "", usage: Usage | None = None,
                 finish_reason: str | None = None) -> None:
        self._content = GrowingText(content)
        self._reasoning = GrowingText(reasoning)
        self.usage = usage
        self.finish_reason = finish_reason
        self.tool_calls: dict[str, ToolCall] = {}
        self.extras: dict = {}

    def apply(self, event: StreamEvent) -> None:
        """Fold one stream event into this reply."""
        match event:
            case ContentDelta(text):
                self._content.append(text)
            case ReasoningDelta(text):
                self._reasoning.append(text)
            case Usage():
                self.usage = event
            case Finish(reason):
                self.finish_reason = reason
            case ToolCall():
                self.tool_calls[event.id] = event
            case Extras(data):
                merge_extras(self.extras, data)
            case _:
                pass

    def _fields(self) -> tuple:
        return self.content, self.reasoning, self.usage, self.finish_reason

    def __eq__(self, other: object) -> bool:
        return self._fields() == other._fields() if isinstance(other, Completion) else NotImplemented

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        content, reasoning, usage, finish_reason = self._fields()
        return (f"Completion(content={content!r}, reasoning={reasoning!r}, usage={usage!r}, "
                f"finish_reason={finish_reason!r})")


# --- turn events (turn engine output) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnReasoning:
    """Reasoning text arrived for the running turn."""

    text: str


@dataclass(frozen=True, slots=True)
class TurnContent:
    """Answer text arrived for the running turn."""

    text: str


@dataclass(frozen=True, slots=True)
class AgentWaiting:
    """The model handed the task to an Agentverse agent; we are polling for its result.

    `attempt` is 0 when the wait starts and n after the n-th poll came back unchanged.
    """

    acknowledgement: str
    attempt: int
    attempts: int
    elapsed: float
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class AgentProgress:
    """A poll came back with only a progress message ("Generating…"): not the answer yet.

    `attempt` is the poll that brought it; the wait goes on within its budget.
    """

    text: str
    attempt: int


@dataclass(frozen=True, slots=True)
class TurnUsage:
    """Tokens a reply of the turn used that no `TurnFinal` carries (the acknowledgement, polls)."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class TurnRetrying:
    """A request of the turn failed before any reply and will be retried after `delay` s."""

    attempt: int
    retries: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class TurnFinal:
    """The turn is complete. `deferred` is true when the content came from an agent poll."""

    content: str
    reasoning: str
    usage: Usage | None = None
    deferred: bool = False
    acknowledgement: str | None = None


@dataclass(frozen=True, slots=True)
class TurnFailed:
    """The turn ended in an error; whatever arrived before it is kept in `partial`."""

    error: Exception
    partial: Completion = field(default_factory=Completion)

    @property
    def status(self) -> str:
        """How the reply is stored: `interrupted` when cut off or cancelled, else `error`."""
        from app.core.errors import failure_status

        return failure_status(self.error)


@dataclass(frozen=True, slots=True)
class TurnToolCall:
    """A tool call of the running turn (sent again, by id, when its result arrives)."""

    call: ToolCall


@dataclass(frozen=True, slots=True)
class TurnExtras:
    """Raw extras of the running turn's reply (see `Extras`)."""

    data: dict


@dataclass(frozen=True, slots=True)
class AgentRef:
    """An Agentverse agent a turn involves; any of the three may be "" (name is usually set)."""

    name: str
    handle: str = ""
    """Without the leading `@`."""
    address: str = ""

    @property
    def key(self) -> str:
        """The local identity: handle, else address, else name."""
        return self.handle or self.address or self.name

    @property
    def label(self) -> str:
        """"Name (@handle)", or whichever of the two is known."""
        if self.name and self.handle:
            return f"{self.name} (@{self.handle})"
        return self.name or (f"@{self.handle}" if self.handle else self.address)


def agents_label(agents: Iterable[AgentRef]) -> str | None:
    """Who is working, for a status line: "Ref Image Agent", "A, B" (None: not known)."""
    names = [a.name or a.label for a in agents]
    return ", ".join(names) if names else None


@dataclass(frozen=True, slots=True)
class AgentsContacted:
    """The model handed (part of) the turn to these Agentverse agents."""

    agents: tuple[AgentRef, ...]


TurnEvent = (TurnReasoning | TurnContent | TurnRetrying | AgentWaiting | AgentsContacted | TurnFinal | TurnFailed
             | TurnToolCall | TurnExtras | AgentProgress | TurnUsage)
