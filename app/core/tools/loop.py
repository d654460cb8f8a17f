"""The tool loop: the model asks for tools, the allowed ones run, the model goes on.

`run_with_tools` wraps `TurnEngine.run`: it starts the MCP servers (once per session),
offers their tools, and each time a reply ends with `tool_calls` it asks the approval
policy about each call (one at a time: a user answers one card at a time), runs the
allowed ones in parallel, and sends the history again with the assistant's `tool_calls`
and one `role: tool` message per call, until a reply has no tool calls or the rounds run
out. Every call becomes `TurnToolCall` events (pending, then its result and status), so the
history and every front end see them. Cancelling the turn cancels the running tools.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from app.core.errors import AsiChatError
from app.core.request import TurnRequest
from app.core.tools.approval import Approval, ApprovalPolicy, ToolCallRequest
from app.core.tools.events import ToolCallsWanted, ToolNotice
from app.core.tools.naming import OfferedTool
from app.core.tools.servers import McpManager
from app.core.wire.events import ToolCall, TurnEvent, TurnFailed, TurnToolCall

DECLINED = "The user declined to run this tool."


class ToolRoundsExceeded(AsiChatError):
    """The model kept asking for tools past the configured number of rounds."""


def _arguments(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def _run_call(manager: McpManager, tool: OfferedTool | None, call: ToolCall,
                    approval: Approval) -> ToolCall:
    """One call's outcome as a `ToolCall` with result, status and time."""
    if tool is None:
        return replace(call, result=f"There is no tool named {call.name}.", status="failed")
    if approval is Approval.DENY:
        return replace(call, result=DECLINED, status="declined")
    arguments = _arguments(call.args)
    if arguments is None:
        return replace(call, result="The arguments are not a JSON object.", status="failed")
    began = time.perf_counter()
    text, status = await manager.call(tool, arguments)
    return replace(call, result=text, status=status, duration_ms=round((time.perf_counter() - began) * 1000))


def _assistant_message(content: str, calls: list[ToolCall]) -> dict[str, Any]:
    return {"role": "assistant", "content": content or None, "tool_calls": [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.args}} for c in calls]}


async def run_with_tools(engine: Any, manager: McpManager, history: list[dict[str, Any]],
                         request: TurnRequest, policy: ApprovalPolicy) -> AsyncIterator[TurnEvent | ToolNotice]:
    """The engine's turn events, with the MCP tools offered and their calls run."""
    if request.tools_enabled and manager.configured:
        for problem in await manager.start():
            yield ToolNotice(problem)
        offered = {name: tool for name, tool in manager.offered().items()
                   if tool.server not in request.servers_off}
        if offered:
            request = replace(request, tools=tuple(t.spec() for t in offered.values()))
    else:
        offered = {}
    history = list(history)
    for round_no in range(1, manager.settings.max_rounds + 2):
        wanted: ToolCallsWanted | None = None
        async for event in engine.run(history, request):
            if isinstance(event, ToolCallsWanted):
                wanted = event
                break
            yield event
        if wanted is None:
            return
        calls = [c for c in wanted.completion.tool_calls.values() if c.result is None]
        if round_no > manager.settings.max_rounds or not calls:
            reason = (f"The model asked for tools {manager.settings.max_rounds} rounds in a row; stopped there"
                      f" (mcp.max_rounds)." if calls else "The model asked for tools but named none.")
            yield TurnFailed(ToolRoundsExceeded(reason), wanted.completion)
            return
        decided: list[tuple[ToolCall, OfferedTool | None, Approval]] = []
        for call in calls:
            tool = offered.get(call.name)
            call = replace(call, server=tool.server if tool else None, status="pending")
            yield TurnToolCall(call)
            approval = Approval.DENY
            if tool is not None:
                approval = await policy.decide(ToolCallRequest(call.id, call.name, tool.server, call.args))
            decided.append((call, tool, approval))
        for call, _, approval in decided:
            if approval is not Approval.DENY:
                yield TurnToolCall(replace(call, status="running"))
        done = await asyncio.gather(*(_run_call(manager, tool, call, approval) for call, tool, approval in decided))
        for call in done:
            yield TurnToolCall(call)
        history += [_assistant_message(wanted.completion.content, list(done)),
                    *({"role": "tool", "tool_call_id": c.id, "content": c.result or ""} for c in done)]
