"""The image fetcher against the simulator over HTTP: good images cached, bad ones refused."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from app.core.images.cache import ImageCache
from app.core.images.fetcher import FetchLimits, ImageOk, ImageRefused, fetch_image, origin_of
from app.simulator import Simulator
from app.simulator.images import HTML, IMAGE_PNG, bomb_png

QUICK = FetchLimits(connect_timeout=1.0, read_timeout=0.5)


def trusting(sim: Simulator, limits: FetchLimits = FetchLimits()) -> FetchLimits:
    """`limits` with the simulator as the configured host (it is on loopback)."""
    return FetchLimits(**{**{f: getattr(limits, f) for f in FetchLimits.__slots__},
                          "trusted": frozenset({origin_of(sim.origin)})})


@pytest.fixture
def cache(tmp_path: Path) -> ImageCache:
    return ImageCache(tmp_path / "cache")


def files(cache: ImageCache) -> list[Path]:
    """Every file the cache holds, its index aside."""
    if not cache.root.exists():
        return []
    return [p for p in cache.root.iterdir() if p.name != "index.sqlite"]


def test_a_png_is_cached_byte_for_byte(sim: Simulator, cache: ImageCache) -> None:
    result = fetch_image(f"{sim.origin}/sim-images/png", cache, trusting(sim))
    assert isinstance(result, ImageOk)
    assert result.path.read_bytes() == IMAGE_PNG.read_bytes()
    assert result.path.name.startswith(hashlib.sha256(IMAGE_PNG.read_bytes()).hexdigest())
    assert result.format == "PNG" and result.size == IMAGE_PNG.stat().st_size
    assert (result.width, result.height) > (0, 0)
    assert result.path.stat().st_mode & 0o777 == 0o600


def test_a_cached_image_is_not_fetched_again(sim: Simulator, cache: ImageCache) -> None:
    url = f"{sim.origin}/sim-images/png"
    first = fetch_image(url, cache, trusting(sim))
    second = fetch_image(url, ImageCache(cache.root), trusting(sim))  # another process, same cache
    assert isinstance(first, ImageOk) and second == first
    assert sim.gets["/sim-images/png"] == 1


@pytest.mark.parametrize(("kind", "reason"), [
    ("html", "not an image"),
    ("huge", "too large: 40 MB, limit 20 MB"),
    ("huge-chunked", "too large: over the 20 MB limit"),
    ("file-redirect", "redirect to a non-web link refused"),
    ("redirects", "too many redirects (over 3)"),
    ("bomb", "too many pixels (a decompression bomb?)"),
    ("missing", "not found (404)"),
    ("hang", "host did not answer (timed out)"),
])
def test_bad_images_are_refused_with_their_reason(sim: Simulator, cache: ImageCache,
                                                  kind: str, reason: str) -> None:
    result = fetch_image(f"{sim.origin}/sim-images/{kind}", cache, trusting(sim, QUICK))
    assert result == ImageRefused(reason)
    assert files(cache) == []  # nothing kept, not even part of a body


def test_a_short_redirect_chain_is_followed(sim: Simulator, cache: ImageCache) -> None:
    result = fetch_image(f"{sim.origin}/sim-images/redirects-3", cache, trusting(sim))
    assert isinstance(result, ImageOk)
    assert result.path.read_bytes() == IMAGE_PNG.read_bytes()


def test_an_unreachable_host_is_refused(cache: ImageCache) -> None:
    # Port 9 on loopback (allowed here): nothing listens, the connection is refused at once.
    allowed = FetchLimits(connect_timeout=1.0, read_timeout=0.5, private_hosts=True)
    assert fetch_image("http://127.0.0.1:9/x.png", cache, allowed) == ImageRefused("host unreachable")


def test_only_web_and_data_links_are_fetched(cache: ImageCache) -> None:
    assert fetch_image("file:///etc/passwd", cache) == ImageRefused("not an http(s) link")
    assert fetch_image("ftp://example.com/a.png", cache) == ImageRefused("not an http(s) link")


def test_a_data_image_is_decoded_into_the_cache(cache: ImageCache) -> None:
    data = IMAGE_PNG.read_bytes()
    result = fetch_image("data:image/png;base64," + base64.b64encode(data).decode(), cache)
    assert isinstance(result, ImageOk) and result.path.read_bytes() == data


@pytest.mark.parametrize(("url", "reason"), [
    ("data:text/html;base64," + base64.b64encode(HTML).decode(), "not an image"),
    ("data:image/png;base64," + base64.b64encode(HTML).decode(), "not an image"),
    ("data:image/png;base64,%%%notbase64", "not an image (bad base64)"),
    ("data:image/png;base64," + base64.b64encode(bomb_png()).decode(),
     "too many pixels (a decompression bomb?)"),
])
def test_bad_data_images_are_refused(cache: ImageCache, url: str, reason: str) -> None:
    assert fetch_image(url, cache) == ImageRefused(reason)


def test_a_data_image_over_the_limit_is_refused_before_decoding(cache: ImageCache) -> None:
    url = "data:image/png;base64," + "A" * (4 * 1024 * 1024)
    result = fetch_image(url, cache, FetchLimits(max_bytes=1024 * 1024))
    assert result == ImageRefused("too large: 3 MB, limit 1 MB")


def test_the_cache_evicts_the_least_recently_used(sim: Simulator, tmp_path: Path) -> None:
    import os

    size = IMAGE_PNG.stat().st_size
    cache = ImageCache(tmp_path / "small", max_bytes=int(size * 1.5))
    data = IMAGE_PNG.read_bytes()
    first = cache.put("https://a.example/1", data, 1, 1, "PNG")
    os.utime(first.path, (1, 1))  # long unused
    second = cache.put("https://a.example/2", data + b"\0", 1, 1, "PNG")
    assert not first.path.exists() and second.path.exists()
    assert cache.lookup("https://a.example/1") is None
    assert cache.lookup("https://a.example/2") == second
