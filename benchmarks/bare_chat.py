"""The baseline of the real-terminal benchmarks: a bare Textual chat doing the same visible job.

    python benchmarks/bare_chat.py BASE_URL API_KEY

A header, a list of 100 conversations, a scrolling Markdown document and an Input. On
Enter it posts the Input's text to the simulator (`BASE_URL/chat/completions`, streamed)
with httpx and writes each content delta into Textual's own `MarkdownStream`, following
the end of the document: nothing else (no store, no reasoning pane, no pacing). What any
Textual app pays for the job; `terminal.py` times `asi-chat` against it.
"""

from __future__ import annotations

import json
import sys

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Markdown, OptionList

PLACEHOLDER = "Message the bare app"


class BareChat(App[None]):
    """Header | list of conversations | Markdown reply | Input."""

    CSS = """
    OptionList { width: 32; }
    #reply { width: 1fr; }
    """

    def __init__(self, base_url: str, api_key: str) -> None:
        super().__init__()
        self.base_url, self.api_key = base_url, api_key

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield OptionList(*(f"conversation {i}\nasi1-mini · 2 h" for i in range(100)))
            with VerticalScroll(id="reply"):
                yield Markdown()
        yield Input(placeholder=PLACEHOLDER)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        prompt, event.input.value = event.value, ""
        self.query_one("#reply", VerticalScroll).anchor()
        self.stream_reply(prompt)

    @work(exclusive=True)
    async def stream_reply(self, prompt: str) -> None:
        import httpx

        markdown = self.query_one(Markdown)
        await markdown.update("")
        stream = Markdown.get_stream(markdown)
        body = {"model": "asi1-mini", "stream": True, "messages": [{"role": "user", "content": prompt}]}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        try:
            async with httpx.AsyncClient(timeout=60) as client, client.stream(
                    "POST", f"{self.base_url}/chat/completions", json=body, headers=headers) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    for choice in json.loads(line[6:]).get("choices") or []:
                        if text := (choice.get("delta") or {}).get("content"):
                            await stream.write(text)
        finally:
            await stream.stop()


if __name__ == "__main__":
    BareChat(sys.argv[1], sys.argv[2]).run()
