"""`asi-chat images` and `asi-chat images save`: the real program against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.store.store import Store
from app.simulator import Simulator
from app.simulator.images import IMAGE_PNG, image_url
from tests.test_cli import asi, no_traceback


def _history(db: Path, sim: Simulator) -> Store:
    store = Store(db)
    first = store.create_conversation("asi1-agentic")
    store.add_message(first.id, "user", "A monkey on a mountain, please")
    store.add_message(first.id, "assistant", f"![generated-image]({sim.origin}/sim-images/png)")
    second = store.create_conversation("asi1-agentic")
    store.add_message(second.id, "user", "Inline, please")
    store.add_message(second.id, "assistant", f"![g]({image_url('data', sim.origin)})")
    store.add_message(second.id, "user", "A broken one")
    store.add_message(second.id, "assistant", f"![g]({sim.origin}/sim-images/html)")
    return store


def test_images_lists_newest_first_with_prompt_and_conversation(sim_env, sim, db_path) -> None:
    _history(db_path, sim)
    result = asi(sim_env, "images", "--json")
    no_traceback(result)
    rows = json.loads(result.stdout)
    assert [r["prompt"] for r in rows] == ["A broken one", "Inline, please", "A monkey on a mountain, please"]
    assert rows[2]["url"] == f"{sim.origin}/sim-images/png" and rows[2]["conversation_id"] == 1
    assert rows[1]["inline"] and rows[1]["url"].startswith("data:image/png;sha256,")  # not the base64
    text = asi(sim_env, "images", "--limit", "1")
    assert text.returncode == 0 and "A broken one" in text.stdout and "monkey" not in text.stdout


def test_images_save_one_and_all_never_overwriting(sim_env, sim, db_path, tmp_path) -> None:
    _history(db_path, sim)
    out = tmp_path / "out"
    one = asi(sim_env, "images", "save", "1", str(out))
    assert one.returncode == 0, one.stderr
    saved = Path(one.stdout.strip())
    assert saved == out / "a-monkey-on-a-mountain-please.png"
    assert saved.read_bytes() == IMAGE_PNG.read_bytes()
    every = asi(sim_env, "images", "save", "--all", str(out))
    no_traceback(every)
    assert every.returncode == 4  # one of them is not an image
    assert "asi-chat: image 3: not an image" in every.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-monkey-on-a-mountain-please-2.png",
                                                     "a-monkey-on-a-mountain-please.png", "inline-please.png"]
    assert sim.gets["/sim-images/png"] == 1  # the second save came from the cache


def test_images_save_usage_errors(sim_env, sim, db_path, tmp_path) -> None:
    _history(db_path, sim)
    for args in (["save", str(tmp_path)], ["save", "99", str(tmp_path)], ["save", "--all"]):
        result = asi(sim_env, "images", *args)
        no_traceback(result)
        assert result.returncode == 2, (args, result.stderr)


def test_images_with_demo(tmp_path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASI_")}
    result = asi(env, "images", "--demo", "--json")
    no_traceback(result)
    assert result.returncode == 0 and json.loads(result.stdout)[0]["prompt"].startswith("use Hi-dream")


def test_show_leaves_out_inline_base64_and_export_keeps_it(sim_env, sim, db_path) -> None:
    _history(db_path, sim)
    payload = image_url("data", sim.origin).split(",", 1)[1]
    shown = asi(sim_env, "show", "2")
    assert shown.returncode == 0 and "Inline, please" in shown.stdout
    assert payload not in shown.stdout and "![g](data:image/png;base64,…)" in shown.stdout
    exported = asi(sim_env, "export", "2", "--format", "md")
    assert payload in exported.stdout
