"""The intent vocabulary (complaint, question, praise, spam) and the playbook's `[intent]` additions to it."""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from socialdesk.errors import UserError
from socialdesk.sanitize import shadow
from socialdesk.services.regex_screen import screened

INTENTS = ("question", "complaint", "praise", "other")
# Intents the playbook may extend ("spam" marks posts not worth a reply).
EXTENSIBLE = ("question", "complaint", "praise", "spam")


def _words(*alternatives: str) -> str:
    return r"\b(?:" + "|".join(alternatives) + r")\b"


COMPLAINT = (
    # delivery
    _words(
        r"never (?:arrived|came|showed up|turned up|received|delivered)",
        r"(?:has|have)n'?t (?:arrived|come)",
        r"not (?:arrived|delivered|received)",
        r"where(?:'s| is) my (?:order|package|parcel|delivery|refund)",
        r"still (?:waiting|nothing|no sign|not)",
        r"late (?:again|delivery|order)",
        r"(?:is|was|arrived) late",
        r"missing items?",
        r"wrong (?:item|order|address|items)",
        r"\d+ (?:hours?|days?|weeks?|mins?|minutes?) late",
        r"(?:arrived|came|received|got|was|were|is|are)(?: a| an)? (?:broken|damaged|smashed)",
        r"damaged (?:box|bag|goods|again)",
        r"smashed",
        r"leaking",
        r"soaked",
        r"ruined",
        r"lost (?:my )?(?:package|parcel|order)",
        r"tracking says delivered",
        r"someone else'?s",
        r"thawed",
        r"melted",
        r"squashed",
        r"rotten",
        r"mouldy|moldy",
        r"expired",
        r"incomplete",
    ),
    # billing
    _words(
        r"charged (?:me )?twice",
        r"double[- ]charged",
        r"overcharged",
        r"still took",
        r"took my money",
        r"hidden fee",
        r"service fee",
        r"(?:two|2|double) payments",
        r"unauthori[sz]ed",
        r"refund (?:still|promised|never)",
        r"(?:want|need|demand) (?:a |my )?refund",
        r"still charg\w*",
        r"charged (?:me )?(?:for|again|after)",
    ),
    # outage
    _words(
        r"outage",
        r"(?:is|are|app|site|website|server|servers) down",
        r"down again",
        r"down for",
        r"not working",
        r"(?:does|do|did)(?:n'?t| not) work",
        r"stopped working",
        r"won'?t (?:load|open|let me)",
        r"can'?t (?:log ?in|sign ?in|pay|check ?out|place|access|connect)",
        r"cannot (?:log ?in|pay|access)",
        r"keeps? (?:crashing|failing|freezing)",
        r"crash(?:ed|es|ing)?",
        r"error \d+",
        r"errors?",
        r"service unavailable",
        r"just spins",
        r"broken",
        r"glitch\w*",
        r"bug(?:gy)?",
        r"failed",
    ),
    # general dissatisfaction
    _words(
        r"terrible",
        r"awful",
        r"horrible",
        r"worst",
        r"unacceptable",
        r"ridiculous",
        r"disgusting",
        r"disappointed",
        r"disappointing",
        r"useless",
        r"pathetic",
        r"scam",
        r"rip[- ]?off",
        r"fed up",
        r"sick of",
        r"not (?:ok|okay|good enough|happy)",
        r"furious",
        r"angry",
        r"complain\w*",
        r"shambles",
        r"appalling",
        r"rude",
        r"ignored",
        r"no (?:one|body) (?:replies|answers|responds)",
        r"no response",
        r"still no reply",
        r"explain this again",
    ),
    r"[😡🤬😤👎]",
    # other languages VADER does not score
    r"no funciona|no ha llegado|no lleg[oó]|lleg[oó] incompleto|faltan|reembolso|ne (?:marche|fonctionne) pas"
    r"|pas (?:re[cç]u|arriv[ée])|remboursement|funktioniert nicht|nicht angekommen|überfällig|erstattung"
    r"|enttäuschend|届きません|届かない|не работает|не пришл|не приш[её]л|лم يصل|لم يصل",
)
QUESTION = (
    r"[?？¿]",
    r"^(?:@\S+\s+)*(?:how|what|when|where|why|who|which|can|could|do|does|did|is|are|will|would|should|"
    r"may|has|have|any(?:one|body)? know)\b",
    _words(
        r"how (?:do|can|to) i",
        r"is there (?:a|any) way",
        r"wondering (?:if|whether|how)",
        r"is it possible",
        r"(?:i'?d|i would) like to know",
        r"any idea",
    ),
)
PRAISE = (
    _words(
        r"thanks?",
        r"thank ?you",
        r"thx",
        r"ty",
        r"cheers",
        r"love[sd]?",
        r"loving",
        r"brilliant",
        r"amazing",
        r"awesome",
        r"great (?:service|job|work|app|team)",
        r"well done",
        r"kudos",
        r"shout ?out",
        r"impressed",
        r"fantastic",
        r"excellent",
        r"superb",
        r"best",
        r"legend",
        r"lifesaver",
        r"that worked",
        r"sorted",
        r"on time",
        r"delighted",
        r"happy",
        r"recommend",
        r"gracias",
        r"merci",
        r"danke",
        r"спасибо",
        r"супер",
    ),
    r"[👏🙏❤💚😍🥰💯🙌]|ありがとう|شكرا",
)
SPAM = (
    _words(
        r"crypto\w*",
        r"bitcoin",
        r"btc",
        r"forex",
        r"nft",
        r"giveaway",
        r"f4f",
        r"follow for follow",
        r"follow back",
        r"free (?:followers|vouchers?|gift ?cards?|iphone|money)",
        r"earn \$+",
        r"dm me for",
        r"check (?:out )?my (?:profile|bio|page|channel)",
        r"click (?:here|the link|link in bio)",
        r"link in (?:my )?bio",
        r"onlyfans",
        r"whatsapp \+?\d",
        r"telegram @",
        r"make money",
        r"work from home",
        r"claim (?:your|now|£|\$)",
        r"investment opportunity",
        r"passive income",
        r"sugar daddy",
        r"xxx",
    ),
    r"\${3,}|(?:#\w+\W*){5,}",
)


class IntentPatterns(msgspec.Struct):
    """Extra keywords and regular expressions for one intent (from the playbook's `[intent]`)."""

    keywords: list[str] = msgspec.field(default_factory=list)
    regex: list[str] = msgspec.field(default_factory=list)

    def pattern(self) -> str:
        """One alternation matching any keyword (as whole words, shadowed) or any expression."""
        parts = [_words(re.escape(shadow(k))) for k in self.keywords if k.strip()]
        parts += [f"(?:{r})" for r in self.regex]
        return "|".join(parts)


def parse_intent_section(section: object, source: str) -> dict[str, IntentPatterns]:
    """Validate the playbook's `[intent]` table: `[intent.<name>] keywords = [...] regex = [...]`.

    Raises:
        UserError: naming the file and key for an unknown intent, key, wrong type or bad regex.
    """
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise UserError(f"{source}: [intent] must be a table of [intent.<name>] tables")
    found: dict[str, IntentPatterns] = {}
    for name, table in section.items():
        where = f"intent.{name}"
        if name not in EXTENSIBLE:
            raise UserError(f"{source}: unknown intent [{where}] (known: {', '.join(EXTENSIBLE)})")
        if not isinstance(table, dict):
            raise UserError(f"{source}: [{where}] must be a table with keywords and/or regex")
        extra = IntentPatterns()
        for key, value in table.items():
            if key not in ("keywords", "regex"):
                raise UserError(f"{source}: unknown key {where}.{key} (known: keywords, regex)")
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UserError(f"{source}: {where}.{key} must be a list of strings, got {value!r}")
            for expr in value if key == "regex" else ():
                try:
                    re.compile(expr)
                except re.error as exc:
                    raise UserError(f"{source}: {where}.regex {expr!r} is not a valid regex: {exc}") from None
            setattr(extra, key, list(value))
        found[name] = extra
    return found


def compile_intent(
    builtin: Iterable[str], extra: IntentPatterns | None, *, screen: bool = True
) -> re.Pattern[str]:
    """One expression for an intent: its built-in vocabulary, then the playbook's additions.

    The built-in vocabulary is screened by the characters its matches begin with
    (`regex_screen.screened`: the same matches, found in about two thirds of the time on the bench's
    texts); `screen=False` compiles it as written.
    """
    vocabulary = "|".join(f"(?:{p})" for p in builtin)
    parts = [f"(?:{screened(vocabulary) if screen else vocabulary})"]
    if extra is not None and (extra_pattern := extra.pattern()):
        parts.append(f"(?:{extra_pattern})")
    return re.compile("|".join(parts), re.MULTILINE)
