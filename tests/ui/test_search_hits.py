"""Search that finds the message: snippets in the list, opening at the hit, n / N / F3."""

from __future__ import annotations

from app.core.store.search import best_message_hits, message_hits
from app.core.store.store import Store
from app.ui.widgets.message_view import MessageView
from tests.ui.helpers import build_app, sidebar, until, view


def _seed(db_path) -> tuple[int, list[int]]:
    """A long conversation with "zebra" in three messages, the first far above the newest page."""
    store = Store(db_path)
    store.create_conversation("asi1-mini", title="Something else entirely")
    conversation = store.create_conversation("asi1-mini", title="Animals of the savanna")
    hits = []
    for n in range(120):
        role = "user" if n % 2 == 0 else "assistant"
        text = f"Message {n} about lions and the weather."
        if n in (3, 70, 110):
            text = f"Message {n}: the zebra [b]stripes[/b] are unique to each animal."
        message = store.add_message(conversation.id, role, text)
        if n in (3, 70, 110):
            hits.append(message.id)
    store.close()
    return conversation.id, hits


def _list_text(app) -> str:
    widget = sidebar(app).conversation_list
    return "\n".join(strip.text for strip in widget.render_lines(widget.region.reset_offset))


def test_the_best_message_of_each_conversation_and_its_snippet(db_path) -> None:
    conversation_id, hits = _seed(db_path)
    store = Store(db_path)
    (hit,) = best_message_hits(store, "zebra", [1, conversation_id]).values()
    assert hit.conversation_id == conversation_id and hit.message_id in hits
    assert ("zebra", True) in hit.parts() and "[b]stripes[/b]" in hit.snippet
    assert message_hits(store, "zebra", conversation_id) == hits


def test_snippets_are_plain_text_with_the_match_kept(db_path) -> None:
    store = Store(db_path)
    conversation = store.create_conversation("asi1-mini", title="Formats")
    store.add_message(conversation.id, "assistant", "Here are the formats:\n\n- **Markdown**: the"
                      " usual one\n- *Org*: another")
    other = store.create_conversation("asi1-mini", title="Code")
    store.add_message(other.id, "assistant", "```\n## Section 5\nSee [the guide](/g)"
                      " and `pelican_it`.")
    found = [(best_message_hits(store, "markdown", [conversation.id])[conversation.id],
              "Markdown: the usual one Org: another", "Markdown"),
             (best_message_hits(store, "pelican", [other.id])[other.id],
              "Section 5 See the guide and pelican_it.", "pelican")]
    for hit, expected, word in found:
        plain = "".join(text for text, _ in hit.parts())
        assert expected in plain, plain
        for syntax in ("**", "- ", "```", "## ", "](", "`"):
            assert syntax not in plain, plain
        assert any(matched and word.startswith(text) for text, matched in hit.parts()), hit.parts()


async def test_search_shows_the_matching_message_and_opens_at_it(db_path) -> None:
    conversation_id, hits = _seed(db_path)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("ctrl+f", *"zebra")
        await until(pilot, lambda: sidebar(app).conversation_list.option_count == 1 and "zebra" in _list_text(app))
        shown = _list_text(app)
        assert "Animals of the savanna" in shown and "you: …the zebra [b]stripes" in shown  # literal, not markup
        # The matched word is highlighted (reverse) in the snippet line.
        strips = sidebar(app).conversation_list.render_lines(sidebar(app).conversation_list.region.reset_offset)
        styled = [seg for strip in strips for seg in strip if seg.text.strip() == "zebra"]
        assert styled and all(seg.style.reverse for seg in styled)
        await pilot.press("enter")  # Enter in the box opens the first match, at its message
        await until(pilot, lambda: isinstance(app.focused, MessageView))
        await pilot.pause(0.2)
        found = app.focused
        assert found.message_id in hits and found.has_class("-search-hit")
        pane = view(app).chat_pane.region
        assert pane.y <= found.region.y < pane.bottom  # scrolled to it
        first = found.message_id
        await pilot.press("n")
        await pilot.pause(0.2)
        after = hits[(hits.index(first) + 1) % len(hits)]
        assert app.focused.message_id == after and app.focused.has_class("-search-hit")
        await pilot.press("N")
        await pilot.pause(0.2)
        assert app.focused.message_id == first
        # From the composer n is just a letter; F3 / shift+F3 step from anywhere.
        await pilot.press("ctrl+t")  # (from the chat: back to the message box)
        await pilot.pause(0.1)
        await pilot.press("n")
        await pilot.pause(0.1)
        assert view(app).composer.text == "n" and view(app).composer.has_focus
        await pilot.press("shift+f3")
        await pilot.pause(0.3)
        assert app.focused.message_id == hits[(hits.index(first) - 1) % len(hits)]
        assert view(app).chat_pane.view_of(hits[0]) is not None  # the oldest hit was paged in


async def test_a_title_only_match_opens_as_usual(db_path) -> None:
    _seed(db_path)
    app = build_app(None, db_path, key=None)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("ctrl+f", *"savanna")
        await until(pilot, lambda: sidebar(app).conversation_list.option_count == 1)
        await pilot.press("enter", "enter")
        await until(pilot, lambda: view(app).conversation_id is not None)
        await pilot.pause(0.1)
        assert view(app).composer.has_focus
