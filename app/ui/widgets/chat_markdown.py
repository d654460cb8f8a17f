"""Markdown for chat replies: drawn exactly like Textual's `Markdown`, with fewer widgets.

Textual mounts one widget per block, and a three-item bullet list costs thirteen
(list, and per item a row, a bullet, a column and a paragraph). Mounting and styling
widgets is most of the cost of showing a long reply, so:

* simple lists (each item one paragraph) are a list widget with one widget per item,
  which draws its own bullet and hanging indent (`Bulleted`);
* a long document puts its blocks, after the first `SECTION_SIZE`, into sections of
  about `SECTION_SIZE` blocks. Appending to the last section then re-arranges that
  section only: the others keep their cached arrangement, so the layout done on
  every streamed flush no longer grows with the length of the reply.

Sections start only at a block with no top margin (a paragraph or a list), where the
vertical layout's margin collapsing has nothing to collapse, so the lines drawn are
the same as without sections.
"""

from __future__ import annotations

from typing import ClassVar

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.events import Mount, Resize
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownBulletList,
    MarkdownFence,
    MarkdownHeader,
    MarkdownList,
    MarkdownListItem,
    MarkdownOrderedList,
    MarkdownParagraph,
)

from app.ui.widgets.bulleted import BULLET_CLASS, ChatListItem

SECTION_SIZE = 24
"""Blocks directly in the document, and then per section."""

class _HeightCache:
    """Mixin for containers of auto-height blocks: their height, cached while unchanged.

    Textual asks a container's height of its arrangement, keyed by the size of the
    container's own container, which grows on every streamed flush: each flush re-arranged
    every section and list of the reply. Their height depends only on the width and on
    their children, and any change of a child bumps `_layout_updates` (Textual does so
    for the ancestors of a widget that needs layout), so that is the key here.
    """

    # Textual walks every descendant to ask this, for each auto-height container, on
    # every layout. Markdown blocks are `height: auto` (or 1): never relative.
    _has_relative_children_height = False

    _height_key: tuple | None = None
    _height: int = 0

    def get_content_height(self, container, viewport, width: int) -> int:
        key = (width, self._layout_updates, self._nodes._updates, self.styles._cache_key)
        if key != self._height_key:
            self._height = super().get_content_height(container, viewport, width)
            self._height_key = key
        return self._height


def _simple(blocks: list[MarkdownBlock]) -> bool:
    """True if every block is a list item holding exactly one paragraph."""
    return bool(blocks) and all(
        isinstance(item, MarkdownListItem) and len(item._blocks) == 1
        and type(item._blocks[0]) is MarkdownParagraph for item in blocks)


class _ChatList:
    """Mixin for the list blocks: items as `ChatListItem`s when the list is simple."""

    def _symbols(self) -> list[str]:
        return [item.bullet for item in self._blocks]

    def _items(self) -> list[ChatListItem]:
        return [ChatListItem(self._markdown, item._blocks[0], symbol)
                for item, symbol in zip(self._blocks, self._symbols())]

    def compose(self) -> ComposeResult:
        self.simple = _simple(self._blocks)
        if not self.simple:
            yield from super().compose()
            return
        yield from self._items()
        self._blocks.clear()

    def can_update_from(self, block: MarkdownBlock) -> bool:
        return type(block) is type(self) and getattr(self, "simple", False) and _simple(block._blocks)

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        """Grow or change the list in place (a streamed list changes on every flush)."""
        if not self.can_update_from(block):
            await super()._update_from_block(block)
            return
        new = block._items()
        old = list(self.query_children(ChatListItem))
        for current, fresh in zip(old, new):
            if current.symbol != fresh.symbol or current._content != fresh._content:
                current.symbol = fresh.symbol
                current.set_content(fresh._content)
            current._copy_context(fresh)
        if len(old) > len(new):
            await self.remove_children(old[len(new):])
        elif len(new) > len(old):
            await self.mount_all(new[len(old):])
        self._copy_context(block)


class ChatBulletList(_HeightCache, _ChatList, MarkdownBulletList):
    # Textual reads COMPONENT_CLASSES and DEFAULT_CSS from widget classes only, not mixins.
    COMPONENT_CLASSES: ClassVar[set[str]] = {BULLET_CLASS}
    DEFAULT_CSS = f"""
    ChatBulletList > .{BULLET_CLASS} {{ color: $text-primary; }}
    ChatBulletList:light > .{BULLET_CLASS} {{ color: $text-secondary; }}
    """


class ChatOrderedList(_HeightCache, _ChatList, MarkdownOrderedList):
    COMPONENT_CLASSES: ClassVar[set[str]] = {BULLET_CLASS}
    DEFAULT_CSS = f"""
    ChatOrderedList > .{BULLET_CLASS} {{ color: $text-primary; }}
    ChatOrderedList:light > .{BULLET_CLASS} {{ color: $text-secondary; }}
    """

    def _symbols(self) -> list[str]:
        # As MarkdownOrderedList.compose numbers them: from the first item's number, right-aligned.
        items = [block for block in self._blocks if isinstance(block, MarkdownListItem)]
        try:
            start = int(items[0].bullet) if items else 1
        except ValueError:
            start = 1
        labels = [f"{number}. " for number in range(start, start + len(items))]
        width = max((len(label) for label in labels), default=0)
        return [label.rjust(width + 1) for label in labels]


class MarkdownSection(_HeightCache, Widget):
    """A run of blocks of a long document (see the module docstring).

    A section far above the end of a reply that is streaming in can be *parked*: its
    blocks are taken out of layout (display: none) and it keeps its height. Textual lays
    out every widget of the screen on every frame, not only the visible ones, so parked
    sections are what keeps the frames of a long reply short (and keys echoing).
    """

    parked = False
    _last_height = -1

    DEFAULT_CSS = """
    MarkdownSection {
        width: 1fr;
        height: auto;
        layout: vertical;
        & > MarkdownParagraph { margin: 0 0 1 0; }
    }
    """

    def park(self) -> bool:
        """Keep the height, drop the blocks from layout; False if not laid out for sure yet."""
        height = self.outer_size.height
        # Blocks with children (code, lists) compose them after they mount, and grow then:
        # a height seen at one step may be short. The same height a step later is not.
        stable, self._last_height = height == self._last_height, height
        if self.parked or not height or not stable:
            return False
        self.parked = True
        self.styles.height = height
        for child in self.children:
            child.display = False
        return True

    def unpark(self) -> None:
        if self.parked:
            self.parked = False
            self.styles.clear_rule("height")
            for child in self.children:
                child.display = True


def _in_place(last: MarkdownBlock, new: MarkdownBlock) -> bool:
    """Whether `last` updates itself from `new` (else it is replaced)."""
    if isinstance(last, _ChatList):
        return last.can_update_from(new)
    return ((type(last) is MarkdownParagraph and type(new) is MarkdownParagraph)
            or (isinstance(last, MarkdownFence) and isinstance(new, MarkdownFence)))


def _starts_section(block: MarkdownBlock) -> bool:
    # No top margin: nothing for the layout to collapse across the section boundary.
    return type(block) is MarkdownParagraph or isinstance(block, MarkdownList)


class ChatMarkdown(_HeightCache, Markdown):
    """`Markdown` with cheaper lists and, for long documents, sections (see the module docstring)."""

    BLOCKS: ClassVar[dict[str, type[MarkdownBlock]]] = {
        **Markdown.BLOCKS, "bullet_list_open": ChatBulletList, "ordered_list_open": ChatOrderedList}

    parking = False
    """Park sections that stream out of view above (see `MarkdownSection`)."""
    _parked_width = 0

    def park_behind(self, keep_lines: int) -> None:
        """Park the sections above the last `keep_lines` lines of the document."""
        if self._parked_width and self._parked_width != self.size.width:
            self.unpark_all()  # heights were measured at another width
        kept = 0
        for child in reversed(self.children):
            if not isinstance(child, MarkdownSection):
                break
            if kept < keep_lines or not child.outer_size.height:
                kept += child.outer_size.height
            elif child.parked:
                break  # and so are all before it
            elif child.park():
                self._parked_width = self.size.width

    def on_resize(self, event: Resize) -> None:
        if self._parked_width and event.size.width != self._parked_width:
            self.unpark_all()  # parked heights are for the old width

    def unpark_all(self) -> None:
        if self._parked_width:
            self._parked_width = 0
            for child in self.query_children(MarkdownSection):
                child.unpark()

    def _tail(self) -> Widget:
        """Where new blocks go: the last section, or the document itself."""
        last = self.children[-1] if self.children else None
        return last if isinstance(last, MarkdownSection) else self

    @property
    def table_of_contents(self):
        if self._table_of_contents is None:
            self._table_of_contents = [
                (block.LEVEL, block._content.plain, block.id)
                for child in self.children
                for block in (child.children if isinstance(child, MarkdownSection) else (child,))
                if isinstance(block, MarkdownHeader)]
        return self._table_of_contents

    def compose(self) -> ComposeResult:
        # The blocks of a stored message are parsed here and mount with the document, in
        # one pass: Markdown mounts itself empty, parses in a thread, then mounts them.
        markdown, self._initial_markdown = self._initial_markdown, None
        if not markdown:
            return
        parser = MarkdownIt("gfm-like") if self._parser_factory is None else self._parser_factory()
        self._theme = self.app.theme
        self._markdown = markdown
        lines = markdown.splitlines()
        self._last_parsed_line = len(lines) - (1 if lines and lines[-1] else 0)
        blocks = list(self._parse_markdown(parser.parse(markdown)))
        yield from blocks[:SECTION_SIZE]
        section: list[MarkdownBlock] = []
        for block in blocks[SECTION_SIZE:]:
            if len(section) >= SECTION_SIZE and _starts_section(block):
                yield MarkdownSection(*section)
                section = []
            section.append(block)
        if section:
            yield MarkdownSection(*section)

    def _on_mount(self, event: Mount) -> None:
        # compose() did what Markdown's own mount handler would: stop it from doing it again.
        event.prevent_default()
        Widget._on_mount(self, event)

    def update(self, markdown: str) -> AwaitComplete:
        sections = self.query_children(MarkdownSection)
        replace = super().update(markdown)

        async def run() -> None:
            await sections.remove()
            await replace

        return AwaitComplete(run())

    async def _mount_blocks(self, blocks: list[MarkdownBlock]) -> None:
        tail = self._tail()
        count = len(tail.children)
        batch: list[MarkdownBlock] = []
        for block in blocks:
            if count >= SECTION_SIZE and _starts_section(block):
                if batch:
                    await tail.mount_all(batch)
                tail, batch, count = MarkdownSection(), [], 0
                await self.mount(tail)
                if not tail.is_attached:
                    return  # the document is being removed (the app quits mid-reply): mounts nothing
            batch.append(block)
            count += 1
        if batch:
            await tail.mount_all(batch)

    def append(self, markdown: str) -> AwaitComplete:
        """Append to the document; as `Markdown.append`, with new blocks going to `_tail()`."""
        parser = MarkdownIt("gfm-like") if self._parser_factory is None else self._parser_factory()
        self._markdown = self.source + markdown
        updated_source = "".join(self._markdown.splitlines(keepends=True)[self._last_parsed_line:])

        async def await_append() -> None:
            async with self.lock:
                tokens = parser.parse(updated_source)
                tail = self._tail()
                existing = [child for child in tail.children if isinstance(child, MarkdownBlock)]
                start_line = self._last_parsed_line
                for token in reversed(tokens):
                    if token.map is not None and token.level == 0:
                        self._last_parsed_line += token.map[0]
                        break
                new_blocks = list(self._parse_markdown(tokens))
                any_headers = any(isinstance(block, MarkdownHeader) for block in new_blocks)
                for block in new_blocks:
                    start, end = block.source_range
                    block.source_range = (start + start_line, end + start_line)
                with self.app.batch_update():
                    if existing and new_blocks:
                        last = existing[-1]
                        last.source_range = new_blocks[0].source_range
                        if _in_place(last, new_blocks[0]):
                            await last._update_from_block(new_blocks[0])
                            new_blocks = new_blocks[1:]
                        else:
                            await last.remove()
                    if new_blocks:
                        await self._mount_blocks(new_blocks)
                if self.parking:
                    self.park_behind(2 * self.screen.size.height)
                if any_headers:
                    self._table_of_contents = None
                    self.post_message(Markdown.TableOfContentsUpdated(self, self.table_of_contents).set_sender(self))

        return AwaitComplete(await_append())
