"""The Agentverse marketplace search client: `POST {agentverse_url}/v1/search/agents`.

The search is public ("no authorization required"): the ASI:One key is never sent here.
An `AGENTVERSE_API_KEY`, when set, goes as a Bearer token and nowhere else.
Rate limits (429) are waited out as the server asks (Retry-After, else 30 s) and
announced through `on_retry` first, so a front end can say "rate limited, retrying in
30 s"; 5xx, connection failures and timeouts are retried with bounded backoff; anything
else (422, HTML, garbage) becomes one clear `AgentverseError` line.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.core.agents.records import (
    AgentInsights,
    AgentListing,
    SearchPage,
    insights_from_wire,
    normal_handle,
    page_from_wire,
)
from app.core.client import _retry_after  # one reading of Retry-After (seconds or an HTTP date)
from app.core.errors import AgentverseError
from app.core.sanitize import clean

SORTS = ("relevancy", "interactions", "created-at", "last-modified")
CATEGORIES = ("Image Generation", "Travel", "Finance", "Weather", "Research", "Developer Tools",
              "News", "Health")
"""Categories offered as a filter (any other string can still be searched for)."""
DIRECTIONS = ("asc", "desc")
MAX_LIMIT = 50
RATE_LIMIT_WAIT = 30.0
"""Seconds to wait after a 429 that gives no Retry-After (the marketplace's advice)."""


class InvalidAgentQuery(AgentverseError):
    """The search itself is not valid (unknown sort or direction)."""

    exit_code = 2


class AgentverseRejected(AgentverseError):
    """The marketplace refused the request (4xx such as 422)."""


class AgentverseUnreadable(AgentverseError):
    """The marketplace answered with something that is not a search result (HTML, garbage)."""


class AgentverseUnavailable(AgentverseError):
    """The marketplace could not be reached, timed out or kept failing after retries."""


@dataclass(frozen=True, slots=True)
class AgentQuery:
    """One marketplace search. `limit` is clamped to 1..50 and `offset` to ≥ 0."""

    text: str = ""
    sort: str = "relevancy"
    direction: str = "desc"
    category: str | None = None
    offset: int = 0
    limit: int = 30

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise InvalidAgentQuery(f"Unknown sort {self.sort!r}; choose one of {', '.join(SORTS)}.")
        if self.direction not in DIRECTIONS:
            raise InvalidAgentQuery(f"Unknown direction {self.direction!r}; use asc or desc.")
        object.__setattr__(self, "limit", max(1, min(MAX_LIMIT, int(self.limit))))
        object.__setattr__(self, "offset", max(0, int(self.offset)))

    def body(self) -> dict[str, Any]:
        """The JSON body: only documented top-level fields (others get a 422)."""
        body: dict[str, Any] = {"search_text": self.text.strip(), "sort": self.sort,
                                "direction": self.direction, "offset": self.offset, "limit": self.limit}
        if self.category:
            body["filters"] = {"category": [self.category]}
        return body

    def next_page(self) -> AgentQuery:
        """The same search, one page further."""
        return AgentQuery(self.text, self.sort, self.direction, self.category,
                          self.offset + self.limit, self.limit)


@dataclass(frozen=True, slots=True)
class MarketplaceRetry:
    """The client is about to retry a search after `delay` seconds (say so to the user)."""

    attempt: int
    retries: int
    delay: float
    reason: str
    rate_limited: bool = False

    def describe(self) -> str:
        """One line for a status bar or stderr."""
        if self.rate_limited:
            return f"Agentverse: rate limited, retrying in {self.delay:.0f} s."
        return f"Agentverse: {self.reason} Retrying in {self.delay:.1f} s ({self.attempt}/{self.retries})."


@dataclass
class AgentverseClient:
    """Searches the marketplace at `base_url` over one shared httpx connection pool."""

    base_url: str = "https://agentverse.ai"
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    max_retries: int = 3
    backoff_base: float = 0.5
    max_retry_after: float = 120.0
    on_retry: Callable[[MarketplaceRetry], None] | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _http: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Any, **kw: Any) -> AgentverseClient:
        """A client for `settings.agentverse_url`, with `$AGENTVERSE_API_KEY` if set."""
        key = os.environ.get("AGENTVERSE_API_KEY", "").strip() or None
        return cls(base_url=settings.agentverse_url, api_key=key, **kw)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {"Accept": "application/json"}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            self._http = httpx.AsyncClient(base_url=self.base_url.rstrip("/"), headers=headers,
                                           timeout=httpx.Timeout(self.timeout))
        return self._http

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> AgentverseClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def search(self, query: AgentQuery, *,
                     on_retry: Callable[[MarketplaceRetry], None] | None = None) -> SearchPage:
        """One page of agents for `query`; raises an `AgentverseError` with one line.

        `on_retry` (else the client's) hears of each wait before it starts.
        """
        notify = on_retry or self.on_retry
        attempt = 0
        while True:
            try:
                return await self._search_once(query)
            except _Retryable as err:
                if attempt >= self.max_retries:
                    raise AgentverseUnavailable(f"{err.reason} Gave up after {attempt} retries.",
                                                status=err.status) from None
                if err.retry_after is not None and err.retry_after > self.max_retry_after:
                    raise AgentverseUnavailable(
                        f"{err.reason} The marketplace asks to wait {err.retry_after:.0f} s.", status=err.status
                    ) from None
                attempt += 1
                delay = self._delay(err, attempt)
                if notify is not None:
                    notify(MarketplaceRetry(attempt, self.max_retries, delay, err.reason,
                                                   rate_limited=err.status == 429))
                await self.sleep(delay)

    def _delay(self, err: _Retryable, attempt: int) -> float:
        if err.status == 429:
            return RATE_LIMIT_WAIT if err.retry_after is None else err.retry_after
        if err.retry_after is not None:
            return err.retry_after
        return self.backoff_base * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)

    async def _search_once(self, query: AgentQuery) -> SearchPage:
        where = self.base_url.rstrip("/")
        try:
            response = await self._client().post("/v1/search/agents", json=query.body())
        except httpx.TimeoutException:
            raise _Retryable(f"No answer from {where} within {self.timeout:g} s.") from None
        except httpx.HTTPError as exc:
            raise _Retryable(f"Could not reach {where} ({_reason(exc)}).") from None
        status = response.status_code
        if status == 429:
            raise _Retryable("The marketplace is rate limiting searches (429).", 429,
                             _retry_after(response.headers.get("retry-after")))
        if status in (408, 502, 503, 504) or status >= 500:
            raise _Retryable(f"The marketplace failed ({status}).", status,
                             _retry_after(response.headers.get("retry-after")))
        if status != 200:
            raise AgentverseRejected(f"The marketplace refused the search ({status}: {_detail(response)}).",
                                     status=status)
        if "html" in response.headers.get("content-type", "").lower():
            raise AgentverseUnreadable(f"{where} sent a web page, not search results; "
                                       "check agentverse_url.", status=status)
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):
            data = None
        page = page_from_wire(data, query.offset, query.limit)
        if page is None:
            raise AgentverseUnreadable(f"{where} sent a reply that is not a list of agents; "
                                       "check agentverse_url.", status=status)
        return page


    async def find_handle(self, handle: str) -> AgentListing | None:
        """The listing whose handle is `handle` (with or without "@"), or None when the
        marketplace lists no such agent (raises `AgentverseError` when it cannot tell)."""
        wanted = normal_handle(handle)
        page = await self.search(AgentQuery(wanted, limit=MAX_LIMIT))
        return next((a for a in page.agents if a.handle == wanted), None)

    async def insights(self, address: str) -> AgentInsights | None:
        """ASI:One's own figures for an agent (`GET /v1/search/analytics/insights/{address}`).

        Whether it needs a key is not documented: 401/403/404, an unreachable host or an
        unreadable body all mean "not available" (None); trust signals are extras.
        """
        if not address.startswith("agent1") or not address.isalnum():
            return None
        try:
            response = await self._client().get(f"/v1/search/analytics/insights/{address}")
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):
            return None
        return insights_from_wire(data)


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after


def _reason(exc: Exception) -> str:
    lines = clean(str(exc)).strip().splitlines()
    return (lines[-1] if lines else type(exc).__name__)[:160]


def _detail(response: httpx.Response) -> str:
    """The human part of an error body: FastAPI's `detail` list or string, else the text."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    message: Any = None
    if isinstance(data, dict):
        detail = data.get("detail", data.get("message"))
        if isinstance(detail, list):
            parts = []
            for item in detail[:3]:
                if isinstance(item, dict):
                    where = ".".join(str(p) for p in item.get("loc", [])[1:] if isinstance(p, (str, int)))
                    msg = str(item.get("msg", ""))
                    parts.append(f"{where}: {msg}" if where else msg)
            message = "; ".join(parts)
        elif isinstance(detail, str):
            message = detail
    if not message:
        message = response.reason_phrase or "no details"
    return " ".join(clean(str(message)).split())[:200]

