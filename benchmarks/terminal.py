"""Speed as a person feels it: the installed `asi-chat` in a real terminal (a 160×48
pseudo-terminal drawn by pyte, `pyteterm.py`), timed against a bare Textual app doing the
same visible job (`bare_chat.py`), runs alternating, the simulator in its own process.

* reply N tokens: the prompt `!sim:tokens=N tell me about agents` is typed a key every
  60 ms, Enter pressed; the clock runs from Enter until the screen shows the reply's last
  line (its last heading, "Section K", with the reply's final word on a row below it).
* launch: from spawning the process until the screen shows the input's placeholder
  (the bare app: header, a list of 100 options, a Markdown document, a focused Input).
  asi-chat opens an existing, empty history, as every launch after the very first does
  (the first also creates and migrates the file).
* key echo: while a 20,000-token reply streams, a key every 30-80 ms; each key a letter
  the reply never contains, timed from its write until the output shows it (its echo:
  the letter is nowhere else). p95.
* images: a conversation with 20 image replies (1024 × 1024 PNGs from the simulator,
  half-cell previews; `open_images.seed`), opened from the list (ctrl+l, Enter): Enter
  until its newest message is on screen, and until the previews on screen are drawn;
  with an empty image cache (fetched over HTTP), then a warm one (asi-chat only).

asi-chat runs with Textual's compiled helpers (textual-speedups) and, alternating, without
them (`TEXTUAL_SPEEDUPS=0`): the speedups rows compare the two.

The app's bytecode is compiled first (`compileall`, as pip does when it installs a wheel):
an editable install under PYTHONDONTWRITEBYTECODE=1 (this VM's agents) would otherwise
compile every module of the app on every launch, ~0.1 s that no installed copy pays.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import KEY, PYTHON, ROOT, child_env, median, percentile, row
from key_echo import LETTERS
from ptyapp import SimulatorProcess
from pyteterm import Terminal

BENCH = "T real terminal 160×48"
ASI_CHAT = str(Path(PYTHON).parent / "asi-chat")  # the installed entry point
BARE = str(Path(__file__).resolve().parent / "bare_chat.py")
APP_PLACEHOLDER = "Message ASI:One"
BARE_PLACEHOLDER = "Message the bare app"
REPLY_TARGETS = {300: 0.35, 3000: 0.6, 20000: 2.5}
LAUNCH_TARGET = 1.3
ECHO_TARGET = 40.0
ECHO_KEYS = 120
IMAGES_TARGET = 0.3


def prompt(tokens: int) -> str:
    return f"!sim:tokens={tokens} tell me about agents"


def reply_shown(tokens: int):
    """A screen test: the reply's last line is on screen (see the module docstring)."""
    from app.simulator.scenarios import tokens_reply

    text = "".join(tokens_reply(tokens).content)
    heading = re.findall(r"^#+ (.+)$", text, re.M)[-1]
    last_word = text.split()[-1]
    heading_re = re.compile(rf"(^|\s){re.escape(heading)}(\s|$)")
    word_re = re.compile(rf"\s{re.escape(last_word)}(\s|$)")

    def test(rows: list[str]) -> bool:
        for index, line in enumerate(rows):
            if heading_re.search(line):
                return any(word_re.search(below) for below in rows[index + 1:])
        return False

    test.hint = heading  # (in the output only near the end: the emulator draws from then on)
    return test


class Program:
    """How to start one of the programs compared."""

    def __init__(self, name: str, placeholder: str, speedups: bool = True) -> None:
        self.name, self.placeholder, self.speedups = name, placeholder, speedups

    def start(self, tmp: Path, base_url: str, db: Path | None = None) -> Terminal:
        env = child_env(tmp, ASI_ONE_API_KEY=KEY, TEXTUAL_SPEEDUPS="1" if self.speedups else "0")
        if self.name == "bare":
            argv = [PYTHON, BARE, base_url, KEY]
        else:
            argv = [ASI_CHAT, "--db", str(db or common.fresh_db(tmp)), "--base-url", base_url]
        return Terminal(argv, env)


APP = Program("asi-chat", APP_PLACEHOLDER)
APP_PLAIN = Program("asi-chat without speedups", APP_PLACEHOLDER, speedups=False)
BARE_APP = Program("bare", BARE_PLACEHOLDER)


def launch_once(program: Program, tmp: Path, base_url: str) -> float:
    from app.core.store.store import Store

    db = common.fresh_db(tmp)
    Store(db).close()  # an existing history
    with program.start(tmp, base_url, db) as term:
        return term.wait_for(program.placeholder, timeout=30) - term.started


def reply_once(program: Program, tmp: Path, base_url: str, tokens: int) -> float:
    with program.start(tmp, base_url) as term:
        term.wait_for(program.placeholder, timeout=30)
        time.sleep(0.5)  # settled, as when a person starts typing
        term.type(prompt(tokens))
        time.sleep(0.06)
        sent = term.send("\r")
        shown = reply_shown(tokens)
        return term.wait_for(shown, since=sent, timeout=600, hint=shown.hint) - sent


def echo_once(program: Program, tmp: Path, base_url: str, rng: random.Random) -> list[float]:
    """Echo latencies (ms) of keys typed while a 20,000-token reply streams."""
    latencies = []
    done = reply_shown(20000)
    with program.start(tmp, base_url) as term:
        term.wait_for(program.placeholder, timeout=30)
        time.sleep(0.5)
        term.type(prompt(20000))
        time.sleep(0.06)
        sent = term.send("\r")
        term.wait_for("Section 1", since=sent, timeout=30, hint="Section 1")  # the reply is streaming in
        for letter in LETTERS[:ECHO_KEYS]:
            typed = term.send(letter)
            # The letter is in no reply: its first appearance in the output is its echo.
            latencies.append((term.wait_output(letter, since=typed, timeout=10) - typed) * 1000)
            if term.output_shows(done.hint, since=sent) and done(term.rows()):
                break
            time.sleep(rng.uniform(0.03, 0.08))
    return latencies


def images_once(tmp: Path, db: Path, base_url: str) -> tuple[float, float]:
    """(Enter → newest message on screen, Enter → the previews on screen drawn), seconds."""
    def previews_drawn(rows: list[str]) -> bool:  # half-cell pictures: rows of "▀"
        return sum(1 for line in rows if line.count("▀") >= 10) >= 8

    with APP.start(tmp, base_url, db) as term:
        term.wait_for(APP_PLACEHOLDER, timeout=30)
        time.sleep(0.5)
        term.send("\x0c")  # ctrl+l: the list (the image conversation is the newest)
        time.sleep(0.3)
        sent = term.send("\r")
        shown = term.wait_for("Here is picture 19", since=sent, timeout=30) - sent
        return shown, term.wait_for(previews_drawn, since=sent, timeout=30) - sent


def alternate(programs: list[Program], repeat: int, measure, *, once: tuple[Program, ...] = ()
              ) -> dict[str, list[float]]:
    """`measure(program)` for each program in turn, `repeat` rounds after a warm-up round;
    the programs in `once` only in the first measured round."""
    results: dict[str, list[float]] = {p.name: [] for p in programs}
    for round_ in range(repeat + 1):
        for program in programs:
            if program in once and round_ != 1:
                continue
            value = measure(program)
            if round_:
                results[program.name].append(value)
    return results


def run(quick: bool) -> list[dict]:
    repeat = 2 if quick else 5
    rows = []
    programs = [BARE_APP, APP, APP_PLAIN]
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "app")], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as name, SimulatorProcess() as sim:
        tmp = Path(name)
        runs = alternate(programs, repeat, lambda p: launch_once(p, tmp, sim.base_url))
        app, bare, plain = median(runs[APP.name]), median(runs[BARE_APP.name]), median(runs[APP_PLAIN.name])
        note = f"asi-chat {app:.2f} s, bare Textual app {bare:.2f} s, without speedups {plain:.2f} s"
        print(f"  launch: {note}", file=sys.stderr, flush=True)
        rows.append(row(BENCH, "launch → first screen, asi-chat", app, "s", None, note=spread(runs[APP.name])))
        rows.append(row(BENCH, "launch, bare Textual app", bare, "s", None, note=spread(runs[BARE_APP.name])))
        rows.append(row(BENCH, "launch, asi-chat ÷ bare", app / bare, "×", LAUNCH_TARGET, note=note))
        rows.append(row(BENCH, "launch, speedups off ÷ on", plain / app, "×", None))
        for tokens in REPLY_TARGETS:
            # Textual's own MarkdownStream lays out the whole document on every append: the
            # bare app takes minutes (on this VM) for 20,000 tokens, so it runs once there.
            runs = alternate(programs, repeat, lambda p: reply_once(p, tmp, sim.base_url, tokens),
                             once=(BARE_APP,) if tokens >= 20000 else ())
            app, bare, plain = (median(runs[p.name]) for p in (APP, BARE_APP, APP_PLAIN))
            note = f"bare {bare:.2f} s, {app / bare:.2f}× bare; without speedups {plain:.2f} s"
            print(f"  reply {tokens}: asi-chat {app:.3f} s; {note}", file=sys.stderr, flush=True)
            rows.append(row(BENCH, f"Enter → {tokens:,}-token reply on screen", app, "s",
                            REPLY_TARGETS[tokens], note=note + "; " + spread(runs[APP.name])))
            rows.append(row(BENCH, f"  {tokens:,} tokens, speedups off ÷ on", plain / app, "×", None))
        rng = random.Random(7)
        keys = {p.name: [] for p in (APP, BARE_APP)}
        for _ in range(max(1, repeat // 2)):
            for program in (BARE_APP, APP):
                keys[program.name] += echo_once(program, tmp, sim.base_url, rng)
        app, bare = percentile(keys[APP.name], 95), percentile(keys[BARE_APP.name], 95)
        note = (f"{len(keys[APP.name])} keys, p50 {percentile(keys[APP.name], 50):.0f} ms, max "
                f"{max(keys[APP.name]):.0f} ms; bare Textual app p95 {bare:.0f} ms")
        print(f"  key echo p95: {app:.0f} ms ({note})", file=sys.stderr, flush=True)
        rows.append(row(BENCH, "key echo while 20,000 tokens stream, p95", app, "ms", ECHO_TARGET, note=note))
        rows += images(repeat, sim.base_url)
    return rows


def images(repeat: int, base_url: str) -> list[dict]:
    import open_images

    runs: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as name:  # a fresh home: an empty image cache
            home = Path(name)
            db = common.fresh_db(home)
            open_images.seed(db, base_url.removesuffix("/v1"))
            for cache in ("cold", "warm"):
                runs[cache].append(images_once(home, db, base_url))
    rows = []
    for cache, label in (("cold", "image cache empty"), ("warm", "image cache warm")):
        shown, drawn = median([r[0] for r in runs[cache]]), median([r[1] for r in runs[cache]])
        note = f"previews on screen drawn {drawn:.2f} s; " + spread([r[0] for r in runs[cache]])
        print(f"  20 images, {label}: {shown:.3f} s ({note})", file=sys.stderr, flush=True)
        rows.append(row(BENCH, f"open 20-image conversation → newest message, {label}", shown, "s",
                        IMAGES_TARGET, note=note))
    return rows


def spread(values: list[float]) -> str:
    return f"runs {min(values):.2f}-{max(values):.2f} s"


if __name__ == "__main__":
    common.main(run, __doc__)
