"""A turn's trace: the agent network at work, as ordered steps.

Each step has a time, a kind, a status (pending → in_progress → completed / failed), a
title and content: ASI:One's tool calls, the manifests and intermediate steps it reports,
each agent contacted, the acknowledgement, each poll and progress message, the delivery,
errors and retries, and the tokens used. The trace is a pure fold over the turn's typed
events (`trace_from`), so a live view (`TraceBuilder.add`, step by step) and a stored one
are the same function. All text in events is already sanitised; the fold caps what it keeps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.agents.names import agents_from_executable_data
from app.core.links import image_sources
from app.core.sanitize import clean
from app.core.tool_display import args_summary, shorten
from app.core.wire.events import (
    AgentProgress,
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    TurnContent,
    TurnEvent,
    TurnExtras,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnRetrying,
    TurnToolCall,
    TurnUsage,
    Usage,
)

PENDING, IN_PROGRESS, COMPLETED, FAILED = "pending", "in_progress", "completed", "failed"
STATUSES = (PENDING, IN_PROGRESS, COMPLETED, FAILED)
KINDS = ("tool", "manifest", "step", "agent", "ack", "poll", "progress", "delivery", "error", "retry", "usage")

TITLE_CAP = 200
CONTENT_CAP = 4000
"""A step keeps at most this much content (a 1 MB manifest is kept capped, and says so)."""
MANIFESTS_CAP = 50

_TEXT_EVENTS = (TurnContent, TurnReasoning)

AgentInfo = Callable[[AgentRef], dict[str, Any] | None]
"""What the marketplace knows of an agent (rating, recent_success_rate, ...), or None."""


def _cap(text: str, limit: int = CONTENT_CAP) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… (capped: {len(text):,} characters, {limit:,} kept)"


def _digest(text: str) -> str:
    # Stable across processes (a resumed wait's stored keys must match): not hash().
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:12]


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return str(value)


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a turn's trace; `key` tells the fold which later event updates it."""

    index: int
    time: float
    """Unix time the step began (0 when unknown: an old history's trace)."""
    kind: str
    status: str
    title: str
    content: str = ""
    agent: str = ""
    """The handle (without `@`) of the agent the step concerns, when known."""
    data: dict[str, Any] = field(default_factory=dict)
    """Structured extras: an agent's name/address/rating, a delivery's images, token counts."""
    key: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (stored, exported, `ask --json`'s `trace`)."""
        return {"index": self.index, "time": self.time, "kind": self.kind, "status": self.status,
                "title": self.title, "content": self.content, "agent": self.agent, "data": self.data,
                "key": self.key}

    @classmethod
    def from_dict(cls, raw: Any) -> TraceStep | None:
        """A step from its JSON form; None for anything malformed (the row is ours, but old)."""
        if not isinstance(raw, dict):
            return None
        try:
            return cls(int(raw.get("index", 0)), float(raw.get("time") or 0.0), str(raw.get("kind", "step")),
                       raw.get("status") if raw.get("status") in STATUSES else COMPLETED,
                       clean(str(raw.get("title", ""))), clean(str(raw.get("content", ""))),
                       str(raw.get("agent", "")), raw.get("data") if isinstance(raw.get("data"), dict) else {},
                       str(raw.get("key", "")))
        except (TypeError, ValueError):
            return None

    def line(self, start: float | None = None) -> str:
        """One plain-text line: status icon, time offset, kind, title (for `ask -v`, `show --trace`)."""
        offset = f"+{max(0.0, self.time - start):5.1f}s" if start and self.time else "       "
        return f"{ICONS.get(self.status, '·')} {offset} {self.kind:<8} {self.title}"


ICONS = {PENDING: "○", IN_PROGRESS: "◐", COMPLETED: "✓", FAILED: "✗"}


def steps_from_json(text: str | None) -> list[TraceStep]:
    """Stored steps (a JSON list); nothing for a missing or unreadable value."""
    try:
        raw = json.loads(text) if text else []
    except ValueError:
        return []
    steps = [s for s in map(TraceStep.from_dict, raw if isinstance(raw, list) else []) if s is not None]
    return [replace(s, index=i) for i, s in enumerate(steps)]


def steps_to_json(steps: Iterable[TraceStep]) -> str:
    return json.dumps([s.as_dict() for s in steps], ensure_ascii=False)


class TraceBuilder:
    """Folds a turn's events into its steps, one event at a time.

    `add` returns the steps it added or changed (what a live view redraws). `steps` may
    start with a stored trace (a wait resumed by a later run goes on from it). `agent_info`
    adds what the marketplace knows of an agent contacted (rating, success rate).
    """

    def __init__(self, steps: Sequence[TraceStep] = (), *, agent_info: AgentInfo | None = None) -> None:
        self.steps: list[TraceStep] = list(steps)
        self.version = 0
        """Counts changes (a step updated in place changes no length)."""
        self._by_key = {s.key: s.index for s in self.steps if s.key}
        self._agent_info = agent_info
        self._tokens = Usage()
        self._last_poll = max((int(s.data.get("attempt", 0)) for s in self.steps if s.kind == "poll"), default=0)
        self._progress_at: int | None = None
        for step in self.steps:
            if step.kind == "usage":
                self._tokens = Usage(*(int(step.data.get(k, 0)) for k in ("prompt_tokens", "completion_tokens",
                                                                             "total_tokens")))

    # -- building ---------------------------------------------------------------------

    def _put(self, kind: str, status: str, title: str, at: float, *, content: str = "", agent: str = "",
             data: dict | None = None, key: str = "") -> TraceStep:
        self.version += 1
        title = shorten(title, TITLE_CAP)
        content = _cap(content)
        index = self._by_key.get(key) if key else None
        if index is not None:
            old = self.steps[index]
            step = replace(old, status=status, title=title, content=content or old.content,
                           agent=agent or old.agent, data={**old.data, **(data or {})})
            self.steps[index] = step
            return step
        step = TraceStep(len(self.steps), at, kind, status, title, content, agent, data or {}, key)
        self.steps.append(step)
        if key:
            self._by_key[key] = step.index
        return step

    def _settle(self, kinds: tuple[str, ...], status: str) -> list[TraceStep]:
        changed = []
        for step in self.steps:
            if step.kind in kinds and step.status in (PENDING, IN_PROGRESS):
                self.version += 1
                self.steps[step.index] = replace(step, status=status)
                changed.append(self.steps[step.index])
        return changed

    def _current_agent(self) -> str:
        return next((s.agent for s in reversed(self.steps) if s.kind == "agent" and s.agent), "")

    def _usage(self, usage: Usage | None, at: float) -> list[TraceStep]:
        if usage is None:
            return []
        t = self._tokens
        t = self._tokens = Usage(t.prompt_tokens + usage.prompt_tokens, t.completion_tokens + usage.completion_tokens,
                                 t.total_tokens + (usage.total_tokens or usage.prompt_tokens + usage.completion_tokens))
        title = f"tokens: {t.total_tokens:,} (prompt {t.prompt_tokens:,} · completion {t.completion_tokens:,})"
        # Running while the turn runs (more replies may add to it); settled by its end.
        return [self._put("usage", IN_PROGRESS, title, at, data=t.as_dict(), key="usage")]

    def add(self, event: TurnEvent, at: float = 0.0) -> list[TraceStep]:
        """Fold one event (received at unix time `at`); return the steps it added or changed."""
        if type(event) in _TEXT_EVENTS:  # most of a turn's events: no step (a 20,000-token reply)
            return []
        match event:
            case TurnToolCall(call):
                summary = args_summary(call.args)
                title = f"{call.name}: {summary}" if summary else call.name
                if call.result:
                    title += " → " + shorten(call.result, 80)
                status = IN_PROGRESS if call.result is None else COMPLETED
                return [self._put("tool", status, title, at, content=call.result or "", key=f"tool:{call.id}",
                                  data={"name": call.name, "args": shorten(call.args, 1000)})]
            case TurnExtras(data):
                return self._extras(data, at)
            case AgentsContacted(agents):
                waiting = any(s.kind == "ack" for s in self.steps)
                return [self._agent(a, at, IN_PROGRESS if waiting else COMPLETED) for a in agents]
            case AgentWaiting(ack, 0, attempts, _, _):
                return [self._put("ack", COMPLETED, ack, at, key="ack",
                                  data={"attempts": attempts}, agent=self._current_agent())]
            case AgentWaiting(_, attempt, attempts, _, last_error):
                self._last_poll = attempt
                if last_error:
                    outcome, status = f"failed: {last_error}", FAILED
                elif self._progress_at == attempt:
                    outcome, status = "progress", COMPLETED
                else:
                    outcome, status = "no result yet", COMPLETED
                return [self._put("poll", status, f"poll {attempt}/{attempts}: {outcome}", at,
                                  key=f"poll:{attempt}", data={"attempt": attempt, "attempts": attempts,
                                                               "outcome": outcome})]
            case AgentProgress(text, attempt):
                self._progress_at = attempt
                return [self._put("progress", COMPLETED, text, at, content=text, agent=self._current_agent(),
                                  data={"attempt": attempt})]
            case TurnUsage(usage):
                return self._usage(usage, at)
            case TurnRetrying(attempt, retries, delay, reason):
                return [self._put("retry", FAILED, f"{reason} retrying in {delay:.1f} s ({attempt}/{retries})", at)]
            case TurnFinal(content, _, usage, deferred):
                return self._final(content, usage, deferred, at)
            case TurnFailed(error, _):
                return self._failed(error, at)
        return []

    def _agent(self, agent: AgentRef, at: float, status: str) -> TraceStep:
        data = {"name": agent.name, "handle": agent.handle, "address": agent.address}
        info = self._agent_info(agent) if self._agent_info else None
        for name in ("rating", "recent_success_rate", "total_interactions"):
            if info and info.get(name) is not None:
                data[name] = info[name]
        title = agent.label
        if data.get("rating") is not None:
            title += f" ★ {data['rating']}"
        if data.get("recent_success_rate") is not None:
            title += f" · {float(data['recent_success_rate']):.0%} recent success"
        key = f"agent:{(agent.handle or agent.address or agent.name).lower()}"
        # The name an acknowledgement gives and a manifest's entry may be one agent: match by name too.
        for step in self.steps:
            if step.kind == "agent" and agent.name and step.data.get("name", "").lower() == agent.name.lower():
                key = step.key
        return self._put("agent", status, title, at, content=agent.address, agent=agent.handle, data=data, key=key)

    def _extras(self, data: dict, at: float) -> list[TraceStep]:
        changed = []
        if isinstance(data.get("capped"), str):
            changed.append(self._put("manifest", COMPLETED, clean(data["capped"]), at,
                                     key=f"capped:{_digest(data['capped'])}"))
        manifests = data.get("executable_data")
        if isinstance(manifests, list):
            for item in manifests[:MANIFESTS_CAP]:
                text = _json(item)
                key = f"manifest:{_digest(text)}"
                if key in self._by_key:
                    continue
                found = agents_from_executable_data([item])
                kind = item.get("type") if isinstance(item, dict) and isinstance(item.get("type"), str) else "manifest"
                title = f"{clean(kind)}: {found[0].label}" if found else clean(kind)
                changed.append(self._put("manifest", COMPLETED, title, at, content=text,
                                         agent=found[0].handle if found else "", key=key))
        steps = data.get("intermediate_steps")
        if isinstance(steps, list):
            for item in steps[:MANIFESTS_CAP]:
                text = _json(item)
                key = f"step:{_digest(text)}"
                if key in self._by_key:
                    continue
                changed.append(self._put("step", COMPLETED, _step_title(item), at, content=text, key=key))
        return changed

    def _final(self, content: str, usage: Usage | None, deferred: bool, at: float) -> list[TraceStep]:
        changed = []
        if deferred:
            attempt = self._last_poll + 1
            changed.append(self._put("poll", COMPLETED, f"poll {attempt}: the result", at, key=f"poll:{attempt}",
                                     data={"attempt": attempt, "outcome": "result"}))
        images = image_sources(content)
        title = (f"delivered {len(images)} image{'s' if len(images) > 1 else ''}" if images
                 else "answer: " + shorten(content, 100))
        changed.append(self._put("delivery", COMPLETED, title, at, content=content, agent=self._current_agent(),
                                 data={"images": [i if not i.startswith("data:") else i[:40] + "…" for i in images]}))
        changed += self._usage(usage, at)
        changed += self._settle(("agent", "tool", "usage"), COMPLETED)
        return changed

    def _failed(self, error: Exception, at: float) -> list[TraceStep]:
        from app.core.errors import failure_status

        # How it ended, in the word the app and the export use ("interrupted", "error", …).
        changed = [self._put("error", FAILED, str(error), at, data={"error": failure_status(error)})]
        kept = any(s.kind == "ack" for s in self.steps) and not getattr(error, "ends_wait", False)
        # A wait that is kept (out of polls, stopped, closed) is not over: its agent still works.
        changed += self._settle(("tool",) if kept else ("agent", "tool"), FAILED)
        changed += self._settle(("usage",), COMPLETED)
        return changed


def _step_title(item: Any) -> str:
    if isinstance(item, str):
        return clean(item)
    if isinstance(item, dict):
        for key in ("title", "name", "step", "action", "tool", "description", "type"):
            if isinstance(item.get(key), str) and item[key].strip():
                return clean(item[key])
    return "step"


def trace_from(events: Iterable[TurnEvent], times: Sequence[float] | None = None, *,
               start: Sequence[TraceStep] = (), agent_info: AgentInfo | None = None) -> list[TraceStep]:
    """The trace of a turn's events (received at `times`, when known), after `start`'s steps."""
    builder = TraceBuilder(start, agent_info=agent_info)
    for i, event in enumerate(events):
        builder.add(event, times[i] if times is not None and i < len(times) else 0.0)
    return builder.steps


def trace_lines(steps: Sequence[TraceStep]) -> list[str]:
    """The trace as plain text lines (`show --trace`)."""
    start = next((s.time for s in steps if s.time), None)
    return [s.line(start) for s in steps]
