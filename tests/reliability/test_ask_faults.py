"""The fault matrix through the installed `asi-chat ask`, against the simulator over HTTP.

Each case checks what a person sees (exit code, one `asi-chat: …` line on stderr, no
traceback), that nothing was lost (the prompt and whatever arrived are in the history,
the database is sound) and that asi-chat keeps working (a follow-up in the same
conversation succeeds). Cases already covered in tests/test_cli.py are not repeated.

The independent scenarios run all at once (each on its own history) in a module
fixture, so the retry back-offs and timeouts overlap instead of adding up.
"""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.simulator import Simulator, faults
from tests.conftest import TEST_KEY
from tests.reliability.helpers import (
    ASI_CHAT,
    app_env,
    asi,
    integrity,
    messages,
    one_clean_line,
    pending_waits,
    read_db,
    wait_for,
)

FOLLOW_UP = ("ask", "-c", "--no-reasoning", "hello again")


@dataclass
class Step:
    args: tuple[str, ...]
    env: dict[str, str]
    code: int = -1
    out: bytes = b""
    err: bytes = b""
    seconds: float = 0.0

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8")

    def run(self) -> None:
        started = time.monotonic()
        done = subprocess.run([str(ASI_CHAT), *self.args], env=self.env, capture_output=True, timeout=90)
        self.code, self.out, self.err = done.returncode, done.stdout, done.stderr
        self.seconds = time.monotonic() - started


@dataclass
class Scenario:
    db: Path
    steps: list[Step]

    def session(self) -> str:
        with read_db(self.db) as conn:
            return conn.execute("SELECT session_id FROM conversations ORDER BY id LIMIT 1").fetchone()[0]


# (id, prompt, exit code, stderr needles, stored reply status)
FAILURES = [
    ("401", "hello !sim:status=401", 3, ["rejected the API key (401: failed to authenticate user)"], "error"),
    ("403", "hello !sim:status=403", 3, ["rejected the API key (403: forbidden)"], "error"),
    ("retries-exhausted", "hello !sim:status=500 !sim:retry-after=0.05", 4,
     ["server error (500", "Gave up after 3 retries"], "error"),
    ("cut-mid-stream", "hello !sim:cut=4", 4, ["cut off mid-reply", "partial answer was kept"], "interrupted"),
    ("error-event-data", "hello !sim:error-event=data", 4, ["error mid-reply: upstream agent failed"], "error"),
    ("error-event-event", "hello !sim:error-event=event", 4, ["error mid-reply: upstream agent failed"], "error"),
    ("empty-reply", "hello !sim:empty", 4, ["empty reply"], "error"),
    ("reasoning-only", "hello !sim:reasoning-only", 4, ["reasoning but no answer"], "error"),
]
RETRIED = [(500, 1), (502, 1), (503, 2), (504, 1)]
ODD_STREAMS = ["!sim:malformed", "!sim:keepalive !sim:crlf"]
TRIMMED_KEYS = [TEST_KEY + "\n", f" {TEST_KEY} "]
BAD_KEYS = [TEST_KEY[:8] + " " + TEST_KEY[8:], TEST_KEY + "\r\nX-Evil: 1", TEST_KEY + "é"]


@pytest.fixture(scope="module")
def sim_m():
    with Simulator(api_key=TEST_KEY) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def runs(sim_m: Simulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    root = tmp_path_factory.mktemp("ask-matrix")
    with Simulator() as gone:
        refused_url = gone.base_url
    config = root / "slow.toml"
    config.write_text("read_timeout = 1\n")
    plans: dict[str, list[tuple[tuple[str, ...], dict[str, str]]]] = {}
    for name, prompt, *_ in FAILURES:
        plans[name] = [(("ask", prompt), {}), (FOLLOW_UP, {})]
    plans["refused"] = [(("ask", "hello"), {"ASI_ONE_BASE_URL": refused_url}), (FOLLOW_UP, {})]
    plans["slow"] = [(("ask", "hello !sim:slow=30"), {"ASI_CHAT_CONFIG": str(config)}), (FOLLOW_UP, {})]
    for status, times in RETRIED:
        plans[f"retried-{status}"] = [(("ask", "--no-reasoning", f"hello !sim:status={status}*{times}"), {})]
    plans["429-retry-after"] = [(("ask", "--no-reasoning", "hello !sim:status=429*1 !sim:retry-after=1"), {})]
    plans["429-backoff"] = [(("ask", "--no-reasoning", "hello !sim:status=429*1"), {})]
    plans["plain"] = [(("ask", "--no-reasoning", "hello"), {})]
    for directives in ODD_STREAMS:
        plans[directives] = [(("ask", "--no-reasoning", f"hello {directives}"), {})]
    plans["5mb"] = [(("ask", "--no-reasoning", "hello !sim:big=5000000"), {})]
    plans["bad-utf8"] = [(("ask", "hello !sim:bad-utf8"), {})]
    plans["json-cut"] = [(("ask", "--json", "hello !sim:cut=4"), {})]
    plans["hostile"] = [(("ask", "hello !sim:escapes"), {}), (("ask", "draw a bird !sim:escapes"), {}),
                        (("ask", "hello !sim:status=500 !sim:retry-after=0.05 !sim:escapes"), {})]
    for i, key in enumerate(TRIMMED_KEYS):
        plans[f"trimmed-key-{i}"] = [(("ask", "--no-reasoning", "hello"), {"ASI_ONE_API_KEY": key})]
    for i, key in enumerate(BAD_KEYS):
        plans[f"bad-key-{i}"] = [(("ask", "hello"), {"ASI_ONE_API_KEY": key})]

    scenarios: dict[str, Scenario] = {}
    for index, (name, steps) in enumerate(plans.items()):
        db = root / f"s{index}" / "history.db"
        home = root / f"s{index}" / "home"
        scenarios[name] = Scenario(db, [Step(args, {**app_env(sim_m.base_url, db, home), **extra})
                                        for args, extra in steps])

    def play(scenario: Scenario) -> None:
        for step in scenario.steps:
            step.run()

    longest_first = ["5mb", "refused", "slow"] + [name for name in scenarios if name not in ("5mb", "refused", "slow")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(play, [scenarios[name] for name in longest_first]))
    return scenarios


def _followed_up(scenario: Scenario, sim: Simulator) -> None:
    """The conversation goes on after the failure, with the same session id."""
    step = scenario.steps[-1]
    assert step.code == 0, step.stderr
    assert "## Hello again" in step.stdout
    follow_ups = [r for r in sim.requests if r.messages and r.messages[-1].get("content") == "hello again"]
    assert scenario.session() in {r.session_id for r in follow_ups}


@pytest.mark.parametrize("name,prompt,code,needles,status", FAILURES, ids=[c[0] for c in FAILURES])
def test_failure_is_reported_and_nothing_is_lost(runs, sim_m, name, prompt, code, needles, status) -> None:
    scenario = runs[name]
    first = scenario.steps[0]
    assert first.code == code, first.stderr
    line = one_clean_line(first.stderr, *needles)
    user, reply = messages(scenario.db)[:2]
    assert (user["role"], user["content"], user["status"]) == ("user", prompt, "complete")
    assert reply["status"] == status and reply["error"] == line.removeprefix("asi-chat: ")
    # what was printed is what was kept (partial answers included)
    assert reply["content"].strip() == first.stdout.strip()
    if name == "reasoning-only":
        assert reply["reasoning"].strip() and reply["reasoning"].strip() in first.stderr
    assert integrity(scenario.db) == "ok"
    _followed_up(scenario, sim_m)


def test_connection_refused_keeps_the_prompt(runs, sim_m) -> None:
    scenario = runs["refused"]
    first = scenario.steps[0]
    assert first.code == 4
    one_clean_line(first.stderr, "Could not connect to", "Gave up after 3 retries")
    assert first.stderr.count("Retrying in") == 3  # each retry announced
    assert [(m["role"], m["content"]) for m in messages(scenario.db)][0] == ("user", "hello")
    _followed_up(scenario, sim_m)  # the server is back: the conversation goes on


def test_first_byte_slower_than_the_read_timeout(runs, sim_m) -> None:
    scenario = runs["slow"]
    first = scenario.steps[0]
    assert first.code == 4 and first.seconds < 20  # gave up on its own, long before the server
    one_clean_line(first.stderr, "No reply from", "within 1 s")
    assert "Retrying" not in first.stderr  # not re-sent: the server may be working on it
    user, reply = messages(scenario.db)[:2]
    assert user["content"] == "hello !sim:slow=30" and reply["status"] == "interrupted"
    _followed_up(scenario, sim_m)


@pytest.mark.parametrize("status,times", RETRIED)
def test_server_errors_are_retried_then_succeed(runs, status, times) -> None:
    scenario = runs[f"retried-{status}"]
    (step,) = scenario.steps
    assert step.code == 0, step.stderr
    assert step.stderr.count(f"server error ({status}") == times and f"({times}/3)" in step.stderr
    assert step.stdout.startswith("## Hello")
    assert [m["status"] for m in messages(scenario.db)] == ["complete", "complete"]


def test_429_retry_after_is_honoured_and_shown(runs) -> None:
    (step,) = runs["429-retry-after"].steps
    assert step.code == 0, step.stderr
    assert step.seconds >= 1.0
    assert "rate limiting requests (429" in step.stderr and "Retrying in 1.0 s (1/3)" in step.stderr
    assert step.stdout.startswith("## Hello")


def test_429_without_retry_after_backs_off(runs) -> None:
    (step,) = runs["429-backoff"].steps
    assert step.code == 0, step.stderr
    assert "rate limiting requests (429" in step.stderr and "Retrying in" in step.stderr
    assert step.stdout.startswith("## Hello")


@pytest.mark.parametrize("directives", ODD_STREAMS)
def test_odd_but_valid_streams_give_the_whole_answer(runs, directives) -> None:
    (plain,) = runs["plain"].steps
    scenario = runs[directives]
    (odd,) = scenario.steps
    assert odd.code == 0 and "Traceback" not in odd.stderr
    assert odd.stdout == plain.stdout  # nothing dropped, nothing doubled
    assert messages(scenario.db)[-1]["content"].strip() == plain.stdout.strip()


def test_five_megabyte_reply(runs) -> None:
    scenario = runs["5mb"]
    (step,) = scenario.steps
    assert step.code == 0, step.stderr
    assert len(step.out) >= 5_000_000
    reply = messages(scenario.db)[-1]
    assert reply["status"] == "complete" and reply["content"].strip() == step.stdout.strip()


def test_invalid_utf8_and_nul_bytes(runs) -> None:
    scenario = runs["bad-utf8"]
    (step,) = scenario.steps
    assert step.code == 0, step.stderr
    out = step.stdout  # valid UTF-8 on stdout
    assert "\ufffd" in out and "\x00" not in out and "Ask a follow-up" in out
    reply = messages(scenario.db)[-1]
    assert reply["status"] == "complete" and "\x00" not in reply["content"] and "\ufffd" in reply["content"]


def test_json_output_of_a_failed_turn_is_still_one_object(runs) -> None:
    scenario = runs["json-cut"]
    (step,) = scenario.steps
    assert step.code == 4
    data = json.loads(step.stdout)
    assert data["status"] == "interrupted" and "cut off" in data["error"] and data["content"]
    assert messages(scenario.db)[-1]["content"] == data["content"]


def test_hostile_server_text_reaches_the_terminal_inert(runs) -> None:
    """Answer, reasoning, image alt text and error body all carry OSC 52, OSC 0, CSI, 8-bit
    CSI, a bidi override and Textual markup; what `ask` prints has none of the controls."""
    answer, image, error = runs["hostile"].steps
    assert (answer.code, image.code, error.code) == (0, 0, 4)
    for step in (answer, image, error):
        printed = step.out + step.err
        for control in (b"\x1b", b"\x07", "\x9b".encode(), "\u202e".encode()):
            assert control not in printed, (control, printed[:300])
    # whole sequences are gone: no "]52;c;…" or "]0;pwned" debris either
    assert "[@click=app.quit]x[/]" in answer.stdout and "52;c;" not in answer.stdout
    assert "pwned" not in answer.stderr and answer.stderr.strip()  # the reasoning, on stderr
    assert "Here is your image" in image.stdout and "52;c;" not in image.stdout
    one_clean_line(error.stderr, "Internal Server Error", "[@click=app.quit]x[/]")


def test_key_with_a_stray_newline_or_space_is_trimmed(runs) -> None:
    for i in range(len(TRIMMED_KEYS)):
        (step,) = runs[f"trimmed-key-{i}"].steps
        assert step.code == 0, step.stderr


def test_key_that_cannot_be_sent_is_refused_without_echoing_it(runs) -> None:
    for i in range(len(BAD_KEYS)):
        (step,) = runs[f"bad-key-{i}"].steps
        assert step.code == 2
        one_clean_line(step.stderr, "API key contains")
        assert TEST_KEY[8:] not in step.stderr + step.stdout


def test_agent_that_never_finishes_is_resumable_later(sim, db_path) -> None:
    env = app_env(sim.base_url, db_path)
    result = asi(env, "ask", "--poll-attempts", "3", "draw a fox !sim:never")
    assert result.returncode == 5
    one_clean_line(result.stderr, "has not answered after 3 polls", "resumed later")
    ((_, conversation_id, made),) = pending_waits(db_path)
    assert made == 3
    session = {r.session_id for r in sim.requests}.pop()
    sim.scenarios.jobs[session].never = False  # the agent finally gets there
    resumed = asi(env, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "![generated-image](http://127.0.0.1" in resumed.stdout
    assert pending_waits(db_path) == [] and {r.session_id for r in sim.requests} == {session}
    assert messages(db_path, conversation_id)[-1]["status"] == "complete"


def test_a_poll_that_fails_mid_wait_does_not_end_the_wait(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=6) as sim:
        env = app_env(sim.base_url, db_path, ASI_CHAT_POLL_INTERVAL="0.2")
        proc = subprocess.Popen([str(ASI_CHAT), "ask", "draw a heron"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: pending_waits(db_path), what="the agent wait")
        # The next poll and all its retries fail; the wait reports it and polls on.
        sim.add_fault(faults.Status(503, retry_after=0.01), times=4)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "last poll failed: ASI:One server error (503" in err
    assert "![generated-image](" in out and pending_waits(db_path) == []
