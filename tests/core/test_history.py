"""The history sent to the API: stored dialogue only, trimmed to the model's window."""

from dataclasses import dataclass

from app.core.history import build_history, context_usage, estimate_tokens, trim_to_window


@dataclass
class M:
    role: str
    content: str
    status: str = "complete"


def test_failed_and_empty_replies_are_not_sent() -> None:
    stored = [M("user", "hi"), M("assistant", "", "error"), M("user", "again"),
              M("assistant", "partial", "interrupted"), M("assistant", "boom", "error"),
              M("assistant", "I've sent the message", "awaiting-agent")]
    assert build_history(stored, "asi1-agentic") == [
        {"role": "user", "content": "hi"},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": "partial"},
        {"role": "assistant", "content": "I've sent the message"},
    ]


def test_trimming_drops_oldest_first_and_keeps_system() -> None:
    big = "word " * 6000  # ~10k estimated tokens each
    messages = [{"role": "system", "content": "be brief"}] + [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"{i} {big}"} for i in range(6)
    ]
    kept = trim_to_window(messages, "asi1-fast-agentic")  # 24K window
    assert kept[0] == {"role": "system", "content": "be brief"}
    assert [m["content"].split()[0] for m in kept[1:]] == ["4", "5"]
    assert sum(estimate_tokens(m["content"]) for m in kept) <= 24_000
    wider = trim_to_window(messages, "asi1-extended-agentic")  # 64K window keeps more
    assert len(wider) > len(kept)


def test_newest_message_is_kept_even_when_alone_too_long() -> None:
    huge = [{"role": "user", "content": "x" * 500_000}]
    assert trim_to_window(huge, "asi1-agentic") == huge


def test_context_usage_reports_window() -> None:
    used, window = context_usage([M("user", "hello there")], "asi1-agentic")
    assert window == 32_000 and 0 < used < 100
