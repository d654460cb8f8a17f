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


def _convert(name: str, value: Any, source: str) -> Any:
    if name == "mcp":
        try:
            return parse_mcp(value)
        except ValueError as exc:
            raise ConfigError(f"Invalid MCP settings in {source}: {exc}.") from None
    try:
        match name:
            case "poll_interval" | "connect_timeout" | "read_timeout":
                number = float(value)
                if not number > 0:
                    raise ValueError
                return number
            case "poll_attempts" | "list_width":
                number = int(value)
                if number < 1:
                    raise ValueError
                return number
            case "temperature":
                if isinstance(value, bool):
                    raise ValueError
                number = float(value)
                if not 0 <= number <= 2:
                    raise ValueError
                return number
            case "max_tokens":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                number = int(value)
                if number < 1:
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
                return Path(str(value)).expanduser()
            case "keymap":
                if not isinstance(value, dict) or not all(
                        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()):
                    raise ValueError
                return {k: v.strip() for k, v in value.items()}
            case "agentverse_url":
                if not isinstance(value, str) or not value.strip().lower().startswith(("http://", "https://")):
                    raise ValueError
                return value.strip().rstrip("/")
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
    except (TypeError, ValueError):
        shown = "(not shown)" if name == "api_key" else repr(value)  # never echo a key
        raise ConfigError(f"Invalid value for {name} in {source}: {shown}.") from None


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
