"""The Triager: classifies every incoming post and applies the playbook's rules (see `rule_parse`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import msgspec

from socialdesk.config import SlaSettings
from socialdesk.models import Post
from socialdesk.sanitize import shadow
from socialdesk.services.classify import Classification, Classifier, actionable
from socialdesk.services.intents import parse_intent_section
from socialdesk.services.language import LanguageGuesser, LazyLanguage
from socialdesk.services.playbook import PlaybookFile, load_playbook
from socialdesk.services.rule_match import WORD as _WORD
from socialdesk.services.rule_match import AuthorFacts, PostView, Rule
from socialdesk.services.rule_parse import handle_key, parse_rule, parse_rules, parse_vip
from socialdesk.services.sla_policy import SlaPolicy, parse_sla
from socialdesk.services.triage_offload import TextStageOffload
from socialdesk.store import Triage
from socialdesk.store.identities import IdentityRow
from socialdesk.store.retriage_queries import author_facts, author_facts_before

if TYPE_CHECKING:
    from socialdesk.config import Settings
    from socialdesk.store import Store
    from socialdesk.store.known_authors import KnownAuthors

__all__ = ["AuthorFacts", "Decision", "Rule", "Triager", "parse_rule", "parse_vip"]

PRIORITY_NAMES = ("low", "normal", "high", "urgent")


class Decision(msgspec.Struct, frozen=True):
    """One post's triage and how it came about (for `rules explain` and the dry run)."""

    triage: Triage
    fired: tuple[int, ...] = ()  # the rules that fired, as indices in playbook order
    stopped_by: int | None = None  # the rule whose `stop` ended the evaluation
    classified_actionable: bool = True  # the classifier's say, before any rule's
    lang_guess: str | None = None  # the detected language, when a rule needed one ("" unsure)


class TriageContext(msgspec.Struct):
    """Facts looked up once per batch, so rules never query the store per post.

    Attributes:
        authors: (network, author native id) -> facts about that author.
    """

    authors: dict[tuple[str, str], AuthorFacts] = msgspec.field(default_factory=dict)

    def facts(self, post: Post) -> AuthorFacts:
        """The facts about a post's author (defaults when unknown)."""
        return self.authors.get((post.network, post.author.native_id)) or AuthorFacts()


# -- the text stage: what triage can do before the store is consulted ------------------------------

# What the text stage needs of a post: text, network, account, lang, author's followers, kind, created_at.
PostFields = tuple[str, str, str, str, int, str, float]
# What it finds: sentiment, sentiment label, intent, spam, and a bit mask of the rules whose conditions
# other than the author's (repeat customer, VIP) hold. Plain values: cheap to send between processes.
TextVerdict = tuple[float, str, str, bool, int]
# What the rules do for one combination of verdict mask and author (see `Triager._from_verdict`):
# fired, stopped_by, tags, priority, actionable, status, assigned_to, notices.
_Outcome = tuple[
    tuple[int, ...], int | None, tuple[str, ...], int, bool, str, str, tuple[tuple[str, str], ...]
]


class TextStage:
    """The part of triage that needs no store: classification, and every rule's conditions but the author's.

    It costs most of triage's time (VADER and the intent expressions), so large batches run it in a
    worker process while the sync engine stores the previous page (see `triage_offload`). Picklable:
    each worker process gets a copy once.
    """

    __slots__ = ("classifier", "guesser", "prefilter", "rules")

    def __init__(
        self, classifier: Classifier, rules: Sequence[Rule], guesser: LanguageGuesser | None = None
    ) -> None:
        self.classifier = classifier
        self.rules = tuple(rules)
        self.guesser = guesser
        self.prefilter = needs_words(self.rules)

    def __getstate__(self) -> tuple[Classifier, tuple[Rule, ...], LanguageGuesser | None]:
        return self.classifier, self.rules, self.guesser

    def __setstate__(self, state: tuple[Classifier, tuple[Rule, ...], LanguageGuesser | None]) -> None:
        self.classifier, self.rules, self.guesser = state
        self.prefilter = needs_words(self.rules)

    def verdict(self, post: PostFields) -> TextVerdict:
        """Classify a post's text; test each rule's text conditions where its post conditions hold."""
        text = post[0]
        detect = LazyLanguage(self.guesser, text) if self.guesser is not None and not post[3] else None
        view = PostView(*post[1:], detect=detect)
        shadow_text = shadow(text)
        cls = self.classifier.classify(text, shadow_text)
        words = frozenset(_WORD.findall(shadow_text)) if self.prefilter else frozenset()
        mask = 0
        for i, rule in enumerate(self.rules):
            if not rule.matches_post(view, cls):
                continue
            if (
                rule.matches_text(shadow_text, words)
                and rule.matches_groups(view, cls, shadow_text, words)
                and rule.matches_language(view)
            ):
                mask |= 1 << i
        return cls.sentiment, cls.sentiment_label, cls.intent, cls.spam, mask

    def verdicts(self, posts: Sequence[PostFields]) -> list[TextVerdict]:
        """`verdict` for each post."""
        return [self.verdict(p) for p in posts]

    @staticmethod
    def fields(post: Post) -> PostFields:
        """What the text stage needs of a post (cheap to send to a worker)."""
        return (
            post.text,
            post.network,
            post.account,
            post.lang,
            post.author.followers,
            post.kind,
            post.created_at,
        )


def named_languages(rules: Sequence[Rule]) -> set[str]:
    """Every language a rule's (or group's) `lang` condition names."""
    found: set[str] = set()
    for r in rules:
        found |= set(r.langs or ())
        found |= named_languages(r.any_of)
        if r.none_of is not None:
            found |= named_languages([r.none_of])
    return found


def needs_words(rules: Sequence[Rule]) -> bool:
    """Whether any rule (or group) has keywords whose first words pre-filter posts."""
    return any(
        r.first_words is not None
        or needs_words(r.any_of)
        or (r.none_of is not None and needs_words([r.none_of]))
        for r in rules
    )


class Triager(TextStageOffload):
    """Classifies posts and applies the playbook's rules; one per playbook, shared between threads.

    Args:
        rules: validated rules in playbook order.
        sla: first-response targets: per priority (SlaSettings) or the playbook's policy (SlaPolicy:
            by condition, on business hours); due_at = when the first response is due.
        classifier: sentiment/intent/spam classifier (default: built-in rules only).
        vip: handles per network ("any" for every network).
        offload: run the text stage of large batches in a worker process (`batches`, from
            `triage_offload.TextStageOffload`); only worth it with a spare CPU core.
    """

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        sla: SlaSettings | SlaPolicy | None = None,
        classifier: Classifier | None = None,
        vip: dict[str, frozenset[str]] | None = None,
        offload: bool | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.sla = sla if isinstance(sla, SlaPolicy) else SlaPolicy(sla or SlaSettings())
        self.classifier = classifier or Classifier()
        self.vip = vip or {}
        self._any_vip = self.vip.get("any", frozenset())
        self._listed_vips = any(self.vip.values())  # else no handle needs comparing
        self._prefilter = needs_words(self.rules)
        self._needs_facts = any(r.repeat_customer is not None or r.vip is not None for r in self.rules)
        # Posts without the network's language are detected only when a rule names a language.
        langs = named_languages(self.rules)
        self.guesser = LanguageGuesser(langs) if langs else None
        self._stage = TextStage(self.classifier, self.rules, self.guesser)
        self._outcomes: dict[tuple[int, bool, bool, bool, bool], _Outcome] = {}
        # Live sync's Triager counts each rule's hits on new posts (`rules test` shows them).
        self.count_hits = False
        super().__init__(offload)

    @classmethod
    def from_playbook(cls, playbook: PlaybookFile, sla: SlaSettings | None = None) -> Triager:
        """Build from a loaded playbook (validates `rule`, `vip` and `intent`)."""
        rules = parse_rules(playbook)
        extra = parse_intent_section(playbook.section("intent"), playbook.source)
        policy = parse_sla(playbook.section("sla"), playbook.source, sla)
        return cls(rules, policy, Classifier(extra), parse_vip(playbook.section("vip"), playbook.source))

    @classmethod
    def from_settings(cls, settings: Settings, playbook: str | None = None) -> Triager:
        """Build from the configured playbook (or `playbook`, a path) and SLA targets."""
        return cls.from_playbook(load_playbook(playbook or settings.desk.playbook), settings.sla)

    def is_vip(self, post: Post, facts: AuthorFacts) -> bool:
        """Whether the author is on the playbook's VIP list or flagged VIP in the cache."""
        if facts.vip:
            return True
        handle = handle_key(post.author.handle)
        return handle in self._any_vip or handle in self.vip.get(post.network, ())

    def triage(
        self, post: Post, context: TriageContext | None = None, verdict: TextVerdict | None = None
    ) -> Triage:
        """Classify one post and apply the rules.

        Args:
            post: an incoming post.
            context: author facts for repeat-customer and VIP rules (see `context_for`).
            verdict: the post's text stage, when already computed (`TextStage.verdict`).
        """
        return self.decide(post, context, verdict).triage

    def decide(
        self, post: Post, context: TriageContext | None = None, verdict: TextVerdict | None = None
    ) -> Decision:
        """`triage`, saying which rules fired and which one's `stop` ended the evaluation."""
        if verdict is not None:
            return self._decide_verdict(post, context, verdict)
        text = shadow(post.text)
        cls = self.classifier.classify(post.text, text)
        words = frozenset(_WORD.findall(text)) if self._prefilter else frozenset()
        facts = context.facts(post) if context is not None else AuthorFacts()
        vip = self.is_vip(post, facts)
        detect = LazyLanguage(self.guesser, post.text) if self.guesser is not None and not post.lang else None
        view = PostView.of(post, detect)
        outcome = self._apply(lambda _, rule: rule.matches(view, text, cls, facts, vip, words), cls, vip)
        triage = self._triage_of(post, cls.sentiment, cls.sentiment_label, cls.intent, vip, outcome)
        guess = detect.guessed if detect is not None else None
        return Decision(triage, outcome[0], outcome[1], cls.actionable, guess)

    def _decide_verdict(self, post: Post, context: TriageContext | None, verdict: TextVerdict) -> Decision:
        """`decide` from the text stage's verdict: only the author's conditions are left to test."""
        facts = context.facts(post) if context is not None else AuthorFacts()
        triage, outcome = self._from_verdict(post, facts, verdict)
        # The text stage detected any language it needed; `decide` reports a guess only when it ran it.
        return Decision(triage, outcome[0], outcome[1], actionable(verdict[3], verdict[2]), None)

    def _from_verdict(self, post: Post, facts: AuthorFacts, verdict: TextVerdict) -> tuple[Triage, _Outcome]:
        """A post's triage from its verdict and author facts, and what the rules did.

        What the rules do depends only on which of them held in the text stage, whether the author
        is a repeat customer and a VIP, and the classification; that outcome is worked out once
        per combination (a batch holds few), then each post gets its own due time.
        """
        vip = facts.vip or (self._listed_vips and self.is_vip(post, facts))
        spam = verdict[3]
        key = (verdict[4], facts.prior_posts > 0, vip, spam, actionable(spam, verdict[2]))
        outcome = self._outcomes.get(key)
        if outcome is None:
            mask = verdict[4]
            outcome = self._apply(
                lambda i, rule: bool(mask >> i & 1) and rule.matches_author(facts, vip),
                Classification(*verdict[:4]),
                vip,
            )
            if len(self._outcomes) >= 4096:  # a bound on memory only: each entry is tiny
                self._outcomes.clear()
            self._outcomes[key] = outcome
        return self._triage_of(post, verdict[0], verdict[1], verdict[2], vip, outcome), outcome

    def _apply(self, holds: Callable[[int, Rule], bool], cls: Classification, vip: bool) -> _Outcome:
        """What the rules do, in playbook order, for those that `holds(index, rule)` (until a `stop`)."""
        tags: list[str] = ["spam"] if cls.spam else []
        if vip:
            tags.append("vip")
        priority: int | None = None
        assigned_to = ""
        status = "new"
        actionable = cls.actionable
        fired: list[int] = []
        notices: list[tuple[str, str]] = []
        stopped_by: int | None = None
        for i, rule in enumerate(self.rules):
            if not holds(i, rule):
                continue
            fired.append(i)
            tags.extend(rule.tags)
            if rule.priority is not None:
                priority = rule.priority if priority is None else max(priority, rule.priority)
            if rule.actionable is not None:
                actionable = rule.actionable
            if rule.status is not None:
                status = rule.status
            if rule.escalate:
                status = "escalated"
                tags.append(f"escalated:{rule.escalate}")
            if rule.assign:
                assigned_to = rule.assign
            notices.extend((audience, f"rule {rule.name!r}") for audience in rule.notify)
            if rule.stop:
                stopped_by = i
                break
        final = 1 if priority is None else priority
        return (
            tuple(fired),
            stopped_by,
            tuple(dict.fromkeys(tags)),
            final,
            actionable,
            status,
            assigned_to,
            tuple(dict.fromkeys(notices)),
        )

    def _triage_of(
        self, post: Post, sentiment: float, label: str, intent: str, vip: bool, outcome: _Outcome
    ) -> Triage:
        """A post's triage from its classification and what the rules did (`_apply`): the due time is
        the post's own."""
        _, _, tags, priority, actionable, status, assigned_to, notices = outcome
        ours = post.is_ours
        return Triage(
            status=status,
            priority=priority,
            sentiment=sentiment,
            sentiment_label=label,
            intent=intent,
            actionable=actionable,
            due_at=self.sla.due(post.created_at, post.network, priority, vip)
            if actionable and not ours
            else None,
            tags=tags,
            assigned_to=assigned_to,
            notify=notices if not ours else (),
        )

    def decide_stored(self, page: Sequence[tuple[int, Post]], conn: sqlite3.Connection) -> list[Decision]:
        """Re-triage stored posts (id, post) as live sync did when each arrived.

        A post's author facts count only the customer's posts stored before it: a post is never its
        own earlier post, and a later post never makes an earlier one a repeat.
        """
        facts = author_facts_before(conn, [post_id for post_id, _ in page]) if self._needs_facts else {}
        decisions = []
        for post_id, post in page:
            prior, vip = facts.get(post_id, (0, False))
            context = TriageContext({(post.network, post.author.native_id): AuthorFacts(prior, vip)})
            decisions.append(self.decide(post, context))
        return decisions

    def context_for(
        self,
        posts: Sequence[Post],
        conn: sqlite3.Connection | None,
        identities: dict[tuple[str, str], IdentityRow] | None = None,
        remembered: KnownAuthors | None = None,
    ) -> TriageContext:
        """Look up the authors of a batch once: earlier posts per customer (cache + batch) and VIP flags.

        Args:
            identities: filled with the stored identities read on the way (see `author_facts`).
            remembered: what this sync already knows of some authors (`Store.remembering_authors`):
                only the others are read, and what is read is added to it.
        """
        keys = list(dict.fromkeys((p.network, p.author.native_id) for p in posts))
        if conn is None or not self._needs_facts:
            return TriageContext({k: AuthorFacts() for k in keys})
        if remembered is None:
            known = author_facts(conn, keys, identities)
            return TriageContext({k: AuthorFacts(*known.get(k, (0, False))) for k in keys})
        identities = {} if identities is None else identities
        facts: dict[tuple[str, str], AuthorFacts] = {}
        unknown = []
        for key in keys:
            found = remembered.facts(key)
            if found is None:
                unknown.append(key)
            else:
                facts[key] = AuthorFacts(*found)
                identities[key] = remembered.identities[key]
        read: dict[tuple[str, str], IdentityRow] = {}
        known = author_facts(conn, unknown, read) if unknown else {}
        remembered.learn(known, read)
        identities.update(read)
        for key in unknown:
            facts[key] = AuthorFacts(*known.get(key, (0, False)))
        return TriageContext({k: facts[k] for k in keys})

    def triage_many(
        self,
        posts: Sequence[Post],
        store: Store | sqlite3.Connection | None = None,
        *,
        verdicts: Sequence[TextVerdict] | None = None,
    ) -> list[Triage]:
        """Triage a batch with one store lookup for the whole batch (the sync engine's `TriageFn`).

        Posts by the same author earlier in the batch count as prior posts for the later ones.

        Args:
            posts: the batch.
            store: the cache the author facts come from (None: no facts).
            verdicts: the posts' text stage, in the same order, when already computed.
        """
        cache: Store | None = None
        if store is None or isinstance(store, sqlite3.Connection):
            conn = store
        else:
            cache, conn = store, store.conn
        identities: dict[tuple[str, str], IdentityRow] = {}
        remembered = cache.known_authors() if cache is not None else None
        context = self.context_for(posts, conn, identities, remembered)
        order = sorted(range(len(posts)), key=lambda i: posts[i].created_at)
        results: list[Triage] = [Triage()] * len(posts)
        fired: list[tuple[int, ...]] = [()] * len(posts)
        authors = context.authors
        for i in order:
            post = posts[i]
            key = (post.network, post.author.native_id)
            facts = authors.get(key)
            if facts is None:
                facts = authors[key] = AuthorFacts()
            if verdicts is None:
                decision = self.decide(post, context)
                results[i], fired[i] = decision.triage, decision.fired
            else:  # the sync engine's path: no Decision per post
                results[i], outcome = self._from_verdict(post, facts, verdicts[i])
                fired[i] = outcome[0]
            facts.prior_posts += 1
        if self.count_hits and conn is not None:
            self._name_hits(posts, fired, results)
        if self._needs_facts and cache is not None:
            # Storing the batch next resolves its authors from what the facts read (Store.remember_authors).
            cache.remember_authors(context.authors, identities)
        return results

    def _name_hits(self, posts: Sequence[Post], fired: list[tuple[int, ...]], results: list[Triage]) -> None:
        """Name the rules each inbound post fired in its triage (`Triage.hits`): storing counts them
        for the posts it stores as new (`Store.upsert_posts`), so a re-delivery counts once."""
        names: dict[tuple[int, ...], tuple[str, ...]] = {(): ()}
        for post, indices, triage in zip(posts, fired, results, strict=True):
            if post.is_ours:  # our replies: no rule work
                continue
            hits = names.get(indices)
            if hits is None:
                hits = names[indices] = tuple(self.rules[i].name for i in indices)
            triage.hits = hits

    __call__ = triage_many


def summarize(triages: Iterable[Triage], key: Callable[[Triage], Iterable[str]]) -> dict[str, int]:
    """Counts of the values `key` yields over many triages (for the dry run's report)."""
    counts: dict[str, int] = {}
    for t in triages:
        for value in key(t):
            counts[value] = counts.get(value, 0) + 1
    return counts
