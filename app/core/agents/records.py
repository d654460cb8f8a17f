"""Agentverse marketplace records: what a search returns, sanitised at ingest.

Everything the marketplace sends is third-party text. `listing_from_wire` strips control
characters from every string (`sanitize.clean`), folds one-line fields onto one line,
keeps the readme's newlines, bounds lengths and turns odd numbers into None, so nothing
downstream (store, CLI, TUI) has to think about it again.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from app.core.sanitize import clean

HANDLE_RE = re.compile(r"[\w][\w.-]{0,79}")
"""An Agentverse handle without its `@`: word characters, dots and dashes."""

_MAX_NAME, _MAX_DESCRIPTION, _MAX_README = 200, 2_000, 100_000


def normal_handle(value: Any) -> str:
    """`@image-gen` / `image-gen` → `image-gen`; anything that is not a handle → ""."""
    if not isinstance(value, str):
        return ""
    text = clean(value).strip().removeprefix("@").rstrip(".,;:!?")
    return text if HANDLE_RE.fullmatch(text) else ""


def one_line(value: Any, limit: int = _MAX_NAME) -> str:
    """A sanitised string with all whitespace runs folded to one space."""
    if not isinstance(value, str):
        return ""
    return " ".join(clean(value).split())[:limit]


def _multiline(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return clean(value.replace("\r\n", "\n"))[:limit].strip()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int:
    number = _number(value)
    return max(0, int(number)) if number is not None else 0


@dataclass(frozen=True, slots=True)
class AgentListing:
    """One agent as the marketplace lists it (all text already sanitised)."""

    address: str
    handle: str
    """Without the leading `@`; "" when the marketplace gave none."""
    name: str
    description: str = ""
    readme: str = ""
    """Markdown, newlines kept."""
    category: str = ""
    rating: float | None = None
    total_interactions: int = 0
    recent_interactions: int = 0
    recent_success_rate: float | None = None
    """0..1 over the last 90 days, when known."""
    featured: bool = False

    @property
    def key(self) -> str:
        """How asi-chat identifies the agent locally: its handle, else address, else name."""
        return self.handle or self.address or self.name

    @property
    def shown_handle(self) -> str:
        """The handle as a user types it (`@image-gen`), or ""."""
        return f"@{self.handle}" if self.handle else ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the cached listing, `--json` output)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of search results."""

    agents: tuple[AgentListing, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """True when results past this page exist."""
        return self.offset + len(self.agents) < self.total


def listing_from_wire(raw: Any) -> AgentListing | None:
    """An `AgentListing` from one marketplace agent object (None when it is not one)."""
    if not isinstance(raw, dict):
        return None
    address = one_line(raw.get("address"), 120)
    handle = normal_handle(raw.get("handle"))
    name = one_line(raw.get("name")) or handle or address
    if not name:
        return None
    rate = _number(raw.get("recent_success_rate"))
    if rate is not None and rate > 1:  # a percentage
        rate = rate / 100
    return AgentListing(
        address=address,
        handle=handle,
        name=name,
        description=one_line(raw.get("description"), _MAX_DESCRIPTION),
        readme=_multiline(raw.get("readme"), _MAX_README),
        category=one_line(raw.get("category"), 80),
        rating=_number(raw.get("rating")),
        total_interactions=_count(raw.get("total_interactions")),
        recent_interactions=_count(raw.get("recent_interactions")),
        recent_success_rate=None if rate is None else min(1.0, max(0.0, rate)),
        featured=raw.get("featured") is True,
    )


def listing_from_cache(data: Any) -> AgentListing | None:
    """A listing from the JSON asi-chat cached itself (re-sanitised: the file is not trusted)."""
    return listing_from_wire(data)


def page_from_wire(data: Any, offset: int, limit: int) -> SearchPage | None:
    """A `SearchPage` from a search response body, or None when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("agents"), list):
        return None
    agents = tuple(a for a in map(listing_from_wire, data["agents"]) if a is not None)
    total = _count(data.get("total", data.get("num_hits")))
    return SearchPage(agents, max(total, offset + len(agents)),
                      _count(data.get("offset", offset)), _count(data.get("limit", limit)) or limit)


@dataclass(frozen=True, slots=True)
class AgentInsights:
    """ASI:One's own figures for an agent (the insights endpoint), each None when not given."""

    interactions: int | None = None
    successes: int | None = None
    recent_interactions: int | None = None
    recent_success_rate: float | None = None
    rating: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _first_number(data: dict, *keys: str) -> float | None:
    for key in keys:
        value = _number(data.get(key))
        if value is not None:
            return value
    return None


def insights_from_wire(raw: Any) -> AgentInsights | None:
    """Insights from the endpoint's JSON (field names vary: several are accepted), or None."""
    if not isinstance(raw, dict):
        return None
    data = raw.get("insights") if isinstance(raw.get("insights"), dict) else raw
    interactions = _first_number(data, "asi1_interactions", "asi_one_interactions", "interactions",
                                 "total_interactions", "interaction_count")
    successes = _first_number(data, "asi1_successes", "asi1_success", "asi_one_successes", "successes",
                              "success_count", "successful_interactions")
    recent = _first_number(data, "recent_interactions", "recent_asi1_interactions")
    rate = _first_number(data, "recent_success_rate", "success_rate")
    rating = _first_number(data, "rating")
    found = AgentInsights(None if interactions is None else int(interactions),
                          None if successes is None else int(successes),
                          None if recent is None else int(recent),
                          rate if rate is None or 0 <= rate <= 1 else None, rating)
    return found if any(v is not None for v in asdict(found).values()) else None
