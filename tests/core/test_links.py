"""Image links in agent replies, and which URLs are safe to open or copy."""

from __future__ import annotations

import pytest

from app.core.links import image_links, is_safe_url

STORAGE = "https://api.asi1.ai/agentverse/production/storage/5f0c6c1e-8a7b-4c1e-9a57-0d9d4b3f2a10"


def test_markdown_image_with_extensionless_url():
    assert image_links(f"Here you go:\n\n![generated-image]({STORAGE})") == [STORAGE]


def test_markdown_image_with_title_and_angle_brackets():
    text = '![a](<https://x.test/a>) ![b](https://x.test/b "Title")'
    assert image_links(text) == ["https://x.test/a", "https://x.test/b"]


def test_bare_image_url():
    assert image_links("See https://cdn.test/pics/cat.png for the cat.") == [
        "https://cdn.test/pics/cat.png"
    ]


@pytest.mark.parametrize("ext", ["png", "JPG", "jpeg", "gif", "webp", "svg", "avif", "bmp"])
def test_bare_url_image_extensions(ext):
    assert image_links(f"http://h.test/i.{ext}") == [f"http://h.test/i.{ext}"]


def test_bare_url_trailing_punctuation_stripped():
    assert image_links("Done: https://h.test/x.png.") == ["https://h.test/x.png"]


def test_bare_url_with_query_counts_by_path():
    assert image_links("https://h.test/x.png?size=2") == ["https://h.test/x.png?size=2"]


def test_bare_non_image_url_is_not_an_image():
    assert image_links("Read https://h.test/article and https://h.test/png") == []


@pytest.mark.parametrize(
    "text",
    [
        "![x](javascript:alert(1))",
        "![x](file:///etc/passwd)",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "![x](JavaScript:alert(1))",
        "![x](ftp://h.test/a.png)",
        "![x](/relative/a.png)",
        "![x](https:///nohost.png)",
        "file:///home/me/a.png data:image/png;base64,AAAA.png javascript:x.png",
    ],
)
def test_unsafe_urls_never_returned(text):
    assert image_links(text) == []


def test_duplicates_removed_order_kept():
    text = (
        f"![one]({STORAGE}) then https://h.test/b.png and again ![dup]({STORAGE}) "
        "and https://h.test/b.png"
    )
    assert image_links(text) == [STORAGE, "https://h.test/b.png"]


def test_markdown_image_url_not_repeated_as_bare_url():
    assert image_links("![p](https://h.test/p.png)") == ["https://h.test/p.png"]


def test_no_links():
    assert image_links("") == []
    assert image_links("just words, [a link](https://h.test/page)") == []


@pytest.mark.parametrize(
    "url",
    ["https://api.asi1.ai/v1", "http://localhost:8080/x", "HTTPS://H.TEST/a", "  https://h.test  ",
     STORAGE],
)
def test_safe_urls(url):
    assert is_safe_url(url)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<b>x</b>", "mailto:a@b.c",
     "ftp://h.test/f", "https:///path", "//h.test/x", "/relative", "", "http://[::1"],
)
def test_unsafe_urls(url):
    assert not is_safe_url(url)
