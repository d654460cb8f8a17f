"""Settings resolution: defaults < config file < environment < flags."""

from pathlib import Path

import pytest

from app.core.config import DEFAULT_BASE_URL, Settings, load_settings, require_key, save_setting
from app.core.errors import ConfigError


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    settings = load_settings({}, env={}, config_file=tmp_path / "none.toml")
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.model == "asi1"
    assert settings.poll_interval == 5.0
    assert settings.poll_attempts == 24
    assert settings.api_key is None


def test_file_then_env_then_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('model = "asi1-agentic"\npoll_interval = 2.5\nbase_url = "http://file"\n')
    env = {"ASI_ONE_BASE_URL": "http://env", "ASI_CHAT_POLL_ATTEMPTS": "7", "ASI_ONE_API_KEY": "sk-env"}
    settings = load_settings({"base_url": "http://flag"}, env=env, config_file=cfg)
    assert settings.model == "asi1-agentic"          # file
    assert settings.poll_interval == 2.5              # file
    assert settings.poll_attempts == 7                # env
    assert settings.base_url == "http://flag"         # flag beats env
    assert settings.api_key == "sk-env"


def test_db_from_env_is_a_path(tmp_path: Path) -> None:
    settings = load_settings({}, env={"ASI_CHAT_DB": str(tmp_path / "h.db")}, config_file=tmp_path / "x")
    assert settings.db == tmp_path / "h.db"


def test_toml_error_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('model = "asi1-agentic"\npoll_interval = = 3\n')
    with pytest.raises(ConfigError) as info:
        load_settings({}, env={}, config_file=cfg)
    assert str(cfg) in str(info.value)
    assert "line 2" in str(info.value)


def test_any_model_name_is_accepted_but_not_a_blank_one(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('model = "gpt-9"\n')
    assert load_settings({}, env={}, config_file=cfg).model == "gpt-9"
    assert load_settings({}, env={"ASI_CHAT_MODEL": "asi1-graph"}, config_file=cfg).model == "asi1-graph"
    with pytest.raises(ConfigError, match="Invalid value for model in --model"):
        load_settings({"model": "two words"}, env={}, config_file=cfg)


@pytest.mark.parametrize("var,value", [("ASI_CHAT_POLL_INTERVAL", "soon"), ("ASI_CHAT_POLL_ATTEMPTS", "0")])
def test_bad_numbers_are_named(tmp_path: Path, var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        load_settings({}, env={var: value}, config_file=tmp_path / "x")


def test_missing_key_says_how_to_set_it(tmp_path: Path) -> None:
    settings = load_settings({}, env={}, config_file=tmp_path / "x")
    with pytest.raises(ConfigError) as info:
        require_key(settings)
    message = str(info.value)
    assert "ASI_ONE_API_KEY" in message and "--demo" in message and "\n" not in message


def test_save_setting_keeps_other_keys_and_refuses_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "sub" / "config.toml"
    save_setting(cfg, "model", "asi1-agentic")
    save_setting(cfg, "theme", 'nord "x"')
    settings = load_settings({}, env={}, config_file=cfg)
    assert settings.model == "asi1-agentic" and settings.theme == 'nord "x"'
    with pytest.raises(ValueError):
        save_setting(cfg, "api_key", "sk-secret")
    assert "sk-secret" not in cfg.read_text()


def test_turn_options_from_file_and_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('temperature = 0.7\nmax_tokens = 512\nsystem_prompt = "  Be kind.  "\nweb_search = true\n')
    settings = load_settings({}, env={}, config_file=cfg)
    assert (settings.temperature, settings.max_tokens, settings.system_prompt, settings.web_search) == (
        0.7, 512, "Be kind.", True)
    env = {"ASI_CHAT_TEMPERATURE": "0", "ASI_CHAT_WEB_SEARCH": "off", "ASI_CHAT_MAX_TOKENS": "9"}
    settings = load_settings({}, env=env, config_file=cfg)
    assert (settings.temperature, settings.web_search, settings.max_tokens) == (0.0, False, 9)
    assert Settings().temperature is None and Settings().web_search is False


@pytest.mark.parametrize("line", ["temperature = 2.5", "temperature = -1", 'temperature = "hot"', "temperature = true",
                                  "max_tokens = 0", "max_tokens = 1.5", "max_tokens = true",
                                  'web_search = "maybe"', "system_prompt = 3"])
def test_bad_turn_options_are_named(tmp_path: Path, line: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(line + "\n")
    with pytest.raises(ConfigError, match=f"Invalid value for {line.split()[0]}"):
        load_settings({}, env={}, config_file=cfg)


def test_a_saved_system_prompt_with_newlines_and_quotes_reads_back(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    save_setting(cfg, "system_prompt", 'Line one\n"quoted" \\ back')
    save_setting(cfg, "web_search", True)
    settings = load_settings({}, env={}, config_file=cfg)
    assert settings.system_prompt == 'Line one\n"quoted" \\ back' and settings.web_search is True


def test_image_preview_from_file_env_and_its_errors(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    assert load_settings(env={}, config_file=config).image_preview == "auto"
    config.write_text('image_preview = "sixel"\n')
    assert load_settings(env={}, config_file=config).image_preview == "sixel"
    env = {"ASI_CHAT_IMAGE_PREVIEW": "OFF"}
    assert load_settings(env=env, config_file=config).image_preview == "off"
    with pytest.raises(ConfigError, match="image_preview in \\$ASI_CHAT_IMAGE_PREVIEW: 'blocks'"):
        load_settings(env={"ASI_CHAT_IMAGE_PREVIEW": "blocks"}, config_file=config)


@pytest.mark.parametrize("line,name", [
    ("db = 5", "db"), ('db = ""', "db"), ("poll_attempts = 1.5", "poll_attempts"),
    ("poll_attempts = true", "poll_attempts"), ("poll_interval = 1e308", "poll_interval"),
    ("poll_interval = 0", "poll_interval"), ("poll_interval = nan", "poll_interval"),
    ("poll_interval = inf", "poll_interval"), ("read_timeout = 1e308", "read_timeout"),
    ('base_url = "ftp://x"', "base_url"), ('base_url = "https://api.asi1.ai/v1\\n"', "base_url"),
    ('base_url = "https://api.asi1.ai /v1"', "base_url"), ('base_url = "https://"', "base_url"),
    ('base_url = "https://host:port/v1"', "base_url"), ('agentverse_url = "file:///etc"', "agentverse_url"),
    ("list_width = 2.5", "list_width"),
])
def test_config_values_are_checked_naming_the_setting_and_file(tmp_path: Path, line: str, name: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(line + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings({}, env={}, config_file=cfg)
    message = str(info.value)
    assert message.startswith(f"Invalid value for {name} in config file {cfg}: ") and "\n" not in message


@pytest.mark.parametrize("var,value", [
    ("ASI_CHAT_POLL_ATTEMPTS", "1.5"), ("ASI_CHAT_POLL_INTERVAL", "1e308"), ("ASI_ONE_BASE_URL", "ftp://x"),
    ("ASI_ONE_BASE_URL", "https://api.asi1.ai/v1\n"), ("ASI_CHAT_DB", " "),
])
def test_environment_values_are_checked_too(tmp_path: Path, var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"in \\${var}: "):
        load_settings({}, env={var: value}, config_file=tmp_path / "x")


def test_sensible_values_still_pass(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('poll_attempts = 3.0\npoll_interval = 3600\nbase_url = "http://127.0.0.1:8765/v1"\n'
                   'db = "~/h.db"\n')
    settings = load_settings({"poll_interval": "0.05"}, env={}, config_file=cfg)
    assert (settings.poll_attempts, settings.poll_interval) == (3, 0.05)
    assert settings.base_url == "http://127.0.0.1:8765/v1" and settings.db == Path("~/h.db").expanduser()
