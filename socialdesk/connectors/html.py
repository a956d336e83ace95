"""Turns post HTML (Mastodon statuses, feed summaries) into plain text with an allowlist.

Kept: paragraphs and line breaks, list items, block quotes, preformatted text, and links, which
show the host they really lead to when their visible text names another. Mastodon's
`span.invisible` parts are dropped and `span.ellipsis` gets its "…". Everything else contributes
its text only; script, style and similar elements contribute nothing.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

_BLOCKS = {"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr"}
_SKIP = {"script", "style", "template", "noscript", "head", "title", "iframe", "object", "svg", "math"}
_VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "col", "embed"}
_SPACES = re.compile(r"[ \t\r\f\v]+")


def host_of(url: str) -> str:
    """The host a URL leads to ("" when it has none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def shows_host(text: str, host: str) -> bool:
    """Whether the visible link text already names the real host (so nothing needs adding)."""
    shown = text.strip().lower()
    if not shown or not host:
        return True
    if shown.startswith(("#", "@")):  # hashtags and mentions: Mastodon links them to the server
        return True
    shown_host = host_of(shown if "://" in shown else "http://" + shown.split()[0])
    bare = host.removeprefix("www.")
    return shown_host.removeprefix("www.") == bare


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0  # inside script/style/... or span.invisible
        self.span_stack: list[str] = []  # what each open span did: "skip", "ellipsis" or ""
        self.links: list[tuple[str, int]] = []  # (href, position in out) of open <a>
        self.list_depth = 0
        self.pre = 0
        self.quotes: list[int] = []  # positions in out where open blockquotes began

    def _newline(self, count: int = 1) -> None:
        text = "".join(self.out)
        trailing = len(text) - len(text.rstrip("\n"))
        if text.strip():
            self.out.append("\n" * max(0, count - trailing))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if tag == "span":
            if "invisible" in classes:
                self.span_stack.append("skip")
                self.skip_depth += 1
            else:
                self.span_stack.append("ellipsis" if "ellipsis" in classes else "")
            return
        if self.skip_depth:
            return
        if tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self._newline()
            self.out.append("  " * max(0, self.list_depth - 1) + "• ")
        elif tag in ("ul", "ol"):
            self.list_depth += 1
            self._newline()
        elif tag in _BLOCKS:
            self._newline(2 if tag in ("p", "blockquote", "pre") else 1)
            if tag == "pre":
                self.pre += 1
            if tag == "blockquote":
                self.quotes.append(len(self.out))
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "span":
            action = self.span_stack.pop() if self.span_stack else ""
            if action == "skip":
                self.skip_depth = max(0, self.skip_depth - 1)
            elif action == "ellipsis" and not self.skip_depth:
                self.out.append("…")
            return
        if self.skip_depth:
            return
        if tag in ("ul", "ol"):
            self.list_depth = max(0, self.list_depth - 1)
            self._newline()
        elif tag in _BLOCKS:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            if tag == "blockquote" and self.quotes:
                start = self.quotes.pop()
                quoted = "".join(self.out[start:]).strip("\n")
                del self.out[start:]
                self.out.append("\n".join(f"> {line}".rstrip() for line in quoted.split("\n")))
            self._newline(2 if tag in ("p", "blockquote", "pre") else 1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.out[start:])
            host = host_of(href)
            if host and not shown.strip():
                self.out.append(href)
            elif host and not shows_host(shown, host):
                self.out.append(f" ({host})")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre:
            data = _SPACES.sub(" ", data.replace("\n", " "))
        self.out.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (see the module docstring for what is kept).

    Args:
        html: untrusted HTML, as a server sent it.

    Returns:
        Text with paragraphs separated by a blank line; no markup survives.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return html.strip()
    parser = _Converter()
    parser.feed(html)
    parser.close()
    lines = [line.strip(" ") for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
