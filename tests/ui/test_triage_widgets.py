"""Pilot tests of the queue tabs widget and the search screen."""

from __future__ import annotations

from textual.app import App, ComposeResult

from socialdesk.screens.search import SearchResult, SearchScreen
from socialdesk.widgets.queue_tabs import QueueTab, QueueTabs


class TabsApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[str] = []

    def compose(self) -> ComposeResult:
        yield QueueTabs((QueueTab("Needs reply", 1), QueueTab("Negative", 2)), active="Needs reply")

    def on_queue_tabs_queue_chosen(self, message: QueueTabs.QueueChosen) -> None:
        self.chosen.append(message.name)


async def test_queue_tabs_show_counts_and_post_choices() -> None:
    app = TabsApp()
    async with app.run_test() as pilot:
        tabs = app.query_one(QueueTabs)
        tabs.show(tabs.tabs, {"Needs reply": 12, "Negative": 3})
        await pilot.pause()
        rendered = str(tabs.render())
        assert "1 Needs reply 12" in rendered and "2 Negative 3" in rendered
        negative_at = rendered.index("Negative")
        await pilot.click(QueueTabs, offset=(negative_at, 0))
        await pilot.pause()
        assert app.chosen == ["Negative"] and tabs.active == "Negative"


async def test_queue_tab_names_are_not_markup() -> None:
    app = TabsApp()
    async with app.run_test():
        tabs = app.query_one(QueueTabs)
        tabs.tabs = (QueueTab("[bold]x[/] \x1b[31m", 1, 2),)
        assert "[bold]x[/]" in str(tabs.render()) and "\x1b" not in str(tabs.render())


class SearchApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[SearchResult | None] = []

    def on_mount(self) -> None:
        self.push_screen(SearchScreen(agent="ann"), self.results.append)


async def test_search_shows_errors_inline_and_returns_the_filter() -> None:
    app = SearchApp()
    async with app.run_test() as pilot:
        await pilot.press(*"status:lost")
        await pilot.pause()
        error = str(app.screen.query_one("#search-error").render())
        assert "status: unknown value 'lost'" in error
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [] and isinstance(app.screen, SearchScreen)
        await pilot.press(*["backspace"] * 4, *"new", " ", *"refund", "enter")
        await pilot.pause()
        (result,) = app.results
        assert result is not None and result.query == "status:new refund"
        assert result.filter.fts == '"refund"' and result.filter.params == ("new",)


async def test_search_error_with_markup_is_shown_literally() -> None:
    app = SearchApp()
    async with app.run_test() as pilot:
        await pilot.press(*"status:[red]x")
        await pilot.pause()
        assert "[red]x" in str(app.screen.query_one("#search-error").render())
