"""The ASI:One chat-completions client: one shared httpx.AsyncClient, retries, typed errors.

`chat()` is an async generator of stream events (see `app.core.wire.events`). Failures before
any reply byte are retried with exponential backoff and jitter (honouring Retry-After);
once reply bytes have arrived nothing is retried, and errors carry a one-line message.
Cancelling the consuming task closes the HTTP connection at once.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable, Iterable
from email.utils import parsedate_to_datetime
from time import time
from typing import Any

import httpx

from app.core.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConnectionFailed,
    RateLimitedError,
    RequestTimedOut,
    ServerError,
    StreamCutOff,
    StreamErrorEvent,
    UnknownModel,
)
from app.core.models import CATALOGUE
from app.core.request import TurnRequest
from app.core.sanitize import clean, redact
from app.core.wire.events import Completion, Finish, Retrying, StreamError, StreamEvent
from app.core.wire.protocol import MAX_EVENT_BYTES, StreamParser, parse_completion

ChatEvent = StreamEvent | Retrying

_OVERSIZED = (
    "The reply was abandoned: an event from the server was larger than "
    f"{MAX_EVENT_BYTES // (1024 * 1024)} MB; the partial answer was kept."
)


class AsiOneClient:
    """Talks to `POST {base_url}/chat/completions` for every conversation of the app."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 16.0,
        max_retry_after: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self._api_key = api_key
        #: Model names an "unknown model" error lists (the runtime adds the server's).
        self.known_models: Callable[[], Iterable[str]] = lambda: list(CATALOGUE)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "text/event-stream, application/json",
            },
        )

    async def aclose(self) -> None:
        """Close the shared connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsiOneClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def chat(
        self,
        messages: list[dict[str, str]],
        request: TurnRequest,
        *,
        stream: bool = True,
    ) -> AsyncIterator[ChatEvent]:
        """Send one request and yield its reply as events, retrying failures before any byte."""
        payload = request.body(messages, stream=stream)
        headers = request.headers()
        attempt = 0
        while True:
            try:
                response = await self._send(payload, headers)
            except ApiError as err:
                delay = self._retry_delay(err, attempt)
                if delay is None:
                    if attempt:
                        err.message = f"{err.message} Gave up after {attempt} retries."
                        err.args = (err.message,)
                    raise
                attempt += 1
                yield Retrying(attempt, self.max_retries, delay, err.message)
                await asyncio.sleep(delay)
                continue
            try:
                async for event in self._read(response, stream):
                    yield event
            finally:
                await response.aclose()
            return

    async def complete(self, messages: list[dict[str, str]], request: TurnRequest) -> Completion:
        """A whole non-streamed reply."""
        completion = Completion()
        async for event in self.chat(messages, request, stream=False):
            completion.apply(event)
        return completion

    # --- internals ----------------------------------------------------------------------

    async def _send(self, payload: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        request = self._http.build_request("POST", "/chat/completions", json=payload, headers=headers)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
                raise ConnectionFailed(f"Could not connect to {self.base_url} (timed out).") from None
            raise RequestTimedOut(
                f"No reply from {self.base_url} within {self.read_timeout:g} s."
            ) from None
        except httpx.ConnectError as exc:
            raise ConnectionFailed(f"Could not connect to {self.base_url} ({self._reason(exc)}).") from None
        except httpx.HTTPError as exc:
            raise ConnectionFailed(
                f"The connection to {self.base_url} failed before a reply ({self._reason(exc)})."
            ) from None
        if response.status_code == 200:
            return response
        try:
            body = await response.aread()
        except httpx.HTTPError:
            body = b""
        finally:
            await response.aclose()
        raise self._status_error(response, body, payload.get("model"))

    async def _read(self, response: httpx.Response, stream: bool) -> AsyncIterator[StreamEvent]:
        content_type = response.headers.get("content-type", "")
        try:
            if not stream or "text/event-stream" not in content_type:
                for event in parse_completion(await _read_capped(response)):
                    yield self._checked(event)
                return
            parser = StreamParser()
            finished = False
            async for chunk in response.aiter_bytes():
                for event in parser.feed(chunk):
                    finished = finished or isinstance(event, Finish)
                    yield self._checked(event)
                if parser.done:
                    break
            if parser.oversized:
                raise StreamCutOff(_OVERSIZED)
            for event in parser.close():
                finished = finished or isinstance(event, Finish)
                yield self._checked(event)
        except httpx.TimeoutException:
            raise RequestTimedOut(
                f"The reply stalled for {self.read_timeout:g} s and was abandoned; the partial answer was kept."
            ) from None
        except httpx.HTTPError:
            raise StreamCutOff("The connection was cut off mid-reply; the partial answer was kept.") from None
        if not parser.done and not finished:
            raise StreamCutOff("The reply ended before it was complete; the partial answer was kept.")

    def _reason(self, exc: Exception) -> str:
        return _reason(exc, self._api_key)

    def _checked(self, event: StreamEvent) -> StreamEvent:
        if isinstance(event, StreamError):
            raise StreamErrorEvent(
                f"The server reported an error mid-reply: {redact(event.message, self._api_key)}"
            )
        return event

    def _status_error(self, response: httpx.Response, body: bytes, model: str | None = None) -> ApiError:
        status = response.status_code
        detail = _error_detail(body, self._api_key) or response.reason_phrase or "no details"
        if status in (400, 404) and model and model in detail:
            return UnknownModel(model, detail, list(self.known_models()), status=status)
        retry_after = _retry_after(response.headers.get("retry-after"))
        if status in (401, 403):
            return AuthenticationError(
                f"ASI:One rejected the API key ({status}: {detail}). Check ASI_ONE_API_KEY.",
                status=status,
            )
        if status == 429:
            return RateLimitedError(
                f"ASI:One is rate limiting requests (429: {detail}).", retry_after=retry_after
            )
        if status in (408, 409) or status >= 500:
            return ServerError(
                f"ASI:One server error ({status}: {detail}).", status=status, retry_after=retry_after
            )
        return BadRequestError(f"ASI:One refused the request ({status}: {detail}).", status=status)

    def _retry_delay(self, err: ApiError, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when this error must not be retried."""
        if not err.retryable or attempt >= self.max_retries:
            return None
        retry_after = getattr(err, "retry_after", None)
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                err.message = f"{err.message} The server asks to wait {retry_after:.0f} s."
                err.args = (err.message,)
                return None
            return max(0.0, retry_after)
        base = min(self.backoff_max, self.backoff_base * (2**attempt))
        return base * random.uniform(0.5, 1.5)


async def _read_capped(response: httpx.Response) -> bytes:
    """A whole non-streamed body, refused past `MAX_EVENT_BYTES` before it fills memory."""
    pieces: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_EVENT_BYTES:
            raise StreamCutOff(_OVERSIZED)
        pieces.append(chunk)
    return b"".join(pieces)


def _reason(exc: Exception, secret: str | None = None) -> str:
    # Redacted before it is cut short: httpx quotes a header it refuses to send, and the
    # Authorization header holds the key.
    text = redact(clean(str(exc)), secret).strip().splitlines()
    return (text[-1] if text else type(exc).__name__)[:160]


def _error_detail(body: bytes, secret: str | None = None) -> str:
    """The human part of an error body: `{"message":…}`, `{"error":{"message":…}}` or text."""
    text = body.decode("utf-8", errors="replace")
    message: Any = None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error
        message = message or data.get("message") or data.get("detail")
    if not isinstance(message, str):
        message = text
    # Redacted before it is cut short, so no prefix of the key survives the cut.
    return " ".join(redact(clean(message), secret).split())[:300]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError, IndexError):
        return None
