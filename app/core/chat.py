"""Turns on stored conversations: the engine's events written to the store as they happen.

Every front end (the `ask` command, the TUI) runs turns through `ChatService`, so the
same guarantees hold everywhere: the user's message is stored before the request goes
out; the reply is stored from its first byte, updated while it streams (throttled) and
finalised with its status; a deferral becomes a pending wait that survives the process.
Each running reply is a `Turn` the service registers; cancelling, stopping a wait and
deleting a conversation go through the service, which lets the turn settle first.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from app.core.agents.store import AgentStore
from app.core.engine import TurnEngine
from app.core.errors import AsiChatError, StoreError, TurnBusy, TurnCancelled, WaitStopped
from app.core.history import build_history
from app.core.options import TurnDefaults, request_for, response_format
from app.core.recorder import FLUSH_BYTES, FLUSH_SECONDS, ReplyRecorder  # noqa: F401 - re-exported
from app.core.store.records import INTERRUPTED_NOTE, AgentWait, Message, MessageStatus, Role
from app.core.store.store import Store
from app.core.store.tree import new_session_id
from app.core.tools.approval import ApprovalPolicy, Approver
from app.core.trace import TraceBuilder
from app.core.turn import Turn, WaitProgress
from app.core.wire.events import (
    AgentRef,
    AgentsContacted,
    AgentWaiting,
    Completion,
    TurnContent,
    TurnEvent,
    TurnExtras,
    TurnFailed,
    TurnFinal,
    TurnReasoning,
    TurnToolCall,
)

if TYPE_CHECKING:
    from app.core.tools.servers import McpManager


def process_owner() -> str:
    """Who holds a wait's claim: host and pid, unique among running processes."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_gone(owner: str) -> bool:
    """True when `owner` (a `process_owner()`) is a process of this host that has ended."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its lease can tell
    try:
        os.kill(int(pid), 0)  # signal 0: existence check only
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, but belongs to someone else
    return False


class ChatService:
    """Runs turns and agent waits for the conversations in one store."""

    def __init__(self, store: Store, engine: TurnEngine, *, owner: str | None = None,
                 defaults: TurnDefaults | None = None, tools: McpManager | None = None) -> None:
        self.store = store
        self.engine = engine
        self.tools = tools
        """The session's MCP servers (None or none configured: no tools are offered)."""
        self.approver: Approver | None = None
        """Asks the user about a tool call when a turn is started without its own approver
        (the app sets its card here); None: calls not allowed beforehand are declined."""
        self.owner = owner or process_owner()
        self.defaults = defaults or TurnDefaults()
        self.turns: dict[int, Turn] = {}
        """The running turns, by conversation (one at most in each)."""

    def running(self, conversation_id: int | None) -> Turn | None:
        """The turn running in the conversation, if any."""
        return self.turns.get(conversation_id) if conversation_id is not None else None

    def _check_idle(self, conversation_id: int) -> None:
        if conversation_id in self.turns:
            raise TurnBusy("A reply is still running in this conversation: wait for it, or press Esc"
                           " to cancel it.")

    # -- starting turns ---------------------------------------------------------------

    def start(self, conversation_id: int, prompt: str, *, model: str | None = None,
              parent_id: int | None | object = ..., new_branch: bool = False,
              agent_handle: str | None = None, approver: Approver | None = None,
              allowed_tools: Iterable[str] = (), use_tools: bool = True) -> Turn:
        """Store `prompt` (under `parent_id`, default the end of the branch on screen) and start
        the turn that answers it. `new_branch` starts a branch of its own (an edited question):
        a new session id, and the conversation shows it. `agent_handle` (else the first
        `@handle` in the prompt) is the agent addressed. `approver` asks about tool calls not in
        `allowed_tools` (nor always allowed in the conversation); `use_tools=False` offers none."""
        self._check_idle(conversation_id)
        conversation = self.store.get_conversation(conversation_id)
        model = model or conversation.model
        prompt_message = self.store.add_message(
            conversation.id, Role.USER, prompt, model=model, parent_id=parent_id,
            session_id=new_session_id() if new_branch else None, activate=new_branch)
        handles = AgentStore(self.store).record_handles(prompt_message.id, prompt)  # the @handles addressed
        return self._answer(prompt_message, model, activate=False,
                            agent_handle=agent_handle or (handles[0] if handles else None),
                            approver=approver, allowed_tools=allowed_tools, use_tools=use_tools)

    def regenerate(self, message_id: int, *, model: str | None = None) -> Turn:
        """Ask again for the reply `message_id` is (or answers): a new branch beside it, with a
        new session id. On a user message, its reply is asked for again."""
        message = self.store.get_message(message_id)
        self._check_idle(message.conversation_id)
        prompt = self.store.prompt_of(message)
        if prompt is None:
            raise StoreError("There is no question to ask again before that message.")
        model = model or self.store.get_conversation(message.conversation_id).model
        self.store.set_active_leaf(prompt.conversation_id, prompt.id)  # the new branch is on screen from now
        return self._answer(prompt, model, activate=True, session_id=new_session_id())

    def edit(self, message_id: int, text: str, *, model: str | None = None) -> Turn:
        """Send `text` instead of the user message `message_id`: a new branch from that point."""
        message = self.store.get_message(message_id)
        if message.role != Role.USER:
            raise StoreError("Only your own messages can be edited; press r to ask again for a reply.")
        return self.start(message.conversation_id, text, model=model, parent_id=message.parent_id,
                          new_branch=True)

    def _answer(self, prompt: Message, model: str, *, activate: bool, session_id: str | None = None,
                agent_handle: str | None = None, approver: Approver | None = None,
                allowed_tools: Iterable[str] = (), use_tools: bool = True) -> Turn:
        conversation = self.store.get_conversation(prompt.conversation_id)
        session_id = session_id or prompt.session_id or conversation.session_id
        request = replace(request_for(conversation, self.defaults, model=model).with_session(session_id),
                          agent_handle=agent_handle, tools_enabled=use_tools,
                          response_format=response_format(self.store.response_schema(conversation.id)))
        history = build_history(self.store.branch(prompt.conversation_id, prompt.id), model, request.system_prompt)
        recorder = ReplyRecorder(self.store, prompt.conversation_id, model, parent_id=prompt.id,
                                 session_id=session_id, activate=activate)
        turn = Turn(prompt.conversation_id, request, prompt_id=prompt.id, parent_id=prompt.id)
        turn.tracer = TraceBuilder(agent_info=self.agent_info)
        self._launch(turn, self._events(prompt.conversation_id, history, request, approver,
                                                allowed_tools), recorder, None)
        return turn

    def _events(self, cid: int, history: list, request, approver: Approver | None,
                allowed_tools: Iterable[str]) -> AsyncIterator[TurnEvent]:
        """The engine's events, through the tool loop when MCP servers may be offered."""
        if self.tools is None or not self.tools.configured or not request.tools_enabled:
            return self.engine.run(history, request)
        from app.core.tools.loop import run_with_tools

        policy = ApprovalPolicy(approver or self.approver,
                                {*allowed_tools, *self.store.allowed_tools(cid)},
                                remember=lambda tool: self.store.allow_tool(cid, tool))
        request = replace(request, servers_off=frozenset(self.store.servers_off(cid)))
        return run_with_tools(self.engine, self.tools, history, request, policy)

    def start_resume(self, wait: AgentWait, *, fresh_budget: bool = False) -> Turn | None:
        """Go on polling a wait left pending (by this run or an earlier one); None when another
        running process holds it, or a turn already runs in its conversation."""
        if wait.conversation_id in self.turns:
            return None
        claimed_by = (self.store.get_wait(wait.id) or wait).claimed_by
        if claimed_by and claimed_by != self.owner and owner_gone(claimed_by):
            # Its poller was killed (kill -9, a crash) before its lease ran out: take over now.
            self.store.release_wait(wait.id, claimed_by)
        if not self.store.claim_wait(wait.id, self.owner, self._lease()):
            return None
        conversation = self.store.get_conversation(wait.conversation_id)
        ack = self.store.get_message(wait.message_id)
        model = ack.model or conversation.model
        request = request_for(conversation, self.defaults, model=model).with_session(
            ack.session_id or conversation.session_id)
        earlier = self.store.branch(conversation.id, ack.parent_id) if ack.parent_id else []
        history = build_history(earlier, model, request.system_prompt)
        history.append({"role": "assistant", "content": wait.acknowledgement})
        attempts_made, attempts, started = wait.attempts_made, wait.attempts_total, wait.started_at
        if fresh_budget:
            attempts_made, attempts, started = 0, self.engine.poll_attempts, time.time()
            self.store.update_wait(wait.id, attempts_made=0, attempts_total=attempts)
        recorder = ReplyRecorder(self.store, conversation.id, model, parent_id=ack.id,
                                 session_id=request.session_id)
        recorder.closed = True  # nothing of its own until the agent's reply starts
        progress = WaitProgress(wait.acknowledgement, attempts_made, attempts, started, wait.last_error)
        turn = Turn(conversation.id, request, parent_id=ack.id, wait=progress, ack_id=ack.id)
        turn.tracer = TraceBuilder(self.store.trace(ack.id), agent_info=self.agent_info)  # goes on from the stored one
        turn.agents = [AgentRef(a.name, a.handle, a.address) for a in AgentStore(self.store).agents_for_message(ack.id)]
        events = self.engine.wait_for_agent(history, request, attempts_made=attempts_made, attempts=attempts,
                                            started_at=started, reasoning=ack.reasoning)
        self._launch(turn, events, recorder, wait)
        return turn

    def resume_pending(self) -> list[Turn]:
        """At launch: mark interrupted what an ended process left streaming, and resume every
        pending wait. One that used up its polls in an earlier run gets a fresh budget: the
        agent may have finished since, and the ⏳ in the list promises an answer."""
        self.store.recover_interrupted()
        turns = []
        for wait in self.store.pending_waits():
            turn = self.start_resume(wait, fresh_budget=wait.attempts_made >= wait.attempts_total)
            if turn is not None:
                turns.append(turn)
        return turns

    def restart_wait(self, conversation_id: int) -> Turn | None:
        """Wait again for the conversation's stopped (or given up) agent wait, with a fresh
        budget of polls; None when there is none."""
        self._check_idle(conversation_id)
        waits = self.store.stopped_waits(conversation_id) or self.store.pending_waits(conversation_id)
        if not waits:
            return None
        wait = self.store.restart_wait(waits[0].id, self.engine.poll_attempts)
        return self.start_resume(wait) if wait is not None else None

    # -- stopping -------------------------------------------------------------------

    async def cancel(self, conversation_id: int) -> Turn | None:
        """Cancel the conversation's running turn and wait until it has settled."""
        turn = self.turns.get(conversation_id)
        if turn is not None:
            turn.cancel()
            await turn.settled()
        return turn

    async def stop_wait(self, conversation_id: int) -> bool:
        """Stop waiting for the conversation's agent: its waits are kept, stopped (shown as such,
        resumable), and the polling turn settles. False when nothing was waited on."""
        waits = self.store.pending_waits(conversation_id)
        turn = self.turns.get(conversation_id)
        # Stored as stopped before the turn ends: whoever is told of its end reads it so.
        for wait in waits:
            self.store.stop_wait(wait.id)
        if turn is not None and turn.wait is not None:
            turn.stopping = True
            turn.cancel()
            await turn.settled()
        return bool(waits) or (turn is not None and turn.wait is not None)

    async def delete_conversation(self, conversation_id: int) -> None:
        """Delete a conversation once its running turn (if any) has settled."""
        await self.cancel(conversation_id)
        self.store.delete_conversation(conversation_id)

    async def shutdown(self) -> None:
        """Cancel every running turn and wait until each has stored what it had."""
        turns = list(self.turns.values())
        for turn in turns:
            turn.cancel()
        for turn in turns:
            await turn.settled()

    # -- generators over a turn (the shell's way) --------------------------------------

    async def send(self, conversation_id: int, prompt: str, *, model: str | None = None,
                   agent_handle: str | None = None, approver: Approver | None = None,
                   allowed_tools: Iterable[str] = (), use_tools: bool = True) -> AsyncIterator[TurnEvent]:
        """Store `prompt`, run the turn, and yield its events as they are stored."""
        turn = self.start(conversation_id, prompt, model=model, agent_handle=agent_handle, approver=approver,
                          allowed_tools=allowed_tools, use_tools=use_tools)
        async for event in self._follow(turn):
            yield event

    async def resume(self, wait: AgentWait, *, fresh_budget: bool = False) -> AsyncIterator[TurnEvent]:
        """`start_resume`'s events; nothing when another process holds the wait."""
        turn = self.start_resume(wait, fresh_budget=fresh_budget)
        if turn is not None:
            async for event in self._follow(turn):
                yield event

    @staticmethod
    async def _follow(turn: Turn) -> AsyncIterator[TurnEvent]:
        try:
            async for event in turn.events():
                yield event
        finally:
            if turn.running:  # the consumer stopped listening (cancelled): stop the turn too
                turn.cancel()
                await turn.settled()

    # -- traces -------------------------------------------------------------------------

    def agent_info(self, agent: AgentRef) -> dict | None:
        """What the cached marketplace listing says of an agent (its trust signals), or None."""
        with _quietly():
            known = AgentStore(self.store).get(agent.handle or agent.key)
            if known is not None and known.listing is not None:
                listing = known.listing
                return {"rating": listing.rating, "recent_success_rate": listing.recent_success_rate,
                        "total_interactions": listing.total_interactions or None}
        return None

    def _save_trace(self, turn: Turn, *, force: bool = False) -> None:
        """Write the turn's trace under its reply (or its acknowledgement while an agent works);
        at most twice a second while it grows (a 500-call turn), always at the end."""
        target = turn.message_id or turn.ack_id
        version = len(turn.tracer.steps), turn.tracer.version
        if target is None or not turn.trace or (version == turn.saved_trace and not force):
            return
        now = time.monotonic()
        if not force and now - turn.trace_saved_at < FLUSH_SECONDS:
            return
        if turn.ack_id is not None and target != turn.ack_id:
            self.store.move_trace(turn.ack_id, target)
        self.store.save_trace(target, turn.trace)
        turn.saved_trace, turn.trace_saved_at = version, now

    # -- driving and recording ----------------------------------------------------------

    def _lease(self) -> float:
        return max(30.0, self.engine.poll_interval * 3)

    def _launch(self, turn: Turn, events: AsyncIterator[TurnEvent], recorder: ReplyRecorder,
                wait: AgentWait | None) -> None:
        self.turns[turn.conversation_id] = turn
        turn.run(self._drive(turn, events, recorder, wait))

    async def _drive(self, turn: Turn, events: AsyncIterator[TurnEvent], recorder: ReplyRecorder,
                     wait: AgentWait | None) -> None:
        try:
            turn.begin()
            async for event in events:
                wait = self._record(event, turn, recorder, wait)
                turn.apply(event)
                self._save_trace(turn, force=isinstance(event, (AgentWaiting, TurnFinal, TurnFailed)))
        except asyncio.CancelledError:
            self._settle_cancelled(turn, recorder, wait)
        except AsiChatError as exc:  # the history could not be written (read-only, damaged, busy)
            turn.apply(TurnFailed(exc, Completion(turn.content, turn.reasoning)))
        finally:
            with _quietly():
                self._save_trace(turn, force=True)
            with _quietly():
                if wait is not None and self.store.get_wait(wait.id) is not None:
                    self.store.release_wait(wait.id, self.owner)
            self.turns.pop(turn.conversation_id, None)
            turn.close()

    def _settle_cancelled(self, turn: Turn, recorder: ReplyRecorder, wait: AgentWait | None) -> None:
        if wait is not None and recorder.closed:
            error = (WaitStopped("Stopped waiting for the agent; resume the wait to go on.")
                     if turn.stopping else TurnCancelled("Closed while waiting for the agent; the wait is kept."))
            turn.apply(TurnFailed(error, Completion(turn.content, turn.reasoning)))
            return
        error = TurnCancelled(INTERRUPTED_NOTE)  # "interrupted", the one word the app, show and export use
        with _quietly():
            if not recorder.closed:
                recorder.finish(MessageStatus.INTERRUPTED, error=str(error))
        turn.apply(TurnFailed(error, Completion(recorder.content, recorder.reasoning)))

    def _record(self, event: TurnEvent, turn: Turn, recorder: ReplyRecorder,
                wait: AgentWait | None) -> AgentWait | None:
        store = self.store
        match event:
            case TurnContent(text):
                recorder.add(content=text)
                turn.message_id = recorder.message.id
            case TurnReasoning(text):
                recorder.add(reasoning=text)
                turn.message_id = recorder.message.id
            case AgentsContacted(agents):
                message_id = wait.message_id if wait is not None else recorder.ensure().id
                AgentStore(store).record_agents(message_id, agents)
            case TurnToolCall(call):
                turn.message_id = recorder.ensure().id
                store.add_tool_call(turn.message_id, call)
            case TurnExtras(data) if wait is not None and recorder.closed:
                store.merge_extras(wait.message_id, data)  # a poll's extras (a handover): the wait's
            case TurnExtras(data):
                turn.message_id = recorder.ensure().id
                store.merge_extras(turn.message_id, data)
            case AgentWaiting(ack, 0, attempts, _) if wait is None:
                message = recorder.finish(MessageStatus.AWAITING_AGENT, content=ack)
                now = time.time()
                wait = store.add_wait(turn.conversation_id, message.id, ack, attempts,
                                      next_poll_at=now + self.engine.poll_interval,
                                      deadline=now + self.engine.poll_interval * attempts)
                store.claim_wait(wait.id, self.owner, self._lease())
                turn.ack_id, turn.message_id, turn.parent_id = message.id, None, message.id
                recorder.restart(message.id)
                recorder.closed = True  # the agent's reply is a message of its own, written when it comes
            case AgentWaiting(_, attempt, _, _, last_error) if wait is not None:
                store.update_wait(wait.id, attempts_made=attempt, last_error=last_error,
                                  next_poll_at=time.time() + self.engine.poll_interval)
                store.claim_wait(wait.id, self.owner, self._lease())
            case AgentsContacted(agents):
                message_id = wait.message_id if wait is not None else recorder._ensure().id
                AgentStore(store).record_agents(message_id, agents)
            case TurnFinal(content, reasoning, usage, deferred):
                usage_dict = usage.as_dict() if usage else None
                if deferred and wait is not None:
                    recorder.closed = False
                message = recorder.finish(MessageStatus.COMPLETE, content=content, reasoning=reasoning,
                                          usage=usage_dict)
                turn.message_id = message.id
                if deferred and wait is not None:
                    store.update_message(wait.message_id, status=MessageStatus.COMPLETE)
                    store.clear_wait(wait.id)
                    return None
            case TurnFailed(error, partial):
                if wait is not None and getattr(error, "ends_wait", False):
                    # ASI:One lost the task (AgentWaitLost): nothing left to resume.
                    store.update_message(wait.message_id, status=MessageStatus.ERROR, error=str(error))
                    store.clear_wait(wait.id)
                    recorder.closed = True
                    return None
                if wait is not None:
                    # The wait stays in the database: `resume` or the next launch goes on.
                    store.update_wait(wait.id, last_error=str(error))
                    recorder.closed = True
                    return wait
                message = recorder.finish(event.status, content=partial.content, reasoning=partial.reasoning,
                                          error=str(error))
                turn.message_id = message.id
            case _:
                pass
        return wait


class _quietly:
    """Run cleanup that must not mask the reason a turn ended (a store that fails again)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        return exc_type is not None and issubclass(exc_type, AsiChatError)
