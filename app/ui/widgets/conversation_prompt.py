"""How a conversation looks in the list: title (with a waiting badge), model and age."""

from __future__ import annotations

from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

from app.core.sanitize import clean
from app.core.store.records import ConversationSummary
from app.core.store.search import MessageHit
from app.ui.relative_time import relative_time

WAITING_BADGE = "⏳"
REPLIED_BADGE = "✉"
"""An agent answered while the conversation was not open."""
UNTITLED = "(untitled)"
LEAD_IN = 12
"""Characters of a search snippet kept before its first matched word."""


def conversation_prompt(summary: ConversationSummary, now: float, hit: MessageHit | None = None) -> Content:
    """The two-line option for a conversation: title (with badge), then "model · age"; a
    search adds a third: the matching message's snippet, the matched words highlighted.

    Built as Content from plain strings, so a title like "[@click=app.quit]" is
    shown as typed and never parsed as markup.
    """
    # Titles are user text (and imports may hold anything): one line, no control codes.
    title = " ".join(clean(summary.title or "").split())
    badge = (f"{WAITING_BADGE} ", "") if summary.waiting else ""
    if summary.replied:
        badge = (f"{REPLIED_BADGE} ", "bold")
    agent = (f"{clean(summary.agent)} · ", "italic") if summary.waiting and summary.agent else ""
    heading = (title, "bold") if title else (UNTITLED, "italic dim")
    details = f"{clean(summary.model)} · {relative_time(summary.updated_at, now)}"
    content = Content.assemble(badge, heading, "\n", agent, (details, "dim"))
    if hit is None:
        return content
    # Message text is third-party text: plain strings in Content spans, never markup.
    who = "you: " if hit.role == "user" else ""
    parts = hit.parts()
    if parts and not parts[0][1] and len(parts[0][0]) > LEAD_IN:
        # The list is narrow: start shortly before the first matched word, so it shows.
        parts[0] = ("…" + parts[0][0][-LEAD_IN:].lstrip("…"), False)
    pieces = [(clean(text), "bold reverse" if matched else "italic") for text, matched in parts]
    return Content.assemble(content, "\n", (who, "dim"), *pieces)


class ConversationPrompt(Visual):
    """`conversation_prompt`, built when first drawn: the End key adds thousands of options
    at once, and only the few on screen are ever drawn."""

    def __init__(self, summary: ConversationSummary, now: float, hit: MessageHit | None = None) -> None:
        self._summary, self._now, self._hit = summary, now, hit
        self._content: Content | None = None

    @property
    def content(self) -> Content:
        if self._content is None:
            self._content = conversation_prompt(self._summary, self._now, self._hit)
        return self._content

    @property
    def plain(self) -> str:
        return self.content.plain

    def __str__(self) -> str:
        return self.content.plain

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return self.content.render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        # Single-line rows (styles/sidebar.tcss: nowrap); OptionList asks this of every option.
        return 2 if self._hit is None else 3
