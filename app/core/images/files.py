"""The history's images for the gallery and `asi-chat images`, and saving one to a file."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.links import data_image_urls, data_ref
from app.core.store.records import make_inert

if TYPE_CHECKING:
    from app.core.store.store import Store


@dataclass(frozen=True, slots=True)
class HistoryImage:
    """An image of the history with what produced it.

    `url` is an http(s) link, or for an inline image its short `data_ref` (the
    image itself stays in the message: `source` gives the whole data: URL).
    """

    id: int
    conversation_id: int
    message_id: int
    url: str
    created_at: float
    title: str | None
    prompt: str

    def __post_init__(self) -> None:
        # Both are user text, stored as typed; every view (and a saved file's name) shows them.
        make_inert(self, "title", "prompt")


_COLUMNS = ("i.id, i.conversation_id, i.message_id, i.url, i.created_at, c.title, "
            # The prompt: the user's last message before the reply that carried the image.
            "coalesce((SELECT u.content FROM messages u WHERE u.conversation_id = i.conversation_id"
            " AND u.role = 'user' AND u.id < i.message_id ORDER BY u.id DESC LIMIT 1), '')")


def history_images(store: Store, limit: int | None = None) -> list[HistoryImage]:
    """Every image in the history, newest first (at most `limit`)."""
    rows = store._q(f"SELECT {_COLUMNS} FROM images i JOIN conversations c ON c.id = i.conversation_id"
                    " ORDER BY i.id DESC LIMIT ?", (-1 if limit is None else limit,))
    return [HistoryImage(*row) for row in rows]


def history_image(store: Store, image_id: int) -> HistoryImage | None:
    """The image with id `image_id`, or None."""
    rows = store._q(f"SELECT {_COLUMNS} FROM images i JOIN conversations c ON c.id = i.conversation_id"
                    " WHERE i.id = ?", (image_id,))
    return HistoryImage(*rows[0]) if rows else None


def source(store: Store, image: HistoryImage) -> str | None:
    """The URL to fetch `image` from: its link, or the data: URL found again in its message."""
    if not image.url.startswith("data:"):
        return image.url
    content = store.get_message(image.message_id).content
    return next((url for url in data_image_urls(content) if data_ref(url) == image.url), None)


def file_stem(prompt: str) -> str:
    """A file name (without extension) from the prompt: its first words, lower case."""
    words = re.findall(r"[a-z0-9]+", prompt.lower())
    stem = "-".join(words[:8])[:60].strip("-")
    return stem or "image"


def downloads_dir() -> Path:
    """The user's downloads folder (platformdirs), where images are saved by default."""
    from platformdirs import user_downloads_path

    return user_downloads_path()


def save_copy(path: Path, directory: Path, stem: str) -> Path:
    """Copy the image file `path` into `directory` as `stem.<ext>`; never overwrites
    (`stem-2.<ext>`, `stem-3.<ext>`… instead). Returns the new file."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix or ".png"
    for n in range(1, 10_000):
        target = directory / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            # O_EXCL: the name is ours even if another process saves at the same moment.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out)
        return target
    raise FileExistsError(f"too many files named {stem}* in {directory}")
