"""What the user typed is stored and sent as typed, but reaches a terminal inert.

A title taken from a prompt, or set by `rename`, holding an OSC 52 (clipboard write), an
OSC 2 (window title) or a CSI: `list`, `search`, `show` and `export --format md` print no
ESC, BEL or C1 byte of it.
"""

from __future__ import annotations

import json
import subprocess
import sys

from app.core.store.store import Store

HOSTILE = "giraffes \x1b]52;c;cHduZWQ=\x07\x1b]2;PWNED\x07\x1b[2J\x9b31mtall"
RENAMED = "renamed \x1b]2;OWNED\x1b\\\x1b[31mred\x1b[0m"


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, timeout=60)


def _inert(printed: bytes) -> bool:
    text = printed.decode()
    return not any(ch in "\x1b\x07" or "\x80" <= ch <= "\x9f" for ch in text)


def test_hostile_titles_print_inert_everywhere(sim, sim_env, db_path) -> None:
    asked = _run(sim_env, "ask", "--no-reasoning", HOSTILE)
    assert asked.returncode == 0, asked.stderr
    assert sim.requests[-1].messages[-1]["content"] == HOSTILE  # sent as typed
    _run(sim_env, "ask", "--no-reasoning", "about giraffes too")
    renamed = _run(sim_env, "rename", "2", *RENAMED.split(" "))
    assert renamed.returncode == 0, renamed.stderr
    store = Store(db_path)
    stored = dict(store._q("SELECT id, title FROM conversations"))
    assert stored == {1: HOSTILE, 2: RENAMED}  # stored as typed

    for args, shown in [(("list",), ["giraffes tall", "renamed red"]),
                        (("search", "giraffes"), ["giraffes tall", "renamed red"]),
                        (("show", "1"), ["# giraffes tall", "giraffes tall"]),
                        (("show", "2"), ["# renamed red"]),
                        (("export", "1", "--format", "md"), ["# giraffes tall"]),
                        (("export", "2", "--format", "md"), ["# renamed red"]),
                        (("list", "--json"), ['"giraffes tall"']),
                        (("export", "1", "--format", "json"), ['"giraffes tall"'])]:
        done = _run(sim_env, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert _inert(done.stdout) and _inert(done.stderr), (args, done.stdout[:400])
        assert all(words in done.stdout.decode() for words in shown), (args, done.stdout[:400])
        if args[-1] != "json":  # (the JSON export keeps the prompt whole, its controls escaped)
            assert b"52;c;" not in done.stdout and b"PWNED" not in done.stdout and b"OWNED" not in done.stdout


def test_the_json_export_keeps_the_prompt_as_typed_yet_prints_inert(sim_env) -> None:
    assert _run(sim_env, "ask", "--no-reasoning", HOSTILE).returncode == 0
    done = _run(sim_env, "export", "1", "--format", "json")
    assert done.returncode == 0 and _inert(done.stdout)
    data = json.loads(done.stdout)
    assert data["messages"][0]["content"] == HOSTILE  # the user's text, whole
    assert data["conversation"]["title"] == "giraffes tall"  # the shown title
