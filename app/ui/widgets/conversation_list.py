"""The left pane: every conversation, newest first, loaded a page at a time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.css.styles import RulesMap
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from app.core.errors import StoreError
from app.core.records import ConversationSummary
from app.core.sanitize import clean
from app.core.store import Store
from app.ui.relative_time import relative_time

WAITING_BADGE = "⏳"
UNTITLED = "(untitled)"
_FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


def conversation_prompt(summary: ConversationSummary, now: float) -> Content:
    """The two-line option for a conversation: title (with badge), then "model · age".

    Built as Content from plain strings, so a title like "[@click=app.quit]" is
    shown as typed and never parsed as markup.
    """
    # Titles are user text (and imports may hold anything): one line, no control codes.
    title = " ".join(clean(summary.title or "").split())
    badge = (f"{WAITING_BADGE} ", "") if summary.waiting else ""
    heading = (title, "bold") if title else (UNTITLED, "italic dim")
    details = f"{clean(summary.model)} · {relative_time(summary.updated_at, now)}"
    return Content.assemble(badge, heading, "\n", (details, "dim"))


class ConversationPrompt(Visual):
    """`conversation_prompt`, built when first drawn: the End key adds thousands of options
    at once, and only the few on screen are ever drawn."""

    def __init__(self, summary: ConversationSummary, now: float) -> None:
        self._summary = summary
        self._now = now
        self._content: Content | None = None

    @property
    def content(self) -> Content:
        if self._content is None:
            self._content = conversation_prompt(self._summary, self._now)
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
        # Two single-line rows (styles/sidebar.tcss: nowrap); OptionList asks this of every option.
        return 2


class ConversationList(OptionList):
    """Conversations from a `Store`, newest first, or the matches of a search.

    Only the first page is read on `reload()`; further pages are read when the
    highlight (or the scroll position) nears the end of what is loaded, so the
    list opens instantly however long the history is. Call `set_filter` to show
    search results instead. Store errors are shown as a notification, never raised.

    Fills itself when mounted. Option ids are the conversation ids as strings.
    """

    BORDER_TITLE = "Conversations"

    BINDINGS: ClassVar[list[BindingType]] = [
        # End means the end of the whole history, not of the pages read so far.
        Binding("end,ctrl+end", "oldest", "Oldest conversation", show=False),
    ]

    #: Read the next page when the highlight is this close to the end of the loaded options.
    LOAD_AHEAD = 10

    class Opened(Message):
        """The user chose a conversation (Enter or click)."""

        def __init__(self, conversation_list: ConversationList, conversation_id: int) -> None:
            super().__init__()
            self.conversation_list = conversation_list
            self.conversation_id = conversation_id
            """The id of the conversation to open."""

        @property
        def control(self) -> ConversationList:
            """The list that sent the message (for `@on(..., selector)`)."""
            return self.conversation_list

    def __init__(
        self,
        store: Store,
        *,
        page_size: int = 100,
        now: Callable[[], float] = time.time,
        id: str | None = None,
        name: str | None = None,
        classes: str | None = None,
    ) -> None:
        """
        Args:
            store: The history to list.
            page_size: How many conversations to read at a time.
            now: The clock for the relative times (fixed in tests).
            id: The ID of the widget in the DOM.
            name: The name of the widget.
            classes: Initial CSS classes.
        """
        super().__init__(id=id, name=name, classes=classes, markup=False)
        self._store = store
        self._page_size = max(1, page_size)
        self._now = now
        self._query = ""
        self._summaries: dict[int, ConversationSummary] = {}
        self._offset = 0  # rows of the paged list read so far (its OFFSET, duplicates included)
        self._total = 0
        self._exhausted = True
        self._loading = False
        self._search_worker: Worker[list[ConversationSummary]] | None = None
        self._select_after_search: int | None = None
        self._rest_worker: Worker[tuple[list[ConversationSummary], list[Option]]] | None = None

    # -- public API --------------------------------------------------------------

    @property
    def filter_query(self) -> str:
        """The search being shown (stripped), or '' for the plain list."""
        return self._query

    @property
    def highlighted_conversation_id(self) -> int | None:
        """The id of the highlighted conversation, if any."""
        option = self.highlighted_option
        return None if option is None or option.id is None else int(option.id)

    def conversation_ids(self) -> list[int]:
        """The ids of the loaded conversations, in display order."""
        return [int(option.id) for option in self.options if option.id is not None]

    def select_conversation(self, conversation_id: int) -> bool:
        """Highlight the conversation if it is loaded; True if it was."""
        index = self._index_of(conversation_id)
        if index is not None:
            self.highlighted = index
        return index is not None

    def reload(self, select: int | None = None) -> None:
        """Re-read the list (or re-run the current search), keeping the highlight.

        The highlight goes to `select`, else stays on the conversation highlighted
        now, else keeps its position. The plain list re-reads whole pages down to
        where that conversation is now, so a highlight deep in it is not lost, but
        a reload near the top costs one page however far the list was scrolled.
        """
        target = self.highlighted_conversation_id if select is None else select
        if self._query:
            self._select_after_search = target
            self._start_search()
            return
        index = self._index_of(target)
        depth = 0 if index is None else index + 1 + self.LOAD_AHEAD
        limit = self._page_size * max(1, -(-depth // self._page_size))
        try:
            total = self._store.count_conversations()
            rows = self._store.list_conversations(limit, 0)
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            return
        self._total, self._offset, self._exhausted = total, len(rows), len(rows) < limit
        self._rest_worker = None  # a read of "the rest" started before this is stale
        self._show(rows, target, fallback=self.highlighted or 0)

    def set_filter(self, query: str) -> None:
        """Show conversations matching `query`; '' (or blanks) shows the plain list again.

        Meant to be called on every keystroke: the search runs in a thread and only
        the latest query's result is shown.
        """
        query = query.strip()
        if query == self._query:
            return
        self._query = query
        self._select_after_search = None
        if not query:
            self._cancel_search()
            self.reload()
        else:
            self._start_search()
        self._update_titles()

    def mark_waiting(self, conversation_id: int, waiting: bool) -> None:
        """Show or hide the waiting badge of a loaded conversation (no reload)."""
        summary = self._summaries.get(conversation_id)
        if summary is None or summary.waiting == waiting:
            return
        self._summaries[conversation_id] = summary = replace(summary, waiting=waiting)
        self.replace_option_prompt(str(conversation_id), ConversationPrompt(summary, self._now()))

    # -- loading -----------------------------------------------------------------

    def _on_mount(self) -> None:
        self.reload()

    def _index_of(self, conversation_id: int | None) -> int | None:
        if conversation_id is None or conversation_id not in self._summaries:
            return None
        return self.get_option_index(str(conversation_id))

    def _options_for(self, summaries: Iterable[ConversationSummary]) -> list[Option]:
        now = self._now()
        return [Option(ConversationPrompt(s, now), id=str(s.id)) for s in summaries]

    def _show(self, rows: list[ConversationSummary], target: int | None, fallback: int) -> None:
        """Replace the options with `rows`, highlighting `target` or the `fallback` index."""
        self._summaries = {row.id: row for row in rows}
        self.set_options(self._options_for(self._summaries.values()))
        if self._summaries:
            index = self._index_of(target)
            self.highlighted = min(fallback, self.option_count - 1) if index is None else index
        self._update_titles()

    def _load_more(self) -> None:
        """Append the next page of the plain list, if there is one."""
        # Adding options rescrolls, which calls back in here: one page at a time.
        if self._query or self._exhausted or not self._summaries or self._loading:
            return
        try:
            rows = self._store.list_conversations(self._page_size, self._offset)
        except StoreError as exc:
            self._exhausted = True  # don't retry on every keypress; reload() resets
            self.notify(str(exc), severity="error")
            return
        self._loading = True
        try:
            self._append(rows)
        finally:
            self._loading = False

    def _append(self, rows: list[ConversationSummary], options: list[Option] | None = None) -> None:
        self._offset += len(rows)
        self._exhausted = len(rows) < self._page_size
        # A conversation touched since the first page shifts the OFFSET by one;
        # skip the row that shift repeats rather than show it twice.
        pairs = zip(rows, options if options is not None else self._options_for(rows))
        fresh = [(row, option) for row, option in pairs if row.id not in self._summaries]
        self._summaries.update((row.id, row) for row, _ in fresh)
        self.add_options([option for _, option in fresh])
        self._update_titles()

    def action_oldest(self) -> None:
        """End: the oldest conversation of all, not the last of the pages read so far.

        Reads the rest of the list in one go in a thread, adds it at once and highlights
        the last (10,000 conversations would otherwise take 100 pages).
        """
        self.action_last()
        if self._query or self._exhausted or self._rest_worker is not None:
            return
        offset = self._offset

        def read() -> tuple[list[ConversationSummary], list[Option]]:
            rows = self._read(lambda: self._store.list_conversations(-1, offset))
            return rows, self._options_for(rows)  # plain objects: built off the UI thread too

        self._rest_worker = self.run_worker(read, name="rest of the list", group="conversation-rest",
                                            description=str(offset), thread=True, exit_on_error=False)

    def _read(self, query: Callable[[], list[ConversationSummary]]) -> list[ConversationSummary]:
        try:
            return query()
        finally:
            # Each worker thread is used once: close its connection now, not at GC.
            self._store.close()

    def _rest_done(self, worker: Worker[tuple[list[ConversationSummary], list[Option]]]) -> None:
        self._rest_worker = None
        if worker.state != WorkerState.SUCCESS:
            if worker.error is not None:
                self.notify(str(worker.error), severity="error")
            return
        if self._query or worker.description != str(self._offset):
            return  # a search or a reload came in between
        rows, options = worker.result
        self._append(rows, options)
        self._exhausted = True
        self._update_titles()
        self.highlighted = self.option_count - 1

    def _near_end(self, index: int) -> bool:
        return index >= self.option_count - self.LOAD_AHEAD

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if highlighted is not None and self._near_end(highlighted):
            self._load_more()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # The mouse wheel and scrollbar move the view without the highlight:
        # load ahead when the last visible option nears the end too.
        lines = self._lines
        bottom = min(int(new_value) + self.scrollable_content_region.height, len(lines)) - 1
        if bottom >= 0 and self._near_end(lines[bottom][0]):
            self._load_more()

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Translated rather than passed on: the app only needs to know what to open.
        event.stop()
        if event.option_id is not None:
            self.post_message(self.Opened(self, int(event.option_id)))

    # -- searching ---------------------------------------------------------------

    def _start_search(self) -> None:
        query = self._query
        self._search_worker = self.run_worker(
            lambda: self._read(lambda: self._store.search_conversations(query)), name="conversation search", group="conversation-search",
            description=query, thread=True, exclusive=True, exit_on_error=False)
        self._update_titles()

    def _cancel_search(self) -> None:
        self._search_worker = None
        self.workers.cancel_group(self, "conversation-search")

    @on(Worker.StateChanged)
    def _search_done(self, event: Worker.StateChanged) -> None:
        if event.state not in _FINISHED:
            return
        if event.worker is self._rest_worker:
            self._rest_done(event.worker)
            return
        # An older search finishing late is ignored: only the latest one is shown.
        if event.worker is not self._search_worker:
            return
        self._search_worker = None
        if event.state == WorkerState.SUCCESS:
            target = self._select_after_search
            if target is None:
                target = self.highlighted_conversation_id
            self._show(event.worker.result or [], target, fallback=0)
        else:
            error = event.worker.error
            if error is not None:
                self.notify(f"Search failed: {error}", severity="error")
            self._update_titles()

    # -- titles ------------------------------------------------------------------

    def _update_titles(self) -> None:
        # Content(...) is plain text: the query is user text and must not be markup.
        if self._query:
            self.border_title = Content(f"Conversations · matching '{self._query}'")
            if self._search_worker is not None:
                subtitle = "searching…"
            else:
                found = len(self._summaries)
                subtitle = f"{found} found" if found else "no matches"
        else:
            self.border_title = self.BORDER_TITLE
            loaded = len(self._summaries)
            if not self._exhausted:
                subtitle = f"{loaded:,} of {self._total:,}"
            else:
                subtitle = f"{loaded:,} conversation{'' if loaded == 1 else 's'}"
        self.border_subtitle = Content(subtitle)
