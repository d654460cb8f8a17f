"""How the shell commands print: the answer on stdout, reasoning and progress on stderr."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from app.core.store.records import SearchHit
from app.core.wire.deferral import is_acknowledgement, may_be_acknowledgement

DIM, RESET = "\x1b[2m", "\x1b[0m"


class TurnPrinter:
    """Streams one turn to the terminal.

    The answer goes to stdout as it arrives, except a reply that may still turn out to be
    a deferral acknowledgement: that is held back, so a script reading stdout gets only
    the real answer; the acknowledgement is shown on stderr as a status instead.
    """

    def __init__(self, *, show_reasoning: bool = True, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.show_reasoning = show_reasoning
        self.dim = self.err.isatty()
        self._in_reasoning = False
        self._held = ""
        self._answer_started = False
        self._status_line = False
        self._pending_tools: dict[str, tuple[str, str]] = {}
        self.out_closed = False
        """The reader of stdout went away (`| head -1`): the rest is not written, only stored."""

    def _write(self, text: str) -> None:
        if self.out_closed:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except BrokenPipeError:
            self.out_closed = True
            stdout_closed()

    # reasoning ----------------------------------------------------------------------
    def reasoning(self, text: str) -> None:
        if not self.show_reasoning or not text:
            return
        self._clear_status()
        if not self._in_reasoning:
            text = text.lstrip("\n")  # models often open their reasoning with blank lines
            if not text:
                return
            self._in_reasoning = True
            if self.dim:
                self.err.write(DIM)
        self.err.write(text)
        self.err.flush()

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self._in_reasoning = False
            self.err.write(RESET + "\n" if self.dim else "\n")
            self.err.flush()

    # answer -------------------------------------------------------------------------
    def content(self, text: str) -> None:
        self._end_reasoning()
        if not self._answer_started:
            self._held += text
            if may_be_acknowledgement(self._held):
                return
            self._answer_started = True
            text, self._held = self._held, ""
        self._write(text)

    def end_of_reply(self) -> str | None:
        """Called when a streamed reply is over; returns the held acknowledgement, if it was one."""
        self._flush_tools()
        self._end_reasoning()
        held, self._held = self._held, ""
        if held and is_acknowledgement(held):
            return held.strip()
        if held:
            self._write(held)
            self._answer_started = True
        return None

    def final(self, text: str) -> None:
        """The agent's result after a wait."""
        self._clear_status()
        self._write(text)
        self._answer_started = True

    def finish(self) -> None:
        self._flush_tools()
        self._end_reasoning()
        self._clear_status()
        self._write("\n" if self._answer_started else "")

    def tool_call(self, call_id: str, name: str, args: str, result: str | None, **details: Any) -> None:
        """A dim line on stderr per tool call (never on stdout: scripts read the answer there).

        A call announced before its result waits for it, so each call gets one line; one
        whose result never comes is printed when the reply ends.
        """
        if result is None:
            self._pending_tools[call_id] = (name, args)
            return
        self._pending_tools.pop(call_id, None)
        self._tool_line(name, args, result, **details)

    def _tool_line(self, name: str, args: str, result: str | None, **details: Any) -> None:
        """`details`: an MCP call's server, status and duration_ms (see `call_line`)."""
        from app.core.tool_display import call_line

        self._end_reasoning()
        self._clear_status()
        line = call_line(name, args, result, **details)
        self.err.write((DIM + line + RESET if self.dim else line) + "\n")
        self.err.flush()

    def _flush_tools(self) -> None:
        pending, self._pending_tools = self._pending_tools, {}
        for name, args in pending.values():
            self._tool_line(name, args, None)

    # trace --------------------------------------------------------------------------
    def trace_step(self, line: str) -> None:
        """One dim line on stderr per trace step as it happens (`ask -v`)."""
        self._end_reasoning()
        self._clear_status()
        self.err.write((DIM + line + RESET if self.dim else line) + "\n")
        self.err.flush()

    # status -------------------------------------------------------------------------
    def status(self, text: str) -> None:
        """A progress line on stderr, rewritten in place on a terminal."""
        self._end_reasoning()
        if self.err.isatty():
            self.err.write("\r\x1b[2K" + (DIM + text + RESET))
            self._status_line = True
        else:
            self.err.write(text + "\n")
        self.err.flush()

    def note(self, text: str) -> None:
        """A line on stderr that stays (a tool server that failed), unlike `status`."""
        self._end_reasoning()
        self._clear_status()
        self.err.write(text + "\n")
        self.err.flush()

    def _clear_status(self) -> None:
        if self._status_line:
            self.err.write("\r\x1b[2K")
            self._status_line = False


def iso(timestamp: float | None) -> str | None:
    """A unix time as local ISO 8601 (seconds)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


_RAW_IN_JSON = re.compile("[\x80-\x9f\u202a-\u202e\u2066-\u2069]")


def json_text(data: Any) -> str:
    """`data` as indented JSON that is inert in a terminal: JSON escapes the C0 controls
    itself; the C1 ones (an 8-bit CSI) and the bidi overrides are written as \\u escapes
    too (the same value once parsed)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def print_json(data: Any) -> None:
    """Write `data` to stdout as JSON (see `json_text`)."""
    sys.stdout.write(json_text(data))


def stdout_closed() -> None:
    """The reader of stdout is gone: point stdout at /dev/null, so nothing written later
    (nor Python's flush at exit) fails again with a broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


@dataclass
class ConversationHits:
    """One conversation's search hits, best first: what `asi-chat search` prints as one entry."""

    conversation_id: int
    title: str | None
    rank: float
    title_matches: bool = False
    hits: list[SearchHit] = field(default_factory=list)
    """The matching messages (at most `per_conversation`)."""


def group_hits(hits: list[SearchHit], limit: int, per_conversation: int = 3) -> list[ConversationHits]:
    """`hits` (best first) gathered per conversation: `limit` conversations, best first."""
    groups: dict[int, ConversationHits] = {}
    for hit in sorted(hits, key=lambda h: h.rank):
        group = groups.get(hit.conversation_id)
        if group is None:
            if len(groups) >= limit:
                continue
            group = groups[hit.conversation_id] = ConversationHits(hit.conversation_id, hit.conversation_title,
                                                                   hit.rank)
        if hit.message_id is None:
            group.title_matches = True
        elif len(group.hits) < per_conversation:
            group.hits.append(hit)
    return list(groups.values())


def search_lines(groups: list[ConversationHits]) -> list[str]:
    """The text form: the conversation's id and title, then a line per matching message."""
    lines = []
    for group in groups:
        mark = "  [title]" if group.title_matches else ""
        lines.append(f"{group.conversation_id:>6}  {group.title or '(untitled)'}{mark}")
        lines += [f"        [{hit.role}] {' '.join(hit.snippet.split())}" for hit in group.hits]
    return lines
