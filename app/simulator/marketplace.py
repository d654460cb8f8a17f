"""The Agentverse marketplace search (`POST /v1/search/agents`), played on the same server.

A deterministic catalogue of 90 agents over eight categories (plus the agents the chat
scenarios name, and one hostile listing full of escape sequences and Textual markup),
relevancy search on the text, sorting, paging and the validation the real service does:
unknown top-level fields and `limit` > 50 get FastAPI's 422 bodies.

Faults, for tests: a directive in `search_text` applies to every such search
(`!av:429`, `!av:429=2` with Retry-After 2, `!av:500`, `!av:html`, `!av:garbage`,
`!av:hang`); `Marketplace.add_fault` queues one for the next searches instead.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

CATEGORIES = ("Image Generation", "Travel", "Finance", "Weather", "Research",
              "Developer Tools", "News", "Health")
_FLAVOURS = ("Swift", "Nova", "Atlas", "Pixel", "Orbit", "Quartz", "Echo", "Summit", "Delta",
             "Lumen", "Harbor")
_TOPICS = {
    "Image Generation": ("Image Studio", "renders images from a text prompt"),
    "Travel": ("Trip Planner", "plans trips, flights and hotels"),
    "Finance": ("Market Watch", "tracks stock and crypto prices"),
    "Weather": ("Forecast", "gives hourly weather forecasts"),
    "Research": ("Paper Finder", "finds and summarises research papers"),
    "Developer Tools": ("Code Helper", "reviews code and explains errors"),
    "News": ("Headlines", "summarises today's news"),
    "Health": ("Wellness Coach", "suggests exercise and sleep routines"),
}
ALLOWED_FIELDS = frozenset({"search_text", "sort", "direction", "offset", "limit", "filters",
                            "exclude_geo_agents", "semantic_search", "search_id", "source"})
SORTS = ("relevancy", "created-at", "last-modified", "interactions")
HOSTILE_HANDLE = "totally-safe-agent"
HOSTILE_NAME = "[bold red]Totally Safe[/bold red] \x1b[2JAgent"
# OSC 52 would set the clipboard; CSI 2J clears the screen; the markup must show literally.
HOSTILE_README = ("# Totally safe\n\n\x1b]52;c;ZXZpbA==\x07Click [link=https://evil.example]here[/link]"
                  "\n\n[bold red]not bold[/bold red] \x1b[31mred?\x1b[0m \x9b2J\n"
                  # Links of schemes that start other programs, and one ordinary web link.
                  "\n[our share](smb://evil.example/share) · [open in editor](vscode://file/etc/passwd)"
                  " · [docs](https://docs.example/totally-safe)\n")
_DIRECTIVE = re.compile(r"!av:(429|500|503|html|garbage|hang)(?:=(\d+(?:\.\d+)?))?")
_DAY = 86_400.0
_EPOCH = 1_700_000_000.0


def _address(seed: int) -> str:
    """A stable `agent1q…` address (bech32-looking: 58 characters after the prefix)."""
    alphabet = "023456789acdefghjklmnpqrstuvwxyz"
    digest = hashlib.sha512(f"sim-agent-{seed}".encode()).digest()
    return "agent1q" + "".join(alphabet[b % len(alphabet)] for b in digest[:58])


def _agent(seed: int, name: str, handle: str, category: str, description: str,
           readme: str | None = None, featured: bool = False) -> dict[str, Any]:
    interactions = (seed * 7_919) % 50_000 + 10
    return {
        "address": _address(seed), "name": name, "handle": handle, "description": description,
        "readme": readme if readme is not None else
        f"# {name}\n\n{description[:1].upper() + description[1:]}.\n\n## Usage\n\n"
        f"Mention `@{handle}` in ASI:One chat and say what you need.\n\n- fast\n- reliable\n",
        "category": category, "type": "hosted", "status": "active", "featured": featured,
        "system_wide_tags": [category.lower().replace(" ", "-")], "protocols": [],
        "avatar_href": None, "domain": None, "owner": "sim", "metadata": {},
        "created_at": _EPOCH + seed * _DAY, "last_updated": _EPOCH + ((seed * 37) % 90 + seed) * _DAY,
        "rating": round(3.0 + (seed * 13 % 21) / 10, 1), "total_interactions": interactions,
        "recent_interactions": interactions // 4, "recent_success_rate": round(0.7 + (seed * 7 % 30) / 100, 2),
        "recent_verified_interactions": interactions // 5,
    }


# The agents the chat scenarios name (app/simulator/scenarios.py), so names line up.
IMAGE_AGENT = ("Image Generation HiDream-I1", "image-gen-hidream")
SECOND_AGENT = ("Ref Image Agent", "ref-image-agent")
"""The agent the first hands over to when two work in sequence (`!sim:two-agents`)."""
NAMED_AGENTS: tuple[tuple[str, str, str, str], ...] = (
    (*IMAGE_AGENT, "Image Generation", "generates images with the HiDream-I1 model"),
    ("Ref Image Agent", "ref-image-agent", "Image Generation", "edits images from a reference picture"),
    ("Flight Finder", "flight-finder", "Travel", "finds the cheapest flights between two cities"),
)


@functools.lru_cache(maxsize=1)
def catalogue() -> tuple[dict[str, Any], ...]:
    """Every agent of the simulated marketplace, in a fixed order."""
    agents = [_agent(i + 1, name, handle, category, text, featured=i == 0)
              for i, (name, handle, category, text) in enumerate(NAMED_AGENTS)]
    seed = len(agents) + 1
    for category in CATEGORIES:
        topic, text = _TOPICS[category]
        for flavour in _FLAVOURS:
            handle = f"{flavour}-{topic}".lower().replace(" ", "-")
            agents.append(_agent(seed, f"{flavour} {topic}", handle, category,
                                 f"{flavour} {text}", featured=seed % 17 == 0))
            seed += 1
    agents.append(_agent(seed, HOSTILE_NAME, HOSTILE_HANDLE, "Research",
                         "\x1b[2J[reverse]totally safe[/reverse] research agent \x1b]52;c;ZXZpbA==\x07",
                         readme=HOSTILE_README))
    return tuple(agents)


def agent_by_handle(handle: str) -> dict[str, Any] | None:
    """The catalogue agent with this handle (with or without `@`), or None."""
    wanted = handle.removeprefix("@").lower()
    return next((a for a in catalogue() if a["handle"] == wanted), None)


INSIGHTS_PATH = "/v1/search/analytics/insights/"
NO_INSIGHTS = ("flight-finder",)
"""Agents whose insights the simulator does not serve (404), as some real ones have none."""


def insights(address: str) -> tuple[int, dict[str, Any]]:
    """(status, body) of `GET /v1/search/analytics/insights/{address}`: ASI:One's own
    interaction and success counts, recent figures and rating; 404 for an unknown agent."""
    agent = next((a for a in catalogue() if a["address"] == address), None)
    if agent is None or agent["handle"] in NO_INSIGHTS:
        return 404, {"detail": "Agent not found", "status_code": 404}
    asi1 = agent["total_interactions"] // 3
    return 200, {"address": address, "asi1_interactions": asi1,
                 "asi1_successes": int(asi1 * agent["recent_success_rate"]),
                 "recent_interactions": agent["recent_interactions"],
                 "recent_success_rate": agent["recent_success_rate"], "rating": agent["rating"]}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _score(agent: dict[str, Any], words: list[str]) -> float:
    score = 0.0
    name, handle = agent["name"].lower(), agent["handle"]
    description, readme = agent["description"].lower(), agent["readme"].lower()
    for word in words:
        score += 3 * (word in name) + 3 * (word in handle) + (word in description) + 0.5 * (word in readme)
    return score


def _unprocessable(loc: list[Any], msg: str, kind: str, value: Any) -> tuple[int, dict]:
    return 422, {"detail": [{"type": kind, "loc": ["body", *loc], "msg": msg, "input": value}]}


@dataclass
class MarketplaceRequest:
    """One search request as received (header names lower-cased)."""

    headers: dict[str, str]
    body: Any


class Marketplace:
    """Answers marketplace searches; thread-safe; records requests for tests."""

    def __init__(self) -> None:
        self.requests: list[MarketplaceRequest] = []
        self._faults: list[tuple[str, float | None]] = []
        self._lock = threading.Lock()

    def add_fault(self, kind: str, times: int = 1, retry_after: float | None = None) -> None:
        """Queue `kind` (429, 500, 503, html, garbage, hang) for the next `times` searches."""
        with self._lock:
            self._faults.extend([(str(kind), retry_after)] * times)

    def respond(self, headers: dict[str, str], raw: bytes,
                stopping: threading.Event) -> tuple[int, str, bytes, dict[str, str]]:
        """(status, content type, body, extra headers) for one `POST /v1/search/agents`."""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(MarketplaceRequest(headers, body))
            fault = self._faults.pop(0) if self._faults else None
        if fault is None and isinstance(body, dict) and isinstance(body.get("search_text"), str):
            found = _DIRECTIVE.search(body["search_text"])
            if found:
                fault = (found.group(1), float(found.group(2)) if found.group(2) else None)
        if fault is not None:
            return self._fault(*fault, stopping)
        status, obj = self._search(body)
        return status, "application/json", json.dumps(obj, ensure_ascii=False).encode(), {}

    @staticmethod
    def _fault(kind: str, value: float | None,
               stopping: threading.Event) -> tuple[int, str, bytes, dict[str, str]]:
        if kind == "429":
            extra = {"Retry-After": f"{value:g}"} if value is not None else {}
            return 429, "application/json", b'{"detail":"Too Many Requests"}', extra
        if kind in ("500", "503"):
            return int(kind), "application/json", b'{"detail":"Internal Server Error"}', {}
        if kind == "html":
            return 200, "text/html", b"<!doctype html><html><body><h1>Agentverse</h1></body></html>", {}
        if kind == "garbage":
            return 200, "application/json", b'{"agents": [{"name": "half', {}
        stopping.wait(value if value is not None else 30.0)  # hang: the client times out first
        return 504, "application/json", b'{"detail":"Gateway Timeout"}', {}

    def _search(self, body: Any) -> tuple[int, dict]:
        if not isinstance(body, dict):
            return _unprocessable([], "Input should be a valid dictionary", "dict_type", body)
        for name in body:
            if name not in ALLOWED_FIELDS:
                return _unprocessable([name], "Extra inputs are not permitted", "extra_forbidden", body[name])
        limit, offset = body.get("limit", 30), body.get("offset", 0)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            return _unprocessable(["limit"], "Input should be greater than or equal to 1", "greater_than_equal", limit)
        if limit > 50:
            return _unprocessable(["limit"], "Input should be less than or equal to 50", "less_than_equal", limit)
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            return _unprocessable(["offset"], "Input should be greater than or equal to 0", "greater_than_equal", offset)
        sort, direction = body.get("sort", "relevancy"), body.get("direction", "desc")
        if sort not in SORTS:
            return _unprocessable(["sort"], f"Input should be {', '.join(map(repr, SORTS))}", "enum", sort)
        if direction not in ("asc", "desc"):
            return _unprocessable(["direction"], "Input should be 'asc' or 'desc'", "enum", direction)
        agents = list(catalogue())
        filters = body.get("filters") or {}
        category = filters.get("category") if isinstance(filters, dict) else None
        if category:
            wanted = {c.lower() for c in ([category] if isinstance(category, str) else category)
                      if isinstance(c, str)}
            agents = [a for a in agents if a["category"].lower() in wanted]
        words = _words(str(body.get("search_text") or ""))
        scored = [(_score(a, words), a) for a in agents]
        if words:
            scored = [(s, a) for s, a in scored if s > 0]
        key = {"relevancy": lambda sa: (sa[0], sa[1]["total_interactions"]),
               "interactions": lambda sa: sa[1]["total_interactions"],
               "created-at": lambda sa: sa[1]["created_at"],
               "last-modified": lambda sa: sa[1]["last_updated"]}[sort]
        scored.sort(key=key, reverse=direction == "desc")
        page = [a for _, a in scored[offset:offset + limit]]
        return 200, {"agents": page, "offset": offset, "limit": limit, "num_hits": len(scored),
                     "total": len(scored), "search_id": f"sim-{len(words)}-{offset}"}
