"""`asi-chat import FILE…`: JSON exports back in, each conversation once, all or nothing (issue 22, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.store.store import Store
from app.core.wire.events import ToolCall
from tests.test_cli import asi, no_traceback
from tests.test_cli_branches import _branched

IMG = "https://images.example/lighthouse.png"


def _rich(db_path: Path) -> int:
    """Three branches, a tool call with its result, an image link and a system prompt."""
    cid = _branched(db_path)
    with Store(db_path) as store:
        reply = store.add_message(cid, "assistant", f"Here ![l]({IMG})", parent_id=store.messages(cid)[0].id)
        store.add_tool_call(reply.id, ToolCall("c1", "web_search", '{"query": "lighthouse"}', "tall, white"))
        store.set_system_prompt(cid, "Be terse.")
    return cid


def _export(env: dict, cid: int, path: Path) -> Path:
    assert asi(env, "export", str(cid), "--format", "json", "-o", str(path)).returncode == 0
    return path


def _without_ids(value):
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items()
                if k not in ("id", "conversation_id", "message_id", "parent_id", "active_leaf_id")}
    return [_without_ids(v) for v in value] if isinstance(value, list) else value


def _shown(env: dict, cid: int) -> str:
    out = asi(env, "show", str(cid), "--all-branches").stdout
    return "\n".join(line for line in out.splitlines() if not line.startswith("- id:"))


def test_export_then_import_into_a_fresh_history_shows_the_same(sim_env, db_path, tmp_path) -> None:
    cid = _rich(db_path)
    exported = _export(sim_env, cid, tmp_path / "quiz.json")
    fresh = {**sim_env, "ASI_CHAT_DB": str(tmp_path / "fresh" / "history.db")}
    result = asi(fresh, "import", str(exported))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"Imported {exported} as conversation 1 (Quiz)."
    assert _shown(fresh, 1) == _shown(sim_env, cid)
    for branch in ("1", "2", "3"):  # each branch alone too, and the one last shown
        assert asi(fresh, "show", "1", "--branch", branch).stdout.replace("- id: 1", "") == \
            asi(sim_env, "show", str(cid), "--branch", branch).stdout.replace(f"- id: {cid}", "")
    again = json.loads(asi(fresh, "export", "1", "--format", "json").stdout)
    original = json.loads(exported.read_text())
    assert _without_ids(again) == _without_ids(original)  # session ids, tool calls, images, waits
    assert again["messages"][-1]["tool_calls"][0]["result"] == "tall, white"
    assert [i["url"] for i in json.loads(asi(fresh, "images", "--json").stdout)] == [IMG]


def test_importing_the_same_conversation_twice_gives_one(sim_env, db_path, tmp_path) -> None:
    cid = _rich(db_path)
    exported = _export(sim_env, cid, tmp_path / "quiz.json")
    fresh = {**sim_env, "ASI_CHAT_DB": str(tmp_path / "fresh" / "history.db")}
    assert asi(fresh, "import", str(exported)).returncode == 0
    twice = asi(fresh, "import", str(exported), str(exported))
    assert twice.returncode == 0
    assert twice.stderr.count("already in the history as conversation 1 (Quiz)") == 2
    assert len(json.loads(asi(fresh, "list", "--json").stdout)) == 1
    into_itself = asi(sim_env, "import", str(exported))  # the history it came from
    assert into_itself.returncode == 0 and len(json.loads(asi(sim_env, "list", "--json").stdout)) == 1


def test_a_version_1_export_imports_as_one_line_once(sim_env, db_path, tmp_path) -> None:
    with Store(db_path) as store:
        conv = store.create_conversation("asi1-agentic")
        for role, text in (("user", "hello"), ("assistant", "hi there"), ("user", "more"), ("assistant", "sure")):
            store.add_message(conv.id, role, text)
    data = json.loads(asi(sim_env, "export", str(conv.id), "--format", "json").stdout)
    # The shape before branches (December 1): no parent or session per message, no options.
    data["version"] = 1
    for key in ("active_leaf_id", "web_search", "system_prompt"):
        del data["conversation"][key]
    for message in data["messages"]:
        for key in ("parent_id", "session_id", "tool_calls"):
            message.pop(key, None)
    old = tmp_path / "v1.json"
    old.write_text(json.dumps(data))
    fresh = {**sim_env, "ASI_CHAT_DB": str(tmp_path / "fresh" / "history.db")}
    assert asi(fresh, "import", str(old), str(old)).returncode == 0
    assert len(json.loads(asi(fresh, "list", "--json").stdout)) == 1
    shown = asi(fresh, "show", "1").stdout
    assert [t for t in ("hello", "hi there", "more", "sure") if t in shown] == ["hello", "hi there", "more", "sure"]
    assert "branch" not in shown  # one line of messages, as it was
    assert json.loads(asi(fresh, "export", "1", "--format", "json").stdout)["conversation"]["session_id"] == \
        data["conversation"]["session_id"]


def test_an_export_without_a_session_id_is_known_by_its_content(sim_env, db_path, tmp_path) -> None:
    cid = _rich(db_path)
    data = json.loads(asi(sim_env, "export", str(cid), "--format", "json").stdout)
    del data["conversation"]["session_id"]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    fresh = {**sim_env, "ASI_CHAT_DB": str(tmp_path / "fresh" / "history.db")}
    assert asi(fresh, "import", str(edited)).returncode == 0
    assert "already in the history" in asi(fresh, "import", str(edited)).stderr
    assert len(json.loads(asi(fresh, "list", "--json").stdout)) == 1


def test_a_file_that_is_not_an_export_imports_nothing(sim_env, db_path, tmp_path) -> None:
    cid = _rich(db_path)
    good = _export(sim_env, cid, tmp_path / "quiz.json")
    broken = json.loads(good.read_text())
    broken["messages"][2]["parent_id"] = 999  # answers a message that is not there
    cases = {"garbage.json": "this is not json", "list.json": "[1, 2, 3]",
             "other.json": json.dumps({"format": "something-else", "conversation": {}}),
             "broken.json": json.dumps(broken)}
    fresh = {**sim_env, "ASI_CHAT_DB": str(tmp_path / "fresh" / "history.db")}
    assert asi(fresh, "list").returncode == 0  # the history exists, empty
    for name, text in cases.items():
        bad = tmp_path / name
        bad.write_text(text)
        result = asi(fresh, "import", str(good), str(bad))  # the good one first: rolled back too
        no_traceback(result)
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(bad) in lines[0] and "nothing was imported" in lines[0], lines
        assert json.loads(asi(fresh, "list", "--json").stdout) == []
    missing = asi(fresh, "import", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "Usage:" not in missing.stderr
