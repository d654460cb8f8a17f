"""The built wheel carries everything the app needs and runs from a fresh virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("asi_chat-*.whl")
    return built


def test_wheel_contains_styles_and_simulator_assets(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    styles = {Path(n).name for n in names if n.startswith("app/styles/")}
    assert styles == {p.name for p in (ROOT / "styles").glob("*.tcss")} and styles
    assert "app/simulator/assets/asi1-mini-stream-giraffes.sse" in names
    assert any(n.startswith("app/simulator/assets/") and n.endswith(".png") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_runs_ask_demo(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    home = tmp_path / "home"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(home),
           "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}
    result = subprocess.run([str(bin_dir / "asi-chat"), "ask", "--demo", "hello"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "## Hello" in result.stdout and "The user is asking" in result.stderr
    assert (home / "data" / "asi-chat" / "demo.db").exists()
