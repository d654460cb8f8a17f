"""Images in every form agents deliver: agent-storage://, CDN and temporary hosts, data:."""

from __future__ import annotations

import pytest

from app.core.links import image_links, image_refs, image_sources, web_link

STORAGE = "https://agentverse.ai/v1/storage/0b5d6f3e-2a1c-4f7e-9e53-4a1d2f6b8c90"


@pytest.mark.parametrize(("text", "expected"), [
    (f"![image](agent-storage://{STORAGE})", [STORAGE]),
    (f"Done: agent-storage://{STORAGE}.", [STORAGE]),
    ("![x](https://api.asi1.ai/agentverse/production/storage/d48f5af6-622a-4a45-b86c-54981650fd36)",
     ["https://api.asi1.ai/agentverse/production/storage/d48f5af6-622a-4a45-b86c-54981650fd36"]),
    ("see https://res.cloudinary.com/fetch-ai/image/upload/v1712/monkey", [
        "https://res.cloudinary.com/fetch-ai/image/upload/v1712/monkey"]),
    ("https://tmpfiles.org/dl/123456/monkey.png", ["https://tmpfiles.org/dl/123456/monkey.png"]),
    (f"bare {STORAGE}", [STORAGE]),
    ("a page https://example.com/about is not an image", []),
    ("agent-storage://javascript:alert(1)", []),
])
def test_image_links_in_every_form(text: str, expected: list[str]) -> None:
    assert image_links(text) == expected


def test_data_images_and_agent_storage_together() -> None:
    text = f"![a](data:image/png;base64,iVBORw0KGgo=) and ![b](agent-storage://{STORAGE})"
    assert image_sources(text) == ["data:image/png;base64,iVBORw0KGgo=", STORAGE]
    assert image_refs(text)[0] == STORAGE and image_refs(text)[1].startswith("data:image/png;sha256,")


def test_web_link_strips_only_the_prefix() -> None:
    assert web_link(f"agent-storage://{STORAGE}") == STORAGE
    assert web_link(STORAGE) == STORAGE
