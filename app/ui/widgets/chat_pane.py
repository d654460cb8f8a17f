"""The conversation: messages oldest to newest, paged in from the top as you scroll."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message as TextualMessage
from textual.widget import Widget

from app.core.store.records import Message, Role
from app.ui.input_activity import InputActivity
from app.ui.keys import CHAT, bindings
from app.ui.textual_tuning.screen import release_widgets
from app.ui.widgets.agent_wait_card import AgentWaitCard
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.message_view import MessageView
from app.ui.widgets.welcome import Welcome

LoadOlder = Callable[[int], list[Message]]
"""Given the oldest shown message id, the page before it (oldest first; [] when none)."""
BranchMarks = Callable[[list[Message]], dict[int, tuple[int, int]]]
"""For messages with siblings among those given, (position, count): shown as `n/m`."""
WaitLabels = Callable[[list[Message]], dict[int, str]]
"""Who the acknowledgements among some messages handed their task to, by message id."""

LOAD_MARGIN = 2
"""Scrolling within this many lines of the top loads the previous page."""


class ChatPane(VerticalScroll):
    """Shows one conversation and follows new text while the user is at the bottom.

    Following uses Textual's anchoring: the pane is anchored, any user scroll
    releases the anchor, and scrolling back to the end re-attaches it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "focus_message(-1)", "Previous message", show=False),
        Binding("down,j", "focus_message(1)", "Next message", show=False),
        # e, r, ←, →, c; n / N (search hits: here only, so typing n in the composer stays an n).
        *bindings(CHAT),
    ]

    class MessageAction(TextualMessage):
        """A key asked something of the selected message: edit, regenerate, branch_back/next."""

        def __init__(self, action: str, view: MessageView) -> None:
            super().__init__()
            self.action = action
            self.view = view

    def __init__(self, *, clock: Callable[[], float] = time.time, activity: InputActivity | None = None,
                 welcome: bool = False, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """
        Args:
            clock: Current time for wait cards' clocks; tests pass a fixed one.
            activity: The user's typing, which paces streaming replies (see `MessageView`).
            welcome: Start with the welcome text (as `show_welcome`, composed with the pane:
                in the app's first frame).
        """
        super().__init__(name=name, id=id, classes=classes)
        self._welcome_first = welcome
        self._clock = clock
        self._activity = activity
        self._load_older: LoadOlder | None = None
        self._marks: BranchMarks | None = None
        self._agents: WaitLabels | None = None
        self._loading = False
        self._wait: AgentWaitCard | None = None

    def compose(self) -> ComposeResult:
        if self._welcome_first:
            yield Welcome(demo=getattr(self.app, "demo", False))

    def on_mount(self) -> None:
        if not self._welcome_first:
            self.anchor()  # follow the output from the end (the welcome text reads from the top)

    # -- whole-pane content ----------------------------------------------------

    async def _reset(self) -> None:
        self._load_older = None
        self._wait = None
        views = self.message_views()
        await self.remove_children()
        release_widgets(views)

    async def show_conversation(self, messages: list[Message], *, load_older: LoadOlder | None = None,
                                marks: BranchMarks | None = None, agents: WaitLabels | None = None) -> None:
        """Show `messages` (the newest page, oldest first) scrolled to the end.

        Args:
            messages: The messages to show.
            load_older: Called with the oldest shown id when the user reaches the top.
            marks: For messages with siblings, (position, count): shown as `n/m` (on every page).
            agents: Names who each acknowledgement (of every page) handed its task to.
        """
        await self._reset()
        self._marks, self._agents = marks, agents
        with self.app.batch_update():
            await self.mount_all(self._views(messages))
        self.anchor()  # follow the output from the end
        self._load_older = load_older
        # A short page may not fill the pane, and then the user cannot scroll up to ask for more.
        self.call_after_refresh(self._check_top)

    def _views(self, messages: list[Message]) -> list[MessageView]:
        """Views of stored messages, with their branch marks and the agents they wait for."""
        branches = self._marks(messages) if self._marks is not None else {}
        names = self._agents(messages) if self._agents is not None else {}
        return [MessageView(message, branch=branches.get(message.id), agents=names.get(message.id))
                for message in messages]

    async def show_welcome(self) -> None:
        """Clear the pane and show the welcome text."""
        await self._reset()
        # The welcome text reads from the top. (An anchored pane whose content is
        # shorter than itself has a negative scroll_y; un-anchoring keeps it.)
        self.anchor(False)
        self.scroll_target_y = self.scroll_y = 0
        await self.mount(Welcome(demo=getattr(self.app, "demo", False)))

    # -- appending ---------------------------------------------------------------

    async def _append(self, widget: Widget) -> None:
        await self.query_children(Welcome).remove()
        if self._wait is not None and widget is not self._wait:
            # The wait card stays last: it is about the newest reply.
            await self.mount(widget, before=self._wait)
        else:
            await self.mount(widget)

    async def add_user_message(self, text: str, message_id: int | None = None) -> MessageView:
        """Append the user's message and jump to the end (they just sent it)."""
        view = MessageView(role=Role.USER, content=text, message_id=message_id)
        await self._append(view)
        self.anchor()  # they just sent it: follow the reply
        return view

    async def add_reply(self, model: str) -> MessageView:
        """Append an empty assistant message in streaming state."""
        view = MessageView(role=Role.ASSISTANT, model=model, activity=self._activity)
        await self._append(view)
        return view

    @property
    def wait_card(self) -> AgentWaitCard | None:
        """The waiting-for-agent card shown at the bottom, if any."""
        return self._wait

    async def show_wait(self, acknowledgement: str, *, attempt: int, attempts: int,
                        started_at: float, last_error: str | None = None,
                        agent: str | None = None) -> AgentWaitCard:
        """Show the waiting-for-agent card at the bottom (naming `agent` when known), or
        update the one shown."""
        card = self._wait
        if card is None or card.started_at != started_at:
            await self.clear_wait()
            card = AgentWaitCard(acknowledgement, attempt=attempt, attempts=attempts,
                                 started_at=started_at, clock=self._clock, agent=agent)
            card.update_progress(attempt, attempts, last_error)
            self._wait = card
            await self._append(card)
        else:
            card.acknowledgement = acknowledgement
            if agent and agent != card.agent:
                card.set_agent(agent)
            card.update_progress(attempt, attempts, last_error)
        return card

    async def clear_wait(self) -> None:
        """Remove the waiting-for-agent card, if any."""
        card, self._wait = self._wait, None
        if card is not None:
            await card.remove()

    def set_branches(self, branches: dict[int, tuple[int, int]]) -> None:
        """Update the `n/m` branch marks of the messages shown."""
        for view in self.message_views():
            if view.message_id is not None:
                view.set_branch(branches.get(view.message_id))

    # -- queries -------------------------------------------------------------------

    def message_views(self) -> list[MessageView]:
        """The message views shown, oldest first."""
        return [child for child in self.children if isinstance(child, MessageView)]

    def latest_image_url(self) -> str | None:
        """The URL of the newest image card in the pane."""
        for view in reversed(self.message_views()):
            if urls := view.image_urls:
                return urls[-1]
        return None

    def view_of(self, message_id: int) -> MessageView | None:
        """The shown view of the stored message `message_id`, if it is loaded."""
        return next((view for view in self.message_views() if view.message_id == message_id), None)

    async def reveal(self, message_id: int) -> MessageView | None:
        """Scroll to the stored message `message_id`, focus it and mark it (`-search-hit`),
        loading older pages until it is in; None if it is not in this conversation."""
        while (view := self.view_of(message_id)) is None:
            views = self.message_views()
            if self._load_older is None or not views or views[0].message_id is None:
                return None
            older = self._load_older(views[0].message_id)
            if not older:
                self._load_older = None
                return None
            with self.app.batch_update():
                await self.mount_all([MessageView(message) for message in older], before=views[0])
        for marked in self.query_children(".-search-hit"):
            marked.remove_class("-search-hit")
        view.add_class("-search-hit")
        self.release_anchor()  # stay on the hit, not the end
        view.focus(scroll_visible=False)
        self.call_after_refresh(self.scroll_to_widget, view, animate=False, top=True)
        return view

    # -- keyboard ------------------------------------------------------------------

    def _focused_index(self, views: list[MessageView]) -> int | None:
        focused = self.screen.focused
        for node in focused.ancestors_with_self if focused is not None else ():
            if isinstance(node, MessageView) and node in views:
                return views.index(node)
        return None

    def action_on_message(self, action: str) -> None:
        """Ask the app to act on the selected message."""
        views = self.message_views()
        index = self._focused_index(views)
        if index is not None:
            self.post_message(self.MessageAction(action, views[index]))

    def action_focus_message(self, step: int) -> None:
        """Move focus to the previous (-1) or next (1) message."""
        views = self.message_views()
        if not views:
            self.scroll_relative(y=step, animate=False)
            return
        index = self._focused_index(views)
        if index is None:
            # From the pane itself: start at the newest message.
            target = len(views) - 1
        else:
            target = max(0, min(len(views) - 1, index + step))
        views[target].focus()

    def action_copy_selected_image(self) -> None:
        """`c` on a selected message: copy its (last) image link, as `c` on its card does."""
        views = self.message_views()
        index = self._focused_index(views)
        if index is None:
            return
        urls = views[index].image_urls
        if urls:
            self.post_message(ImageCard.CopyRequested(urls[-1]))
        else:
            self.notify("This message has no image link.", markup=False)

    # -- paging older messages ---------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        following = self.is_anchored and not self._anchor_released  # the user has not scrolled away
        if not following and new_value < self.max_scroll_y:
            # The user scrolls back: what a streamed reply parked above the end is drawn again.
            for view in self.message_views():
                view.unpark()
        if new_value <= LOAD_MARGIN and self._load_older is not None and not self._loading:
            self.call_later(self._load_previous_page)

    def _check_top(self) -> None:
        if self.scroll_y <= LOAD_MARGIN and self._load_older is not None and not self._loading:
            self.call_later(self._load_previous_page)

    async def _load_previous_page(self) -> None:
        """Mount the page before the oldest shown message without moving the view."""
        views = self.message_views()
        if self._loading or self._load_older is None or not views or views[0].message_id is None:
            return
        first = views[0]
        older = self._load_older(first.message_id)
        if not older:
            self._load_older = None
            return
        self._loading = True
        # Keep the old first message where it is on screen.
        offset = first.virtual_region.y - self.scroll_y
        with self.app.batch_update():
            await self.mount_all(self._views(older), before=first)
        # New heights are known after the next layout. (Awaiting that here would
        # deadlock: the callback is delivered through this widget's own queue.)
        self.call_after_refresh(self._restore_position, first, offset)

    def _restore_position(self, first: MessageView, offset: int) -> None:
        self.scroll_to(y=first.virtual_region.y - offset, animate=False, immediate=True)
        self._loading = False
        self._check_top()
