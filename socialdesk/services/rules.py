"""The playbook's triage rules (`[[rule]]`, `[vip]`) and the Triager that classifies every incoming post.

A rule is a table of conditions (all must hold; a list means "any of") and actions::

    [[rule]]
    name = "outage wave"
    keywords = ["outage", "is down", "down again"]   # whole words/phrases on the shadow text
    intent = "complaint"
    tag = ["outage"]
    priority = 3                                     # 0 low, 1 normal, 2 high, 3 urgent
    queue = "outages"                                # stored as tag queue:outages
    suggest = "outage-ack"                           # stored as tag suggest:outage-ack
    assign = "dana"                                  # stored as tag assign:dana
    actionable = true
    stop = false                                     # true: later rules are not evaluated

Priority is the highest any matching rule sets (normal when none sets one); `actionable` is the
last matching rule's say (the classifier's otherwise).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from socialdesk.config import SlaSettings
from socialdesk.errors import UserError
from socialdesk.models import Post
from socialdesk.sanitize import shadow
from socialdesk.services.classify import (
    INTENTS,
    SENTIMENT_LABELS,
    Classification,
    Classifier,
    parse_intent_section,
)
from socialdesk.services.playbook import PlaybookFile, load_playbook
from socialdesk.services.triage_offload import TextStageOffload
from socialdesk.store import Triage
from socialdesk.store.queue_queries import author_facts

if TYPE_CHECKING:
    from socialdesk.config import Settings
    from socialdesk.store import Store

PRIORITY_NAMES = ("low", "normal", "high", "urgent")
_LIST_KEYS = ("network", "account", "keywords", "regex", "lang", "sentiment", "intent", "tag")
_STR_KEYS = ("name", "queue", "suggest", "assign")
_INT_KEYS = ("followers_min", "followers_max", "priority")
_BOOL_KEYS = ("repeat_customer", "vip", "actionable", "stop")
RULE_KEYS = (*_STR_KEYS, *_LIST_KEYS, *_INT_KEYS, *_BOOL_KEYS)
_NAME_RE = re.compile(r"^[\w.-]+$")
_WORD = re.compile(r"\w+")


def _handle(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


@dataclass(slots=True)
class AuthorFacts:
    """What the cache knows about a post's author before the post is stored."""

    prior_posts: int = 0
    vip: bool = False


@dataclass(slots=True)
class TriageContext:
    """Facts looked up once per batch, so rules never query the store per post.

    Attributes:
        authors: (network, author native id) -> facts about that author.
    """

    authors: dict[tuple[str, str], AuthorFacts] = field(default_factory=dict)

    def facts(self, post: Post) -> AuthorFacts:
        """The facts about a post's author (defaults when unknown)."""
        return self.authors.get((post.network, post.author.native_id)) or AuthorFacts()


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


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UserError(f"{where} must be a string or a list of strings, got {value!r}")


def parse_rule(raw: Any, index: int, source: str, macros: set[str] | None = None) -> Rule:
    """Validate one `[[rule]]` table.

    Raises:
        UserError: naming the file and the rule for unknown keys, wrong types or bad values.
    """
    if not isinstance(raw, dict):
        raise UserError(f"{source}: rule[{index}] must be a table")
    name = raw.get("name", f"rule {index + 1}")
    label = f"{source}: rule {name!r}"
    if not isinstance(name, str) or not name.strip():
        raise UserError(f"{source}: rule[{index}].name must be a non-empty string")
    kwargs: dict[str, Any] = {"name": name}
    tags: list[str] = []
    for key, value in raw.items():
        where = f"{label}: {key}"
        if key not in RULE_KEYS:
            raise UserError(f"{label}: unknown key {key!r} (known: {', '.join(RULE_KEYS)})")
        if key in _STR_KEYS and not isinstance(value, str):
            raise UserError(f"{where} must be a string, got {value!r}")
        if key in _INT_KEYS and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise UserError(f"{where} must be a whole number >= 0, got {value!r}")
        if key in _BOOL_KEYS and not isinstance(value, bool):
            raise UserError(f"{where} must be true or false, got {value!r}")
        if key == "name":
            continue
        if key in ("network", "account", "lang", "sentiment", "intent"):
            values = _strings(value, where)
            allowed = {"sentiment": SENTIMENT_LABELS, "intent": INTENTS}.get(key)
            bad = [v for v in values if allowed is not None and v not in allowed]
            if bad:
                raise UserError(f"{where}: unknown value {bad[0]!r} (known: {', '.join(allowed or ())})")
            field_name = {
                "network": "networks",
                "account": "accounts",
                "lang": "langs",
                "sentiment": "sentiments",
                "intent": "intents",
            }[key]
            kwargs[field_name] = frozenset(v.casefold() if key == "lang" else v for v in values)
        elif key == "keywords":
            words = [shadow(k) for k in _strings(value, where) if k.strip()]
            if not words:
                raise UserError(f"{where} must name at least one keyword")
            kwargs["pattern"] = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
            firsts = [_WORD.match(w) for w in words]
            if all(firsts):
                kwargs["first_words"] = frozenset(m.group(0) for m in firsts if m)
        elif key == "regex":
            exprs = _strings(value, where)
            try:
                kwargs["regex"] = re.compile("|".join(f"(?:{e})" for e in exprs))
            except re.error as exc:
                raise UserError(f"{where}: not a valid regular expression: {exc}") from None
        elif key == "tag":
            tags += _strings(value, where)
        elif key == "priority":
            if value > 3:
                raise UserError(f"{where} must be 0 (low) to 3 (urgent), got {value}")
            kwargs["priority"] = value
        elif key in ("queue", "suggest", "assign"):
            if not _NAME_RE.match(value):
                raise UserError(f"{where} must be a single word (letters, digits, . _ -), got {value!r}")
            if key == "suggest" and macros is not None and value not in macros:
                raise UserError(f"{where}: no [[macro]] named {value!r} in the playbook")
            tags.append(f"{key}:{value}")
            if key == "assign":
                kwargs["assign"] = value
        else:
            kwargs[key] = value
    bad_tag = next((t for t in tags if not t.strip() or any(c.isspace() for c in t)), None)
    if bad_tag is not None:
        raise UserError(f"{label}: tag {bad_tag!r} must be one word without spaces")
    kwargs["tags"] = tuple(dict.fromkeys(tags))
    return Rule(**kwargs)


def parse_vip(section: Any, source: str) -> dict[str, frozenset[str]]:
    """Validate `[vip]`: network name (or "any") = list of handles.

    Raises:
        UserError: naming the file and key.
    """
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise UserError(f"{source}: [vip] must be a table of network = [handles]")
    return {
        network: frozenset(_handle(h) for h in _strings(handles, f"{source}: vip.{network}"))
        for network, handles in section.items()
    }


def _macro_names(playbook: PlaybookFile) -> set[str] | None:
    macros = playbook.section("macro")
    if not isinstance(macros, list):
        return None
    names = {m.get("name") for m in macros if isinstance(m, dict)}
    names.discard(None)
    # Only check suggestions when every macro is named (the macro section's own schema decides).
    return {str(n) for n in names} if names and len(names) == len(macros) else None


# -- the text stage: what triage can do before the store is consulted ------------------------------

# What the text stage needs of a post: text, network, account, lang, author's followers.
PostFields = tuple[str, str, str, str, int]
# What it finds: sentiment, sentiment label, intent, spam, and a bit mask of the rules whose conditions
# other than the author's (repeat customer, VIP) hold. Plain values: cheap to send between processes.
TextVerdict = tuple[float, str, str, bool, int]


class TextStage:
    """The part of triage that needs no store: classification, and every rule's conditions but the author's.

    It costs most of triage's time (VADER and the intent expressions), so large batches run it in a
    worker process while the sync engine stores the previous page (see `triage_offload`). Picklable:
    each worker process gets a copy once.
    """

    __slots__ = ("classifier", "prefilter", "rules")

    def __init__(self, classifier: Classifier, rules: Sequence[Rule]) -> None:
        self.classifier = classifier
        self.rules = tuple(rules)
        self.prefilter = any(r.first_words is not None for r in self.rules)

    def __getstate__(self) -> tuple[Classifier, tuple[Rule, ...]]:
        return self.classifier, self.rules

    def __setstate__(self, state: tuple[Classifier, tuple[Rule, ...]]) -> None:
        self.classifier, self.rules = state
        self.prefilter = any(r.first_words is not None for r in self.rules)

    def verdict(self, post: PostFields) -> TextVerdict:
        """Classify a post's text; test each rule's text conditions where its post conditions hold."""
        text, network, account, lang, followers = post
        shadow_text = shadow(text)
        cls = self.classifier.classify(text, shadow_text)
        words = frozenset(_WORD.findall(shadow_text)) if self.prefilter else frozenset()
        mask = 0
        for i, rule in enumerate(self.rules):
            if not rule.matches_post(network, account, lang, followers, cls):
                continue
            if rule.matches_text(shadow_text, words):
                mask |= 1 << i
        return cls.sentiment, cls.sentiment_label, cls.intent, cls.spam, mask

    def verdicts(self, posts: Sequence[PostFields]) -> list[TextVerdict]:
        """`verdict` for each post."""
        return [self.verdict(p) for p in posts]

    @staticmethod
    def fields(post: Post) -> PostFields:
        """What the text stage needs of a post (cheap to send to a worker)."""
        return post.text, post.network, post.account, post.lang, post.author.followers


class Triager(TextStageOffload):
    """Classifies posts and applies the playbook's rules; one per playbook, shared between threads.

    Args:
        rules: validated rules in playbook order.
        sla: first-response targets (due_at = created_at + target for the priority).
        classifier: sentiment/intent/spam classifier (default: built-in rules only).
        vip: handles per network ("any" for every network).
        offload: run the text stage of large batches in a worker process (`batches`, from
            `triage_offload.TextStageOffload`); only worth it with a spare CPU core.
    """

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        sla: SlaSettings | None = None,
        classifier: Classifier | None = None,
        vip: dict[str, frozenset[str]] | None = None,
        offload: bool | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.sla = sla or SlaSettings()
        self.classifier = classifier or Classifier()
        self.vip = vip or {}
        self._any_vip = self.vip.get("any", frozenset())
        self._prefilter = any(r.first_words is not None for r in self.rules)
        self._needs_facts = any(r.repeat_customer is not None or r.vip is not None for r in self.rules)
        self._stage = TextStage(self.classifier, self.rules)
        super().__init__(offload)

    @classmethod
    def from_playbook(cls, playbook: PlaybookFile, sla: SlaSettings | None = None) -> Triager:
        """Build from a loaded playbook (validates `rule`, `vip` and `intent`)."""
        raw_rules = playbook.section("rule", [])
        if not isinstance(raw_rules, list):
            raise UserError(f"{playbook.source}: rules must be written as [[rule]] tables")
        macros = _macro_names(playbook)
        rules = [parse_rule(r, i, playbook.source, macros) for i, r in enumerate(raw_rules)]
        names = [r.name for r in rules]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise UserError(f"{playbook.source}: two rules are named {dup!r}")
        extra = parse_intent_section(playbook.section("intent"), playbook.source)
        return cls(rules, sla, Classifier(extra), parse_vip(playbook.section("vip"), playbook.source))

    @classmethod
    def from_settings(cls, settings: Settings, playbook: str | None = None) -> Triager:
        """Build from the configured playbook (or `playbook`, a path) and SLA targets."""
        return cls.from_playbook(load_playbook(playbook or settings.desk.playbook), settings.sla)

    def is_vip(self, post: Post, facts: AuthorFacts) -> bool:
        """Whether the author is on the playbook's VIP list or flagged VIP in the cache."""
        if facts.vip:
            return True
        handle = _handle(post.author.handle)
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
        text = ""
        words: frozenset[str] = frozenset()
        mask: int | None = None
        if verdict is None:
            text = shadow(post.text)
            cls = self.classifier.classify(post.text, text)
            words = frozenset(_WORD.findall(text)) if self._prefilter else frozenset()
        else:
            cls = Classification(*verdict[:4])
            mask = verdict[4]
        facts = context.facts(post) if context is not None else AuthorFacts()
        vip = self.is_vip(post, facts)
        tags: list[str] = ["spam"] if cls.spam else []
        if vip:
            tags.append("vip")
        priority: int | None = None
        assigned_to = ""
        actionable = cls.actionable
        for i, rule in enumerate(self.rules):
            if mask is None:
                if not rule.matches(post, text, cls, facts, vip, words):
                    continue
            elif not (mask >> i & 1 and rule.matches_author(facts, vip)):
                continue
            tags.extend(rule.tags)
            if rule.priority is not None:
                priority = rule.priority if priority is None else max(priority, rule.priority)
            if rule.actionable is not None:
                actionable = rule.actionable
            if rule.assign:
                assigned_to = rule.assign
            if rule.stop:
                break
        final = 1 if priority is None else priority
        due = post.created_at + self.sla.minutes(final) * 60 if actionable and not post.is_ours else None
        return Triage(
            status="new",
            priority=final,
            sentiment=cls.sentiment,
            sentiment_label=cls.sentiment_label,
            intent=cls.intent,
            actionable=actionable,
            due_at=due,
            tags=tuple(dict.fromkeys(tags)),
            assigned_to=assigned_to,
        )

    def context_for(self, posts: Sequence[Post], conn: sqlite3.Connection | None) -> TriageContext:
        """Look up the authors of a batch once: earlier posts per customer (cache + batch) and VIP flags."""
        keys = list(dict.fromkeys((p.network, p.author.native_id) for p in posts))
        known = author_facts(conn, keys) if conn is not None and self._needs_facts else {}
        context = TriageContext({k: AuthorFacts(*known.get(k, (0, False))) for k in keys})
        return context

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
        conn = store if isinstance(store, sqlite3.Connection) or store is None else store.conn
        context = self.context_for(posts, conn)
        order = sorted(range(len(posts)), key=lambda i: posts[i].created_at)
        results: list[Triage | None] = [None] * len(posts)
        for i in order:
            post = posts[i]
            results[i] = self.triage(post, context, None if verdicts is None else verdicts[i])
            facts = context.authors.setdefault((post.network, post.author.native_id), AuthorFacts())
            facts.prior_posts += 1
        return results  # type: ignore[return-value]  # every slot is filled

    __call__ = triage_many


def summarize(triages: Iterable[Triage], key: Callable[[Triage], Iterable[str]]) -> dict[str, int]:
    """Counts of the values `key` yields over many triages (for the dry run's report)."""
    counts: dict[str, int] = {}
    for t in triages:
        for value in key(t):
            counts[value] = counts.get(value, 0) + 1
    return counts
