"""The left pane: every conversation, newest first, loaded a page at a time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from app.core.errors import StoreError
from app.core.store.records import ConversationSummary
from app.core.store.search import MessageHit, best_message_hits
from app.core.store.store import Store, message_query
from app.ui.widgets.conversation_prompt import ConversationPrompt

_FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


class ConversationList(OptionList):
    """Conversations from a `Store`, newest first, or the matches of a search.

    Only the first page is read on `reload()`; further pages are read when the highlight (or
    the scroll position) nears the end of what is loaded, so the list opens instantly however
    long the history is; End shows the oldest at once (`action_oldest`). Call `set_filter` to
    show search results instead. Store errors are shown as a notification, never raised.
    Fills itself when mounted; option ids are the conversation ids as strings.
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

        def __init__(self, conversation_list: ConversationList, conversation_id: int,
                      hit: MessageHit | None = None, query: str = "") -> None:
            super().__init__()
            self.conversation_list = conversation_list
            self.conversation_id = conversation_id
            """The id of the conversation to open."""
            self.hit = hit
            """Opened from search results: the matching message shown under it (else None)."""
            self.query = query
            """The search shown when it was opened ('' for the plain list)."""

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
            id, name, classes: As for any widget.
        """
        super().__init__(id=id, name=name, classes=classes, markup=False)
        self._store = store
        self._page_size = max(1, page_size)
        self._now = now
        self._query = ""
        self._summaries: dict[int, ConversationSummary] = {}
        self._hits: dict[int, MessageHit] = {}  # a search's best message per conversation
        self._marks: dict[int, dict] = {}  # who is waited for, and agents' answers not seen yet
        self._offset = 0  # rows of the paged list read so far (its OFFSET, duplicates included)
        self._total = 0
        self._exhausted = True
        self._loading = False
        self._search_worker: Worker[tuple[list[ConversationSummary], dict[int, MessageHit]]] | None = None
        self._select_after_search: int | None = None
        self._rest_worker: Worker[tuple[list[ConversationSummary], list[Option]]] | None = None
        self._gap: Option | None = None  # End's "loading" row, above the last page, while the rest is read

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

        The highlight goes to `select`, else stays on the conversation highlighted now, else
        keeps its position. The plain list re-reads whole pages down to where that conversation
        is now, so a highlight deep in it is not lost, but one near the top costs one page.
        """
        target = self.highlighted_conversation_id if select is None else select
        if self._query:
            self._select_after_search = target
            self._start_search()
            return
        index = self._index_of(target)
        depth = 0 if index is None else index + 1 + self.LOAD_AHEAD
        # While End fills the list in, the highlight may be anywhere below the pages read: read all.
        limit = -1 if self._gap is not None else self._page_size * max(1, -(-depth // self._page_size))
        try:
            total = self._store.count_conversations()
            rows = self._store.list_conversations(limit, 0)
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            return
        self._total, self._offset, self._exhausted = total, len(rows), limit < 0 or len(rows) < limit
        self._rest_worker = None  # a read of "the rest" started before this is stale
        self._show(rows, target, fallback=self.highlighted or 0)

    def set_filter(self, query: str) -> None:
        """Show conversations matching `query`; '' (or blanks) shows the plain list again.

        Meant to be called on every keystroke: the search runs in a thread and only the
        latest query's result is shown.
        """
        query = query.strip()
        if query == self._query:
            return
        self._query = query
        self._select_after_search = None
        if not query:
            self._cancel_search()
            self._hits = {}
            self.reload()
        else:
            self._start_search()
        self._update_titles()

    def mark_waiting(self, conversation_id: int, waiting: bool, agent: str | None = None) -> None:
        """Show or hide the waiting badge of a loaded conversation (no reload); `agent` names
        who is waited for (kept across reloads while the wait lasts)."""
        if agent and waiting:
            self._marks.setdefault(conversation_id, {})["agent"] = agent
        elif not waiting and conversation_id in self._marks:
            self._marks[conversation_id].pop("agent", None)
        self._remark(conversation_id, waiting=waiting)

    def mark_replied(self, conversation_id: int, replied: bool) -> None:
        """Mark a conversation an agent answered in while it was not open (until it is)."""
        if replied:
            self._marks.setdefault(conversation_id, {})["replied"] = True
        elif conversation_id in self._marks:
            self._marks[conversation_id].pop("replied", None)
        self._remark(conversation_id)

    def _marked(self, summary):
        marks = self._marks.get(summary.id)
        if not marks:
            return summary
        return replace(summary, agent=marks.get("agent"), replied=marks.get("replied", False))

    def _remark(self, conversation_id: int, **changes: object) -> None:
        summary = self._summaries.get(conversation_id)
        if summary is None:
            return
        self._summaries[conversation_id] = summary = self._marked(replace(summary, **changes))
        self.replace_option_prompt(str(conversation_id),
                                   ConversationPrompt(summary, self._now(), self._hits.get(conversation_id)))

    # -- loading -----------------------------------------------------------------

    def on_mount(self) -> None:
        self.reload()

    def _index_of(self, conversation_id: int | None) -> int | None:
        return self.get_option_index(str(conversation_id)) if conversation_id in self._summaries else None

    def _options_for(self, summaries: Iterable[ConversationSummary]) -> list[Option]:
        now = self._now()
        hits = self._hits if self._query else {}
        return [Option(ConversationPrompt(self._marked(s), now, hits.get(s.id)), id=str(s.id)) for s in summaries]

    def _show(self, rows: list[ConversationSummary], target: int | None, fallback: int) -> None:
        """Replace the options with `rows`, highlighting `target` or the `fallback` index."""
        self._summaries, self._gap = {row.id: row for row in rows}, None
        self.set_options(self._options_for(self._summaries.values()))
        if self._summaries:
            index = self._index_of(target)
            self.highlighted = min(fallback, self.option_count - 1) if index is None else index
        self._update_titles()

    def _load_more(self) -> None:
        """Append the next page of the plain list, if there is one."""
        # Adding options rescrolls, which calls back in here: one page at a time.
        if self._query or self._exhausted or not self._summaries or self._loading or self._gap is not None:
            return
        try:
            rows = self._store.list_conversations(self._page_size, self._offset)
        except StoreError as exc:
            self._exhausted = True  # don't retry on every keypress; reload() resets
            self.notify(str(exc), severity="error")
            return
        self._offset, self._exhausted = self._offset + len(rows), len(rows) < self._page_size
        self._loading = True
        try:
            self._append(rows)
        finally:
            self._loading = False

    def _append(self, rows: list[ConversationSummary], gap: Option | None = None) -> None:
        """Add `rows` (under the `gap` row, if any); the caller moves the OFFSET. A conversation touched
        since the first page shifts the OFFSET by one: the row that repeats is skipped, not shown twice."""
        fresh = [row for row in rows if row.id not in self._summaries]
        self._summaries.update((row.id, row) for row in fresh)
        options = self._options_for(fresh)
        self.add_options(options if gap is None else [gap, *options])
        self._update_titles()

    def action_oldest(self) -> None:
        """End: the oldest conversation of all, not the last of the pages read so far.

        The last page is read (~1 ms) and shown at once, the oldest highlighted, under a
        "loading" row for those between, which a thread reads (10,000: ~100 ms) to fill in.
        """
        if self._query or self._exhausted or self._gap is not None:
            self.action_last()
            return
        try:
            self._total = self._store.count_conversations()
            rows = self._store.list_conversations(self._page_size, max(self._offset, self._total - self._page_size))
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            return
        between = self._total - self._offset - len(rows)
        self._gap = Option(Content(f"⋯ loading {between:,} more…"), disabled=True) if between > 0 else None
        if self._gap is None:  # the last page is all there is left
            self._offset, self._exhausted = self._offset + len(rows), True
        else:
            self.call_after_refresh(self._read_gap, self._gap, self._offset)  # the first frame first
        self._append(rows, self._gap)
        self.action_last()

    def _read_gap(self, gap: Option, offset: int) -> None:
        if self._gap is not gap:
            return  # a reload or a search replaced the list before the thread started

        def read() -> tuple[list[ConversationSummary], list[Option]]:
            rows = self._read(lambda: self._store.list_conversations(-1, offset))
            return rows, self._options_for(rows)  # plain objects: built off the UI thread too

        self._rest_worker = self.run_worker(read, name="rest of the list", group="conversation-rest",
                                            thread=True, exit_on_error=False)

    def _read(self, query: Callable[[], list[ConversationSummary]]) -> list[ConversationSummary]:
        try:
            return query()
        finally:
            self._store.close()  # each worker thread is used once: close its connection now, not at GC

    def _rest_done(self, worker: Worker[tuple[list[ConversationSummary], list[Option]]]) -> None:
        """Put the rest of the list in place of the gap row and the last page under it."""
        self._rest_worker, gap, self._gap = None, self._gap, None
        if self._query or gap is None:
            return  # a search came in between (and is shown instead)
        if worker.state != WorkerState.SUCCESS:
            if worker.error is not None:
                self.notify(str(worker.error), severity="error")
            self.reload()  # back to whole pages
            return
        rows, options = worker.result  # read after the last page: its rows and badges are as new
        at = self.options.index(gap)
        kept = {int(option.id) for option in self.options[:at] if option.id is not None}
        rest = [(row, option) for row, option in zip(rows, options) if row.id not in kept]  # see _append
        target, from_end = self.highlighted_conversation_id, self.virtual_size.height - self.scroll_offset.y
        self._summaries = {cid: self._summaries[cid] for cid in kept} | {row.id: row for row, _ in rest}
        self._offset, self._exhausted = self._offset + len(rows), True
        self.set_options([*self.options[:at], *(option for _, option in rest)])
        self.scroll_to(y=self.virtual_size.height - from_end, animate=False, immediate=True)  # the view stays
        index = self._index_of(target)
        self.highlighted = self.option_count - 1 if index is None else index
        self._update_titles()

    def _near_end(self, index: int) -> bool:
        return index >= self.option_count - self.LOAD_AHEAD

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if highlighted is not None and self._near_end(highlighted):
            self._load_more()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # The wheel and scrollbar move the view, not the highlight: load ahead for the last line shown too.
        lines = self._lines
        bottom = min(int(new_value) + self.scrollable_content_region.height, len(lines)) - 1
        if bottom >= 0 and self._near_end(lines[bottom][0]):
            self._load_more()

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Translated rather than passed on: the app only needs to know what to open.
        event.stop()
        if event.option_id is not None:
            cid = int(event.option_id)
            hit = self._hits.get(cid) if self._query else None
            self.post_message(self.Opened(self, cid, hit, self._query))

    # -- searching ---------------------------------------------------------------

    def _start_search(self) -> None:
        query, store = self._query, self._store

        def search() -> tuple[list[ConversationSummary], dict[int, MessageHit]]:
            rows = store.search_conversations(query)
            return rows, best_message_hits(store, query, [row.id for row in rows])

        self._search_worker = self.run_worker(lambda: self._read(search),
                                              name="conversation search", group="conversation-search",
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
            (rows, hits), target = event.worker.result or ([], {}), self._select_after_search
            shown = [self._summaries[cid] for cid in self.conversation_ids()]
            if rows == shown and hits == self._hits and target is None and self._gap is None:
                self._update_titles()  # the matches drawn already (typing on often finds the same): keep them
            else:
                self._hits = hits
                self._show(rows, self.highlighted_conversation_id if target is None else target, 0)
        else:
            if event.worker.error is not None:
                self.notify(f"Search failed: {event.worker.error}", severity="error")
            self._update_titles()

    # -- titles ------------------------------------------------------------------

    def _update_titles(self) -> None:
        # Content(...) is plain text: the query is user text and must not be markup.
        count, query = len(self._summaries), self._query
        self.border_title = Content(f"Conversations · matching '{query}'") if query else self.BORDER_TITLE
        if query and self._search_worker is not None:
            subtitle = "searching…"
        elif query:  # a lone letter is looked up in titles only (Store.search_conversations): say so
            subtitle = (f"{count} found" if count else "no matches") + ("" if message_query(query) else " in titles")
        elif not self._exhausted:
            subtitle = f"{count:,} of {self._total:,}"
        else:
            subtitle = f"{count:,} conversation{'' if count == 1 else 's'}"
        self.border_subtitle = Content(subtitle)
