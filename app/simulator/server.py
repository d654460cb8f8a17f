"""The loopback HTTP server that plays ASI:One's chat-completions API.

Standard library only. Streams are written as hand-made chunked transfer encoding, one
chunk per SSE event, so a client sees each event as soon as it is written. Nothing is ever
printed: the simulator runs inside a full-screen terminal app.
"""

from __future__ import annotations

import collections
import json
import re
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import images as sim_images
from . import tool_calling
from .faults import (
    CRLF,
    Cut,
    Escapes,
    FaultSet,
    SlowFirstByte,
    Status,
    WebSearch,
    parse_directives,
)
from .marketplace import INSIGHTS_PATH, Marketplace
from .marketplace import insights as marketplace_insights
from .records import AUTH_FAILED, RecordedRequest, _default_error_body, _invalid  # noqa: F401 - API
from .scenarios import IMAGE_PNG, Scenarios, is_poll, last_prompt
from .sse import CUT, render_json, render_stream

# Today's family, the seed's agentic models, and one older name only the list offers.
MODELS = frozenset({
    "asi1-agentic", "asi1-fast-agentic", "asi1-extended-agentic", "asi1-mini", "asi1",
    "asi1-ultra", "asi1-graph",
})
MODEL_LIST = ("asi1", "asi1-ultra", "asi1-mini", "asi1-agentic", "asi1-fast-agentic",
              "asi1-extended-agentic", "asi1-graph")
_STORAGE_RE = re.compile(r"^/agentverse/production/storage/[0-9a-fA-F-]{32,36}$")
# A client that goes away mid-reply shows up as one of these; never worth a traceback.
_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        self.sim = sim
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # Track live connections so stop() can close idle keep-alive sockets too.
        with self.sockets_lock:
            self.open_sockets.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.sockets_lock:
                self.open_sockets.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: the default prints a traceback over the terminal UI."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "asi-one-simulator/1.0"
    sys_version = ""
    # Idle keep-alive connections give up eventually instead of pinning a thread forever.
    timeout = 300
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: stdout/stderr belong to the terminal UI."""

    def handle(self) -> None:
        try:
            super().handle()
        except (_GONE + (OSError,)):
            # Client gone (or stop() shut the socket): nothing left to say to it.
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except (_GONE + (OSError,)):
            pass

    # --- GET: generated images and the model list --------------------------------------
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        sim = self.server.sim
        self.server.sim._count_get(path, {k.lower(): v for k, v in self.headers.items()})
        if sim_images.serve(self, path):
            return
        if _STORAGE_RE.match(path):
            self._send(200, IMAGE_PNG.read_bytes(), "image/png")
        elif path.startswith(INSIGHTS_PATH):  # the marketplace's trust signals (marketplace.py)
            self._send_json(*marketplace_insights(path[len(INSIGHTS_PATH):]))
        elif path.rstrip("/") == "/v1/models":
            if self.headers.get("Authorization") != f"Bearer {sim.api_key}":
                self._send_json(401, AUTH_FAILED)
            elif sim.models_reply is not None:  # a broken list, for tests: (delay, status, type, body)
                delay, code, content_type, data = sim.models_reply
                if delay and sim._stopping.wait(delay):
                    return
                self._send(code, data, content_type)
            else:
                self._send_json(200, {"object": "list", "data": [
                    {"id": name, "object": "model", "owned_by": "asi1"} for name in sim.model_list]})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})

    # --- POST: chat completions ------------------------------------------------------
    def do_POST(self) -> None:
        sim = self.server.sim
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.rstrip("/") == "/v1/search/agents":  # the Agentverse marketplace (marketplace.py)
            code, kind, data, extra = sim.marketplace.respond(
                {k.lower(): v for k, v in self.headers.items()}, raw, sim._stopping)
            self._send(code, data, kind, extra)
            return
        if path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        ok = isinstance(body, dict)
        messages = body.get("messages") if ok else None
        messages = messages if isinstance(messages, list) else []
        session_id = headers.get("x-session-id")
        stream = bool(body.get("stream")) if ok else False
        sim._record(RecordedRequest("POST", self.path, headers, body, session_id, stream,
                                    [m for m in messages if isinstance(m, dict)]))

        if headers.get("authorization") != f"Bearer {sim.api_key}":
            self._send_json(401, AUTH_FAILED)
            return
        if not ok:
            self._send_json(400, _invalid("request body is not a JSON object"))
            return
        model = body.get("model")
        if model not in MODELS and model not in sim.model_list:
            self._send_json(400, _invalid(f"model '{model}' not found"))
            return
        if not messages:
            self._send_json(400, _invalid("messages must be a non-empty list"))
            return

        faults = sim._faults_for(messages, session_id)
        if body.get("web_search") is True and WebSearch not in faults:
            faults.items.append(WebSearch())
        slow = faults.get(SlowFirstByte)
        if slow is not None and sim._stopping.wait(slow.seconds):
            self.close_connection = True  # shutting down: answer nothing
            return
        status = faults.get(Status)
        if status is None and (tooled := tool_calling.reply(body, model)) is not None:
            self._send_tooled(*tooled, stream)  # client-side tools, structured output (tool_calling.py)
            return
        if status is None:
            result = sim.scenarios.respond(messages, session_id, faults, sim.origin, stream)
        else:
            result = status
        if isinstance(result, Status):
            self._send_status(result, Escapes in faults)
        elif stream:
            self._stream(result, faults, model, sim)
        else:
            self._send_body(render_json(result, faults, model), faults.get(Cut) is not None)

    # --- writers -----------------------------------------------------------------------
    def _send(self, code: int, data: bytes, content_type: str,
              extra: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, code: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        data = obj if isinstance(obj, bytes) else json.dumps(obj, ensure_ascii=False,
                                                             separators=(",", ":")).encode()
        self._send(code, data, "application/json", extra)

    def _send_status(self, status: Status, escapes: bool) -> None:
        body = status.body
        if body is None:
            body = _default_error_body(status.code, escapes)
        elif isinstance(body, str):
            body = body.encode("utf-8")
        extra = {}
        if status.retry_after is not None:
            extra["Retry-After"] = f"{status.retry_after:g}"
        self._send_json(status.code, body, extra)

    def _send_body(self, data: bytes, cut: bool) -> None:
        if not cut:
            self._send(200, data, "application/json")
            return
        # Promise the whole body, deliver half, then drop the connection.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self._abort()

    def _send_tooled(self, chunks: list[dict], whole: dict, stream: bool) -> None:
        if not stream:
            self._send_json(200, whole)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for item in [*(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks), b"data: [DONE]\n\n"]:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(item), item))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except _GONE + (OSError,):
            self.close_connection = True

    def _stream(self, reply: Any, faults: FaultSet, model: str, sim: Simulator) -> None:
        eol = b"\r\n" if CRLF in faults else b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        delay = 0.0 if reply.fast else sim.chunk_delay
        try:
            for index, item in enumerate(render_stream(reply, faults, model, eol)):
                if item is CUT or sim._stopping.is_set():
                    self._abort()
                    return
                if delay and index and sim._stopping.wait(delay):
                    self._abort()
                    return
                if item:
                    # One chunk per event: hex size, CRLF, data, CRLF.
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(item), item))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except _GONE + (OSError,):
            # The client cancelled: stop writing and forget the connection.
            self.close_connection = True

    def _abort(self) -> None:
        """Close the socket abruptly: no terminating chunk, nothing more."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Simulator:
    """An in-process ASI:One API on 127.0.0.1, for tests and the offline demo.

    `chunk_delay` is the pause between SSE events (0 in tests); `agent_polls` is how many
    "Any update?" polls an image job answers with the acknowledgement before the image.
    """

    def __init__(self, *, api_key: str = "sk-sim-demo", host: str = "127.0.0.1",
                 port: int = 0, chunk_delay: float = 0.0, agent_polls: int = 2,
                 jobs_file: Path | None = None) -> None:
        self.api_key, self.host, self.port = api_key, host, port
        self.chunk_delay = chunk_delay
        self.scenarios = Scenarios(agent_polls, jobs_file=jobs_file)  # jobs_file: agent jobs outlive us
        self.marketplace = Marketplace()
        self.requests: list[RecordedRequest] = []
        #: What `GET /v1/models` lists (and so also accepts as a model).
        self.model_list: list[str] = list(MODEL_LIST)
        #: When set, `GET /v1/models` answers (after delay s) with (delay, status, content type, body).
        self.models_reply: tuple[float, int, str, bytes] | None = None
        self.gets: collections.Counter[str] = collections.Counter()
        """GET requests served, by path (images and storage links)."""
        self.get_headers: list[dict[str, str]] = []
        """The headers of each GET request, in order (names lower-cased; ":path" is its path)."""
        self._lock = threading.Lock()
        self._queue: collections.deque[list[Any]] = collections.deque()
        self._directive_uses: collections.Counter = collections.Counter()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def agent_polls(self) -> int:
        """Polls answered with the acknowledgement before an image job is ready."""
        return self.scenarios.agent_polls

    def start(self) -> Simulator:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="asi-one-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with server.sockets_lock:
            sockets = list(server.open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://host:port`` (valid after start)."""
        if self._server is None:
            raise RuntimeError("simulator not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, ``http://host:port/v1`` (valid after start)."""
        return self.origin + "/v1"

    def add_fault(self, fault: Any, times: int = 1) -> None:
        """Queue `fault` for the next `times` chat requests (one queue entry each).

        `fault` may also be a list/tuple of faults that apply together to each request.
        """
        group = list(fault) if isinstance(fault, (list, tuple)) else [fault]
        with self._lock:
            self._queue.extend([group] * times)

    def clear_faults(self) -> None:
        """Drop every queued fault and forget directive usage counts."""
        with self._lock:
            self._queue.clear()
            self._directive_uses.clear()

    def wait_forever(self) -> None:
        """Block until KeyboardInterrupt, then stop."""
        try:
            while not self._stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # --- used by the handler -----------------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _count_get(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.gets[path] += 1
            self.get_headers.append({**headers, ":path": path})

    def _faults_for(self, messages: list, session_id: str | None) -> FaultSet:
        """Queued faults, plus prompt directives (not re-applied to polls)."""
        faults: list[Any] = []
        with self._lock:
            if self._queue:
                faults += self._queue.popleft()
            if not is_poll(messages):
                prompt = last_prompt(messages)
                for directive in parse_directives(prompt):
                    if directive.times is not None:
                        key = (session_id, prompt, directive.token)
                        self._directive_uses[key] += 1
                        if self._directive_uses[key] > directive.times:
                            continue
                    faults.append(directive.fault)
        return FaultSet(faults)
