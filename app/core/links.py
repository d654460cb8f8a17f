"""Find the image links an agent delivered in a reply; only http(s) links ever count."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\(\s*<?(?P<url>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_URL = re.compile(r"\bhttps?://[^\s<>()\"'\[\]]+", re.IGNORECASE)
_IMAGE_SUFFIX = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp|svg|avif)$", re.IGNORECASE)


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
    extension); bare URLs count when their path ends in an image extension.
    """
    found: list[str] = []
    for match in _MARKDOWN_IMAGE.finditer(text):
        url = match.group("url")
        if is_safe_url(url) and url not in found:
            found.append(url)
    for match in _BARE_URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        path = urlsplit(url).path
        if _IMAGE_SUFFIX.search(path) and is_safe_url(url) and url not in found:
            found.append(url)
    return found
