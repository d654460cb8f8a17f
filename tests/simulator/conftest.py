"""Fixtures for the simulator's own tests: a fresh server per test, no delays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.simulator import Simulator

from .wire import KEY


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A running simulator (overrides the project-wide fixture with this package's key)."""
    with Simulator(api_key=KEY, chunk_delay=0.0, agent_polls=2) as simulator:
        yield simulator
