"""Bad input from the person at the keyboard or on disk: refused clearly, never destructive.

Empty messages are not sent; a 1 MB paste is sent, kept and shown; bad settings name the
file and line; an unusable history location or a damaged history file gets one clear
line, and the file is never replaced or truncated; unknown conversation ids are refused.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from textual import events

from app.core.store.store import Store
from tests.e2e.tmux import Tmux, app_command
from tests.reliability.helpers import app_env, asi, integrity, one_clean_line, permissions_bind, without_root_powers
from tests.ui.helpers import build_app, idle, type_and_send, view

SIZE = (140, 40)
MEGABYTE = "".join(f"line {i:05d} " + "lorem ipsum dolor sit amet " * 3 + "\n" for i in range(11_000))


# -- messages ------------------------------------------------------------------------------

async def test_empty_or_blank_messages_are_not_sent(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        for text in ("", "   ", "\n\n", " \t \n  "):
            await type_and_send(pilot, text)
            await pilot.pause(0.05)
        assert sim.requests == [] and app.store.count_conversations() == 0
        assert view(app).conversation_id is None and app.is_running
        await type_and_send(pilot, "hello")  # and a real one still is
        await idle(app, pilot)
        assert len(sim.requests) == 1 and view(app).chat_pane.message_views()[-1].status == "complete"


def test_blank_prompt_from_stdin_is_not_sent(sim, db_path) -> None:
    result = asi(app_env(sim.base_url, db_path), "ask", "-", input=" \n\t\n")
    assert result.returncode == 2 and "prompt is empty" in result.stderr
    assert sim.requests == [] and not db_path.exists()


async def _paste_and_send(app, pilot) -> None:
    view(app).composer.focus()
    app.post_message(events.Paste(MEGABYTE))  # as the terminal delivers a paste
    await pilot.pause()
    assert view(app).composer.text == MEGABYTE


async def test_a_one_megabyte_paste_is_sent_kept_and_shown(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await _paste_and_send(app, pilot)
        await pilot.press("enter")  # far more than the window: a warning first (app.ui.draft_guard)
        await pilot.pause()
        assert view(app).conversation_id is None and view(app).composer.text == MEGABYTE
        await pilot.press("enter")  # sent anyway
        await idle(app, pilot)
        sent = MEGABYTE.rstrip()
        assert sim.requests[-1].messages[-1]["content"] == sent
        user, reply = app.store.messages(view(app).conversation_id)
        assert user.content == sent and reply.status == "complete"
        assert view(app).chat_pane.message_views()[0].content == sent
        assert app.is_running


async def test_a_one_megabyte_paste_does_not_freeze_the_app(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await _paste_and_send(app, pilot)
        await pilot.press("enter")  # the too-long warning (see above)
        started = time.monotonic()
        await pilot.press("enter")
        await pilot.press("x")  # the next key press is handled in seconds, not frozen behind it
        assert view(app).composer.text == "x"
        # 0.6-0.8 s here on an idle VM (wrapping the 11,000 lines once, clearing the composer,
        # the store's ~40 ms); a Static wrapped it all again on every layout, for seconds each:
        # the bound catches that, not a loaded machine (it was 1 s, and failed under load).
        assert time.monotonic() - started < 3.0


# -- settings ------------------------------------------------------------------------------

def _settings_error(env: dict[str, str], *needles: str) -> None:
    """`ask` and the full-screen app both refuse, with one line, before taking the terminal."""
    for args in (["ask", "hello"], []):
        result = asi(env, *args, timeout=30)
        assert result.returncode == 2, result.stderr
        one_clean_line(result.stderr, *needles)
        assert "\x1b[" not in result.stdout  # the app never started drawing


def test_a_model_the_server_refuses_is_one_line_saying_how_to_switch(sim, db_path, tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('model = "gpt-9"\n')
    for env in (app_env(sim.base_url, db_path, ASI_CHAT_CONFIG=str(config)),
                app_env(sim.base_url, db_path, ASI_CHAT_MODEL="gpt-9")):
        result = asi(env, "ask", "hello", timeout=30)
        assert result.returncode == 4, result.stderr
        one_clean_line(result.stderr, "does not offer the model 'gpt-9'", "f2", "--model", "asi1-ultra")
    assert [r.body["model"] for r in sim.requests] == ["gpt-9", "gpt-9"]  # refused, never retried


def test_toml_error_names_the_file_and_the_line(sim, db_path, tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('model = "asi1-agentic"\npoll_interval = = 3\n')
    _settings_error(app_env(sim.base_url, db_path, ASI_CHAT_CONFIG=str(config)), str(config), "line 2")


def test_a_key_in_a_bad_config_value_is_not_echoed(sim, db_path, tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("api_key = 1234567890123456\n")
    env = app_env(sim.base_url, db_path, ASI_CHAT_CONFIG=str(config))
    del env["ASI_ONE_API_KEY"]
    _settings_error(env, "Invalid value for api_key")
    assert "1234567890123456" not in asi(env, "ask", "hi").stderr


# -- where the history lives ---------------------------------------------------------------

def test_history_in_a_missing_folder_is_created_private(sim, tmp_path) -> None:
    db = tmp_path / "a" / "b" / "history.db"
    result = asi(app_env(sim.base_url, db), "ask", "--no-reasoning", "hello")
    assert result.returncode == 0, result.stderr
    assert (db.parent.stat().st_mode & 0o777, db.stat().st_mode & 0o777) == (0o700, 0o600)
    assert integrity(db) == "ok"


@pytest.fixture
def read_only(tmp_path: Path):
    if not permissions_bind(tmp_path):
        pytest.skip("file permissions cannot be enforced here")
    return without_root_powers


def test_history_in_a_read_only_folder(sim, tmp_path, read_only) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    existing = folder / "history.db"
    assert asi(app_env(sim.base_url, existing), "ask", "hello").returncode == 0
    before = existing.read_bytes()
    folder.chmod(0o500)
    try:
        missing = asi(app_env(sim.base_url, folder / "new" / "history.db"), "ask", "hi", preexec_fn=read_only)
        one_clean_line(missing.stderr, "Cannot create the folder", str(folder / "new"))
        result = asi(app_env(sim.base_url, existing), "ask", "hello", preexec_fn=read_only, timeout=30)
        assert result.returncode == 6, result.stderr
        one_clean_line(result.stderr, str(existing), "read-only")
        # Opened to read only: still listed (tests/test_cli_read_only.py has the rest).
        listed = asi(app_env(sim.base_url, existing), "list", preexec_fn=read_only, timeout=30)
        assert listed.returncode == 0 and "hello" in listed.stdout, listed.stderr
    finally:
        folder.chmod(0o700)
    assert existing.read_bytes() == before


def test_read_only_history_file_with_ask(sim, db_path, read_only) -> None:
    env = app_env(sim.base_url, db_path)
    assert asi(env, "ask", "hello").returncode == 0
    db_path.chmod(0o400)
    before = db_path.read_bytes()
    result = asi(env, "ask", "hello", preexec_fn=read_only)
    assert result.returncode == 6
    one_clean_line(result.stderr, "read-only", "not saved")
    listed = asi(env, "list", preexec_fn=read_only)  # still readable
    assert listed.returncode == 0 and "hello" in listed.stdout
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_history_file_with_the_app(sim, db_path, read_only, what) -> None:
    env = app_env(sim.base_url, db_path)
    assert asi(env, "ask", "hello").returncode == 0
    (db_path if what == "file" else db_path.parent).chmod(0o400 if what == "file" else 0o500)
    term = Tmux(env, preexec_fn=read_only)
    try:
        app = term.start(*app_command())
        deadline = time.monotonic() + 15
        screen = ""
        while not term.dead(app) and time.monotonic() < deadline and "read-only" not in screen:
            time.sleep(0.1)
            screen = term.tmux("capture-pane", "-p", "-S", "-100", "-t", app)
        assert "Traceback" not in screen and not term.dead(app)
        assert "read-only" in screen  # said once, clearly; the history can still be read
        assert screen.count("read-only") == 1
    finally:
        term.close()
        db_path.parent.chmod(0o700)


# -- damaged history -----------------------------------------------------------------------

def _history(db: Path) -> bytes:
    store = Store(db)
    for i in range(6):
        conversation = store.create_conversation("asi1-fast-agentic")
        store.add_message(conversation.id, "user", f"tell me about giraffes number {i} " * 20)
        store.add_message(conversation.id, "assistant", "Giraffes are tall. " * 200)
    store.close()
    del store
    return db.read_bytes()


def _damaged(data: bytes, how: str) -> bytes:
    page = int.from_bytes(data[16:18], "big")
    return {"truncated": data[: len(data) // 2],
            "zeroed-page": data[:page] + bytes(page) + data[2 * page:],
            "header-only": data[:100],
            "garbage-inner-page": data[:3 * page] + os.urandom(page) + data[4 * page:],
            "garbage-last-page": data[:-page] + os.urandom(page)}[how]


def _foreign(db: Path) -> bytes:
    """Someone else's SQLite file, under the history's name."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('mine')")
    conn.commit()
    conn.close()
    return db.read_bytes()


@pytest.mark.parametrize("how", ["truncated", "zeroed-page", "header-only", "foreign"])
def test_damaged_history_is_reported_and_left_untouched(sim, db_path, how) -> None:
    db_path.parent.mkdir(parents=True)
    damaged = _foreign(db_path) if how == "foreign" else _damaged(_history(db_path), how)
    for leftover in db_path.parent.iterdir():
        leftover.unlink()
    db_path.write_bytes(damaged)
    env = app_env(sim.base_url, db_path)
    for args in (["ask", "hello"], ["list"], []):
        result = asi(env, *args, timeout=30)
        assert result.returncode == 6, result.stderr  # a storage failure
        one_clean_line(result.stderr, str(db_path), "not an asi-chat history database or is damaged",
                       "left untouched")
        assert db_path.read_bytes() == damaged
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name] and sim.requests == []


@pytest.mark.parametrize("how", ["garbage-inner-page", "garbage-last-page"])
def test_damage_found_later_is_reported_and_nothing_is_cut(sim, db_path, how) -> None:
    """Damage SQLite only meets when it reads that page: asi-chat says so and stops there."""
    db_path.parent.mkdir(parents=True)
    data = _history(db_path)
    page = int.from_bytes(data[16:18], "big")
    damaged = _damaged(data, how)
    db_path.write_bytes(damaged)
    env = app_env(sim.base_url, db_path)
    result = asi(env, "ask", "hello")
    assert result.returncode == 6
    line = one_clean_line(result.stderr, str(db_path), "damaged")
    after = db_path.read_bytes()
    if "left untouched" in line:  # found on opening: the promise must hold to the byte
        assert after == damaged
    else:  # found later: good pages may have been written to, but nothing is cut or replaced
        assert "will not repair or replace it" in line
        assert len(after) >= len(damaged) and after[:page] == damaged[:page]


async def test_damage_found_while_the_app_runs_is_reported(sim, db_path) -> None:
    db_path.parent.mkdir(parents=True)
    data = _history(db_path)
    page = int.from_bytes(data[16:18], "big")
    db_path.write_bytes(data[:-page] + os.urandom(page))
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "hello")
        await pilot.pause(1.0)
        assert app.is_running
        assert any("damaged" in n.message for n in app._notifications)


# -- unknown conversation ids --------------------------------------------------------------

@pytest.mark.parametrize("args", [["export", "999"], ["resume", "999"], ["rename", "999", "x"],
                                  ["delete", "999", "--yes"]])
def test_unknown_conversation_id(sim, db_path, args) -> None:
    result = asi(app_env(sim.base_url, db_path), *args)
    assert result.returncode == 2  # what does not exist is a usage error (issue 22)
    one_clean_line(result.stderr, "No conversation with id 999")
    assert sim.requests == []
