"""The demo's image links keep working across restarts: each run's simulator takes the port
the last one had (kept beside the demo history), or moves the stored links to a new one."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from app.core.store.store import Store
from app.demo import demo_origin_path
from app.simulator.images import IMAGE_PNG
from tests.test_cli import asi


def _env(tmp_path: Path, run: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASI_")}
    # A fresh image cache for each process: the second must fetch the link, not find it cached.
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), ASI_CHAT_CACHE=str(tmp_path / f"cache-{run}"))
    return env


LOCAL = "SELECT id, url FROM images WHERE url LIKE 'http://127.0.0.1:%'"


def _local_images(db: Path) -> list[tuple[int, str]]:
    """The simulator's images in the demo history (the seeded sample's link is not one)."""
    return [tuple(row) for row in Store(db)._q(LOCAL)]


def _draw(tmp_path: Path, db: Path) -> str:
    first = asi(_env(tmp_path, "1"), "--demo", "--db", str(db), "ask", "--no-reasoning", "a bird !sim:image=png")
    assert first.returncode == 0, first.stderr
    ((_, url),) = _local_images(db)
    return url


def _save(tmp_path: Path, db: Path, run: str) -> Path:
    out = tmp_path / f"saved-{run}"
    ((image_id, _),) = _local_images(db)
    saved = asi(_env(tmp_path, run), "--demo", "--db", str(db), "images", "save", str(image_id), str(out))
    assert saved.returncode == 0, saved.stderr
    (file,) = out.iterdir()
    return file


def test_an_image_of_one_demo_run_is_saved_by_the_next(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    url = _draw(tmp_path, db)
    port = json.loads(demo_origin_path(db).read_text())["port"]
    assert url.startswith(f"http://127.0.0.1:{port}/")
    assert _save(tmp_path, db, "2").read_bytes() == IMAGE_PNG.read_bytes()  # a new process, same port
    assert [u for _, u in _local_images(db)] == [url]


def test_when_the_port_is_taken_the_links_move_to_the_new_one(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    url = _draw(tmp_path, db)
    port = json.loads(demo_origin_path(db).read_text())["port"]
    with socket.socket() as squatter:  # another program took the port meanwhile
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        assert _save(tmp_path, db, "2").read_bytes() == IMAGE_PNG.read_bytes()
    new_port = json.loads(demo_origin_path(db).read_text())["port"]
    assert new_port != port
    moved = url.replace(f":{port}/", f":{new_port}/")
    assert [u for _, u in _local_images(db)] == [moved]
    (content,) = [c for (c,) in Store(db)._q("SELECT content FROM messages WHERE content LIKE '%sim-images%'")]
    assert moved in content and f":{port}/" not in content
