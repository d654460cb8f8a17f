"""Agent polls skip httpx (app/core/kept_alive.py): what the server receives, the reply
forms read, kept connections (and ones the server dropped), TLS, and its failures as
the ASI:One client reports them."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.core.client import AsiOneClient
from app.core.deferral import ANY_UPDATE
from app.core.errors import AuthenticationError, ConnectionFailed, RequestTimedOut
from app.core.kept_alive import KeptAlivePoster
from app.core.request import TurnRequest
from app.simulator import faults
from tests.conftest import TEST_KEY

REQUEST = TurnRequest(model="asi1-agentic", session_id="sess-kept")
WAITED = [{"role": "user", "content": "draw a fox !sim:never"}]
REPLY = {"choices": [{"index": 0, "finish_reason": "stop",
                      "message": {"role": "assistant", "content": "Here is the fox."}}]}


def poster(port: int, scheme: str = "http", host: str = "127.0.0.1", **kw) -> KeptAlivePoster:
    return KeptAlivePoster(f"{scheme}://{host}:{port}/v1", {"Authorization": "Bearer k"},
                           connect_timeout=kw.get("connect_timeout", 5), read_timeout=kw.get("read_timeout", 5))


class Server:
    """A local HTTP/1.1 server answering each request with `answer(n)` (n: the request's
    number) as raw bytes; it records the requests and counts connections."""

    def __init__(self, answer: Callable[[int], bytes], *, close_after_reply: bool = False,
                 context: ssl.SSLContext | None = None) -> None:
        self.answer, self.close_after_reply, self.context = answer, close_after_reply, context
        self.requests: list[tuple[bytes, bytes]] = []
        self.connections = 0
        self._handlers: set[asyncio.Task] = set()

    async def __aenter__(self) -> "Server":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._handlers.add(asyncio.current_task())
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                self.requests.append((head, await reader.readexactly(length)))
                reply = self.answer(len(self.requests))
                if reply:
                    writer.write(reply)
                    await writer.drain()
                if self.close_after_reply or not reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # (cancelled: the test is over)
        writer.close()


def json_reply(data: dict = REPLY, *, extra: bytes = b"") -> bytes:
    body = json.dumps(data).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s" % (
        extra, len(body), body)


async def test_polls_reach_the_server_as_httpx_would_send_them_on_one_connection(sim) -> None:
    async with AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url) as client:
        ack = (await client.complete(WAITED, REQUEST)).content
        waited = [*WAITED, {"role": "assistant", "content": ack}]
        replies = [(await client.complete([*waited, dict(ANY_UPDATE)], REQUEST)).content for _ in range(5)]
        assert ack.startswith("I've sent") and replies == [ack] * 5
        assert len(client._poster._idle) == 1  # one connection, kept between the polls
        last = sim.requests[-1]
        assert last.path == "/v1/chat/completions" and last.session_id == "sess-kept" and not last.stream
        assert last.headers["authorization"] == f"Bearer {TEST_KEY}"
        assert last.headers["content-type"] == "application/json"
        assert last.messages[-1] == ANY_UPDATE and last.body["model"] == "asi1-agentic"


async def test_a_rejected_key_and_a_failing_poll_are_reported_as_before(sim) -> None:
    async with AsiOneClient(api_key="sk-wrong", base_url=sim.base_url) as client:
        with pytest.raises(AuthenticationError, match="rejected the API key"):
            await client.complete(WAITED, REQUEST)
    sim.add_fault(faults.Status(503), times=10)
    async with AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url, backoff_base=0.01) as client:
        with pytest.raises(Exception, match=r"server error \(503.*Gave up after 3 retries"):
            await client.complete(WAITED, REQUEST)


@pytest.mark.parametrize("reply", [
    json_reply(),
    json_reply(extra=b"Connection: close\r\n"),
    b"HTTP/1.1 100 Continue\r\n\r\n" + json_reply(),
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"".join(b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in
               (json.dumps(REPLY).encode()[:9], json.dumps(REPLY).encode()[9:])) + b"0\r\nX-Trailer: t\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (
        len(gzip.compress(json.dumps(REPLY).encode())), gzip.compress(json.dumps(REPLY).encode())),
], ids=["length", "close", "100-continue", "chunked", "gzip"])
async def test_each_reply_form_gives_the_answer(reply: bytes) -> None:
    async with Server(lambda n: reply) as server:
        async with AsiOneClient(api_key="k", base_url=f"http://127.0.0.1:{server.port}") as client:
            for _ in range(2):
                assert (await client.complete(WAITED, REQUEST)).content == "Here is the fox."
            kept = b"Connection: close" not in reply
            assert server.connections == (1 if kept else 2)


async def test_a_reply_up_to_the_close_is_read_whole() -> None:
    body = json.dumps(REPLY).encode()
    async with Server(lambda n: b"HTTP/1.1 200 OK\r\n\r\n" + body, close_after_reply=True) as server:
        reply = await poster(server.port).post("/chat/completions", b"{}", {})
        assert reply.status == 200 and json.loads(reply.body) == REPLY


async def test_a_kept_connection_the_server_dropped_is_replaced_without_an_error() -> None:
    async with Server(lambda n: json_reply(extra=b"Connection: keep-alive\r\n"), close_after_reply=True) as server:
        sender = poster(server.port)
        for _ in range(3):
            await asyncio.sleep(0.05)  # the server's close has come
            assert (await sender.post("/chat/completions", b"{}", {})).status == 200
        assert server.connections == 3 and len(server.requests) == 3


async def test_a_close_not_noticed_yet_costs_a_retry_on_a_new_connection_not_an_error(monkeypatch) -> None:
    from app.core import kept_alive

    monkeypatch.setattr(kept_alive, "_usable", lambda reader, writer: True)  # the close not seen yet
    async with Server(lambda n: json_reply(), close_after_reply=True) as server:
        sender = poster(server.port)
        for _ in range(3):
            await asyncio.sleep(0.05)  # the server has closed the kept connection
            assert (await sender.post("/chat/completions", b"{}", {})).status == 200
        assert server.connections == 3 and len(server.requests) == 3


@pytest.mark.parametrize("reply", [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", b""],
                         ids=["not-http", "cut-short", "closed"])
async def test_a_bad_reply_is_a_failed_connection_retried_then_given_up(reply: bytes) -> None:
    async with Server(lambda n: reply, close_after_reply=True) as server:
        async with AsiOneClient(api_key="k", base_url=f"http://127.0.0.1:{server.port}", backoff_base=0.01) as c:
            with pytest.raises(ConnectionFailed, match="failed before a reply.*Gave up after 3 retries"):
                await c.complete(WAITED, REQUEST)
        assert len(server.requests) == 4


async def test_no_reply_in_time_is_a_timeout() -> None:
    async with Server(lambda n: b"HTTP/1.1 200 OK\r\n") as server:  # a status line, then nothing
        async with AsiOneClient(api_key="k", base_url=f"http://127.0.0.1:{server.port}", read_timeout=0.3,
                                max_retries=0) as c:
            with pytest.raises(RequestTimedOut, match="within 0.3 s"):
                await c.complete(WAITED, REQUEST)


async def test_a_header_that_would_split_the_request_is_refused_without_showing_the_key() -> None:
    async with Server(lambda n: json_reply()) as server:
        async with AsiOneClient(api_key="sk-secret-123", base_url=f"http://127.0.0.1:{server.port}",
                                max_retries=0) as c:
            with pytest.raises(ConnectionFailed) as failed:
                await c.complete(WAITED, TurnRequest(model="m", session_id="s\r\nX-Evil: 1"))
            assert "sk-secret" not in str(failed.value)
        assert server.requests == []
    with pytest.raises(httpx.LocalProtocolError) as refused:
        KeptAlivePoster("http://h", {"Authorization": "Bearer sk-secret-123\n"}, connect_timeout=1, read_timeout=1)
    assert "sk-secret" not in str(refused.value)


def test_behind_a_proxy_the_polls_go_through_httpx(monkeypatch) -> None:
    assert AsiOneClient(api_key="k", base_url="http://127.0.0.1:9")._poster is not None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert AsiOneClient(api_key="k", base_url="https://api.example")._poster is None


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


async def test_https_checks_the_certificate_and_keeps_its_connection(certificate, monkeypatch) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    async with Server(lambda n: json_reply(), context=context) as server:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await poster(server.port, "https", "localhost").post("/chat/completions", b"{}", {})
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted, as httpx trusts it
        sender = poster(server.port, "https", "localhost")
        for _ in range(3):
            assert json.loads((await sender.post("/chat/completions", b"{}", {})).body) == REPLY
        assert sender._idle[0][1].get_extra_info("ssl_object") is not None
        assert server.connections == 1  # one for the three (the refused one never got this far)
