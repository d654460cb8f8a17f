"""Config values are checked at start, before any network (issue 22, item 11)."""

from __future__ import annotations

import pytest

from tests.test_cli import asi, no_traceback


@pytest.mark.parametrize("line,name", [
    ("db = 5", "db"), ("poll_attempts = 1.5", "poll_attempts"), ("poll_interval = 1e308", "poll_interval"),
    ('base_url = "ftp://x"', "base_url"), ('base_url = "https://api.asi1.ai/v1\\n"', "base_url"),
])
def test_a_bad_config_value_stops_before_any_request(sim_env, sim, tmp_path, line, name) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(line + "\n")
    env = {k: v for k, v in sim_env.items() if k not in ("ASI_CHAT_DB", "ASI_ONE_BASE_URL", "ASI_CHAT_POLL_INTERVAL")}
    result = asi({**env, "ASI_CHAT_CONFIG": str(cfg)}, "ask", "hello")
    no_traceback(result)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]  # one line
    assert f"Invalid value for {name} in config file {cfg}" in result.stderr
    assert not sim.requests


@pytest.mark.parametrize("args,name", [
    (["--poll-attempts", "1.5"], "poll_attempts"), (["--poll-interval", "1e308"], "poll_interval"),
    (["--base-url", "ftp://x"], "base_url"),
])
def test_a_bad_flag_value_is_one_line_too(sim_env, sim, args, name) -> None:
    result = asi(sim_env, "ask", *args, "hello")
    assert result.returncode == 2 and not sim.requests
    assert result.stderr.startswith("asi-chat: ") and len(result.stderr.strip().splitlines()) == 1
    assert f"Invalid value for {name} in --{name.replace('_', '-')}" in result.stderr
