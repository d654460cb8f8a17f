"""The client's connections on plain asyncio streams (app/core/net_backend.py): keep-alive
across polls, a connection the server dropped replaced, TLS, and httpx's private pool."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import httpcore
import httpx
import pytest

from app.core.client import AsiOneClient
from app.core.deferral import ANY_UPDATE
from app.core.net_backend import AsyncioBackend, use_asyncio_streams
from app.core.request import TurnRequest
from tests.conftest import TEST_KEY

REQUEST = TurnRequest(model="asi1-agentic", session_id="sess-net")


def test_the_client_pool_the_backend_replaces_is_httpx_private_one() -> None:
    plain = httpx.AsyncClient()
    pool = plain._transport._pool
    assert isinstance(pool, httpcore.AsyncConnectionPool) and hasattr(pool, "_network_backend")
    assert use_asyncio_streams(plain) and isinstance(pool._network_backend, AsyncioBackend)
    assert not use_asyncio_streams(httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))))
    client = AsiOneClient(api_key=TEST_KEY, base_url="http://127.0.0.1:9")
    assert isinstance(client._http._transport._pool._network_backend, AsyncioBackend)


async def test_polls_reuse_one_connection_and_get_the_acknowledgement(sim) -> None:
    async with AsiOneClient(api_key=TEST_KEY, base_url=sim.base_url) as client:
        history = [{"role": "user", "content": "draw a fox !sim:never"}]
        ack = (await client.complete(history, REQUEST)).content
        history.append({"role": "assistant", "content": ack})
        replies = [(await client.complete([*history, dict(ANY_UPDATE)], REQUEST)).content for _ in range(5)]
        assert ack.startswith("I've sent") and replies == [ack] * 5
        assert len(client._http._transport._pool.connections) == 1
        assert [r.messages[-1]["content"] for r in sim.requests[1:]] == ["Any update?"] * 5


async def _serve_once_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers one request, says keep-alive, then closes the connection anyway."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    body = await reader.readexactly(length)
    reply = b'{"echo": %d}' % len(body)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply))
    await writer.drain()
    writer.close()


async def test_a_kept_connection_the_server_closed_is_replaced_not_failed() -> None:
    server = await asyncio.start_server(_serve_once_per_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert use_asyncio_streams(client)
            for size in (10, 70_000, 3):  # a body larger than what is held before sending
                await asyncio.sleep(0.05)  # the server's close has arrived
                response = await client.post("/x", content=b"a" * size)
                assert response.json() == {"echo": size}
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


async def test_https_goes_through_the_tls_handshake_and_keeps_its_connection(certificate) -> None:
    cert, key = certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"https://localhost:{port}",
                                     verify=ssl.create_default_context(cafile=str(cert))) as client:
            assert use_asyncio_streams(client)
            for _ in range(3):
                response = await client.post("/x", content=b"poll")
                assert response.text == "ok"
            stream = response.extensions["network_stream"]
            assert stream.get_extra_info("ssl_object") is not None
            assert len(client._transport._pool.connections) == 1
        async with httpx.AsyncClient(base_url=f"https://localhost:{port}") as untrusting:
            use_asyncio_streams(untrusting)
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusting.post("/x", content=b"poll")
    finally:
        server.close()
        await server.wait_closed()
