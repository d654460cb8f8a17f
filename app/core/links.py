"""Find the image links an agent delivered in a reply; only http(s) links ever count."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\(\s*<?(?P<url>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_URL = re.compile(r"\bhttps?://[^\s<>()\"'\[\]]+", re.IGNORECASE)
_IMAGE_SUFFIX = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp|svg|avif)$", re.IGNORECASE)
# Agentverse hands out stored files as `agent-storage://https://agentverse.ai/v1/storage/<uuid>`:
# the web link is what follows the prefix.
AGENT_STORAGE = "agent-storage://"
_AGENT_STORAGE_URL = re.compile(r"agent-storage://(https?://[^\s<>()\"'\[\]]+)", re.IGNORECASE)
# Where agents keep the images they deliver: a bare link there is an image even without a suffix.
_IMAGE_STORES = re.compile(r"^https?://(?:[\w.-]+\.)?(?:asi1\.ai/agentverse/[^?#]*/storage/|agentverse\.ai/v1/storage/"
                           r"|res\.cloudinary\.com/)", re.IGNORECASE)


def web_link(url: str) -> str:
    """`url` without an `agent-storage://` prefix (the web link it wraps), else as it is."""
    stripped = url.strip()
    if stripped.lower().startswith(AGENT_STORAGE):
        return stripped[len(AGENT_STORAGE):]
    return stripped


def is_safe_url(url: str) -> bool:
    """True for an absolute http or https URL with a host, the only links we open or copy."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def image_links(text: str) -> list[str]:
    """Image URLs in `text`, in order, without duplicates.

    Markdown images count whatever their URL looks like (agent storage URLs have no
    extension); bare URLs count when their path ends in an image extension, or they point
    into agent storage or an image CDN. `agent-storage://https://…` counts as its web link.
    """
    found: list[str] = []
    for match in _MARKDOWN_IMAGE.finditer(text):
        url = web_link(match.group("url"))
        if is_safe_url(url) and url not in found:
            found.append(url)
    for match in _AGENT_STORAGE_URL.finditer(text):
        url = match.group(1).rstrip(".,;:!?")
        if is_safe_url(url) and url not in found:
            found.append(url)
    for match in _BARE_URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        path = urlsplit(url).path
        if (_IMAGE_SUFFIX.search(path) or _IMAGE_STORES.match(url)) and is_safe_url(url) and url not in found:
            found.append(url)
    return found


# A markdown image whose URL is inline data: ASI:One's image generation answers this way.
_DATA_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?(?P<url>data:image/[\w.+-]+(?:;[\w.+=-]+)*;base64,"
                         r"[A-Za-z0-9+/=%\s]*?)>?\s*\)", re.IGNORECASE)
# What the screen and the search index leave out: the payload after a data image's
# ";base64," up to its closing parenthesis (or the end of a reply still streaming in).
# Stripping starts only after the whole marker, so a growing text's shown form only grows.
_PAYLOAD = re.compile(r"(\]\(\s*<?data:[\w.+/-]*(?:;[\w.+=-]*)*;base64,)[A-Za-z0-9+/=%]*",
                      re.IGNORECASE)
PAYLOAD_STAND_IN = "…"


def data_image_urls(text: str) -> list[str]:
    """The ``data:image/…;base64,`` URLs of the markdown images in `text`, in order."""
    found: list[str] = []
    for match in _DATA_IMAGE.finditer(text) if "data:" in text else ():
        url = "".join(match.group("url").split())
        if url not in found:
            found.append(url)
    return found


def image_sources(text: str) -> list[str]:
    """Every image a reply delivers: http(s) links (as `image_links`) and data: images, in order."""
    if "data:" not in text:
        return image_links(text)
    spans = [(m.start(), m.group("url")) for m in _MARKDOWN_IMAGE.finditer(text)]
    found: list[str] = []
    for _, url in sorted(spans):
        url = "".join(url.split()) if url.lower().startswith("data:") else web_link(url)
        if (is_safe_url(url) or url.lower().startswith("data:image/")) and url not in found:
            found.append(url)
    return found + [url for url in image_links(text) if url not in found]


def data_ref(url: str) -> str:
    """A short stand-in for a data: image in the `images` table: its type and the sha256 of its URL."""
    import hashlib

    mime = url[5:url.find(";")] if ";" in url else "image"
    return f"data:{mime};sha256,{hashlib.sha256(url.encode('utf-8', 'surrogatepass')).hexdigest()}"


def image_refs(text: str) -> list[str]:
    """What the `images` table records for `text`: http(s) links and `data_ref`s of data: images."""
    return image_links(text) + [data_ref(url) for url in data_image_urls(text)]


def shown_text(text: str) -> str:
    """`text` with each data: image's payload replaced by "…" (what screens and the index get)."""
    if "data:" not in text:
        return text
    return _PAYLOAD.sub(lambda m: m.group(1) + PAYLOAD_STAND_IN, text)


def hide_payload_runs(text: str) -> str:
    """`text` with long base64-looking runs cut to "…" (for search snippets of stored replies)."""
    return re.sub(r"[A-Za-z0-9+/=]{60,}", PAYLOAD_STAND_IN, text)
