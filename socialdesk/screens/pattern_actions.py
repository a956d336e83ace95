"""Lone voice or pattern, and spikes, on the desk: `C` opens a post's similar posts as a queue, the
banner names a spike and `c` opens its posts with the escalation ready.

`PatternActions` is a mixin for the desk screen (`self` is a `socialdesk.screens.host.DeskHost`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from msgspec.structs import replace
from textual import work
from textual.binding import Binding
from textual.message import Message

from socialdesk.screens.host import HostScreen
from socialdesk.widgets.spike_banner import SpikeBanner

if TYPE_CHECKING:
    from textual.timer import Timer

    from socialdesk.screens.detail_actions import ThreadShown
    from socialdesk.services.spikes import RecentWords, Spike
    from socialdesk.store.queries import PostFilter

PATTERN_BINDINGS = [
    Binding("C", "similar", "Similar posts", show=False, id="similar.open"),
    Binding("c", "spike", "Open the spike", show=False, id="spike.open"),
]
CHECK_EVERY = 60.0  # seconds between spike checks (they run after syncs that stored posts)
# Seconds a thread stays shown before its similar posts are looked up: longer than the gap between a
# held key's repeats and a fast agent's taps, so skimming the feed looks up only where the agent stops
# (on a dense cache a lookup in a large cluster holds the interpreter for milliseconds, and each key
# pressed meanwhile waited for it: README, "Performance").
PATTERN_REST = 0.2


class PatternLoaded(Message):
    """The similar posts of a post were looked up (an empty line: none, or the post is not indexed)."""

    def __init__(self, post_id: int, line: str, similar_ids: tuple[int, ...]) -> None:
        super().__init__()
        self.post_id = post_id
        self.line = line
        self.similar_ids = similar_ids


class SpikesFound(Message):
    """The spike check finished (no spikes: an empty list)."""

    def __init__(self, spikes: Sequence[Spike]) -> None:
        super().__init__()
        self.spikes = spikes


def id_filter(post_ids: Sequence[int]) -> PostFilter:
    """A feed filter for exactly these posts (ids are integers from the cache: inlined safely)."""
    from socialdesk.store.queries import PostFilter

    ids = ",".join(str(int(i)) for i in post_ids) or "NULL"
    return PostFilter(where=(f"p.id IN ({ids})",))


class PatternActions(HostScreen):
    """Similar posts and spikes for the desk screen."""

    _spike: Spike | None = None
    _last_check: float | None = None  # the desk's clock at the last check that counted
    _recent_words: RecentWords | None = None  # the window's words, kept from one check to the next
    similar_queue: tuple[str, tuple[int, ...]] = ("", ())  # (feed title, post ids) of the last `C`

    first_page_shown = False  # set by the desk once its first frame is painted
    _pattern_waiting: int | None = None  # a post whose similar posts wait for that frame
    _pattern_rest: Timer | None = None  # pending: the lookup for the thread shown last

    def on_thread_shown(self, message: ThreadShown) -> None:
        if self._pattern_rest is not None:  # another thread now: the one before was only passed
            self._pattern_rest.stop()
            self._pattern_rest = None
        if message.focus.is_ours:
            return
        if self.first_page_shown:
            self._pattern_waiting = None  # a later thread: the first one's lookup would show nothing
            self._pattern_rest = self.set_timer(PATTERN_REST, partial(self._rested_on, message.focus.id))
        else:  # the search imports numpy: never on the way to the first frame
            self._pattern_waiting = message.focus.id

    def _rested_on(self, post_id: int) -> None:
        self._pattern_rest = None
        self._load_pattern(post_id)

    def load_deferred_pattern(self) -> None:
        """Find the similar posts of the thread the first frame showed (held back until it was painted
        and the keys rested), unless another thread has been shown since."""
        if self._pattern_waiting is not None:
            self._load_pattern(self._pattern_waiting)
            self._pattern_waiting = None

    @work(
        thread=True, group="pattern", exclusive=True, exit_on_error=False, description="Finding similar posts"
    )
    def _load_pattern(self, post_id: int) -> None:
        from socialdesk.capabilities import facts
        from socialdesk.services.patterns import similar_to

        pattern = similar_to(self.ctx.store.conn, post_id, self._now())
        if pattern is None:
            self.post_message(PatternLoaded(post_id, "", ()))
        else:  # networks by the names their connectors declare ("Bluesky", not "bluesky")
            line = pattern.summary(lambda network: facts(network).display_name)
            self.post_message(PatternLoaded(post_id, line, pattern.post_ids))

    def on_pattern_loaded(self, message: PatternLoaded) -> None:
        from socialdesk.widgets.thread_view import ThreadView

        pane = self.query_one(ThreadView)
        shown = pane.data
        if shown is None or shown.thread.focus.id != message.post_id:
            return  # the agent has moved on
        if (shown.pattern, shown.similar_ids) != (message.line, message.similar_ids):
            pane.data = replace(shown, pattern=message.line, similar_ids=message.similar_ids)

    def action_similar(self) -> None:
        """Show the posts similar to the selected one (the last day) as a queue."""
        from socialdesk.widgets.thread_view import ThreadView

        detail = self.query_one(ThreadView).data
        post = self.selected_post
        if detail is None or post is None or len(detail.similar_ids) < 2:
            self.notify("No similar posts in the last day", severity="warning")
            return
        title = f"Similar to @{post.author_handle}"
        self.similar_queue = (title, tuple(detail.similar_ids))
        self.set_feed_filter(id_filter(detail.similar_ids), title)

    def action_spike(self) -> None:
        """Open the spike's posts as a queue, newest first, and the escalation with the spike as its note."""
        from socialdesk.screens.escalate import EscalateScreen
        from socialdesk.services.playbook_keeper import keeper_for
        from socialdesk.services.sla_policy import parse_escalation

        spike = self._spike
        if spike is None:
            self.notify("No spike right now", severity="warning")
            return
        self.set_feed_filter(id_filter(spike.post_ids), f"Spike: {spike.name[:30]}")
        playbook = keeper_for(self.ctx).current().playbook  # checked: its roles parse
        roles = parse_escalation(playbook.section("escalation"), playbook.source)

        def done(choice: tuple[str, str] | None) -> None:
            if choice:
                self._escalate_spike(spike, *choice, roles)

        note = f"{spike.headline()} (posts: {', '.join(str(i) for i in spike.post_ids[:50])})"
        self.app.push_screen(EscalateScreen(note=note, roles=roles), done)

    @work(thread=True, group="triage", exit_on_error=False, description="Escalating the spike")
    def _escalate_spike(self, spike: Spike, role: str, note: str, roles: tuple[str, ...]) -> None:
        from socialdesk.services.queue import QueueService

        QueueService(self.ctx.store, self.ctx.agent).escalate(spike.post_ids[0], role, note, roles)
        self.app.call_from_thread(
            self.notify, f"Escalated to {role} with the spike's {spike.posts} posts attached"
        )
        self.app.call_from_thread(self.refresh_feed)

    def _now(self) -> float:
        """The desk's clock (the demo's and the tests' own): detection and its pacing both read it."""
        clock = getattr(self.app, "clock", time.time)
        return float(clock())

    def check_spikes(self, force: bool = False) -> None:
        """Look for spikes in a worker, at most once a minute of the desk's clock unless `force`."""
        now = self._now()
        last = self._last_check
        if not force and last is not None and 0 <= now - last < CHECK_EVERY:
            return  # (a clock set back is checked at once rather than waited out)
        self._last_check = now
        self._find_spikes()

    @work(thread=True, group="spikes", exclusive=True, exit_on_error=False, description="Looking for spikes")
    def _find_spikes(self) -> None:
        from socialdesk.services.spikes import RecentWords, detect

        if self._recent_words is None:
            self._recent_words = RecentWords()
        self.post_message(SpikesFound(detect(self.ctx.store.conn, self._now(), recent=self._recent_words)))

    def on_spikes_found(self, message: SpikesFound) -> None:
        spike = message.spikes[0] if message.spikes else None
        is_new = spike is not None and (
            self._spike is None or (self._spike.kind, self._spike.name) != (spike.kind, spike.name)
        )
        self._spike = spike
        headline = spike.headline() if spike else ""
        banners = self.query(SpikeBanner)
        if banners:
            banners.first().headline = headline
        elif headline:  # the first spike: the banner goes over the queues
            banner = SpikeBanner(id="spike")
            banner.headline = headline
            self.mount(banner, before=self.query_one("#queues"))
        if is_new and self.ctx.settings.desk.spike_bell:
            self.app.bell()
