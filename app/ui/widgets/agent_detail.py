"""The agent browser's detail pane: who the agent is, and its readme as Markdown."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Markdown, Static

from app.core.agents.records import AgentInsights, AgentListing
from app.ui.links import open_link


def trust_line(listing: AgentListing, insights: AgentInsights | None = None) -> str:
    """What speaks for the agent: rating, uses (recent ones), recent success; ASI:One's own
    counts when its insights answered. '' when nothing is known."""
    parts = []
    if listing.rating is not None:
        parts.append(f"★ {listing.rating:.1f}")
    if listing.total_interactions:
        recent = f" ({listing.recent_interactions:,} in 90 days)" if listing.recent_interactions else ""
        parts.append(f"{listing.total_interactions:,} uses{recent}")
    if listing.recent_success_rate is not None:
        parts.append(f"{listing.recent_success_rate * 100:.0f}% recent success")
    line = " · ".join(parts)
    if listing.handle:  # a line of its own from the start: the readme below does not move when it fills
        if insights is not None and insights.interactions is not None:
            successes = f", {insights.successes:,} successful" if insights.successes is not None else ""
            asi1 = f"via ASI:One: {insights.interactions:,} interactions{successes}"
        else:
            asi1 = "via ASI:One: –"
        line += ("\n" if line else "") + asi1
    return line


def detail_header(listing: AgentListing, insights: AgentInsights | None = None) -> Content:
    """Name, handle, trust signals, address and description, as plain text (never markup)."""
    parts: list = [(listing.name, "bold")]
    if listing.shown_handle:
        parts += ["  ", (listing.shown_handle, "$text-accent")]
    if listing.featured:
        parts += ["  ", ("featured", "italic")]
    if trust := trust_line(listing, insights):
        parts += ["\n", trust]
    if listing.category:
        parts += ["\n", (listing.category, "dim")]
    if listing.address:
        parts += ["\n", (listing.address, "dim")]
    if listing.description:
        parts += ["\n\n", listing.description]
    return Content.assemble(*parts)


class AgentDetail(VerticalScroll):
    """Shows one listing; the readme (sanitised Markdown) is parsed as Markdown, not markup.

    A readme is a stranger's text: its links open only through the app's one opener
    (http(s) only, once, not without a graphical browser), never by Markdown itself.
    """

    DEFAULT_CSS = """
    AgentDetail {
        padding: 0 1;
        & > #agent-header { margin-bottom: 1; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="agent-header", markup=False)
        # open_links=False: Markdown's own handler would call App.open_url with any scheme
        # (smb://, vscode://…), before and besides the checked opener below.
        yield Markdown(id="agent-readme", open_links=False)

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()  # handled here, so nothing further up opens it a second time
        open_link(self.app, event.href)

    def show_insights(self, listing: AgentListing, insights: AgentInsights | None) -> None:
        """ASI:One's own figures for the agent shown, once they came."""
        self.query_one("#agent-header", Static).update(detail_header(listing, insights))

    async def show(self, listing: AgentListing | None) -> None:
        """Show `listing` (None clears the pane)."""
        header = self.query_one("#agent-header", Static)
        readme = self.query_one("#agent-readme", Markdown)
        if listing is None:
            header.update("")
            await readme.update("")
            return
        header.update(detail_header(listing))
        await readme.update(listing.readme or "*No readme.*")
        self.scroll_home(animate=False)
