"""Resident memory of a 49-megapixel image in the viewer, held whole vs scaled to the screen.

Each case runs in its own process: a textual-image half-cell widget shows the image in a
160×48 headless app, then the terminal is resized once. Prints VmRSS after showing, after
the resize, and the peak (ru_maxrss, which includes the one-off decode).

    .venv/bin/python benchmarks/big_image_memory.py
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
from pathlib import Path

IMAGE = Path("/tmp/asi-chat-bench-49mp.png")


def vm_rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


async def show(scaled: bool) -> None:
    from textual.app import App

    from app.ui import image_renderer

    image_renderer._cell_size_known_or_default()
    previews = image_renderer.ImagePreviews("halfcell")
    widget_class = image_renderer.widget_class("halfcell")
    source = image_renderer.thumbnail(IMAGE, previews.screen_box(160, 48)) if scaled else IMAGE

    class Viewer(App):
        def compose(self):
            yield widget_class(source)

    async with Viewer().run_test(size=(160, 48)) as pilot:
        await pilot.pause(1.0)
        shown = vm_rss_mb()
        await pilot.resize_terminal(120, 40)
        await pilot.pause(1.0)
        resized = vm_rss_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{'scaled' if scaled else 'whole':>7}: shown {shown} MB, after a resize {resized} MB, peak {peak} MB")


def main() -> None:
    if len(sys.argv) > 1:
        asyncio.run(show(sys.argv[1] == "scaled"))
        return
    if not IMAGE.exists():
        from PIL import Image

        Image.effect_noise((7000, 7000), 64).convert("RGB").save(IMAGE, compress_level=1)
    for case in ("whole", "scaled"):
        subprocess.run([sys.executable, __file__, case], check=True, cwd=Path(__file__).parent.parent)


if __name__ == "__main__":
    main()
