"""The image cache: fetched images on disk, content-addressed, with a URL index.

Files live under the user cache dir (``~/.cache/asi-chat/images/``), named by the
sha256 of their bytes, private (0600). A small SQLite index maps the sha256 of each URL
to its file, so an image once fetched is never fetched again. The total size is capped;
the least recently used files go first (a file's mtime is touched on every use).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CachedImage:
    """An image file in the cache and what decoding it found."""

    path: Path
    width: int
    height: int
    size: int
    format: str
    sha256: str


def default_cache_dir() -> Path:
    """``user_cache_dir("asi-chat")/images`` (``ASI_CHAT_CACHE`` overrides, for tests)."""
    if os.environ.get("ASI_CHAT_CACHE"):
        return Path(os.environ["ASI_CHAT_CACHE"]).expanduser() / "images"
    from platformdirs import user_cache_path

    return user_cache_path("asi-chat") / "images"


def url_key(url: str) -> str:
    """The index key of a URL (a hash: a data: URL can be megabytes long)."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


class ImageCache:
    """Content-addressed image files plus a URL index, capped at `max_bytes`."""

    def __init__(self, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root or default_cache_dir()
        self.max_bytes = max_bytes

    # -- index -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = sqlite3.connect(self.root / "index.sqlite", timeout=10)
        conn.execute("""CREATE TABLE IF NOT EXISTS urls (
            key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, name TEXT NOT NULL,
            width INTEGER NOT NULL, height INTEGER NOT NULL, size INTEGER NOT NULL,
            format TEXT NOT NULL)""")
        return conn

    def lookup(self, url: str) -> CachedImage | None:
        """The cached image for `url`, or None (a file gone missing counts as none)."""
        index = self.root / "index.sqlite"
        if not index.exists():
            return None
        conn = self._connect()
        try:
            row = conn.execute("SELECT sha256, name, width, height, size, format FROM urls "
                               "WHERE key = ?", (url_key(url),)).fetchone()
            if row is None:
                return None
            path = self.root / row[1]
            try:
                os.utime(path)  # most recently used now
            except OSError:
                with conn:
                    conn.execute("DELETE FROM urls WHERE key = ?", (url_key(url),))
                return None
            return CachedImage(path, row[2], row[3], row[4], row[5], row[0])
        finally:
            conn.close()

    def put(self, url: str, data: bytes, width: int, height: int, format: str) -> CachedImage:
        """Store `data` (already verified as an image) for `url`; evict old files if needed."""
        sha = hashlib.sha256(data).hexdigest()
        suffix = {"JPEG": "jpg"}.get(format.upper(), format.lower() or "bin")
        name = f"{sha}.{suffix}"
        path = self.root / name
        conn = self._connect()
        try:
            if not path.exists():
                # Written under a temporary name and renamed: a reader never sees half a file.
                fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".part-")
                try:
                    os.fchmod(fd, 0o600)
                    with os.fdopen(fd, "wb") as out:
                        out.write(data)
                    os.replace(tmp, path)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            else:
                os.utime(path)
            with conn:
                conn.execute("INSERT OR REPLACE INTO urls VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (url_key(url), sha, name, width, height, len(data), format))
            self._evict(conn, keep=name)
        finally:
            conn.close()
        return CachedImage(path, width, height, len(data), format, sha)

    def _evict(self, conn: sqlite3.Connection, keep: str) -> None:
        """Delete least recently used files until the total is under the cap."""
        files = []
        for entry in os.scandir(self.root):
            if entry.is_file() and not entry.name.startswith((".", "index.sqlite")):
                stat = entry.stat()
                files.append((stat.st_mtime, stat.st_size, entry.name))
        total = sum(size for _, size, _ in files)
        for _, size, name in sorted(files):
            if total <= self.max_bytes:
                break
            if name == keep:
                continue
            (self.root / name).unlink(missing_ok=True)
            with conn:
                conn.execute("DELETE FROM urls WHERE name = ?", (name,))
            total -= size

    def total_bytes(self) -> int:
        """The size of every image file in the cache."""
        if not self.root.exists():
            return 0
        return sum(e.stat().st_size for e in os.scandir(self.root)
                   if e.is_file() and not e.name.startswith((".", "index.sqlite")))

