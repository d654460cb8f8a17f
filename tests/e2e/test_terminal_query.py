"""What the terminal says it can draw picks the preview renderer: a program on a
pseudo-terminal whose other end answers like sixel, kitty or plain terminals."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios

import pytest

CHILD = ("import sys; from app.ui.image_renderer import detect_renderer, load_previews; "
         "chosen = detect_renderer(sys.argv[1]); load_previews(); print(chosen, file=sys.stderr)")


def _detect(setting: str, answer: bytes | None) -> tuple[str, bytes]:
    """(the renderer the child chose, what it sent to the terminal)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # no pixel size
    child = subprocess.Popen([sys.executable, "-c", CHILD, setting], stdin=slave, stdout=slave,
                             stderr=subprocess.PIPE, close_fds=True)
    os.close(slave)
    sent = b""
    try:
        if answer is not None:
            while b"\x1b[c" not in sent:  # the query ends with DA1
                ready, _, _ = select.select([master], [], [], 10)
                assert ready, "no query was sent"
                sent += os.read(master, 1024)
            os.write(master, answer)
        _, err = child.communicate(timeout=30)
        # Whatever else the child wrote, for the assertions on what was asked.
        while select.select([master], [], [], 0)[0]:
            try:
                sent += os.read(master, 1024)
            except OSError:
                break
    finally:
        os.close(master)
    return err.decode().strip().splitlines()[-1], sent


@pytest.mark.parametrize(("answer", "renderer"), [
    (b"\x1b[?62;4;22c", "sixel"),
    (b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c", "kitty"),
    (b"\x1b[?1;2c", "halfcell"),  # tmux, most terminals over SSH
])
def test_the_answer_picks_the_renderer(answer: bytes, renderer: str) -> None:
    chosen, sent = _detect("auto", answer)
    assert chosen == renderer
    assert sent.count(b"\x1b[c") == 1 and sent.count(b"\x1b_G") == 1  # one round trip


def test_a_terminal_that_does_not_answer_gets_half_cells() -> None:
    assert _detect("auto", None)[0] == "halfcell"


def test_a_forced_renderer_asks_nothing() -> None:
    chosen, sent = _detect("kitty", None)
    assert chosen == "kitty" and b"\x1b[c" not in sent and b"\x1b_G" not in sent


def test_the_query_leaves_no_trace_in_tmux(db_path) -> None:
    """tmux takes the kitty query (an APC sequence) as the pane's title, which stayed after
    the app quit ("Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA"): inside tmux it is not sent."""
    from app.simulator import Simulator
    from tests.conftest import TEST_KEY
    from tests.e2e.tmux import Tmux, app_command
    from tests.reliability.helpers import app_env

    with Simulator(api_key=TEST_KEY) as sim:
        term = Tmux(app_env(sim.base_url, db_path, ASI_CHAT_IMAGE_PREVIEW="auto"))
        try:
            app = term.start("sh", "-c", '"$0"; echo "asi-chat exited with $?"; exec sleep 60', *app_command())
            term.wait_for(app, "Message ASI:One")
            assert "Gi=" not in term.display(app, "#{pane_title}")
            term.send(app, "C-q")
            after = term.wait_for(app, "asi-chat exited with 0")
            title = term.display(app, "#{pane_title}")
            assert "Gi=" not in title and "AAAA" not in title, title
            for echo in ("Gi=", "AAAA", "[?", ";OK", "[6;", "^["):
                assert echo not in after.replace("asi-chat exited with 0", ""), after
        finally:
            term.close()
