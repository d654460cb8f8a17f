"""Settings: defaults < TOML config file < environment < command-line flags."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from app.core.errors import ConfigError
from app.core.models import DEFAULT_MODEL, valid_name
from app.core.tools.settings import McpSettings, parse_mcp

DEFAULT_BASE_URL = "https://api.asi1.ai/v1"
DEFAULT_AGENTVERSE_URL = "https://agentverse.ai"
# How image previews are drawn: auto detects kitty graphics / sixel, else half-cell blocks.
IMAGE_PREVIEWS = ("auto", "kitty", "sixel", "halfcell", "unicode", "off")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything asi-chat can be configured with. The key is never persisted by the app."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    poll_interval: float = 5.0
    poll_attempts: int = 24
    db: Path | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    theme: str | None = None
    list_width: int | None = None
    agentverse_url: str = DEFAULT_AGENTVERSE_URL
    """The Agentverse marketplace (agent search); the ASI:One key is never sent there."""
    image_preview: str = "auto"
    image_private_hosts: bool = False
    """Let image previews come from loopback and private-network hosts too (by default only
    the configured ASI:One and Agentverse hosts may be on such an address)."""
    notify: str = "auto"
    """When an agent answers in a conversation not on screen and the terminal is not focused:
    `auto` / `bell` ring the terminal bell, `off` stays silent (the in-app notice is always shown)."""
    config_file: Path | None = None
    temperature: float | None = None
    """Sampling temperature (0-2) sent with every turn; None leaves it to the server."""
    max_tokens: int | None = None
    """A cap on the reply's tokens sent with every turn; None leaves it to the server."""
    system_prompt: str | None = None
    """The system prompt of conversations that have none of their own."""
    web_search: bool = False
    """Ask for web search on every turn (a conversation can also turn it on for itself)."""
    keymap: Mapping[str, str] = field(default_factory=dict)
    """`[keymap]`: key ids (`asi-chat keys`) mapped to other keys, `new-conversation = "f6"`."""
    mcp: McpSettings = field(default_factory=McpSettings)
    """MCP servers offered to the model as tools (the `[mcp]` table), and the tool loop's limits."""

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the non-None values replaced (flags given on the command line)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


# (setting, environment variable, converter)
_ENV: tuple[tuple[str, str], ...] = (
    ("api_key", "ASI_ONE_API_KEY"),
    ("base_url", "ASI_ONE_BASE_URL"),
    ("model", "ASI_CHAT_MODEL"),
    ("poll_interval", "ASI_CHAT_POLL_INTERVAL"),
    ("poll_attempts", "ASI_CHAT_POLL_ATTEMPTS"),
    ("db", "ASI_CHAT_DB"),
    ("temperature", "ASI_CHAT_TEMPERATURE"),
    ("max_tokens", "ASI_CHAT_MAX_TOKENS"),
    ("system_prompt", "ASI_CHAT_SYSTEM_PROMPT"),
    ("web_search", "ASI_CHAT_WEB_SEARCH"),
    ("agentverse_url", "ASI_CHAT_AGENTVERSE_URL"),
    ("image_preview", "ASI_CHAT_IMAGE_PREVIEW"),
    ("notify", "ASI_CHAT_NOTIFY"),
)
_FILE_KEYS = {f.name for f in fields(Settings)} - {"config_file"}


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The TOML config file: `ASI_CHAT_CONFIG`, else the platform's user config dir."""
    env = os.environ if env is None else env
    if env.get("ASI_CHAT_CONFIG"):
        return Path(env["ASI_CHAT_CONFIG"]).expanduser()
    from platformdirs import user_config_path

    return user_config_path("asi-chat") / "config.toml"


# Bounds that keep a typo from becoming a silent surprise: a poll interval of 1e308 s
# never polls, and a zero or negative one would hammer the server. The floor is low
# enough for the simulator's tests and demos.
_SECONDS = {"poll_interval": (0.05, 3600.0), "connect_timeout": (0.1, 3600.0), "read_timeout": (0.1, 86400.0)}
_WHAT = {
    "poll_interval": "seconds between agent polls, 0.05-3600",
    "connect_timeout": "seconds, 0.1-3600",
    "read_timeout": "seconds, 0.1-86400",
    "poll_attempts": "a whole number, 1 or more",
    "list_width": "a whole number, 1 or more",
    "max_tokens": "a whole number, 1 or more",
    "temperature": "a number, 0-2",
    "db": "a file path",
    "base_url": "an http(s) URL without spaces",
    "agentverse_url": "an http(s) URL without spaces",
    "web_search": "true or false",
    "image_private_hosts": "true or false",
    "keymap": "a table of key ids (`asi-chat keys`) and keys",
    "notify": "auto, bell or off",
    "image_preview": ", ".join(IMAGE_PREVIEWS),
}


def _number(value: Any) -> float:
    """A real number from TOML or text; booleans are not numbers here (TOML `true` is no 1)."""
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if number != number:  # NaN
        raise ValueError
    return number


def _whole(value: Any) -> int:
    """A whole number; 1.5 is refused rather than cut to 1."""
    number = _number(value)
    if not number.is_integer():
        raise ValueError
    return int(number)


def _http_url(value: Any) -> str:
    """An http(s) URL with a host and no whitespace or control characters anywhere (they
    would fail only later, inside the HTTP library, after retries)."""
    from urllib.parse import urlsplit

    if not isinstance(value, str) or not value.isprintable() or any(ch.isspace() for ch in value):
        raise ValueError
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError
    parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    return value


def _convert(name: str, value: Any, source: str) -> Any:
    if name == "mcp":
        try:
            return parse_mcp(value)
        except ValueError as exc:
            raise ConfigError(f"Invalid MCP settings in {source}: {exc}.") from None
    try:
        match name:
            case "poll_interval" | "connect_timeout" | "read_timeout":
                low, high = _SECONDS[name]
                number = _number(value)
                if not low <= number <= high:
                    raise ValueError
                return number
            case "poll_attempts" | "list_width" | "max_tokens":
                number = _whole(value)
                if number < 1:
                    raise ValueError
                return number
            case "temperature":
                number = _number(value)
                if not 0 <= number <= 2:
                    raise ValueError
                return number
            case "web_search" | "image_private_hosts":
                if isinstance(value, bool):
                    return value
                if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                    return value.strip().lower() in ("1", "true", "yes", "on")
                raise ValueError
            case "model":
                model = valid_name(value)
                if model is None:
                    raise ValueError
                return model
            case "system_prompt":
                if not isinstance(value, str):
                    raise ValueError
                return value.strip() or None
            case "db":
                # A TOML number would become a file named "5" in the working folder.
                if not isinstance(value, (str, os.PathLike)) or not str(value).strip() or "\x00" in str(value):
                    raise ValueError
                return Path(value).expanduser()
            case "keymap":
                if not isinstance(value, dict) or not all(
                        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()):
                    raise ValueError
                return {k: v.strip() for k, v in value.items()}
            case "base_url":
                return _http_url(value)
            case "agentverse_url":
                return _http_url(value).rstrip("/")
            case "notify":
                if str(value).lower() not in ("auto", "bell", "off"):
                    raise ValueError
                return str(value).lower()
            case "image_preview":
                if str(value).lower() not in IMAGE_PREVIEWS:
                    raise ValueError
                return str(value).lower()
            case "api_key" if isinstance(value, str):
                # A key pasted with a trailing newline or space would be sent in the
                # Authorization header, and the HTTP library's error quotes the header.
                return value.strip()
            case _:
                if not isinstance(value, str):
                    raise ValueError
                return value
    except (TypeError, ValueError, OverflowError):
        shown = "(not shown)" if name == "api_key" else repr(value)  # never echo a key
        shown = shown if len(shown) <= 80 else shown[:79] + "…"
        expected = f" (expected {_WHAT[name]})" if name in _WHAT else ""
        raise ConfigError(f"Invalid value for {name} in {source}: {shown}{expected}.") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings in a TOML file; a syntax error names the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from None
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise ConfigError(f"Unknown setting {unknown[0]!r} in config file {path}.")
    return {k: _convert(k, v, f"config file {path}") for k, v in data.items()}


def load_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve settings from defaults, the config file, the environment and flags."""
    env = os.environ if env is None else env
    path = config_file or config_path(env)
    values: dict[str, Any] = read_config_file(path)
    for name, var in _ENV:
        if env.get(var):
            values[name] = _convert(name, env[var], f"${var}")
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = _convert(name, value, f"--{name.replace('_', '-')}")
    return Settings(config_file=path, **values)


def require_key(settings: Settings) -> str:
    """The API key, or a one-line ConfigError saying how to set it."""
    if not settings.api_key:
        raise ConfigError(
            "No API key: set ASI_ONE_API_KEY (or api_key in "
            f"{settings.config_file}), or try the simulator with --demo."
        )
    if not settings.api_key.isascii() or not settings.api_key.isprintable() or " " in settings.api_key:
        # It could not go into an HTTP header; say so without repeating the key.
        raise ConfigError("The API key contains spaces, control or non-ASCII characters; "
                          "check ASI_ONE_API_KEY (or api_key in the config file).")
    return settings.api_key


def save_setting(path: Path, name: str, value: str | float | int) -> None:
    """Set one top-level key in the TOML config file, keeping the others."""
    if name not in _FILE_KEYS or name == "api_key":
        raise ValueError(f"not a savable setting: {name}")
    current = read_config_file(path)
    current[name] = value
    tables = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    lines = []
    for key, val in current.items():
        if isinstance(tables.get(key), dict):
            continue  # a table ([keymap], [mcp]): written back as it was read, after the plain keys
        if isinstance(val, bool):
            lines.append(f"{key} = {'true' if val else 'false'}")
        elif isinstance(val, (int, float)):
            lines.append(f"{key} = {val}")
        else:
            escaped = json.dumps(str(val), ensure_ascii=False)[1:-1]  # a valid TOML basic string
            lines.append(f'{key} = "{escaped}"')
    for key, val in tables.items():
        if isinstance(val, dict):
            lines.extend(_toml_table(key, val))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _toml_table(name: str, table: dict) -> list[str]:
    """A nested TOML table as lines (strings, numbers, booleans, lists and sub-tables)."""
    lines, subtables = ["", f"[{name}]"], []
    for key, val in table.items():
        if isinstance(val, dict):
            subtables.append((key, val))
        else:
            lines.append(f"{json.dumps(str(key))} = {_toml_value(val)}")
    for key, val in subtables:
        lines.extend(_toml_table(f"{name}.{json.dumps(str(key))}", val))
    return lines


def _toml_value(val: Any) -> str:
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, (int, float)):
        return repr(val)
    if isinstance(val, list):
        return "[" + ", ".join(_toml_value(v) for v in val) + "]"
    return json.dumps(str(val), ensure_ascii=False)
