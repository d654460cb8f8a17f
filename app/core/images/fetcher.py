"""Fetching an image safely, for previews: only http(s) and data: URLs, bounded in every way.

Image hosts are third parties: the request goes through its own httpx client (never the
ASI:One client, so the API key cannot travel with it; no environment credentials either),
follows at most three redirects and only to http(s), goes to no loopback, private,
link-local, multicast or otherwise non-public address (the name resolved, at the first
request and at every redirect; a model's reply must not make us GET a router's admin
page) unless that host is the configured ASI:One or Agentverse one or the user allowed
them (`image_private_hosts`), stops reading the moment the body
passes the size limit (nothing is written until the whole body is in and verified), and
keeps only bytes Pillow decodes as an image within a pixel budget, whatever the server
called them. The result is typed: `ImageOk` or `ImageRefused` with a few words of why.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import re
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from app.core.images.cache import ImageCache

if TYPE_CHECKING:  # httpx is imported when a fetch starts: the app's first frame does not wait for it
    import httpx

    from app.core.config import Settings

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB
# 50 megapixels (e.g. 7000 × 7000) is far beyond any generated image; past it, decoding
# would need hundreds of MB of memory for a file of a few KB: a decompression bomb.
DEFAULT_MAX_PIXELS = 50_000_000
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^,;]*)*),", re.I)


@dataclass(frozen=True, slots=True)
class ImageOk:
    """A verified image, saved in the cache."""

    path: Path
    width: int
    height: int
    size: int
    format: str


@dataclass(frozen=True, slots=True)
class ImageRefused:
    """No image: `reason` says why in a few words ("not an image", "host unreachable")."""

    reason: str


FetchResult = ImageOk | ImageRefused


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How far a fetch may go."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 3
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_pixels: int = DEFAULT_MAX_PIXELS
    trusted: frozenset[tuple[str, int]] = frozenset()
    """(host, port) of the configured ASI:One and Agentverse servers: fetched from whatever
    address they have (the simulator of the tests and the demo is on 127.0.0.1)."""
    private_hosts: bool = False
    """Fetch from any address, private ones included (`image_private_hosts = true`)."""


def origin_of(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the port filled in from the scheme; None if unusable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower(), port or (443 if scheme == "https" else 80)


def limits_for(settings: Settings) -> FetchLimits:
    """The fetch limits `settings` ask for: its ASI:One and Agentverse hosts trusted."""
    trusted = {origin for origin in map(origin_of, (settings.base_url, settings.agentverse_url)) if origin}
    return FetchLimits(trusted=frozenset(trusted),
                       private_hosts=bool(getattr(settings, "image_private_hosts", False)))


def address_kind(address: str) -> str | None:
    """What makes `address` (an IP) no place for a preview: "loopback", "private", … or
    None for a public address. An IPv4 address inside IPv6 (mapped, 6to4, Teredo) counts
    as itself."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # (an IPv6 zone id aside)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            return address_kind(str(inner)) or ("reserved" if not ip.is_global else None)
    for kind, flag in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                       ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                       ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if flag:
            return kind
    return None if ip.is_global else "reserved"  # e.g. 100.64.0.0/10, shared address space


def refusal_for(url: str, limits: FetchLimits) -> ImageRefused | None:
    """Why `url`'s host must not be fetched (a non-public address it resolves to), or None."""
    checked = checked_address(url, limits)
    return checked if isinstance(checked, ImageRefused) else None


def checked_address(url: str, limits: FetchLimits) -> ImageRefused | str | None:
    """The public address `url`'s host resolves to, to connect to and nowhere else; None
    when any address will do (a trusted host, or `private_hosts`); or why not."""
    origin = origin_of(url)
    if origin is None:
        return ImageRefused("not an http(s) link")
    if limits.private_hosts or origin in limits.trusted:
        return None
    host, port = origin
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return ImageRefused("host unreachable (unknown name)")
    # Any one bad address refuses the host: the connection could go to any of them.
    for *_, sockaddr in found:
        kind = address_kind(str(sockaddr[0]))
        if kind is not None:
            return ImageRefused(f"refused: {kind} address {sockaddr[0]}")
    return str(found[0][4][0]) if found else ImageRefused("host unreachable (unknown name)")


def _pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL, headers, extensions) that reach `url` at `address` exactly: the name is not
    resolved a second time, so it cannot turn into 127.0.0.1 between the check and the
    connection (DNS rebinding). TLS still checks the certificate against the name (SNI)."""
    if address is None:
        return url, {}, {}
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    extensions = {"sni_hostname": parts.hostname or ""} if parts.scheme.lower() == "https" else {}
    host = parts.netloc.rpartition("@")[2]  # (no user:password of a link goes anywhere)
    return parts._replace(netloc=netloc).geturl(), {"Host": host}, extensions


def megabytes(size: int) -> str:
    """`size` bytes as "40 MB" (or "1.5 MB" below 10 MB, "300 KB" below 1 MB)."""
    if size < MB:
        return f"{max(1, round(size / 1024))} KB"
    value = size / MB
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def is_data_url(url: str) -> bool:
    """True for a ``data:`` URL."""
    return url[:5].lower() == "data:"


def fetch_image(url: str, cache: ImageCache, limits: FetchLimits = FetchLimits(),
                transport: httpx.BaseTransport | None = None) -> FetchResult:
    """The image behind `url`: from the cache if it is there, else fetched and cached.

    Never raises for anything the network or the server does.
    """
    cached = cache.lookup(url)
    if cached is not None:
        return ImageOk(cached.path, cached.width, cached.height, cached.size, cached.format)
    if is_data_url(url):
        data = decode_data_url(url, limits)
    else:
        data = _download(url, limits, transport)
    if isinstance(data, ImageRefused):
        return data
    checked = verify_image(data, limits)
    if isinstance(checked, ImageRefused):
        return checked
    width, height, format = checked
    try:
        stored = cache.put(url, data, width, height, format)
    except OSError as exc:
        return ImageRefused(f"cannot save to the cache: {exc.strerror or exc}")
    return ImageOk(stored.path, width, height, stored.size, format)


def decode_data_url(url: str, limits: FetchLimits = FetchLimits()) -> bytes | ImageRefused:
    """The bytes of a base64 ``data:image/…`` URL."""
    match = _DATA_URL.match(url)
    if match is None:
        return ImageRefused("not an image")
    mime = (match.group("mime") or "").lower()
    if not mime.startswith("image/"):
        return ImageRefused("not an image")
    if ";base64" not in match.group("params").lower():
        return ImageRefused("not an image (not base64)")
    payload = "".join(url[match.end():].split())
    if len(payload) * 3 // 4 > limits.max_bytes:
        return ImageRefused(too_large(len(payload) * 3 // 4, limits.max_bytes))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return ImageRefused("not an image (bad base64)")


def too_large(size: int | None, limit: int) -> str:
    """The reason words for a body over the limit."""
    if size is None:
        return f"too large: over the {megabytes(limit)} limit"
    return f"too large: {megabytes(size)}, limit {megabytes(limit)}"


def _download(url: str, limits: FetchLimits,
              transport: httpx.BaseTransport | None) -> bytes | ImageRefused:
    import httpx

    if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).netloc:
        return ImageRefused("not an http(s) link")
    timeout = httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
    # trust_env=False: no proxy credentials or ~/.netrc passwords for an image host.
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                      transport=transport, headers={"Accept": "image/*"}) as client:
        for _ in range(limits.max_redirects + 1):
            address = checked_address(url, limits)  # the first URL and each redirect's target
            if isinstance(address, ImageRefused):
                return address
            try:
                result = _get(client, url, limits, address)
            except httpx.ConnectTimeout:
                return ImageRefused("host unreachable (timed out)")
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
                return ImageRefused("host did not answer (timed out)")
            except httpx.ConnectError:
                return ImageRefused("host unreachable")
            except (httpx.HTTPError, httpx.InvalidURL, ValueError):
                return ImageRefused("download failed")
            if not isinstance(result, str):
                return result
            url = result
        return ImageRefused(f"too many redirects (over {limits.max_redirects})")


def _get(client: httpx.Client, url: str, limits: FetchLimits,
         address: str | None = None) -> bytes | ImageRefused | str:
    """One request (to `address` when given): the body, a refusal, or the next URL of a redirect."""
    target_url, headers, extensions = _pinned(url, address)
    with client.stream("GET", target_url, headers=headers, extensions=extensions) as response:
        if response.is_redirect:
            target = urljoin(url, response.headers.get("location", ""))
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                return ImageRefused("redirect to a non-web link refused")
            return target
        if response.status_code != 200:
            phrase = {404: "not found", 403: "forbidden", 410: "gone"}.get(response.status_code,
                                                                          "server error")
            return ImageRefused(f"{phrase} ({response.status_code})")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            return ImageRefused(too_large(int(declared), limits.max_bytes))
        body = bytearray()
        for chunk in response.iter_bytes(65536):
            if len(body) + len(chunk) > limits.max_bytes:
                # Stop reading now: the rest is never downloaded, nothing is stored.
                return ImageRefused(too_large(None, limits.max_bytes))
            body += chunk
        return bytes(body)


def verify_image(data: bytes, limits: FetchLimits = FetchLimits()) -> tuple[int, int, str] | ImageRefused:
    """(width, height, format) when Pillow decodes `data` as an image within the pixel budget."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or limits.max_pixels, limits.max_pixels)
    with warnings.catch_warnings():
        # Pillow only warns between the limit and twice the limit: refuse those too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height, format = image.width, image.height, image.format or "?"
                if width * height > limits.max_pixels:
                    return ImageRefused(_bomb(width, height))
                image.load()  # the whole image must decode, not only its header
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return ImageRefused("too many pixels (a decompression bomb?)")
        except Exception:  # noqa: BLE001 - UnidentifiedImageError, OSError, zlib, struct…
            return ImageRefused("not an image")
    return width, height, format


def _bomb(width: int, height: int) -> str:
    return f"too many pixels: {width} × {height} (a decompression bomb?)"
