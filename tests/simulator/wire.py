"""Helpers for talking to the simulator over real sockets and reading the raw wire."""

from __future__ import annotations

import json
import socket
import ssl
from typing import Any

import httpx

KEY = "sk-sim-test"
# Building httpx's default TLS context costs ~40 ms per request; plain HTTP never uses it.
TLS = ssl.create_default_context()


def chat_body(prompt: str | list, *, stream: bool = True, model: str = "asi1-mini") -> dict:
    """A chat request body; `prompt` is a user message text or a full messages list."""
    messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
    return {"model": model, "messages": messages, "stream": stream}


def headers(session: str = "sess-1", key: str | None = KEY) -> dict[str, str]:
    """Request headers as the real client sends them (no Authorization when key is None)."""
    out = {"x-session-id": session}
    if key is not None:
        out["Authorization"] = f"Bearer {key}"
    return out


def post(sim: Any, prompt: str | list, *, stream: bool = True, session: str = "sess-1",
         key: str | None = KEY, model: str = "asi1-mini", timeout: float = 10) -> httpx.Response:
    """POST a chat completion and read the whole body."""
    return httpx.post(sim.base_url + "/chat/completions", headers=headers(session, key),
                      json=chat_body(prompt, stream=stream, model=model), timeout=timeout,
                      verify=TLS)


def get(url: str, **kwargs: Any) -> httpx.Response:
    """GET with the shared TLS context."""
    return httpx.get(url, verify=TLS, **kwargs)


def events(raw: bytes) -> list[bytes]:
    """Split an SSE body into events (blank-line separated), line endings normalised."""
    text = raw.replace(b"\r\n", b"\n")
    return [e for e in text.split(b"\n\n") if e]


def data_payloads(raw: bytes) -> list[bytes]:
    """The payload of every ``data:`` line, in order."""
    out = []
    for event in events(raw):
        for line in event.split(b"\n"):
            if line.startswith(b"data: "):
                out.append(line[len(b"data: "):])
    return out


def chunks(raw: bytes) -> list[Any]:
    """Every data payload parsed as JSON (``"[DONE]"`` kept as the string)."""
    return [p.decode() if p == b"[DONE]" else json.loads(p) for p in data_payloads(raw)]


def thoughts(objs: list[Any]) -> list[str]:
    """Top-level `thought` strings, in order."""
    return [o["thought"] for o in objs if isinstance(o, dict) and "thought" in o]


def content_pieces(objs: list[Any]) -> list[str]:
    """Non-empty ``choices[0].delta.content`` strings, in order."""
    out = []
    for o in objs:
        if isinstance(o, dict) and o.get("choices"):
            piece = o["choices"][0].get("delta", {}).get("content")
            if piece:
                out.append(piece)
    return out


def content(objs: list[Any]) -> str:
    """The whole streamed content."""
    return "".join(content_pieces(objs))


def poll(sim: Any, session: str, *, stream: bool = True, prompt: str = "Draw a monkey") -> Any:
    """Send an "Any update?" poll with the original prompt in the history."""
    messages = [{"role": "user", "content": prompt},
                {"role": "assistant", "content": "I've sent the message"},
                {"role": "user", "content": "Any update?"}]
    return post(sim, messages, stream=stream, session=session)


def reply_text(response: httpx.Response) -> str:
    """The content of a streamed or non-streamed reply."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return content(chunks(response.content))
    return response.json()["choices"][0]["message"]["content"]


def raw_http(sim: Any, body: dict, session: str = "sess-1") -> bytes:
    """Send a request over a bare socket and return everything the server wrote."""
    payload = json.dumps(body).encode()
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {sim.host}:{sim.port}\r\n"
               f"Authorization: Bearer {KEY}\r\nx-session-id: {session}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
               "Connection: close\r\n\r\n").encode() + payload
    with socket.create_connection((sim.host, sim.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            block = sock.recv(65536)
            if not block:
                return data
            data += block


def dechunk(body: bytes) -> tuple[list[bytes], bytes]:
    """Parse chunked transfer encoding: (chunks, bytes after the terminating chunk)."""
    out = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out, body
        out.append(body[:size])
        assert body[size:size + 2] == b"\r\n"
        body = body[size + 2:]
