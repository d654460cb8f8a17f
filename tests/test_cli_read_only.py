"""A history in a read-only folder or file can still be listed, searched, shown and exported
(issue 22, item 12). Each run drops root's file powers (tests/reliability/helpers.py), so the
permissions bind as they would for a user."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.core.store.store import Store
from tests.reliability.helpers import app_env, asi, one_clean_line, permissions_bind, without_root_powers

READS = (["list"], ["search", "lighthouse"], ["show", "1"], ["export", "1"], ["export", "1", "--format", "json"])


@pytest.fixture
def read_only(tmp_path: Path):
    if not permissions_bind(tmp_path):
        pytest.skip("file permissions cannot be enforced here")
    return without_root_powers


def _history(db: Path) -> None:
    with Store(db) as store:
        conv = store.create_conversation("asi1")
        store.add_message(conv.id, "user", "Describe a lighthouse")
        store.add_message(conv.id, "assistant", "Tall and white.")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _reads_work(env: dict[str, str], read_only, *needles: str) -> None:
    for args in READS:
        result = asi(env, *args, preexec_fn=read_only)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr.strip() == "" or args[0] == "export", (args, result.stderr)
        for needle in needles:
            assert needle in result.stdout, (args, result.stdout)
    listed = json.loads(asi(env, "list", "--json", preexec_fn=read_only).stdout)
    assert [c["title"] for c in listed][-1] == "Describe a lighthouse"


def test_a_read_only_folder_is_listed_searched_shown_and_exported(sim, tmp_path, read_only) -> None:
    folder = tmp_path / "ro"
    db = folder / "history.db"
    _history(db)
    before = _files(folder)
    folder.chmod(0o500)
    try:
        env = app_env(sim.base_url, db)
        _reads_work(env, read_only, "lighthouse")
        result = asi(env, "ask", "hello", preexec_fn=read_only)  # a write: its own exit code, no request
        assert result.returncode == 6 and not sim.requests
        one_clean_line(result.stderr, str(db), "read-only")
    finally:
        folder.chmod(0o700)
    assert _files(folder) == before  # nothing written, not even a lock file


def test_a_read_only_folder_while_another_process_writes_shows_its_latest(sim, tmp_path, read_only) -> None:
    """With the -wal and -shm of a running asi-chat beside it, what is only in the WAL shows too."""
    folder = tmp_path / "ro"
    db = folder / "history.db"
    _history(db)
    with Store(db) as writer:
        conv = writer.create_conversation("asi1")
        writer.add_message(conv.id, "user", "Only in the write-ahead log")
        assert (folder / "history.db-wal").exists()
        folder.chmod(0o500)
        try:
            listed = asi(app_env(sim.base_url, db), "list", preexec_fn=read_only)
        finally:
            folder.chmod(0o700)
    assert listed.returncode == 0, listed.stderr
    assert "Only in the write-ahead log" in listed.stdout and "Describe a lighthouse" in listed.stdout


def test_a_read_only_file_is_read_and_refuses_writes(sim, db_path, read_only) -> None:
    _history(db_path)
    db_path.chmod(0o400)
    before = db_path.read_bytes()
    env = app_env(sim.base_url, db_path)
    _reads_work(env, read_only, "lighthouse")
    for args in (["ask", "hello"], ["rename", "1", "new"], ["delete", "1", "--yes"]):
        result = asi(env, *args, preexec_fn=read_only)
        assert result.returncode == 6, (args, result.stderr)
        one_clean_line(result.stderr, "read-only")
    assert db_path.read_bytes() == before and not sim.requests


_OPEN = """
import json, sys
from app.core.store.store import Store
store = Store(sys.argv[1])
titles = [c.title for c in store.list_conversations()]
try:
    store.recover_interrupted()
    said = ""
except Exception as exc:
    said = str(exc)
print(json.dumps([store.read_only, titles, said]))
"""


def test_the_store_says_it_is_read_only(tmp_path, read_only) -> None:
    """The flag the app can show, and the line its first write says ("read-only: it can be read
    and searched"); a writable history is not read-only."""
    import subprocess
    import sys

    folder = tmp_path / "ro"
    _history(folder / "history.db")
    with Store(folder / "history.db") as writable:
        assert not writable.read_only
    folder.chmod(0o500)
    try:
        done = subprocess.run([sys.executable, "-c", _OPEN, str(folder / "history.db")], capture_output=True,
                              text=True, preexec_fn=read_only, timeout=60)
    finally:
        folder.chmod(0o700)
    flag, titles, said = json.loads(done.stdout)
    assert flag is True and titles == ["Describe a lighthouse"]
    assert said == (f"The history database {folder / 'history.db'} is read-only: it can be read and searched,"
                    " but nothing new is saved.")


def test_a_read_only_history_needing_an_upgrade_says_so(sim, tmp_path, read_only) -> None:
    folder = tmp_path / "ro"
    db = folder / "history.db"
    _history(db)
    with sqlite3.connect(db) as raw:  # as if written before the newest migration
        raw.execute("DELETE FROM _sqlite_migrations WHERE name = 'm140_inline_images'")
    folder.chmod(0o500)
    try:
        result = asi(app_env(sim.base_url, db), "list", preexec_fn=read_only)
    finally:
        folder.chmod(0o700)
    assert result.returncode == 6
    one_clean_line(result.stderr, str(db), "needs upgrading", "read-only")
