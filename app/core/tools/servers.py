"""The MCP servers of one session: started on demand, kept, stopped at exit.

Each server lives in a task of its own that enters its transport and `ClientSession`
(the SDK's anyio scopes must be entered and left by the same task) and then waits to be
told to stop; so one server that crashes or hangs cannot take the others with it, and a
start that times out is cancelled as a whole task. The `McpManager` owns those tasks.
Nothing here blocks the event loop: processes are spawned and read asynchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.sanitize import clean
from app.core.tools.naming import OfferedTool, offer
from app.core.tools.results import capped, result_text
from app.core.tools.settings import McpServerConfig, McpSettings

SECRET_VARIABLES = frozenset({"ASI_ONE_API_KEY"})
STOP_GRACE = 5.0
"""Seconds a stopping server's task gets to close its session and end its process."""


def one_line(exc: BaseException) -> str:
    """An exception as one short line (the first leaf of an exception group)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = " ".join(clean(str(exc)).split()) or type(exc).__name__
    return text[:300]


@dataclass(eq=False)
class ServerState:
    """What is known of one server: `status` is stopped, starting, ready, failed or crashed."""

    config: McpServerConfig
    status: str = "stopped"
    error: str | None = None
    tools: list[Any] = field(default_factory=list)
    session: Any = None
    task: asyncio.Task | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    started_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The `asi-chat tools --json` form."""
        return {"name": self.config.name, "transport": self.config.transport, "status": self.status,
                "error": self.error, "start_seconds": self.started_s,
                "tools": [{"name": t.name, "description": clean(t.description or "")} for t in self.tools]}


def server_env(config: McpServerConfig, secret: str | None) -> dict[str, str]:
    """The environment a stdio server gets on top of the SDK's safe defaults (HOME, PATH,
    ...): only what its config names, never the ASI:One key."""
    return {k: v for k, v in config.env if k not in SECRET_VARIABLES and not (secret and secret in v)}


def carries_secret(config: McpServerConfig, secret: str | None) -> bool:
    """True when the config would hand the ASI:One key to the server (args, env, headers, url)."""
    if not secret:
        return False
    values = [*config.args, *(v for _, v in config.env), *(v for _, v in config.headers), config.url or ""]
    return any(secret in v for v in values)


def _import_sdk() -> None:
    import mcp  # noqa: F401
    import mcp.client.stdio  # noqa: F401
    import mcp.client.streamable_http  # noqa: F401


class McpManager:
    """Starts the configured servers once, offers their tools, calls them, stops them."""

    def __init__(self, settings: McpSettings, log_dir: Path, *, secret: str | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self._secret = secret
        self._clock = clock
        self.states = {s.name: ServerState(s) for s in settings.servers}
        self._starting: asyncio.Task | None = None
        self._offered: dict[str, OfferedTool] = {}

    def add(self, config: McpServerConfig) -> bool:
        """Offer one more server (an editor's, through ACP), started with the next turn that
        may use tools; False when one of that name is there already."""
        if config.name in self.states:
            return False
        self.states[config.name] = ServerState(config)
        return True

    @property
    def configured(self) -> bool:
        """True when at least one server is configured."""
        return bool(self.states)

    async def start(self) -> list[str]:
        """Start every server not yet started (at once, each within the start timeout);
        the one-line problems of those that failed now. Concurrent callers share one start."""
        if self._starting is None or self._starting.done() and self._unstarted():
            self._starting = asyncio.ensure_future(self._start_all())
        return list(await asyncio.shield(self._starting))

    def _unstarted(self) -> list[ServerState]:
        return [s for s in self.states.values() if s.status == "stopped"]

    async def _start_all(self) -> list[str]:
        # The SDK (pydantic models, anyio, httpx2) takes a second or more to import on a busy
        # machine: in a thread, so the event loop (typing, drawing) goes on meanwhile.
        await asyncio.to_thread(_import_sdk)
        states = self._unstarted()
        await asyncio.gather(*(self._start_one(s) for s in states))
        self._offered = offer([(s.config.name, t.name, t.description or "", t.input_schema)
                               for s in self.states.values() if s.status == "ready" for t in s.tools])
        return [f"MCP server {s.config.name}: {s.error}" for s in states if s.status != "ready"]

    async def _start_one(self, state: ServerState) -> None:
        if carries_secret(state.config, self._secret):
            state.status, state.error = "failed", "not started: its settings carry the ASI:One key"
            return
        state.status, state.error = "starting", None
        state.ready, state.stop = asyncio.Event(), asyncio.Event()
        began = self._clock()
        state.task = asyncio.create_task(self._serve(state), name=f"mcp-{state.config.name}")
        try:
            await asyncio.wait_for(state.ready.wait(), self.settings.start_timeout)
        except TimeoutError:
            state.task.cancel()  # not a graceful stop: it must not turn ready after all
            await asyncio.wait({state.task}, timeout=STOP_GRACE)
            state.status = "failed"
            state.error = f"did not start within {self.settings.start_timeout:g} s (log: {self._log_path(state)})"
            return
        state.started_s = round(self._clock() - began, 3)

    def _log_path(self, state: ServerState) -> Path:
        return self.log_dir / f"mcp-{state.config.name}.log"

    async def _serve(self, state: ServerState) -> None:
        from mcp import ClientSession

        config = state.config
        try:
            async with contextlib.AsyncExitStack() as stack:
                if config.command:
                    from mcp.client.stdio import StdioServerParameters, stdio_client

                    self.log_dir.mkdir(parents=True, exist_ok=True)
                    errlog = stack.enter_context(open(self._log_path(state), "a", encoding="utf-8"))
                    params = StdioServerParameters(command=os.path.expanduser(config.command),
                                                   args=list(config.args), env=server_env(config, self._secret))
                    read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
                else:
                    import httpx2
                    from mcp.client.streamable_http import streamable_http_client

                    http = await stack.enter_async_context(httpx2.AsyncClient(
                        headers=dict(config.headers), timeout=self.settings.call_timeout))
                    read, write = await stack.enter_async_context(streamable_http_client(config.url, http_client=http))
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                state.tools = list((await session.list_tools()).tools)
                state.session, state.status = session, "ready"
                state.ready.set()
                await state.stop.wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a server is its own, one line
            state.status = "crashed" if state.status == "ready" else "failed"
            state.error = one_line(exc)
        finally:
            state.session = None
            state.ready.set()

    async def _end(self, state: ServerState) -> None:
        state.stop.set()
        task = state.task
        if task is not None and not task.done():
            done, _ = await asyncio.wait({task}, timeout=STOP_GRACE)
            if not done:
                task.cancel()
                await asyncio.wait({task}, timeout=STOP_GRACE)
        state.session = None

    def offered(self) -> dict[str, OfferedTool]:
        """The tools of the running servers, by the name offered to the model."""
        return {name: tool for name, tool in self._offered.items()
                if self.states[tool.server].status == "ready"}

    async def call(self, tool: OfferedTool, arguments: dict[str, Any]) -> tuple[str, str]:
        """Run one tool: (result text, status), status ok, error (the tool said so),
        failed (the server could not run it) or timeout. Never raises but for cancellation."""
        state = self.states[tool.server]
        if state.session is None:
            return f"The MCP server {tool.server} is not running ({state.error or state.status}).", "failed"
        try:
            async with asyncio.timeout(self.settings.call_timeout):
                result = await state.session.call_tool(tool.tool, arguments)
        except TimeoutError:
            return (f"The tool {tool.name} did not answer within {self.settings.call_timeout:g} s.",
                    "timeout")
        except Exception as exc:  # noqa: BLE001 - the server's failure, reported to the model and user
            if state.task is not None and state.task.done() or "closed" in str(exc).lower():
                # Its process is gone: later calls say so at once instead of failing again.
                state.status, state.error, state.session = "crashed", f"stopped: {one_line(exc)}", None
            return capped(f"The tool {tool.name} failed: {one_line(exc)}"), "failed"
        return result_text(result), "error" if result.is_error else "ok"

    def status(self) -> list[dict[str, Any]]:
        """Every server's state, in config order."""
        return [s.as_dict() for s in self.states.values()]

    async def aclose(self) -> None:
        """Stop every server (each gets a grace period, then its task is cancelled)."""
        await asyncio.gather(*(self._end(s) for s in self.states.values()))
        for state in self.states.values():
            if state.status in ("ready", "starting"):
                state.status = "stopped"
