"""A validated triage rule (`Rule`) and the author facts its conditions read: matching only."""

from __future__ import annotations

import re
from dataclasses import dataclass

from socialdesk.models import Post
from socialdesk.services.classify import Classification

WORD = re.compile(r"\w+")


@dataclass(slots=True)
class AuthorFacts:
    """What the cache knows about a post's author before the post is stored."""

    prior_posts: int = 0
    vip: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
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
    tags: tuple[str, ...] = ()
    assign: str | None = None  # auto-assign matching posts to this agent
    priority: int | None = None
    actionable: bool | None = None
    stop: bool = False

    def matches(
        self, post: Post, text: str, cls: Classification, facts: AuthorFacts, vip: bool, words: frozenset[str]
    ) -> bool:
        """Whether every condition holds (cheap checks first, regular expressions last)."""
        return (
            self.matches_post(post.network, post.account, post.lang, post.author.followers, cls)
            and self.matches_author(facts, vip)
            and self.matches_text(text, words)
        )

    def matches_post(
        self, network: str, account: str, lang: str, followers: int, cls: Classification
    ) -> bool:
        """Whether the conditions on the post itself and its classification hold (not text, not author)."""
        if self.networks is not None and network not in self.networks:
            return False
        if self.accounts is not None and account not in self.accounts:
            return False
        if self.langs is not None and lang.split("-")[0].casefold() not in self.langs:
            return False
        if self.sentiments is not None and cls.sentiment_label not in self.sentiments:
            return False
        if self.intents is not None and cls.intent not in self.intents:
            return False
        if self.followers_min is not None and followers < self.followers_min:
            return False
        return self.followers_max is None or followers <= self.followers_max

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
