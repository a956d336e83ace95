"""The `/` search: a query-language Input, errors shown inline; dismisses with the compiled filter."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from socialdesk.services.query import QueryError, parse_query
from socialdesk.store import PostFilter
from socialdesk.store.vocabulary import Vocabulary

HELP = (
    'words (all of them)  a OR b  "a phrase"  -exclude  from:@sam  network:x  tag:vip  status:new,open  '
    "sentiment:negative  intent:question  assigned:me  before:2026-11-20  after:7d  is:open"
)


class SearchResult(msgspec.Struct, frozen=True):
    """What the agent searched for."""

    query: str
    filter: PostFilter


class SearchScreen(ModalScreen[SearchResult | None]):
    """Type a query; Enter searches (if it parses), escape closes."""

    DEFAULT_CSS = """
    SearchScreen { align: center top; }
    SearchScreen > Vertical {
        width: 90%; height: auto; margin-top: 2; padding: 0 1; border: thick $accent; background: $surface;
    }
    SearchScreen #search-error { color: $error; height: auto; }
    SearchScreen #search-help { color: $text-muted; height: auto; }
    """
    AUTO_FOCUS = "#search-input"
    BINDINGS = [Binding("escape", "cancel", "Close", id="search.cancel")]

    def __init__(
        self, agent: str = "", query: str = "", vocabulary: Callable[[], Vocabulary] | None = None
    ) -> None:
        super().__init__()
        self.agent = agent
        self.initial = query
        self._read_vocabulary = vocabulary
        self.known: Vocabulary | None = None  # until read: network: and assigned: are not checked

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(value=self.initial, placeholder="Search posts…", id="search-input")
            yield Static("", id="search-error")
            yield Static(HELP, id="search-help", markup=False)

    def on_mount(self) -> None:
        if self._read_vocabulary is not None:
            self._load_vocabulary(self._read_vocabulary)

    @work(thread=True, exit_on_error=False, description="Reading the cache's networks and agents")
    def _load_vocabulary(self, read: Callable[[], Vocabulary]) -> None:
        known = read()
        self.app.call_from_thread(self._vocabulary_read, known)

    def _vocabulary_read(self, known: Vocabulary) -> None:
        self.known = known
        self._compile(self.query_one(Input).value)  # what was typed meanwhile is checked now

    def _compile(self, text: str) -> PostFilter | None:
        error = self.query_one("#search-error", Static)
        try:
            flt = parse_query(text, agent=self.agent, known=self.known)
        except QueryError as exc:
            error.update(Text(str(exc)))
            return None
        error.update("")
        return flt

    def on_input_changed(self, event: Input.Changed) -> None:
        # Parsing is microseconds: check as the agent types, so mistakes show before Enter.
        self._compile(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        flt = self._compile(event.value)
        if flt is not None:
            self.dismiss(SearchResult(event.value.strip(), flt))

    def action_cancel(self) -> None:
        self.dismiss(None)
