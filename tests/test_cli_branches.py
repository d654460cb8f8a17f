"""`show` and `export --format md` print one branch, numbered; or all, each under a heading (issue 22, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.store.store import Store
from app.core.store.tree import new_session_id
from tests.test_cli import asi


def _branched(db_path: Path) -> int:
    """Three branches: the question edited once, and its first reply regenerated; the
    first branch is the one last shown."""
    with Store(db_path) as store:
        conv = store.create_conversation("asi1")
        q1 = store.add_message(conv.id, "user", "Name a fruit")
        store.add_message(conv.id, "assistant", "An apple.")
        store.add_message(conv.id, "assistant", "A pear.", parent_id=q1.id, session_id=new_session_id(),
                          activate=True)
        store.add_message(conv.id, "user", "Name a colour", parent_id=None, session_id=new_session_id(),
                          activate=True)
        store.add_message(conv.id, "assistant", "Blue.")
        store.set_active_leaf(conv.id, store.newest_leaf(q1.id) - 1)  # back to "An apple."
        store.rename_conversation(conv.id, "Quiz")
        assert [m.content for m in store.messages(conv.id)] == ["Name a fruit", "An apple."]
        return conv.id


def test_show_prints_the_branch_last_shown_and_says_which(sim_env, db_path) -> None:
    cid = _branched(db_path)
    result = asi(sim_env, "show", str(cid))
    assert result.returncode == 0, result.stderr
    assert "An apple." in result.stdout
    for other in ("A pear.", "Name a colour", "Blue."):
        assert other not in result.stdout
    assert "branch 1 of 3 (the one last shown)" in result.stdout


def test_branch_n_picks_another(sim_env, db_path) -> None:
    cid = _branched(db_path)
    second = asi(sim_env, "show", str(cid), "--branch", "2").stdout
    assert "Name a fruit" in second and "A pear." in second and "An apple." not in second
    assert "branch 2 of 3:" in second
    third = asi(sim_env, "export", str(cid), "--format", "md", "--branch", "3").stdout
    assert "Name a colour" in third and "Blue." in third and "Name a fruit" not in third
    missing = asi(sim_env, "show", str(cid), "--branch", "4")
    assert missing.returncode == 2 and missing.stderr.strip().endswith("has 3 branches: no branch 4.")
    assert "Usage:" not in missing.stderr


def test_all_branches_each_under_its_own_heading(sim_env, db_path) -> None:
    cid = _branched(db_path)
    out = asi(sim_env, "show", str(cid), "--all-branches").stdout
    headings = [line for line in out.splitlines() if line.startswith("## Branch")]
    assert headings == ["## Branch 1 of 3 (last shown)", "## Branch 2 of 3", "## Branch 3 of 3"]
    first, second, third = out.split("## Branch")[1:]
    assert "An apple." in first and "A pear." not in first
    assert "A pear." in second and "An apple." not in second and "Name a fruit" in second
    assert "Blue." in third and "Name a fruit" not in third


def test_export_md_is_the_branch_last_shown_and_json_keeps_every_branch(sim_env, db_path) -> None:
    cid = _branched(db_path)
    md = asi(sim_env, "export", str(cid)).stdout
    assert "An apple." in md and "A pear." not in md and "Blue." not in md
    data = json.loads(asi(sim_env, "export", str(cid), "--format", "json").stdout)
    assert len(data["messages"]) == 5
    mixed = asi(sim_env, "export", str(cid), "--format", "json", "--branch", "2")
    assert mixed.returncode == 2


def test_a_conversation_of_one_branch_has_no_branch_line(sim_env, db_path) -> None:
    with Store(db_path) as store:
        conv = store.create_conversation("asi1")
        store.add_message(conv.id, "user", "hi")
        store.add_message(conv.id, "assistant", "hello")
    out = asi(sim_env, "show", str(conv.id)).stdout
    assert "hello" in out and "branch" not in out
