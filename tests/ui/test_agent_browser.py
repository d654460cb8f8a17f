"""The agent browser (ctrl+g) in the real app, against the simulator's marketplace."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Markdown, Static

from app.core.agents.store import AgentStore
from app.simulator import Simulator
from app.simulator.marketplace import HOSTILE_HANDLE
from app.ui.areas.agents import agent_directory
from app.ui.screens.agent_browser import AgentBrowserScreen
from app.ui.widgets.agent_detail import AgentDetail
from app.ui.widgets.agent_results import PIN_MARK, AgentResults
from tests.conftest import TEST_KEY
from tests.ui.helpers import build_app, idle, until, view

SIZE = (140, 45)


def _app(sim: Simulator, db: Path, *, agentverse_url: str | None = None):
    return build_app(sim, db, agentverse_url=agentverse_url or sim.origin)


def _browser(app) -> AgentBrowserScreen:
    assert isinstance(app.screen, AgentBrowserScreen)
    return app.screen


def _rows(app) -> list[str]:
    results = app.screen.query_one(AgentResults)
    return [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]


def _status(app) -> str:
    return str(app.screen.query_one("#agent-status", Static).render())


async def _open(pilot) -> AgentBrowserScreen:
    app = pilot.app
    view(app).composer.focus()
    await pilot.press("ctrl+g")  # from the composer: not swallowed by the TextArea
    await until(pilot, lambda: isinstance(app.screen, AgentBrowserScreen))
    browser = _browser(app)
    await until(pilot, lambda: browser.page is not None)
    return browser


async def _search(pilot, text: str) -> None:
    browser = _browser(pilot.app)
    await pilot.press(*text)
    await until(pilot, lambda: browser.page is not None and browser._query.text == text
                and browser._debounce is None)
    await pilot.pause()


async def test_search_as_you_type_and_pick_puts_handle_in_composer(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        browser = await _open(pilot)
        assert len(_rows(app)) >= 30  # the marketplace's first page with an empty box
        await _search(pilot, "hidream")
        typed = [r.body["search_text"] for r in sim.marketplace.requests
                 if r.body and r.body.get("search_text") and "hidream".startswith(r.body["search_text"])]
        assert typed[-1] == "hidream"
        assert len(typed) < len("hidream")  # debounced: far fewer requests than keys typed
        first = _rows(app)[0].split("\n")[0].strip()  # the name is shortened to keep the handle whole
        assert first.startswith("Image Generation") and first.endswith("  @image-gen-hidream")
        detail = browser.query_one(AgentDetail)
        await until(pilot, lambda: "HiDream" in str(detail.query_one("#agent-header", Static).render()))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, AgentBrowserScreen))
        assert view(app).composer.text == "@image-gen-hidream "
        assert app.focused is view(app).composer
        await pilot.press("d", "r", "a", "w")
        assert view(app).composer.text == "@image-gen-hidream draw"
        await pilot.press("enter")
        await idle(app, pilot)
        assert sim.requests[0].messages[-1]["content"] == "@image-gen-hidream draw"
        used = AgentStore(app.store).agents_used()
        assert used[0].handle == "image-gen-hidream"
        assert used[0].listing is not None and used[0].listing.category == "Image Generation"  # cached at pick
        # The ASI:One key never went to the marketplace.
        assert all(TEST_KEY not in repr(r.headers) and "authorization" not in r.headers
                   for r in sim.marketplace.requests)


async def test_pick_from_results_list_and_insert_beside_text(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        view(app).composer.text = "please ask"
        view(app).composer.move_cursor(view(app).composer.document.end)
        await _open(pilot)
        await _search(pilot, "flight finder")
        await pilot.press("down")  # into the results
        assert app.focused is app.screen.query_one(AgentResults)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, AgentBrowserScreen))
        assert view(app).composer.text == "please ask @flight-finder "


async def test_pin_from_the_browser_is_stored_and_listed_first(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        browser = await _open(pilot)
        await _search(pilot, "ref image")
        await pilot.press("down", "p")
        await until(pilot, lambda: _rows(app)[0].startswith(PIN_MARK))
        assert [a.handle for a in AgentStore(app.store).agents_pinned()] == ["ref-image-agent"]
        assert "Pinned Ref Image Agent." in _status(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, AgentBrowserScreen))
        browser = await _open(pilot)
        assert _rows(app)[0].startswith(f"{PIN_MARK} Ref Image Agent")  # pinned first, empty box
        await pilot.press("down", "p")  # unpin
        await until(pilot, lambda: not _rows(app)[0].startswith(PIN_MARK))
        assert AgentStore(app.store).agents_pinned() == []
        assert browser.picked is None


async def test_known_agents_work_offline(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:  # pin while online, caching the listing
        await _open(pilot)
        await _search(pilot, "flight finder")
        await pilot.press("down", "p")
        await until(pilot, lambda: _rows(app)[0].startswith(PIN_MARK))
    conversation = app.store.create_conversation("asi1")
    message = app.store.add_message(conversation.id, "assistant", "ok")
    AgentStore(app.store).record_use(message.id, "Ref Image Agent", "ref-image-agent")
    offline = _app(sim, db_path, agentverse_url="http://127.0.0.1:9")
    agent_directory(offline).client.max_retries = 0
    async with offline.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(offline.screen, AgentBrowserScreen))
        await until(pilot, lambda: "Could not reach" in _status(offline))
        rows = _rows(offline)
        assert rows[0].startswith(f"{PIN_MARK} Flight Finder") and "Ref Image Agent" in rows[1]
        assert "Travel" in rows[0]  # from the cached listing
        assert "\n" not in _status(offline) and _status(offline).startswith("Agentverse: ")
        readme = offline.screen.query_one("#agent-readme", Markdown)
        await until(pilot, lambda: "Flight Finder" in readme.source)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(offline.screen, AgentBrowserScreen))
        assert view(offline).composer.text == "@flight-finder "


async def test_hostile_listing_is_shown_harmlessly(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        browser = await _open(pilot)
        await _search(pilot, "totally safe")
        assert browser.results.current.handle == HOSTILE_HANDLE
        detail = browser.query_one(AgentDetail)
        readme = detail.query_one("#agent-readme", Markdown)
        await until(pilot, lambda: "Totally safe" in readme.source)
        await pilot.pause(0.2)
        shown = "\n".join(_rows(app)) + str(detail.query_one("#agent-header", Static).render())
        shown += "\n".join(str(block.render()) for block in readme.query("*"))
        assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
        assert "[bold red]Totally" in _rows(app)[0]  # markup shown literally (the name shortened)
        assert "[bold red]not bold[/bold red]" in shown
        assert "[reverse]totally safe[/reverse]" in shown
        assert app.is_running


async def test_errors_are_one_line_and_rate_limits_say_so(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        browser = await _open(pilot)
        app.agent_directory.client.sleep = _never_returns
        sim.marketplace.add_fault("429")
        await pilot.press("x")
        await until(pilot, lambda: "rate limited, retrying in 30 s" in _status(app))
        browser.search_box.value = ""
        await until(pilot, lambda: browser._query.text == "" and browser._debounce is None)
        app.agent_directory.client.sleep = _instant
        await pilot.press(*"!av:html")
        await until(pilot, lambda: "sent a web page" in _status(app))
        assert "\n" not in _status(app) and app.is_running


async def _never_returns(delay: float) -> None:
    import asyncio

    await asyncio.sleep(3600)


async def _instant(delay: float) -> None:
    return None


async def test_palette_lists_the_agent_browser(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Agents (ctrl+g)" in commands
        await pilot.pause()


def _box_searches(sim: Simulator) -> list[dict]:
    """The searches of the (empty) search box, not the card's look-ups of one agent."""
    return [r.body for r in sim.marketplace.requests if r.body and r.body.get("search_text") == ""]


async def test_sort_category_and_paging(sim: Simulator, db_path: Path):
    from textual.widgets import Select

    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        browser = await _open(pilot)
        await until(pilot, lambda: browser.query("#agent-category"))
        browser.query_one("#agent-sort", Select).value = "interactions"
        browser.query_one("#agent-category", Select).value = "Travel"
        await until(pilot, lambda: _box_searches(sim)[-1].get("filters") == {"category": ["Travel"]}
                    and _box_searches(sim)[-1]["sort"] == "interactions")
        await until(pilot, lambda: browser.results.listings and
                    {a.category for a in browser.results.listings} == {"Travel"})
        counts = [a.total_interactions for a in browser.results.listings]
        assert counts == sorted(counts, reverse=True)
        browser.query_one("#agent-category", Select).clear()
        await until(pilot, lambda: "filters" not in _box_searches(sim)[-1])
        await until(pilot, lambda: len(browser.results.listings) == 30 and browser.page.offset == 0)
        browser.results.focus()
        await pilot.press("end")  # near the end: the next page is fetched and appended
        await until(pilot, lambda: len(browser.results.listings) > 30)
        assert 30 in [body["offset"] for body in _box_searches(sim)]
        assert len({a.key for a in browser.results.listings}) == len(browser.results.listings)


async def test_quitting_with_the_browser_open_is_clean(sim: Simulator, db_path: Path):
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await pilot.press(*"fli")  # a search may be in flight
        await pilot.press("ctrl+q")
    assert app.return_code in (0, None) and app._exception is None


def _link_cell(app, href: str) -> tuple[int, int] | None:
    """Where on screen the readme draws the link to `href` (its click action names it)."""
    region = app.screen.query_one("#agent-readme", Markdown).region
    for y in range(region.y, region.bottom):
        for x in range(region.x, region.right):
            if href in str(app.screen.get_style_at(x, y).meta.get("@click", "")):
                return x, y
    return None


async def test_readme_links_open_only_through_the_checked_opener(sim: Simulator, db_path: Path,
                                                                 monkeypatch):
    opened: list[str] = []
    monkeypatch.setenv("BROWSER", "true")  # a graphical browser is there
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url))
    app = _app(sim, db_path)
    async with app.run_test(size=(SIZE[0], SIZE[1] + 20)) as pilot:  # the readme's links below the card
        await _open(pilot)
        await _search(pilot, "totally safe")
        for href in ("smb://evil.example/share", "vscode://file/etc/passwd"):
            await until(pilot, lambda: _link_cell(app, href) is not None)
            await pilot.click(offset=_link_cell(app, href))
            await until(pilot, lambda: any(href in n.message for n in app._notifications))
            note = next(n.message for n in app._notifications if href in n.message)
            assert note.startswith("Refused to open a non-http(s) link")
        await pilot.click(offset=_link_cell(app, "https://docs.example/totally-safe"))
        await until(pilot, lambda: opened)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert opened == ["https://docs.example/totally-safe"]  # once, and nothing else
        assert isinstance(app.screen, AgentBrowserScreen)


async def test_readme_link_without_a_graphical_browser_is_copied_not_opened(
        sim: Simulator, db_path: Path, monkeypatch):
    opened: list[str] = []
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url))
    app = _app(sim, db_path)
    async with app.run_test(size=(SIZE[0], SIZE[1] + 20)) as pilot:  # the readme's links below the card
        await _open(pilot)
        await _search(pilot, "totally safe")
        await until(pilot, lambda: _link_cell(app, "https://docs.example/totally-safe") is not None)
        await pilot.click(offset=_link_cell(app, "https://docs.example/totally-safe"))
        await until(pilot, lambda: any(n.title == "Copied link (no browser here)" for n in app._notifications))
        await app.workers.wait_for_complete()
        assert opened == []


async def test_at_80x24_rows_show_whole_handles_and_shorten_names(sim: Simulator, db_path: Path):
    from tests.ui.test_chat_widgets import screen_text

    app = _app(sim, db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        results = app.screen.query_one(AgentResults)
        await until(pilot, lambda: results.listings and results.listings[0].shown_handle in screen_text(app))
        shown = screen_text(app)
        assert "@…" not in shown
        results_text = [line.split("│")[0] for line in shown.splitlines()]  # the list, not the detail
        for listing in results.listings[:3]:
            assert any(listing.shown_handle in line for line in results_text), shown
        await pilot.resize_terminal(160, 45)  # wide: name and handle share the first line again
        await until(pilot, lambda: f"{results.listings[0].name}  {results.listings[0].shown_handle}"
                    in screen_text(app))


async def test_the_card_shows_trust_signals_and_asi_ones_own_counts(sim: Simulator, db_path: Path):
    from app.simulator.marketplace import agent_by_handle

    listed = agent_by_handle("ref-image-agent")
    app = _app(sim, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await _search(pilot, "ref image agent")
        header = app.screen.query_one("#agent-header", Static)
        asi1 = f"via ASI:One: {listed['total_interactions'] // 3:,} interactions"
        await until(pilot, lambda: asi1 in str(header.render()))  # (a placeholder "–" until they come)
        shown = str(header.render())
        assert f"★ {listed['rating']:.1f}" in shown and f"{listed['total_interactions']:,} uses" in shown
