"""JSON-RPC over stdio, one message a line, that keeps serving through bad input.

The SDK's own line transport logs a line that is not JSON and skips it; a client then
waits forever for an answer. This one answers it with a JSON-RPC error (-32700 parse
error, -32600 for JSON that is not a request) and reads on. The protocol goes to its own
file descriptor (a copy of the real stdout), so nothing else in the process can write
into the stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from asyncio.streams import FlowControlMixin
from typing import Any

log = logging.getLogger(__name__)

PARSE_ERROR, INVALID_REQUEST = -32700, -32600


def take_stdout() -> int:
    """Keep the real stdout for the protocol alone: return a copy of it, and point fd 1 (and
    with it every stray print) at stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    return protocol_fd


def _error(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


class LineTransport:
    """An `acp` message transport over a line reader and a pipe writer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        """Write one message as one line."""
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        async with self._lock:
            self._writer.write(data)
            await self._writer.drain()

    async def receive(self) -> dict[str, Any] | None:
        """The next request, notification or response; None when the client closed stdin."""
        while True:
            line = await self._read_line()
            if line is None:
                return None
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("not JSON: %.200r", line)
                await self.send(_error(PARSE_ERROR, "Parse error: a line that is not JSON"))
                continue
            if not isinstance(message, dict) or not ("method" in message or "id" in message):
                log.warning("not a JSON-RPC message: %.200r", line)
                await self.send(_error(INVALID_REQUEST, "Invalid Request: not a JSON-RPC object"))
                continue
            if "method" in message and not isinstance(message["method"], str):
                await self.send({**_error(INVALID_REQUEST, "Invalid Request: method is not a string"),
                                 "id": message.get("id")})
                continue
            return message

    async def _read_line(self) -> bytes | None:
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial or None  # a last line without its newline still counts
        except asyncio.LimitOverrunError as exc:
            await self._reader.readexactly(exc.consumed)  # drop the oversized line's start
            await self.send(_error(PARSE_ERROR, "Parse error: line too long"))
            return b""
        return line

    async def close(self) -> None:
        """Flush and close the protocol's stdout."""
        try:
            await self._writer.drain()
        except (ConnectionError, RuntimeError):
            pass
        self._writer.close()


async def stdio_transport(protocol_fd: int, limit: int = 50 * 1024 * 1024) -> LineTransport:
    """A transport reading stdin and writing to `protocol_fd` (see `take_stdout`).

    Pipes (what editors give) are read and written by the event loop; a regular file (a
    recorded session replayed, output sent to a file) is read by a thread and written
    directly, since the loop's pipe transports refuse files."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except ValueError:
        _feed_from_thread(loop, reader)
    out = os.fdopen(protocol_fd, "wb", buffering=0)
    try:
        transport, protocol = await loop.connect_write_pipe(FlowControlMixin, out)
    except ValueError:
        return LineTransport(reader, _FileWriter(out))
    return LineTransport(reader, asyncio.StreamWriter(transport, protocol, None, loop))


def _feed_from_thread(loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader) -> None:
    def pump() -> None:
        try:
            while data := sys.stdin.buffer.readline():
                loop.call_soon_threadsafe(reader.feed_data, data)
        finally:
            loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, name="acp-stdin", daemon=True).start()


class _FileWriter:
    """The `StreamWriter` calls `LineTransport` makes, on a plain file."""

    def __init__(self, out) -> None:
        self._out = out

    def write(self, data: bytes) -> None:
        self._out.write(data)

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        self._out.close()
