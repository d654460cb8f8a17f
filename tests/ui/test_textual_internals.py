"""Guards for the private Textual internals the app overrides or leans on.

Each workaround (see the module it lives in) depends on a private name of Textual with a
given signature and behaviour. When a Textual release changes one, these fail loudly,
naming which: re-check that workaround against the new Textual before lifting the pin in
pyproject.toml.
"""

from __future__ import annotations

import inspect

from textual._compositor import Compositor
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.css.stylesheet import Stylesheet
from textual.document._wrapped_document import WrappedDocument
from textual.reactive import _watch
from textual.widgets import Footer, Markdown, Static, TextArea
from textual.widgets._footer import FooterKey
from textual.widgets._markdown import MarkdownBlock, MarkdownParagraph

from app.ui.component_styles import ComponentStyleCache, path_key
from app.ui.textual_tuning.screen import TunedScreen as MainScreen
from app.ui.textual_tuning.screen import _Compositor
from app.ui.widgets.composer import Composer


def params(function) -> list[str]:
    return list(inspect.signature(function).parameters)


# -- _Compositor.reflow (main_screen.py) ---------------------------------------------------

class OnMainScreen(App[None]):
    BINDINGS = [("ctrl+n", "bell", "New"), ("ctrl+f", "bell", "Find")]

    def get_default_screen(self):
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Static("one")
        yield Static("two")
        yield Footer()


async def test_compositor_reflow_and_the_full_map_flag_are_as_the_override_expects() -> None:
    assert params(Compositor.reflow) == ["self", "parent", "size"]
    assert isinstance(Compositor()._full_map_invalidated, bool)
    # full_map rebuilds the whole arrangement when the flag is set: what reflow() clears.
    assert "_full_map_invalidated" in inspect.getsource(Compositor.full_map.fget)
    assert "_arrange_root" in inspect.getsource(Compositor.reflow)
    app = OnMainScreen()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        assert type(compositor) is _Compositor
        compositor._full_map_invalidated = True
        app.screen.query_one(Static).update("changed")
        app.screen.refresh(layout=True)
        await pilot.pause()
        assert compositor._full_map_invalidated is False
        # The map reflow() left is the full one: every widget arranged, as a rebuild gives.
        kept = dict(compositor._full_map)
        rebuilt, _ = compositor._arrange_root(app.screen, compositor.size, visible_only=False)
        assert kept.keys() == rebuilt.keys()


# -- Footer watchers pruning (main_screen.py) ----------------------------------------------

async def test_footer_keys_watch_compact_through_the_private_watcher_list() -> None:
    assert params(_watch)[:4] == ["node", "obj", "attribute_name", "callback"]
    app = OnMainScreen()
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        watchers = getattr(footer, "__watchers")
        assert "compact" in watchers  # each FooterKey watches the footer's `compact`
        assert all(isinstance(entry, tuple) and len(entry) == 2 for entry in watchers["compact"])
        keys = [node for node, _ in watchers["compact"]]
        assert keys and all(isinstance(node, FooterKey) and hasattr(node, "_closing") for node in keys)
        # Recomposed keys (bindings change on every focus change): the old ones' entries go.
        for _ in range(3):  # the footer recomposes its keys, then the screen prunes
            app.screen.bindings_updated_signal.publish(app.screen)
            await pilot.pause()
            await pilot.pause()
        assert all(not node._closing for node, _ in watchers["compact"])
        assert len(watchers["compact"]) <= 2 * len(keys)


# -- StylesCache.get_inner_outer (main_screen.release_widgets) -------------------------------

def test_styles_cache_get_inner_outer_is_still_an_lru_cache_on_the_method() -> None:
    method = StylesCache.get_inner_outer
    assert callable(method.cache_clear) and method.cache_info().maxsize == 1024
    method.cache_clear()
    assert method.cache_info().currsize == 0


# -- Composer._rewrap_and_refresh_virtual_size (composer.py) --------------------------------

class OneComposer(App[None]):
    def compose(self) -> ComposeResult:
        yield Composer()


async def test_textarea_rewrap_and_the_wrapped_document_fields_the_composer_checks() -> None:
    assert params(TextArea._rewrap_and_refresh_virtual_size) == ["self"]
    source = inspect.getsource(TextArea._rewrap_and_refresh_virtual_size)
    assert "wrapped_document.wrap(" in source and "_refresh_size" in source and "_line_cache" in source
    assert params(WrappedDocument.wrap)[:3] == ["self", "width", "tab_width"]
    app = OneComposer()
    async with app.run_test(size=(40, 12)) as pilot:
        composer = app.query_one(Composer)
        composer.text = "word " * 200 + "\nsecond line"
        await pilot.pause()
        wrapped = composer.wrapped_document
        # What the skip compares: the wrap is current after an edit.
        assert wrapped._width == composer.wrap_width and wrapped._tab_width == composer.indent_width
        assert len(wrapped._line_index_to_offsets) == composer.document.line_count
        before = wrapped.height
        composer._rewrap_and_refresh_virtual_size()  # skipped: nothing changed
        assert wrapped.height == before and composer.virtual_size.height >= before


# -- Stylesheet._process_component_classes (component_styles.py) -----------------------------

class OneMarkdown(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.stylesheet = ComponentStyleCache(variables=self.get_css_variables())

    def compose(self) -> ComposeResult:
        yield Markdown("Some *em*, **strong**, `code` and ~~struck~~ text.\n\nAnother one.")


async def test_component_class_styles_cached_equal_what_textual_computes() -> None:
    assert params(Stylesheet._process_component_classes) == ["self", "node"]
    app = OneMarkdown()
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        paragraphs = list(app.query(MarkdownParagraph))
        for name in ("_has_order_style", "_has_odd_or_even", "_pseudo_classes_cache_key", "_css_type_name",
                     "css_path_nodes", "_component_styles"):
            assert hasattr(paragraphs[0], name), name
        assert len(paragraphs) == 2 and isinstance(paragraphs[0], MarkdownBlock)
        assert paragraphs[0]._get_component_classes() >= {"em", "strong", "code_inline"}
        assert path_key(paragraphs[0]) == path_key(paragraphs[1])  # the second comes from the cache
        for paragraph in paragraphs:
            cached = dict(paragraph._component_styles)
            Stylesheet._process_component_classes(app.stylesheet, paragraph)  # Textual's own
            fresh = dict(paragraph._component_styles)
            assert cached.keys() == fresh.keys()
            for name in fresh:
                assert cached[name].base.css_lines == fresh[name].base.css_lines, name
                assert (cached[name].color, cached[name].text_style) == (fresh[name].color, fresh[name].text_style)


# -- Markdown internals (chat_markdown.py; the drawing itself: test_chat_markdown.py) -------

def test_markdown_internals_the_chat_fork_uses() -> None:
    from textual.widgets._markdown import MarkdownList, MarkdownListItem

    assert params(Markdown._parse_markdown)[:2] == ["self", "tokens"]
    assert params(MarkdownBlock._update_from_block) == ["self", "block"]
    assert params(MarkdownBlock._copy_context) == ["self", "block"]
    assert "bullet_list_open" in Markdown.BLOCKS and "ordered_list_open" in Markdown.BLOCKS
    assert issubclass(MarkdownListItem, MarkdownBlock) and issubclass(MarkdownList, MarkdownBlock)
    document = Markdown("x")
    for name in ("_initial_markdown", "_parser_factory", "_last_parsed_line", "_markdown", "lock",
                 "_table_of_contents", "_theme"):
        assert hasattr(document, name), name
    append = inspect.getsource(Markdown.append)
    assert "_last_parsed_line" in append and "_update_from_block" in append  # what the fork mirrors


# -- _Compositor._get_renders (main_screen.py) ----------------------------------------------

class Crowded(App[None]):
    """Side-by-side panes, a scrolled column (children cut by their clip) and a layer over both."""

    CSS = """
    Screen { layers: base above; }
    #left, #right { width: 12; }
    #middle { width: 1fr; height: 100%; }
    #middle Static { height: 3; border: solid red; }
    #over { layer: above; offset: 10 4; width: 20; height: 3; background: blue 50%; }
    """

    def get_default_screen(self):
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal, VerticalScroll

        with Horizontal():
            yield Static("left\n" * 20, id="left")
            with VerticalScroll(id="middle"):
                for n in range(8):
                    yield Static(f"row {n}", id=f"row{n}")
            yield Static("right\n" * 20, id="right")
        yield Static("over the panes", id="over")


def painted(output: str, size: tuple[int, int] = (60, 14)) -> dict:
    """What `output` paints on a blank terminal: the cells written, with their attributes."""
    import pyte

    screen = pyte.Screen(*size)
    pyte.Stream(screen).feed(output)
    blank = screen.default_char
    return {(y, x): cell for y, line in screen.buffer.items() for x, cell in line.items() if cell != blank}


async def test_partial_updates_draw_what_textual_draws_rendering_only_what_they_cross() -> None:
    from textual.geometry import Region
    from textual.widget import Widget

    assert params(Compositor._get_renders) == ["self", "crop"]
    assert "render_lines" in inspect.getsource(Compositor._get_renders)
    app = Crowded()
    async with app.run_test(size=(60, 14)) as pilot:
        app.query_one("#middle").scroll_to(y=2, animate=False)  # the top row is cut by its clip
        await pilot.pause()
        compositor = app.screen._compositor
        assert type(compositor) is _Compositor
        rendered: list[int] = []
        real = Widget.render_lines

        def counted(widget, crop):
            rendered.append(crop.height)
            return real(widget, crop)

        inner = app.query_one("#row3").content_region  # what a one-line update marks dirty
        regions = [app.query_one(f"#row{n}").region for n in (0, 1, 3)] + [
            app.query_one("#over").region, Region(5, 6, 30, 2), Region(20, 5, 1, 1), inner, inner.shrink((0, 2, 0, 2))]
        for region in regions:
            for n in range(8):  # something new in every line, as after an update
                app.query_one(f"#row{n}").update(f"row {n} at {region}")
            app.query_one("#over").update(f"over {region}")
            await pilot.pause()
            updates = []
            for cls in (_Compositor, Compositor):  # ours, then Textual's own
                compositor.__class__ = cls
                for widget in compositor.visible_widgets:
                    widget._styles_cache.set_dirty(widget.size.region)
                compositor._dirty_regions.add(region)
                rendered.clear()
                Widget.render_lines = counted
                try:
                    update = compositor.render_partial_update()
                finally:
                    Widget.render_lines = real
                    compositor.__class__ = _Compositor
                updates.append((painted(update.render_segments(app.console)), sum(rendered)))
            (ours, our_lines), (textuals, textual_lines) = updates
            assert ours == textuals, region  # the same cells, in the same colours
            # Only the rows of the update, of the widgets it crosses: 5 or so, not the 14
            # rows of every widget beside it; one widget's, when it covers the update.
            assert our_lines <= region.height * 6 < textual_lines, region
            if region in (inner, inner.shrink((0, 2, 0, 2))):
                assert our_lines == region.height, region


# -- the touch points that had no guard (the house issue) -------------------------------------

def test_markdown_stream_internals_the_paced_stream_uses() -> None:
    """PacedMarkdownStream (paced_markdown.py) replaces MarkdownStream's `_run` and reads its
    `_pending`, `_new_markup`, `_task` and `_stopped`."""
    from textual.widgets._markdown import MarkdownStream

    source = inspect.getsource(MarkdownStream)
    for name in ("self._pending", "self._new_markup", "self._task", "self._stopped", "async def _run"):
        assert name in source, name
    assert params(MarkdownStream.__init__)[:2] == ["self", "markdown_widget"]


async def test_layout_counters_the_height_cache_keys_on_and_the_released_anchor() -> None:
    """ChatMarkdown's height cache keys on `Widget._layout_updates` and `_nodes._updates`
    (chat_markdown.py); ChatPane follows the end unless `_anchor_released` (chat_pane.py)."""
    from textual.widget import Widget

    class Probe(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("x")

    async with Probe().run_test() as pilot:
        widget = pilot.app.query_one(Static)
        assert isinstance(widget._layout_updates, int) and isinstance(widget._nodes._updates, int)
        assert hasattr(widget, "_anchor_released")
    assert "_layout_updates" in inspect.getsource(Widget) and "_anchor_released" in inspect.getsource(Widget)


def test_no_widget_replaces_a_base_class_handler_by_accident() -> None:
    """A private `_on_<event>` of Textual's defined again in a subclass replaces Textual's own
    (ConversationList's `_on_mount` once did, by accident): only the two meant ones remain."""
    import ast
    from pathlib import Path

    from textual.screen import Screen
    from textual.scroll_view import ScrollView
    from textual.widget import Widget
    from textual.widgets import Input, OptionList, TextArea

    textuals = {name for cls in (Widget, Screen, ScrollView, TextArea, Input, OptionList, Markdown)
                for name in dir(cls) if name.startswith("_on_")}
    # Composer handles Enter before TextArea does; ChatMarkdown stops Markdown's mount (it
    # composed what that would) and calls Widget's own.
    allowed = {("Composer", "_on_key"), ("ChatMarkdown", "_on_mount")}
    found = set()
    for path in (Path(__file__).resolve().parents[2] / "app" / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name in textuals:
                        found.add((node.name, item.name))
    assert found - allowed == set(), found - allowed
