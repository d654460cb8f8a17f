"""Which models asi-chat knows: a built-in catalogue, plus what the server's list offers.

Any model name is accepted everywhere; the catalogue only adds what the docs say about a
model (purpose, latency, context window, whether it is agentic). `GET {base_url}/models`
is optional on ASI:One: when it answers with an OpenAI-shaped list, the names are cached
per base URL for a day next to the history database; any failure leaves the catalogue
(and an older cache) in charge, silently. Nothing here delays launch or `ask`:
`known_models` reads files only, `refresh_models` is what a background task awaits.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.core.sanitize import clean

DEFAULT_MODEL = "asi1"
#: Trimming a history for a model whose window is unknown assumes this many tokens.
UNKNOWN_WINDOW_TOKENS = 32_000
#: How long a fetched list is trusted before `refresh_models` asks the server again.
CACHE_SECONDS = 24 * 3600
CACHE_FILE = "models-cache.json"
_MAX_NAME = 100
_MAX_MODELS = 500


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What is known about one model; `context_tokens` None means the window is unknown.

    `source` is "catalogue" (the docs), "server" (only the server's list) or "both".
    """

    name: str
    purpose: str = ""
    latency: str = ""
    context_tokens: int | None = None
    agentic: bool = False
    source: str = "catalogue"


# `asi1`, `asi1-ultra` and `asi1-mini` are all marked agentic: the docs call the family
# "agentic by default" and describe no mini without agent access.
CATALOGUE: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        ModelInfo("asi1", "General default, agentic by default", "medium", 200_000, True),
        ModelInfo("asi1-ultra", "Hardest tasks, up to 500 tool calls a turn", "slower", 200_000, True),
        ModelInfo("asi1-mini", "Quick everyday answers", "fast", 200_000, True),
        ModelInfo("asi1-agentic", "General orchestration & prototyping", "medium", 32_000, True),
        ModelInfo("asi1-fast-agentic", "Real-time agent coordination", "ultra-fast", 24_000, True),
        ModelInfo("asi1-extended-agentic", "Complex multi-stage workflows", "slower", 64_000, True),
    )
}


def model_info(name: str) -> ModelInfo:
    """The catalogue's entry for `name`, or an entry saying nothing is known about it."""
    return CATALOGUE.get(name) or ModelInfo(name, source="server")


def trimming_window(name: str) -> int:
    """The window a history is trimmed to: the model's own, else a conservative 32K."""
    return model_info(name).context_tokens or UNKNOWN_WINDOW_TOKENS


def window_label(tokens: int | None) -> str:
    """A context window as people say it: 32000 -> "32K tokens"; None -> "unknown window"."""
    if tokens is None:
        return "unknown window"
    if tokens >= 1_000_000:
        return f"{tokens / 1_000_000:g}M tokens"
    if tokens >= 1_000:
        return f"{tokens / 1_000:g}K tokens"
    return f"{tokens} tokens"


def valid_name(name: object) -> str | None:
    """`name` tidied if it can be a model name (printable, no spaces, short), else None."""
    if not isinstance(name, str):
        return None
    text = clean(name).strip()
    if not text or len(text) > _MAX_NAME or any(c.isspace() for c in text):
        return None
    return text


def merge(server_names: list[str] | None) -> list[ModelInfo]:
    """The catalogue, each marked "both" when the server lists it too, then server-only names."""
    offered = list(dict.fromkeys(server_names or []))
    merged = [replace(info, source="both") if name in offered else info
              for name, info in CATALOGUE.items()]
    merged += [ModelInfo(name, source="server") for name in offered if name not in CATALOGUE]
    return merged


def parse_model_list(body: bytes | str) -> list[str]:
    """The model ids of an OpenAI-shaped list; ValueError for anything else."""
    data: Any = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError("not a model list")
    names = [valid_name(item.get("id")) for item in data["data"] if isinstance(item, dict)]
    names = [n for n in names if n][:_MAX_MODELS]
    if not names:
        raise ValueError("an empty model list")
    return list(dict.fromkeys(names))


# --- the cache ------------------------------------------------------------------------


def cache_path(settings: Any) -> Path:
    """The cache file: beside the history database these settings use."""
    from app.core.runtime import db_path

    return db_path(settings).parent / CACHE_FILE


def _read_cache_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def cached(settings: Any) -> tuple[list[str], float] | None:
    """(names, fetched_at) cached for the settings' base URL, or None."""
    entry = _read_cache_file(cache_path(settings)).get(settings.base_url.rstrip("/"))
    if not isinstance(entry, dict) or not isinstance(entry.get("models"), list):
        return None
    names = [n for n in map(valid_name, entry["models"]) if n]
    fetched_at = entry.get("fetched_at")
    if not names or not isinstance(fetched_at, (int, float)):
        return None
    return names, float(fetched_at)


def write_cache(settings: Any, names: list[str], now: float | None = None) -> None:
    """Remember `names` for the settings' base URL (private file, replaced atomically)."""
    path = cache_path(settings)
    data = _read_cache_file(path)
    data[settings.base_url.rstrip("/")] = {"fetched_at": time.time() if now is None else now,
                                           "models": names}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(temporary, path)


def known_models(settings: Any) -> list[ModelInfo]:
    """Catalogue plus cached server names, at once (no network; a bad cache is ignored)."""
    try:
        entry = cached(settings)
    except OSError:
        entry = None
    return merge(entry[0] if entry else None)


def cache_is_fresh(settings: Any, now: float | None = None) -> bool:
    """True when the cached list for these settings is younger than a day."""
    entry = cached(settings)
    return entry is not None and (time.time() if now is None else now) - entry[1] < CACHE_SECONDS


# --- the server's list ----------------------------------------------------------------


async def fetch_models(base_url: str, api_key: str, *, timeout: float = 5.0) -> list[str]:
    """`GET {base_url}/models` now. Raises ValueError (bad reply) or OSError-like httpx errors.

    The key goes with it: this is the ASI:One base URL itself.
    """
    import httpx

    async with httpx.AsyncClient(timeout=timeout) as http:
        response = await http.get(f"{base_url.rstrip('/')}/models",
                                  headers={"Authorization": f"Bearer {api_key}",
                                           "Accept": "application/json"})
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}")
    return parse_model_list(response.content)


async def refresh_models(settings: Any, *, force: bool = False, timeout: float = 5.0) -> list[str] | None:
    """Ask the server for its list unless a fresh one is cached; cache and return it.

    Returns None when the server was not asked or its answer was unusable: every failure
    (no key, HTML, wrong JSON, an error status, a timeout, no connection) is silent.
    """
    try:
        if not settings.api_key or (not force and cache_is_fresh(settings)):
            return None
        names = await fetch_models(settings.base_url, settings.api_key, timeout=timeout)
        write_cache(settings, names)
        return names
    except Exception:  # noqa: BLE001 - optional endpoint: never worth an error
        return None
