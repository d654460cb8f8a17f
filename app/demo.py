"""`--demo`: the embedded simulator instead of ASI:One, and a separate demo database."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.config import Settings

DEMO_KEY = "sk-sim-demo"


def demo_db_path() -> Path:
    """The demo's own history file, apart from the user's real history."""
    from platformdirs import user_data_path

    return user_data_path("asi-chat") / "demo.db"


def start_demo(settings: Settings, *, db: Path | None = None, chunk_delay: float = 0.015):
    """Start the simulator; return (simulator, settings pointing at it and the demo DB)."""
    from app.simulator import Simulator

    simulator = Simulator(api_key=DEMO_KEY, chunk_delay=chunk_delay).start()
    demo_settings = replace(
        settings, api_key=DEMO_KEY, base_url=simulator.base_url, db=db or demo_db_path()
    )
    return simulator, demo_settings
