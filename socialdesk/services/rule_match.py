"""A validated triage rule (`Rule`) and the author facts its conditions read: matching only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import msgspec

from socialdesk.models import Post
from socialdesk.services.classify import Classification

WORD = re.compile(r"\w+")
UTC = ZoneInfo("UTC")


class PostView(msgspec.Struct, frozen=True):
    """What the conditions on a post itself read (not its text, not its author's history)."""

    network: str
    account: str
    lang: str
    followers: int
    kind: str = "mention"
    created_at: float = 0.0
    # Guesses the language (once) when the network gave none; None: no rule needs a guess.
    detect: Callable[[], str] | None = None

    @classmethod
    def of(cls, post: Post, detect: Callable[[], str] | None = None) -> PostView:
        """The view of a connector Post."""
        return cls(
            post.network, post.account, post.lang, post.author.followers, post.kind, post.created_at, detect
        )

    def language(self) -> str:
        """The post's ISO 639 code: the network's, else the detector's guess ("" when unknown)."""
        if self.lang:
            return self.lang.split("-")[0].casefold()
        return self.detect() if self.detect is not None else ""


class TimeOfDay(msgspec.Struct, frozen=True):
    """A daily window in a time zone ("18:00-08:00" runs past midnight)."""

    start: int  # minutes after midnight
    end: int
    zone: ZoneInfo = UTC

    def holds(self, at: float) -> bool:
        """Whether the time `at` (unix seconds) falls in the window."""
        local = dt.datetime.fromtimestamp(at, self.zone)
        minute = local.hour * 60 + local.minute
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


class AuthorFacts(msgspec.Struct):
    """What the cache knows about a post's author before the post is stored."""

    prior_posts: int = 0  # rules ask only whether it is above 0: the cache's lookup says 1 for any number
    vip: bool = False


class Rule(msgspec.Struct, frozen=True):
    """One validated `[[rule]]`: conditions (None: not checked) and actions."""

    name: str
    networks: frozenset[str] | None = None
    accounts: frozenset[str] | None = None
    pattern: re.Pattern[str] | None = None  # keywords, as whole words/phrases
    # The keywords' first words: a post containing none of them cannot match, so the regex is
    # skipped (a set lookup costs far less than an alternation search).
    first_words: frozenset[str] | None = None
    regex: re.Pattern[str] | None = None
    langs: frozenset[str] | None = None
    sentiments: frozenset[str] | None = None
    intents: frozenset[str] | None = None
    followers_min: int | None = None
    followers_max: int | None = None
    repeat_customer: bool | None = None
    vip: bool | None = None
    kinds: frozenset[str] | None = None  # mention, reply, dm, search, feed
    time_of_day: TimeOfDay | None = None
    # Groups: at least one of `any_of` holds (each: all its conditions); `none_of` must not hold.
    # They hold conditions on the post and its text only (never the author's), so they are tested
    # in the text stage with the rest of those.
    any_of: tuple[Rule, ...] = ()
    none_of: Rule | None = None
    tags: tuple[str, ...] = ()
    assign: str | None = None  # auto-assign matching posts to this agent
    priority: int | None = None
    actionable: bool | None = None
    status: str | None = None  # the status a matching post starts in (escalate sets "escalated")
    escalate: str | None = None  # escalate to this role (tag escalated:<role>)
    notify: tuple[str, ...] = ()  # who gets a notice: "desk" (everyone at the desk) or agents' names
    stop: bool = False

    def matches(
        self,
        view: PostView,
        text: str,
        cls: Classification,
        facts: AuthorFacts,
        vip: bool,
        words: frozenset[str],
    ) -> bool:
        """Whether every condition holds (cheap checks first, regular expressions and detection last)."""
        return (
            self.matches_post(view, cls)
            and self.matches_author(facts, vip)
            and self.matches_text(text, words)
            and self.matches_groups(view, cls, text, words)
            and self.matches_language(view)
        )

    def matches_post(self, view: PostView, cls: Classification) -> bool:
        """Whether the conditions on the post itself and its classification hold (not text, not author,
        not language)."""
        network, account, followers = view.network, view.account, view.followers
        if self.kinds is not None and view.kind not in self.kinds:
            return False
        if self.time_of_day is not None and not self.time_of_day.holds(view.created_at):
            return False
        if self.networks is not None and network not in self.networks:
            return False
        if self.accounts is not None and account not in self.accounts:
            return False
        if self.sentiments is not None and cls.sentiment_label not in self.sentiments:
            return False
        if self.intents is not None and cls.intent not in self.intents:
            return False
        if self.followers_min is not None and followers < self.followers_min:
            return False
        return self.followers_max is None or followers <= self.followers_max

    def matches_language(self, view: PostView) -> bool:
        """Whether the `lang` condition holds: tested last, as a post without the network's language
        costs a detection."""
        return self.langs is None or view.language() in self.langs

    def matches_author(self, facts: AuthorFacts, vip: bool) -> bool:
        """Whether the conditions on what the cache knows about the author hold (repeat customer, VIP)."""
        if self.repeat_customer is not None and (facts.prior_posts > 0) != self.repeat_customer:
            return False
        return self.vip is None or vip == self.vip

    def matches_text(self, text: str, words: frozenset[str]) -> bool:
        """Whether the keywords and regex conditions hold for a shadow text (and its words)."""
        if self.pattern is not None:
            if self.first_words is not None and self.first_words.isdisjoint(words):
                return False
            if not self.pattern.search(text):
                return False
        return self.regex is None or self.regex.search(text) is not None

    def matches_groups(self, view: PostView, cls: Classification, text: str, words: frozenset[str]) -> bool:
        """Whether the `any` and `not` groups hold (each group: its post, text and own group conditions)."""
        if self.any_of and not any(g.holds_alone(view, cls, text, words) for g in self.any_of):
            return False
        return self.none_of is None or not self.none_of.holds_alone(view, cls, text, words)

    def holds_alone(self, view: PostView, cls: Classification, text: str, words: frozenset[str]) -> bool:
        """Whether a group's conditions all hold (groups have no author conditions)."""
        return (
            self.matches_post(view, cls)
            and self.matches_text(text, words)
            and self.matches_groups(view, cls, text, words)
            and self.matches_language(view)
        )
