"""A status' length as a Mastodon server counts it (StatusLengthValidator#countable_text).

The server finds URLs and mentions with twitter-text as Mastodon reconfigures it
(config/initializers/twitter_regex.rb, app/lib/extractor.rb, Account::MENTION_RE), drops entities
that overlap an earlier one, rewrites each URL as 23 characters (the instance's
`characters_reserved_per_url`) and each mention `@user@domain` as `@user`, then counts grapheme
clusters. Mastodon's overrides, compared with twitter-text:

- a URL needs its protocol, and http(s), dat, dweb, ipfs, ipns, ssb, gopher and gemini all count;
- a path is greedy: any run of non-whitespace but `<>()?`, ending on anything but
  `()?!*"'「」<>;:=,.$%[]~&|@` (or a balanced parenthesis); the query allows any non-ASCII letter;
- a mention's user part is ASCII (`[a-z0-9_]+([.-]+[a-z0-9_]+)*`), its domain any Unicode word
  characters (letters, marks, decimal digits, connector punctuation) joined by `.` or `-`, and it
  must not follow `=`, `/` or a word character, nor be followed by `@`, a Latin accent or `://`.

The domain and TLD rules are twitter-text's own (the `twitter-text-parser` package's patterns).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from socialdesk import twitter_text_loader

if TYPE_CHECKING:
    from types import ModuleType

    import regex

URL_WEIGHT = 23  # StatusLengthValidator::URL_PLACEHOLDER_CHARS
MAX_URL_LENGTH = 4096  # twitter-text's is_valid_domain
MAX_DOMAIN_LENGTH = 253  # a longer mention domain is no mention (Extractor::MAX_DOMAIN_LENGTH)
_PROTOCOLS = "https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini"
_UCHARS = (
    r"\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF\U00010000-\U0001FFFD\U00020000-\U0002FFFD"
    r"\U00030000-\U0003FFFD\U00040000-\U0004FFFD\U00050000-\U0005FFFD\U00060000-\U0006FFFD"
    r"\U00070000-\U0007FFFD\U00080000-\U0008FFFD\U00090000-\U0009FFFD\U000A0000-\U000AFFFD"
    r"\U000B0000-\U000BFFFD\U000C0000-\U000CFFFD\U000D0000-\U000DFFFD\U000E1000-\U000EFFFD"
    r"\U0000E000-\U0000F8FF\U000F0000-\U000FFFFD\U00100000-\U0010FFFD"
)
_WORD = r"\p{L}\p{M}\p{Nd}\p{Pc}"  # Ruby's [[:word:]] on a UTF-8 string


@cache
def _url() -> regex.Pattern[str]:
    """twitter-text's valid_url with Mastodon's overrides (compiled on first use: ~40 ms)."""
    import regex

    twitter_text_loader.load()
    from twitter_text.regexp.valid_domain import valid_domain
    from twitter_text.regexp.valid_port_number import valid_port_number
    from twitter_text.regexp.valid_url_balanced_parens import valid_url_balanced_parens
    from twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

    path_char = r"[^\p{White_Space}<>()?]"
    # The ending's parenthesis alternative was interpolated before Mastodon redefined the balanced
    # parentheses, so it still holds twitter-text's own.
    ending = r"""[^\p{White_Space}()?!*"'「」<>;:=,.$%\[\]~&|@]"""
    path_end = rf"(?:{ending}|(?:{valid_url_balanced_parens.pattern}))"
    parens = rf"(?:\((?:{path_char}+|(?:{path_char}*\({path_char}+\){path_char}*))\))"
    path = rf"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end})|(?:{path_char}+/))"
    query = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{_UCHARS}]"
    query_end = rf"[a-z0-9_&=#/\-{_UCHARS}]"
    return regex.compile(
        rf"(?P<before>{valid_url_preceding_chars.pattern})"
        rf"(?P<url>(?P<protocol>(?:{_PROTOCOLS})://)?"
        rf"(?P<domain>{valid_domain.pattern})"
        rf"(?::(?:{valid_port_number.pattern}))?"
        rf"(?:/{path}*)?"
        rf"(?:\?{query}*{query_end})?)",
        regex.IGNORECASE | regex.V0,
    )


@cache
def _mention() -> tuple[regex.Pattern[str], regex.Pattern[str]]:
    """Account::MENTION_RE, and what must not follow a mention (twitter-text's end_mention_match)."""
    import regex

    latin_accent_chars = _twitter_text_standalone("latin_accent_chars").latin_accent_chars
    username = r"(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
    mention = regex.compile(rf"(?<![=/{_WORD}])@(?P<name>{username}(?:@[{_WORD}]+(?:[.-]+[{_WORD}]+)*)?)")
    end = regex.compile(rf"(?:[@＠]|[{latin_accent_chars.pattern}]+|://)")
    return mention, end


def _twitter_text_standalone(name: str) -> ModuleType:
    """One of twitter-text's `regexp` modules that imports nothing of its own, run without its package.

    Importing anything under `twitter_text` runs the package's `__init__`, which compiles the emoji
    regex and imports pkg_resources: about 0.35 s on the UI thread for the first mention counted,
    which is the composer's counter on the desk's first screen. Its URL patterns import each other
    and are needed only for text with a URL, so those still come through the package.
    """
    import importlib.util
    from pathlib import Path

    package = importlib.util.find_spec("twitter_text")  # finds it without running it
    if package is None or not package.submodule_search_locations:
        raise ImportError("twitter-text-parser is not installed")
    path = Path(next(iter(package.submodule_search_locations))) / "regexp" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"socialdesk._twitter_text_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"twitter-text-parser has no regexp/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _tco() -> regex.Pattern[str]:
    import regex

    twitter_text_loader.load()
    from twitter_text.regexp.valid_tco_url import valid_tco_url

    return regex.compile(valid_tco_url.pattern, regex.IGNORECASE | regex.V0)


def _valid_domain(url: str, domain: str) -> bool:
    """twitter-text's is_valid_domain: the domain converts to ASCII and the URL stays under 4096."""
    try:
        encoded = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return len(url) + max(0, len(encoded) - len(domain)) <= MAX_URL_LENGTH


def entities(text: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of each URL and mention the server rewrites, in order, overlaps
    dropped; URL replacements are "" (the caller puts its URL weight there)."""
    found: list[tuple[int, int, str]] = []
    if "://" in text:
        for match in _url().finditer(text):
            if not match.group("protocol"):
                continue  # extract_url_without_protocol: false
            url, start = match.group("url"), match.start("url")
            tco = _tco().match(url)
            if tco is not None:
                if len(tco.group(1)) > 40:
                    continue
                url = tco.group(0)
            if _valid_domain(url, match.group("domain")):
                found.append((start, start + len(url), ""))
    if "@" in text:
        mention, end = _mention()
        for match in mention.finditer(text):
            if end.match(text, match.end()):
                continue
            name = match.group("name")
            _, _, domain = name.partition("@")
            if len(domain) > MAX_DOMAIN_LENGTH:
                continue
            found.append((match.start(), match.end(), "@" + name.split("@")[0]))
    found.sort(key=lambda entity: entity[0])
    kept: list[tuple[int, int, str]] = []
    for entity in found:  # twitter-text's remove_overlapping_entities
        if kept and kept[-1][1] > entity[0]:
            continue
        kept.append(entity)
    return kept


# One ASCII mention and the whitespace after it, the whole text: the composer's reply prefix
# (`@user@instance `). Account::MENTION_RE restricted to ASCII, where its word class is [A-Za-z0-9_];
# nothing precedes the text and only whitespace follows the mention, so neither of the conditions
# around the match can refuse it. Matched with `re`: the full pattern needs the `regex` module and
# twitter-text's accents, ~25 ms to import and compile, on the first screen's counter.
_PLAIN_MENTION = re.compile(
    r"@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@(?P<domain>[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*))?"
    r"(?P<space>[ \t\r\n]*)",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def countable(text: str, url_weight: int = URL_WEIGHT) -> str:
    """`text` rewritten as the server counts it (URLs as `url_weight` x's, mentions as `@user`)."""
    if "://" not in text and "@" not in text:
        return text
    plain = _PLAIN_MENTION.fullmatch(text) if text.isascii() else None
    if plain is not None and len(plain.group("domain") or "") <= MAX_DOMAIN_LENGTH:
        return f"@{plain.group('user')}{plain.group('space')}"
    return rewritten(text, url_weight)


def rewritten(text: str, url_weight: int = URL_WEIGHT) -> str:
    """`countable` by the server's full patterns, whatever the text."""
    out, last = [], 0
    for start, end, replacement in entities(text):
        out.append(text[last:start])
        out.append(replacement or "x" * url_weight)
        last = end
    out.append(text[last:])
    return "".join(out)
