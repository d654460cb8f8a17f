"""`asi-chat ask` and `asi-chat resume`: turn events printed for a shell."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import AsyncIterator

from app.cli.output import TurnPrinter
from app.core.agents.names import merge_agents
from app.core.errors import AsiChatError, failure_status
from app.core.growing_text import GrowingText
from app.core.runtime import Runtime
from app.core.store.records import AgentWait
from app.core.tools.approval import Approver
from app.core.tools.events import ToolNotice
from app.core.trace import TraceBuilder
from app.core.wire.events import (
    AgentProgress,
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    TurnContent,
    TurnEvent,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnRetrying,
    TurnToolCall,
)


class _TraceLines:
    """The turn's trace, folded as its events come; with `verbose`, a line per step on stderr
    (again when a step's status or title changes: a tool call's result, a failed poll)."""

    def __init__(self, printer: TurnPrinter, verbose: bool, builder: TraceBuilder | None = None) -> None:
        self.printer, self.verbose = printer, verbose
        self.builder = builder or TraceBuilder()
        self._shown: dict[int, str] = {}

    def add(self, event: TurnEvent) -> None:
        changed = self.builder.add(event, time.time())
        if not self.verbose:
            return
        start = next((s.time for s in self.builder.steps if s.time), None)
        for step in changed:
            # A step is printed when it appears and again when its status changes (a call's
            # result, the agent done), not for every retitling (the running token count).
            if self._shown.get(step.index) != step.status:
                self._shown[step.index] = step.status
                self.printer.trace_step(step.line(start))


async def _print_turn(events: AsyncIterator[TurnEvent], printer: TurnPrinter, result: dict,
                      trace: _TraceLines | None = None) -> int:
    """Print one turn's events; fill `result` (its `trace` too); return the exit code."""
    trace = trace or _TraceLines(printer, False)
    code = 0
    content, reasoning = GrowingText(result.get("content", "")), GrowingText(result.get("reasoning", ""))
    settled = False  # a final or failed event set the result's text
    async for event in events:
        trace.add(event)
        match event:
            case TurnReasoning(text):
                reasoning.append(text)
                printer.reasoning(text)
            case TurnContent(text):
                content.append(text)
                printer.content(text)
            case ToolNotice(text):
                printer.note(f"asi-chat: {text}")
            case TurnToolCall(call):
                calls = result.setdefault("tool_calls", [])
                entry = {"id": call.id, "name": call.name, "args": call.args, "result": call.result}
                if call.server is not None:  # an MCP tool's call: where it ran, how it went, how long
                    entry.update(server=call.server, status=call.status, duration_ms=call.duration_ms)
                    if call.status == "declined":
                        result.setdefault("declined", [])
                        if call.name not in result["declined"]:
                            result["declined"].append(call.name)
                same = [i for i, c in enumerate(calls) if c["id"] == call.id]
                if same:
                    calls[same[0]] = entry  # its result arrived
                else:
                    calls.append(entry)
                details = {} if call.server is None else {
                    "server": call.server, "status": call.status, "duration_ms": call.duration_ms}
                printer.tool_call(call.id, call.name, call.args, call.result, **details)
            case AgentsContacted(agents):
                known = [AgentRef(**a) for a in result.get("agents", [])]
                result["agents"] = [_agent_dict(a) for a in merge_agents(known, agents)]
                printer.status("Agents at work: " + ", ".join(a.label for a in agents))
            case TurnRetrying(attempt, retries, delay, reason):
                printer.status(f"{reason} Retrying in {delay:.1f} s ({attempt}/{retries})…")
            case AgentWaiting(ack, 0, attempts, _):
                printer.end_of_reply()
                result["acknowledgement"] = ack
                printer.status(f"{ack} — waiting for the agent (up to {attempts} polls)…")
            case AgentWaiting(ack, attempt, attempts, elapsed, last_error):
                note = f" — last poll failed: {last_error}" if last_error else ""
                printer.status(f"Waiting for the agent: poll {attempt}/{attempts}, {elapsed:.0f} s{note}")
            case AgentProgress(text, attempt):
                printer.status(f"{text} (poll {attempt})")
            case TurnFinal(final, final_reasoning, usage, deferred):
                settled = True
                result.update(content=final, reasoning=final_reasoning, status="complete",
                              usage=usage.as_dict() if usage else None)
                if deferred:
                    printer.final(final)
                else:
                    printer.end_of_reply()
            case TurnFailed(error, partial):
                settled = True
                printer.end_of_reply()
                printer.finish()
                # The stored status: "interrupted" for a reply cut short, as the app and export say.
                result.update(content=partial.content, reasoning=partial.reasoning,
                              status=failure_status(error), error=str(error))
                print(f"asi-chat: {error}", file=sys.stderr)
                code = getattr(error, "exit_code", 1)
    if not settled:
        result.update(content=str(content), reasoning=str(reasoning))
    result["trace"] = [step.as_dict() for step in trace.builder.steps]
    printer.finish()
    return code


def _agent_dict(agent: AgentRef) -> dict[str, str]:
    return {"name": agent.name, "handle": agent.handle, "address": agent.address}


async def _noting_empty(events: AsyncIterator[TurnEvent], result: dict) -> AsyncIterator[TurnEvent]:
    """Pass `events` on, setting result["any"] once one arrived."""
    async for event in events:
        result["any"] = True
        yield event


def _printer(as_json: bool, show_reasoning: bool) -> TurnPrinter:
    if as_json:  # only progress on stderr; the JSON object is printed at the end
        return TurnPrinter(show_reasoning=False, out=io.StringIO())
    return TurnPrinter(show_reasoning=show_reasoning)


async def run_ask(runtime: Runtime, conversation_id: int, prompt: str, *,
                  as_json: bool = False, show_reasoning: bool = True, agent_handle: str | None = None,
                  allowed_tools: tuple[str, ...] = (), use_tools: bool = True,
                  approver: Approver | None = None, verbose: bool = False) -> int:
    """Send `prompt` in a stored conversation, print the reply; return the exit code.

    `agent_handle` is the agent addressed (`--agent`; its handle is already in `prompt`).
    MCP tools in `allowed_tools` run unasked; others go to `approver` (None: declined).
    With a schema on the conversation, a reply that is not JSON exits 4 (the text is kept).
    `verbose` prints the turn's trace on stderr, a dim line per step as it happens.
    """
    conversation = runtime.store.get_conversation(conversation_id)
    result = {"conversation_id": conversation.id, "session_id": conversation.session_id,
              "model": conversation.model, "content": "", "reasoning": "", "usage": None,
              "status": "streaming", "tool_calls": [], "agents": []}
    if agent_handle:
        result["agents"] = [_agent_dict(AgentRef(agent_handle, agent_handle))]
        from app.cli.agents import addressed_warning

        warning = await addressed_warning(runtime.settings, runtime.store, agent_handle)
        if warning:
            print(f"asi-chat: {warning}", file=sys.stderr)
    try:
        events = runtime.chat.send(conversation.id, prompt, agent_handle=agent_handle, approver=approver,
                                   allowed_tools=allowed_tools, use_tools=use_tools)
        printer = _printer(as_json, show_reasoning)
        trace = _TraceLines(printer, verbose, TraceBuilder(agent_info=runtime.chat.agent_info))
        code = await _print_turn(events, printer, result, trace)
    finally:
        await runtime.aclose()
    for name in result.pop("declined", []):
        print(f"asi-chat: the tool {name} was not run (the model was told it was declined);"
              f" allow it with --allow-tool {name}.", file=sys.stderr)
    if code == 0 and runtime.store.response_schema(conversation.id) is not None:
        try:
            result["json"] = json.loads(result["content"])
        except ValueError:
            print(f"asi-chat: the reply is not valid JSON (kept in conversation {conversation.id}).",
                  file=sys.stderr)
            code = 4
    if as_json:
        result["images"] = [i.url for i in runtime.store.images(conversation.id)]
        if not show_reasoning:
            del result["reasoning"]  # --no-reasoning: not in the object either
        TurnPrinter(out=sys.stdout)._write(json.dumps(result, ensure_ascii=False) + "\n")
    return code


async def run_resume(runtime: Runtime, waits: list[AgentWait]) -> int:
    """Resume each pending wait with a fresh poll budget; print each result."""
    worst = 0
    try:
        for wait in waits:
            conversation = runtime.store.get_conversation(wait.conversation_id)
            print(f"Conversation {conversation.id} ({conversation.title or 'untitled'}):", file=sys.stderr)
            result = {"content": "", "reasoning": ""}
            events = runtime.chat.resume(wait, fresh_budget=True)
            try:
                code = await _print_turn(_noting_empty(events, result), TurnPrinter(), result)
                if not result.get("any"):  # the service yields nothing for a wait claimed elsewhere
                    print("asi-chat: another running asi-chat is already waiting for this agent.",
                          file=sys.stderr)
            except AsiChatError as exc:
                print(f"asi-chat: {exc}", file=sys.stderr)
                code = exc.exit_code
            worst = worst or code
    finally:
        await runtime.aclose()
    return worst
