"""A small HTTP/1.1 client for whole JSON replies (the agent polls), on kept-alive connections.

Ten agents waited on make two polls a second, each a tiny request and reply. Through
httpx (its request and response models, cookies, httpcore's pool, h11) one cost ~2 ms of
CPU, four times what writing the request and reading the reply on an asyncio stream
costs. This client does only that: POST a body, read one reply (by Content-Length,
chunked, or up to the close; gzip/deflate undone) and keep the connection for the next.
It fails with httpx's exception types, so the ASI:One client reports its failures as it
reports httpx's. The ASI:One client uses httpx instead when a proxy is configured.
"""

from __future__ import annotations

import asyncio
import select
import ssl
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

MAX_BODY = 64 << 20
"""Bytes of a reply at most (a poll's is a few hundred)."""
_MAX_HEADERS = 100
_KEEP_IDLE = 4
"""Connections kept for the next request (polls of different agents may overlap)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP reply, read whole."""

    status: int
    headers: list[tuple[str, str]]
    """Header names lower-cased, in the order received."""
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


class _Stale(Exception):
    """A kept connection turned out closed before any byte of the reply: try a new one."""


class KeptAlivePoster:
    """POSTs to one origin (`base_url`'s), with `headers` on every request."""

    def __init__(self, base_url: str, headers: dict[str, str], *, connect_timeout: float,
                 read_timeout: float) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.tls = url.scheme == "https"
        self.host, self.port = url.hostname, url.port or (443 if self.tls else 80)
        self.prefix = url.path.rstrip("/")
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        fixed = {"Host": url.netloc, "Accept-Encoding": "gzip, deflate", "Connection": "keep-alive",
                 "User-Agent": f"python-httpx/{httpx.__version__}", **headers}
        self._fixed = _header_bytes(fixed)
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._ssl: ssl.SSLContext | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST `body` (JSON) to `path` under the base URL; the reply, whatever its status."""
        head = (f"POST {self.prefix}{path} HTTP/1.1\r\n".encode("ascii") + self._fixed
                + _header_bytes({"Content-Type": "application/json", "Content-Length": str(len(body)),
                                 **headers}) + b"\r\n")
        while self._idle:
            conn = self._idle.pop()
            if _usable(*conn):
                try:
                    return await self._exchange(conn, head + body, kept=True)
                except _Stale:
                    continue
            _close(conn[1])
        return await self._exchange(await self._connect(), head + body, kept=False)

    async def aclose(self) -> None:
        """Close the kept connections."""
        while self._idle:
            _close(self._idle.pop()[1])

    # -- one exchange ---------------------------------------------------------------

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        context = self._context() if self.tls else None
        try:
            async with asyncio.timeout(self.connect_timeout):
                return await asyncio.open_connection(self.host, self.port, ssl=context,
                                                      server_hostname=self.host if context else None)
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:  # made when first needed: loading the CA bundle takes a while
            self._ssl = httpx.create_ssl_context()
            self._ssl.set_alpn_protocols(["http/1.1"])
        return self._ssl

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes,
                        *, kept: bool) -> Reply:
        reader, writer = conn
        heard: list[bytes] = []  # the status line, once it came
        try:
            try:
                writer.write(request)
                if writer.transport.get_write_buffer_size():
                    async with asyncio.timeout(self.read_timeout):
                        await writer.drain()
            except TimeoutError:
                raise httpx.WriteTimeout("timed out sending the request") from None
            async with asyncio.timeout(self.read_timeout) as deadline:
                reply, keep = await self._read_reply(reader, deadline, heard)
        except TimeoutError:
            _close(writer)
            raise httpx.ReadTimeout("timed out waiting for the reply") from None
        except (OSError, ssl.SSLError) as exc:
            _close(writer)
            if kept and not heard:  # the server had closed it meanwhile: nothing was lost
                raise _Stale from None
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None
        except (asyncio.IncompleteReadError, ValueError, zlib.error) as exc:  # (readline's overrun: ValueError)
            _close(writer)
            raise httpx.RemoteProtocolError(f"malformed or cut-off reply ({type(exc).__name__})") from None
        except BaseException:  # cancelled: what the connection holds is unknown
            _close(writer)
            raise
        if keep and len(self._idle) < _KEEP_IDLE:
            self._idle.append(conn)
        else:
            _close(writer)
        return reply

    async def _read_reply(self, reader: asyncio.StreamReader, deadline: asyncio.Timeout,
                          heard: list[bytes]) -> tuple[Reply, bool]:
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionResetError("the server closed the connection")
            heard.append(line)
            version, _, rest = line.decode("latin-1").partition(" ")
            if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
                raise ValueError("not an HTTP/1 status line")
            status = int(rest[:3])
            headers = await _read_headers(reader)
            if status >= 200:
                break  # 1xx: an interim reply, the real one follows
        deadline.reschedule(asyncio.get_running_loop().time() + self.read_timeout)
        values = dict(headers)
        connection = values.get("connection", "").lower()
        keep = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
        if status in (204, 304):
            body = b""
        elif "chunked" in values.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        elif (length := values.get("content-length")) is not None:
            size = int(length)
            if not 0 <= size <= MAX_BODY:
                raise ValueError("bad Content-Length")
            body = await reader.readexactly(size)
        else:
            body, keep = await _read_to_close(reader), False
        return Reply(status, headers, _decoded(body, values.get("content-encoding", ""))), keep


async def _read_headers(reader: asyncio.StreamReader) -> list[tuple[str, str]]:
    headers = []
    while (line := await reader.readline()) not in (b"\r\n", b"\n"):
        if not line or len(headers) >= _MAX_HEADERS:
            raise ValueError("cut-off or oversized header block")
        name, colon, value = line.decode("latin-1").partition(":")
        if colon:
            headers.append((name.strip().lower(), value.strip()))
    return headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts, total = [], 0
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"x", 16)
        if size == 0:
            await _read_headers(reader)  # trailers, if any, up to the blank line
            return b"".join(parts)
        total += size
        if size < 0 or total > MAX_BODY:
            raise ValueError("bad chunk size")
        parts.append(await reader.readexactly(size))
        if (await reader.readline()).strip():
            raise ValueError("no line end after a chunk")


async def _read_to_close(reader: asyncio.StreamReader) -> bytes:
    parts, total = [], 0
    while chunk := await reader.read(1 << 16):
        total += len(chunk)
        if total > MAX_BODY:
            raise ValueError("reply too large")
        parts.append(chunk)
    return b"".join(parts)


def _decoded(body: bytes, encoding: str) -> bytes:
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, MAX_BODY)
        elif coding == "deflate":
            try:
                body = zlib.decompressobj().decompress(body, MAX_BODY)
            except zlib.error:  # raw deflate, without the zlib header
                body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, MAX_BODY)
        elif coding != "identity":
            raise ValueError(f"unsupported content coding {coding!r}")
    return body


def _header_bytes(headers: dict[str, str]) -> bytes:
    lines = []
    for name, value in headers.items():
        if any(c in name + value for c in "\r\n\0") or ":" in name:
            raise httpx.LocalProtocolError(f"Illegal header value in {name}")  # (never the value: a key)
        try:
            lines.append(f"{name}: {value}\r\n".encode("ascii"))
        except UnicodeEncodeError:
            raise httpx.LocalProtocolError(f"Illegal header value in {name}") from None
    return b"".join(lines)


def _usable(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """False when a kept connection is closed, or holds bytes nobody asked for."""
    if reader.at_eof() or writer.is_closing() or reader.exception() is not None:
        return False
    sock = writer.get_extra_info("socket")
    if sock is None or sock.fileno() < 0:
        return False
    poll = select.poll()
    poll.register(sock.fileno(), select.POLLIN)
    return not poll.poll(0)


def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
    except (OSError, RuntimeError):
        pass  # already gone
