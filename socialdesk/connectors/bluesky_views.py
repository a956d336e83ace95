"""How a Bluesky post view reads on the desk: the real host of disguised links, the content warning
of its self-labels, and the post it quotes."""

from __future__ import annotations

from typing import Any

from socialdesk.connectors.html import host_of, shows_host

QUOTE = "app.bsky.embed.record"
QUOTE_WITH_MEDIA = "app.bsky.embed.recordWithMedia"

# Self-labels an author may set (com.atproto.label.defs#selfLabels), shown as the official app names them.
_WARNINGS = {
    "porn": "Adult Content",
    "sexual": "Sexually Suggestive",
    "nudity": "Non-sexual Nudity",
    "graphic-media": "Graphic Media",
}


def show_link_hosts(text: str, record_facets: object) -> str:
    """Append the real host after link text that names another (facets give byte ranges)."""
    if not isinstance(record_facets, list):
        return text
    data = text.encode("utf-8")
    inserts: list[tuple[int, str]] = []
    for facet in record_facets:
        try:
            start, end = int(facet["index"]["byteStart"]), int(facet["index"]["byteEnd"])
            links = [f["uri"] for f in facet["features"] if f.get("$type") == "app.bsky.richtext.facet#link"]
        except (KeyError, TypeError, ValueError):
            continue
        if not links or not 0 <= start < end <= len(data):
            continue
        shown = data[start:end].decode("utf-8", "replace")
        host = host_of(links[0])
        if host and not shows_host(shown, host):
            inserts.append((end, f" ({host})"))
    for end, label in sorted(inserts, reverse=True):
        data = data[:end] + label.encode("utf-8") + data[end:]
    return data.decode("utf-8", "replace")


def self_labels(record: dict[str, Any], view: dict[str, Any]) -> str:
    """The content warning an author's self-labels (or the appview's labels) put on a post."""
    values = [v.get("val") for v in ((record.get("labels") or {}).get("values") or []) if isinstance(v, dict)]
    values += [v.get("val") for v in view.get("labels") or [] if isinstance(v, dict) and not v.get("neg")]
    return ", ".join(dict.fromkeys(_WARNINGS[v] for v in values if v in _WARNINGS))


def quoted_uri(record: dict[str, Any]) -> str | None:
    """The post a record quotes (app.bsky.embed.record, or recordWithMedia: a quote with media)."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return None
    ref = embed.get("record")
    if embed.get("$type") == QUOTE_WITH_MEDIA and isinstance(ref, dict):
        ref = ref.get("record")
    if embed.get("$type") not in (QUOTE, QUOTE_WITH_MEDIA) or not isinstance(ref, dict):
        return None
    uri = ref.get("uri")
    return str(uri) if isinstance(uri, str) and uri.startswith("at://") else None


def quote_text(view: object) -> str:
    """How a quoted post shows under the quoting one: a post view, an embed's viewRecord, or gone."""
    if not isinstance(view, dict):
        return "\n[quoting a post that is gone]"
    kind = str(view.get("$type") or "")
    if kind.endswith("#viewBlocked"):
        return "\n[quoting a post from a blocked account]"
    if kind.endswith(("#viewNotFound", "#viewDetached")):
        return "\n[quoting a post that is gone]"
    record = view.get("value") if "value" in view else view.get("record")
    text = str(record.get("text") or "") if isinstance(record, dict) else ""
    handle = str((view.get("author") or {}).get("handle") or "?")
    return f"\n[quoting @{handle}: {' '.join(text.split())}]"


def embedded_quote(view: dict[str, Any]) -> Any:
    """The quoted post a post view carries in its embed (search results and threads do), or None."""
    embed = view.get("embed")
    if not isinstance(embed, dict):
        return None
    if str(embed.get("$type")) == QUOTE_WITH_MEDIA + "#view":
        inner = embed.get("record")
        embed = inner if isinstance(inner, dict) else {}
    if str(embed.get("$type")) == QUOTE + "#view":
        return embed.get("record") or {"$type": "#viewNotFound"}
    return None
