"""`--demo`: the embedded simulator instead of ASI:One, and a separate demo database."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from app.core.config import Settings

DEMO_KEY = "sk-sim-demo"


def demo_db_path() -> Path:
    """The demo's own history file, apart from the user's real history."""
    from platformdirs import user_data_path

    return user_data_path("asi-chat") / "demo.db"


def demo_jobs_path(db: Path) -> Path:
    """Where the demo simulator keeps its pending agent jobs: beside the demo history."""
    return db.with_name(db.stem + "-agent-jobs.json")


def demo_origin_path(db: Path) -> Path:
    """Where the demo remembers its simulator's address: beside the demo history."""
    return db.with_name(db.stem + "-simulator.json")


def _remembered_port(path: Path) -> int:
    try:
        port = json.loads(path.read_text(encoding="utf-8")).get("port")
    except (OSError, ValueError, AttributeError):
        return 0
    return port if isinstance(port, int) and 1024 <= port <= 65535 else 0


def _start_simulator(db: Path, chunk_delay: float):
    """The demo simulator on the port it had last time (its image links are in the demo
    history), else on a free one, with the stored links moved to it."""
    from app.simulator import Simulator

    def make(port: int) -> Simulator:
        # The agent jobs live beside the demo history, so a wait left by one run is answered
        # by the next run's simulator, as ASI:One would answer it.
        return Simulator(api_key=DEMO_KEY, chunk_delay=chunk_delay, port=port,
                         jobs_file=demo_jobs_path(db))

    path = demo_origin_path(db)
    remembered = _remembered_port(path)
    try:
        simulator = make(remembered).start()
    except OSError:  # taken since (by another program, or another demo running now)
        simulator = make(0).start()
    if remembered and simulator.port != remembered:
        _move_links(db, f"http://{simulator.host}:{remembered}", simulator.origin)
    if simulator.port != remembered:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"port": simulator.port}), encoding="utf-8")
        except OSError:
            pass  # best effort: the next run takes a free port and moves the links then
    return simulator


def _move_links(db: Path, old: str, new: str) -> None:
    """Point the demo history's links to the old simulator at the new one."""
    if not db.exists():
        return
    import sqlite3

    from app.core.errors import AsiChatError
    from app.core.store.store import Store

    try:
        store = Store(db)
        try:
            store.move_links(old, new)
        finally:
            store.close()
    except (AsiChatError, OSError, sqlite3.Error):
        pass  # a read-only or damaged demo history: its old links just stay unreachable


def start_demo(settings: Settings, *, db: Path | None = None, chunk_delay: float = 0.015):
    """Start the simulator; return (simulator, settings pointing at it and the demo DB).

    Image links the demo stores name the simulator's address, so it keeps one port across
    runs: `asi-chat --demo images save`, ctrl+y and `o` still work after a restart.
    """
    db = db or demo_db_path()
    simulator = _start_simulator(db, chunk_delay)
    simulator.scenarios.progress_messages = 2  # agents say "Generating…" before the image, as real ones do
    # The simulated agent answers after two polls: poll faster than the real default
    # so the demo shows a whole wait in seconds (an explicit setting still wins).
    poll_interval = 1.5 if settings.poll_interval == 5.0 else settings.poll_interval
    demo_settings = replace(settings, api_key=DEMO_KEY, base_url=simulator.base_url,
                            db=db, poll_interval=poll_interval,
                            agentverse_url=simulator.origin)  # the simulator's marketplace too
    return simulator, demo_settings


_WELCOME_REPLY = """## Welcome to the asi-chat demo

Everything here runs against a **built-in ASI:One simulator** on 127.0.0.1, with its
own demo history, so nothing touches your real conversations and no key is needed.

Try these:

- Type a question and press **Enter**: the reasoning streams on the right, the answer here.
- Ask for *an image of a monkey on a mountain*: the model hands the task to an agent,
  a **waiting card** counts the polls, and the image link arrives as an image card.
- **Ctrl+Y** copies the newest image link, **Ctrl+F** searches, **F2** switches model,
  **Ctrl+P** lists every command.
"""

_WELCOME_REASONING = (
    "The user opened the demo. I should explain what the simulator does and suggest "
    "a few things to try: a plain question, an image request that goes through an agent, "
    "and the keys for copying links, searching and switching models."
)

SAMPLE_IMAGE = "https://api.asi1.ai/agentverse/production/storage/d48f5af6-622a-4a45-b86c-54981650fd36"


def _giraffes() -> tuple[str, str]:
    """The recorded real giraffes reply (reasoning, content), parsed by the real parser."""
    from importlib.resources import files

    from app.core.wire.protocol import StreamParser, gather

    data = files("app.simulator").joinpath("assets/asi1-mini-stream-giraffes.sse").read_bytes()
    parser = StreamParser()
    completion = gather([*parser.feed(data), *parser.close()])
    return completion.reasoning, completion.content


def seed_demo(store) -> None:
    """Give an empty demo database a few sample conversations (never touches a used one)."""
    if store.count_conversations():
        return
    reasoning, content = _giraffes()
    samples = [
        ("asi1-mini", "Hi, tell me about giraffes", [(content, reasoning)]),
        ("asi1-fast-agentic", "use Hi-dream model to generate image of monkey sitting on top of mountain", [
            ("I've sent the message", "I must generate an image using the Hi-dream model, so I will "
             "find an image generation agent on Agentverse and send it the request."),
            (f"![generated-image]({SAMPLE_IMAGE})", ""),
        ]),
        ("asi1-agentic", "What can you do?", [(_WELCOME_REPLY, _WELCOME_REASONING)]),
    ]
    for model, prompt, replies in samples:
        conversation = store.create_conversation(model if model in _models() else "asi1-agentic")
        store.add_message(conversation.id, "user", prompt, model=model)
        for text, thought in replies:
            store.add_message(conversation.id, "assistant", text, reasoning=thought, model=model)
    _cache_sample_image()


def _cache_sample_image() -> None:
    """Put the sample's picture in the image cache, so the demo shows its preview offline."""
    from app.core.images.cache import ImageCache
    from app.core.images.fetcher import verify_image
    from app.simulator.images import IMAGE_PNG

    data = IMAGE_PNG.read_bytes()
    checked = verify_image(data)
    if isinstance(checked, tuple):
        try:
            ImageCache().put(SAMPLE_IMAGE, data, *checked)
        except OSError:
            pass  # no cache: the card says why it has no preview


def _models() -> set[str]:
    from app.core.models import CATALOGUE

    return set(CATALOGUE)
