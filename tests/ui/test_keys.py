"""Keys have ids: README, footer, palette and `asi-chat keys` agree, and `[keymap]` remaps them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from app.core.config import load_settings
from app.core.runtime import make_runtime
from app.core.store.store import Store
from app.ui.app import AsiChatApp
from app.ui.keys import CONVERSATION, KEYS, PALETTE_ONLY, SCREEN, check_keymap
from tests.conftest import TEST_KEY
from tests.ui.helpers import until, view

README = Path(__file__).resolve().parents[2] / "README.md"


def _table() -> str:
    return README.read_text(encoding="utf-8").split("## Using the app", 1)[1].split("\n\n", 2)[1]


def test_readme_lists_every_key_with_its_id() -> None:
    table = _table()
    documented = set(re.findall(r"`([A-Za-z0-9+-]+)`", table))
    for key in KEYS:
        assert key.keys in documented, f"{key.keys} ({key.id}) missing from README's key table"
        assert key.id in documented, f"{key.id} missing from README's key table"
    for _action, label, _help in PALETTE_ONLY:
        assert label.split()[0].lower() in table.lower()


def _app(sim, db: Path, tmp_path: Path, keymap: str = "") -> AsiChatApp:
    config = tmp_path / "config.toml"
    config.write_text(keymap, encoding="utf-8")
    settings = load_settings({"db": db, "base_url": sim.base_url, "api_key": TEST_KEY}, env={}, config_file=config)
    store = Store(db)
    return AsiChatApp(settings, store, make_runtime(settings, store), resume_waits=False)


async def test_the_footer_shows_the_keys_it_should_from_the_message_box(sim, db_path, tmp_path) -> None:
    app = _app(sim, db_path, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        shown = {binding.key for _node, binding, _enabled, _tooltip in app.screen.active_bindings.values()
                 if binding.show}
        for key in KEYS:
            if key.show and key.where in (SCREEN, CONVERSATION):
                assert key.keys in shown, key.id


async def test_a_keymap_moves_a_key_and_a_bad_one_is_one_line(sim, db_path, tmp_path) -> None:
    keymap = '[keymap]\nnew-conversation = "f6"\nno-such-key = "f7"\n'
    app = _app(sim, db_path, tmp_path, keymap)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        notices = [str(n.message) for n in app._notifications]
        assert any("'no-such-key' is not a key of asi-chat" in n for n in notices)
        conversation = app.store.create_conversation("asi1", title="old one")
        await view(app).show(conversation.id)
        await pilot.press("ctrl+n")  # moved away: the message box gets nothing, nothing opens
        await pilot.pause()
        assert view(app).conversation_id == conversation.id
        await pilot.press("f6")
        await until(pilot, lambda: view(app).conversation_id is None)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "New (f6)" in titles


def test_check_keymap_names_unknown_ids_and_clashes() -> None:
    assert check_keymap({}) == []
    problems = check_keymap({"search": "ctrl+n", "bogus": "x"})
    assert any("'bogus'" in p for p in problems)
    assert any("'new-conversation' and 'search'" in p or "'search' and 'new-conversation'" in p for p in problems)


def test_asi_chat_keys_prints_ids_keys_and_what_they_do(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\nnew-conversation = "f6"\n', encoding="utf-8")
    env = {"ASI_CHAT_CONFIG": str(config), "ASI_CHAT_DB": str(tmp_path / "h.db"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "app", "keys", "--json"], capture_output=True, text=True, env=env,
                         check=True).stdout
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows["new-conversation"]["keys"] == "f6" and rows["search"]["keys"] == "ctrl+f"
    assert set(rows) == {key.id for key in KEYS}
    plain = subprocess.run([sys.executable, "-m", "app", "keys"], capture_output=True, text=True, env=env,
                           check=True).stdout
    assert re.search(r"^copy-image-link +ctrl\+y +Copy the newest image link", plain, re.M)
