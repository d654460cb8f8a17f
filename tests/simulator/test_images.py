"""The simulator's test images and the `!sim:image=KIND` directive."""

from __future__ import annotations

import base64

import httpx
import pytest

from app.simulator.images import HUGE_BYTES, IMAGE_PNG, bomb_png

from .wire import post


@pytest.mark.parametrize("kind", ["png", "html", "bomb", "missing", "redirects"])
def test_the_directive_delivers_the_image_at_once(sim, kind: str) -> None:
    content = post(sim, f"draw !sim:image={kind}", stream=False).json()["choices"][0]["message"]["content"]
    assert content == f"Here is your image:\n\n![generated-image]({sim.origin}/sim-images/{kind})"


def test_an_inline_image_carries_the_png_as_base64(sim) -> None:
    content = post(sim, "draw !sim:image=data", stream=False).json()["choices"][0]["message"]["content"]
    payload = content.split("data:image/png;base64,")[1].rstrip(")")
    assert base64.b64decode(payload) == IMAGE_PNG.read_bytes()


def test_the_served_images(sim) -> None:
    png = httpx.get(f"{sim.origin}/sim-images/png")
    assert png.content == IMAGE_PNG.read_bytes() and png.headers["content-type"] == "image/png"
    html = httpx.get(f"{sim.origin}/sim-images/html")
    assert html.headers["content-type"] == "image/png" and html.content.startswith(b"<!doctype html>")
    assert httpx.get(f"{sim.origin}/sim-images/missing").status_code == 404
    bomb = httpx.get(f"{sim.origin}/sim-images/bomb").content
    assert bomb == bomb_png() and len(bomb) < 2000 and bomb[16:24] == (100_000).to_bytes(4, "big") * 2
    assert httpx.get(f"{sim.origin}/sim-images/file-redirect").headers["location"] == "file:///etc/passwd"
    hops = 0
    url = f"{sim.origin}/sim-images/redirects"
    while (response := httpx.get(url)).is_redirect:
        url, hops = f"{sim.origin}{response.headers['location']}", hops + 1
    assert hops == 5 and response.content == IMAGE_PNG.read_bytes()
    with httpx.stream("GET", f"{sim.origin}/sim-images/huge") as huge:
        assert int(huge.headers["content-length"]) == HUGE_BYTES
    assert sim.gets["/sim-images/png"] == 2


def test_the_hanging_image_never_answers(sim) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sim.origin}/sim-images/hang", timeout=httpx.Timeout(0.3))
