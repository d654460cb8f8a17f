"""Shared by the protocol tests: the recorded streams and small helpers."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from app.core.wire.events import ContentDelta, Finish, ReasoningDelta, StreamError
from app.core.wire.protocol import StreamParser, gather

DATA = Path(__file__).resolve().parent.parent / "data"
GOLDEN = (DATA / "asi1-mini-stream-giraffes.sse").read_bytes()
GOLDEN_CRLF = GOLDEN.replace(b"\n", b"\r\n")
NONSTREAM = (DATA / "asi1-mini-nonstream-greeting.json").read_bytes()
DAMAGED = "\u00e2\ufffd\ufffd"


def sse(*payloads: object) -> bytes:
    """One `data:` event per payload (dicts become JSON, strings go as they are)."""
    out = []
    for payload in payloads:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        out.append(f"data: {text}\n\n")
    return "".join(out).encode()


def content(text: str, **extra: object) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}], **extra}


def pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def run(data: bytes | list[bytes]) -> tuple[list, StreamParser]:
    """Feed `data` (whole, or chunk by chunk), then close; all events and the parser."""
    parser = StreamParser()
    events: list = []
    for chunk in [data] if isinstance(data, bytes) else data:
        events += parser.feed(chunk)
    events += parser.close()
    return events, parser


def run_feeds(chunks: list[bytes]) -> tuple[list[list], StreamParser]:
    """Like `run`, but keeps each feed's result apart (the close() result last)."""
    parser = StreamParser()
    results = [parser.feed(chunk) for chunk in chunks]
    results.append(parser.close())
    return results, parser


def summary(events: list) -> tuple:
    c = gather(events)
    return (
        c.reasoning,
        c.content,
        c.usage,
        c.finish_reason,
        sum(isinstance(e, Finish) for e in events),
        [e for e in events if isinstance(e, StreamError)],
    )


def has_controls(text: str) -> bool:
    bidi = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in bidi for ch in text
    )


def texts(events: list) -> list[str]:
    out = []
    for e in events:
        if isinstance(e, (ContentDelta, ReasoningDelta)):
            out.append(e.text)
        elif isinstance(e, StreamError):
            out += [e.message, e.code or ""]
        elif isinstance(e, Finish):
            out.append(e.reason)
    return out


def no_adjacent_same_kind(events: list) -> bool:
    kinds = [type(e) for e in events]
    return not any(
        a is b and a in (ContentDelta, ReasoningDelta) for a, b in zip(kinds, kinds[1:])
    )


