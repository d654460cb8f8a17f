"""The fault matrix through the full-screen app (Pilot), against the simulator over HTTP.

Each case checks the notice a person gets, that the prompt and whatever arrived are both
on screen and in the history, and that the app keeps running: the next message in the
same conversation is answered. (The 5 MB reply runs in tmux: tests/e2e/test_tmux_app.py.)
"""

from __future__ import annotations

import time

import pytest

from app.simulator import Simulator, faults
from app.ui.widgets.agent_wait_card import AgentWaitCard
from tests.conftest import TEST_KEY
from tests.reliability.helpers import integrity
from tests.ui.helpers import build_app, idle, sidebar, type_and_send, until, view

SIZE = (140, 40)


def notices(app, title: str | None = None) -> list[str]:
    return [n.message for n in app._notifications if title is None or n.title == title]


async def _goes_on(app, pilot, *, new: bool = False) -> None:
    """The app still answers (in the same conversation unless `new`)."""
    conversation = None if new else view(app).conversation_id
    app.clear_notifications()
    await type_and_send(pilot, "hello again")
    await idle(app, pilot)
    assert app.is_running and (new or view(app).conversation_id == conversation)
    reply = view(app).chat_pane.message_views()[-1]
    assert reply.status == "complete" and reply.content.startswith("## Hello again")
    assert not notices(app, "Reply failed")


# (id, prompt, notice needle, reply status)
FAILURES = [
    ("401", "hello !sim:status=401", "rejected the API key (401: failed to authenticate user)", "error"),
    ("403", "hello !sim:status=403", "rejected the API key (403: forbidden)", "error"),
    ("retries-exhausted", "hello !sim:status=500", "Gave up after 3 retries", "error"),
    ("cut-mid-stream", "hello !sim:cut=4", "cut off mid-reply; the partial answer was kept", "interrupted"),
    ("error-event-data", "hello !sim:error-event=data", "error mid-reply: upstream agent failed", "error"),
    ("error-event-event", "hello !sim:error-event=event", "error mid-reply: upstream agent failed", "error"),
    ("empty-reply", "hello !sim:empty", "empty reply", "error"),
    ("reasoning-only", "hello !sim:reasoning-only", "reasoning but no answer", "error"),
    ("slow-first-byte", "hello !sim:slow=3", "within 1 s", "interrupted"),
]


@pytest.mark.parametrize("prompt,needle,status", [c[1:] for c in FAILURES], ids=[c[0] for c in FAILURES])
async def test_failure_is_shown_and_nothing_is_lost(sim, db_path, prompt, needle, status) -> None:
    app = build_app(sim, db_path, read_timeout=1)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, prompt)
        await idle(app, pilot)
        (notice,) = notices(app, "Reply failed")
        assert needle in notice
        user_view, reply_view = view(app).chat_pane.message_views()
        assert user_view.content == prompt
        assert reply_view.status == status
        user, reply = app.store.messages(view(app).conversation_id)
        assert (user.role, user.content) == ("user", prompt)
        assert reply.status == status and reply.error == notice
        assert reply.content == reply_view.content  # the partial answer: on screen and kept
        if "cut" in prompt or "error-event" in prompt:
            assert reply.content.startswith("## Hello")
        if "reasoning-only" in prompt:
            assert reply.reasoning.strip() and reply.reasoning in view(app).reasoning_pane.text
        await _goes_on(app, pilot)
    assert integrity(db_path) == "ok"


async def test_connection_refused(db_path) -> None:
    with Simulator(api_key=TEST_KEY) as gone:
        url, port = gone.base_url, gone.port
    app = build_app(None, db_path, base_url=url)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        assert len(notices(app, "Retrying")) == 3
        (notice,) = notices(app, "Reply failed")
        assert "Could not connect to" in notice and "Gave up after 3 retries" in notice
        assert [m.content for m in app.store.messages(view(app).conversation_id)][:1] == ["hello"]
        with Simulator(api_key=TEST_KEY, port=port):  # the server is back
            await _goes_on(app, pilot)


async def test_server_errors_are_retried_then_succeed(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        for status in (500, 502, 503, 504):
            app.clear_notifications()
            await pilot.press("ctrl+n")
            await type_and_send(pilot, f"hello !sim:status={status}*2")
            await idle(app, pilot)
            retries = notices(app, "Retrying")
            assert len(retries) == 2 and all(f"server error ({status}" in n for n in retries)
            assert "(2/3)" in retries[-1] and not notices(app, "Reply failed")
            assert view(app).chat_pane.message_views()[-1].status == "complete"
            assert [m.status for m in app.store.messages(view(app).conversation_id)] == ["complete", "complete"]


async def test_429_retry_after_is_honoured_and_shown_and_without_it_backs_off(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        started = time.monotonic()
        await type_and_send(pilot, "hello !sim:status=429*1 !sim:retry-after=1")
        await until(pilot, lambda: notices(app, "Retrying"))
        (notice,) = notices(app, "Retrying")
        assert "rate limiting requests (429" in notice and "Retrying in 1.0 s (1/3)" in notice
        await idle(app, pilot)
        assert time.monotonic() - started >= 1.0
        assert view(app).chat_pane.message_views()[-1].status == "complete"
        app.clear_notifications()
        await pilot.press("ctrl+n")
        await type_and_send(pilot, "hello !sim:status=429*1")
        await idle(app, pilot)
        (notice,) = notices(app, "Retrying")
        assert "rate limiting requests (429" in notice
        assert view(app).chat_pane.message_views()[-1].status == "complete"


async def test_odd_streams_give_the_whole_answer(sim, db_path) -> None:
    app = build_app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "hello")
        await idle(app, pilot)
        plain = view(app).chat_pane.message_views()[-1].content
        for directives in ("!sim:malformed", "!sim:keepalive !sim:crlf", "!sim:bad-utf8"):
            await pilot.press("ctrl+n")
            await type_and_send(pilot, f"hello {directives}")
            await idle(app, pilot)
            reply = view(app).chat_pane.message_views()[-1]
            assert reply.status == "complete" and not notices(app, "Reply failed")
            stored = app.store.messages(view(app).conversation_id)[-1]
            assert stored.content == reply.content and "\x00" not in stored.content
            if "bad-utf8" in directives:
                assert "\ufffd" in reply.content and reply.content.endswith(plain[-40:])
            else:
                assert reply.content == plain  # nothing dropped, nothing doubled


async def test_agent_that_never_finishes_keeps_its_wait(sim, db_path) -> None:
    app = build_app(sim, db_path, poll_attempts=3)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "draw a fox !sim:never")
        await idle(app, pilot)
        (notice,) = notices(app, "Agent still busy")
        assert "has not answered after 3 polls" in notice and "resumed later" in notice
        assert not app.query(AgentWaitCard)
        (wait,) = app.store.pending_waits()
        assert wait.attempts_made == 3 and wait.conversation_id == view(app).conversation_id
        assert "⏳" in str(sidebar(app).conversation_list.get_option_at_index(0).prompt)
        await pilot.press("ctrl+n")
        await _goes_on(app, pilot, new=True)


async def test_a_poll_that_fails_mid_wait_does_not_end_the_wait(db_path) -> None:
    with Simulator(api_key=TEST_KEY, agent_polls=4) as sim:
        app = build_app(sim, db_path, poll_interval=0.2)
        async with app.run_test(size=SIZE) as pilot:
            await type_and_send(pilot, "draw a heron")
            await until(pilot, lambda: app.query(AgentWaitCard))
            # The next poll and all its retries fail: the card says so and polling goes on.
            sim.add_fault(faults.Status(503, retry_after=0.01), times=4)
            card = app.query_one(AgentWaitCard)
            await until(pilot, lambda: card.last_error)
            assert "server error (503" in card.last_error
            await idle(app, pilot)
            assert not app.store.pending_waits()
            assert "![generated-image](" in app.store.messages(view(app).conversation_id)[-1].content
            assert not notices(app, "Reply failed")


async def test_an_exhausted_wait_is_resumed_on_the_next_launch(sim, db_path) -> None:
    first = build_app(sim, db_path, poll_attempts=2)
    async with first.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "draw a fox !sim:never")
        await idle(first, pilot)
        (wait,) = first.store.pending_waits()
    session = first.store.get_conversation(wait.conversation_id).session_id
    sim.scenarios.jobs[session].never = False  # the agent is done now
    app = build_app(sim, db_path, poll_attempts=2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        await idle(app, pilot)
        assert not app.store.pending_waits()
        assert "![generated-image](" in app.store.messages(wait.conversation_id)[-1].content
