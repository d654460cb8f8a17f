"""Run the ACP agent on stdio: logs to a file, protocol alone on stdout, clean end on EOF."""

from __future__ import annotations

import logging
from pathlib import Path

from acp import run_agent

from app.acp.agent import AsiChatAgent
from app.acp.transport import stdio_transport
from app.core.runtime import Runtime

log = logging.getLogger(__name__)


def log_to_file(path: Path) -> None:
    """Send every log record (the SDK's too) to `path`, never to stdout or the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


async def serve(runtime: Runtime, protocol_fd: int) -> None:
    """Serve ACP until the client closes stdin; every running turn stores what it had."""
    agent = AsiChatAgent(runtime)
    # Like the app at launch: waits an earlier run left pending go on here (once: leased).
    resumed = runtime.chat.resume_pending()
    log.info("serving ACP on stdio; %d pending wait(s) resumed", len(resumed))
    try:
        await run_agent(agent, await stdio_transport(protocol_fd))
    finally:
        await agent.close()
        await runtime.chat.shutdown()
        await runtime.aclose()
        log.info("stdin closed: done")
