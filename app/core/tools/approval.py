"""Nothing runs without the user's say: the approval interface front ends implement.

A front end passes an `Approver` with the send; the `ApprovalPolicy` asks it only for
tools not already allowed (by `--allow-tool`, or "always" earlier in the conversation).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import Enum


class Approval(Enum):
    """The user's answer to one tool call."""

    ONCE = "once"
    """Run this call."""
    ALWAYS = "always"
    """Run this call and every later call of the same tool in this conversation."""
    DENY = "deny"
    """Do not run it; the model is told the user declined."""


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """A call the model wants to make, as shown to the user before it runs."""

    call_id: str
    tool: str
    """The name offered to the model (what `--allow-tool` names)."""
    server: str
    arguments: str
    """The arguments as JSON text (sanitised)."""


Approver = Callable[[ToolCallRequest], Awaitable[Approval]]


async def deny_all(request: ToolCallRequest) -> Approval:
    """The approver of a front end that cannot ask (no terminal): nothing runs unasked."""
    return Approval.DENY


class ApprovalPolicy:
    """Decides each call: allowed tools run, others go to the approver."""

    def __init__(self, approver: Approver | None = None, allowed: Iterable[str] = (),
                 remember: Callable[[str], None] | None = None) -> None:
        self.approver = approver or deny_all
        self.allowed = set(allowed)
        self._remember = remember
        self.declined: list[str] = []
        """Tools declined in this turn, in order (the shell says how to allow them)."""

    async def decide(self, request: ToolCallRequest) -> Approval:
        """ONCE or ALWAYS to run the call, DENY not to."""
        if request.tool in self.allowed:
            return Approval.ALWAYS
        answer = await self.approver(request)
        if answer is Approval.ALWAYS:
            self.allowed.add(request.tool)
            if self._remember is not None:
                self._remember(request.tool)
        elif answer is Approval.DENY and request.tool not in self.declined:
            self.declined.append(request.tool)
        return answer
