"""A Mastodon server's reading side on the loopback port, paged and filtered as Mastodon does it.

Built from Mastodon's documentation (methods/notifications, methods/timelines, entities/Quote,
NotificationPolicy) and source (Paginable, Api::BaseController#insert_pagination_headers):

* lists are newest first. `max_id`: older than it; `since_id`: the newest ones newer than it;
  `min_id`: the ones immediately newer than it (still sent newest first). `limit` defaults to 40
  notifications (max 80) and 20 statuses (max 40);
* the `Link` header has `next` (`max_id` = the page's oldest id) only when the page is full, and
  `prev` (`min_id` = its newest id) when it is not empty, both keeping the request's other parameters;
* a notification is filtered when it is made, by the account's NotificationPolicy (4.3 defaults:
  private mentions from accounts we don't follow are filtered, unless they answer one of ours);
  filtered ones are left out unless `include_filtered=true`;
* `types[]` keeps the named types, and an unknown type matches nothing;
* statuses can be edited (`edited_at`, the new content) and deleted (404 `Record not found`, and
  their notifications go with them); a quote post carries a Quote entity;
* `/api/v2/instance` announces `max_characters` and `characters_reserved_per_url`;
* a status arriving from another server (`federate`) gets an id of this server's own, as do remote
  accounts, and keeps its ActivityPub `uri` and its `url` (ActivityPub::Activity::Create).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from socialdesk.testing import Loopback, Reply, Request

ME = {
    "id": "109",
    "username": "acme",
    "acct": "acme",
    "display_name": "Acme Support",
    "url": "https://m.example/@acme",
}
MENTION = (
    '<span class="h-card" translate="no"><a href="https://m.example/@acme" class="u-url mention">'
    "@<span>acme</span></a></span>"
)
NOT_FOUND = Reply(404, {"error": "Record not found"})


def iso(when: float) -> str:
    """Mastodon's timestamps: ISO 8601 with milliseconds and Z."""
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def account(n: int) -> dict[str, Any]:
    """A remote account."""
    name = f"user{n}"
    return {
        "id": str(n),
        "username": name,
        "acct": f"{name}@other.example",
        "display_name": name.title(),
        "url": f"https://other.example/@{name}",
        "followers_count": 10 * n,
    }


class FakeMastodonFetch:
    """Notifications, tag timelines, statuses with their context, and the instance, on `server`.

    Args:
        server: the loopback server to route on.
        now: the server's clock (unix seconds); posts are made at `now` minus their age.
        me: our account on this server.
    """

    def __init__(self, server: Loopback, now: float, me: dict[str, Any] | None = None) -> None:
        self.server = server
        self.now = now
        self.me = me or ME
        self.remote_ids: dict[str, str] = {}  # an account's url -> its id on this server
        self.statuses: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.filtered: set[str] = set()  # ids of notifications the policy filtered
        self.tagged: dict[str, list[str]] = {}
        self.following: set[str] = set()  # account ids we follow
        self.policy = {"for_private_mentions": "filter", "for_not_following": "accept"}
        self.max_characters = 500
        self.characters_reserved_per_url = 23
        self._next = 110_000_000_000_000_000
        server.route("GET", "/api/v1/accounts/verify_credentials", lambda r: self.me)
        server.route("GET", "/api/v2/instance", self.instance)
        server.route("GET", "/api/v1/notifications", self.list_notifications)
        server.route_prefix("GET", "/api/v1/timelines/tag", self.tag_timeline)
        server.route_prefix("GET", "/api/v1/statuses", self.get_status)

    # -- making things happen --------------------------------------------------------------------

    def _id(self, when: float) -> str:
        # Snowflake-like: later is larger (ids of one instant still differ).
        self._next += 1
        return str((int(when * 1000) << 16) + self._next % 65536)

    def post(
        self,
        author: dict[str, Any],
        text: str = "",
        *,
        age: float = 0.0,
        reply_to: str | None = None,
        visibility: str = "public",
        quote_of: str | None = None,
        mentions_us: bool = True,
    ) -> dict[str, Any]:
        """A status by `author`, `age` seconds old, with a mention notification if it mentions us."""
        when = self.now - age
        sid = self._id(when)
        parent = self.statuses.get(reply_to or "")
        content = f"<p>{MENTION} {text or f'help with order {sid}'}</p>" if mentions_us else f"<p>{text}</p>"
        status: dict[str, Any] = {
            "id": sid,
            "created_at": iso(when),
            "edited_at": None,
            "in_reply_to_id": reply_to,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "visibility": visibility,
            "language": "en",
            "spoiler_text": "",
            "sensitive": False,
            "uri": f"https://other.example/users/x/statuses/{sid}",
            "url": f"https://other.example/@x/{sid}",
            "content": content,
            "account": author,
            "media_attachments": [],
            "mentions": [{"id": self.me["id"], "acct": self.me["acct"]}] if mentions_us else [],
            "quote": None,
        }
        if quote_of is not None:
            quoted = self.statuses[quote_of]
            status["quote"] = {"state": "accepted", "quoted_status": {**quoted, "quote": None}}
            self._notify("quote", status, when)
        self.statuses[sid] = status
        if mentions_us and author["id"] != self.me["id"]:
            self._notify("mention", status, when)
        return status

    def federate(
        self, status: dict[str, Any], mentions_us: bool = True, reply_to: str | None = None
    ) -> dict[str, Any]:
        """A status made on another server as it arrives here: this server's own ids for it and its
        author, the same `uri` and `url`; `reply_to` is the parent's id here."""
        author = dict(status["account"])
        if author["url"] == self.me["url"]:
            author = self.me
        else:
            local = self.remote_ids.setdefault(author["url"], str(900 + len(self.remote_ids)))
            author = {**author, "id": local}
            if "@" not in author["acct"]:  # local on its own server: remote here
                author["acct"] = f"{author['acct']}@{author['url'].split('/')[2]}"
        when = self.now
        parent = self.statuses.get(reply_to or "")
        here = {
            **status,
            "id": self._id(when),
            "account": author,
            "in_reply_to_id": reply_to,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "mentions": [{"id": self.me["id"], "acct": self.me["acct"]}] if mentions_us else [],
        }
        self.statuses[here["id"]] = here
        if mentions_us:
            self._notify("mention", here, when)
        return here

    def _notify(self, kind: str, status: dict[str, Any], when: float) -> None:
        notification = {
            "id": self._id(when),
            "type": kind,
            "created_at": iso(when),
            "account": status["account"],
            "status": status,
        }
        if self._filters(kind, status):
            self.filtered.add(notification["id"])
        self.notifications.append(notification)

    def _filters(self, kind: str, status: dict[str, Any]) -> bool:
        """The NotificationPolicy's verdict when the notification is made (4.3 `filter` rules)."""
        sender = status["account"]["id"]
        if sender in self.following:
            return False  # accounts we follow are never filtered
        if kind == "mention" and status["visibility"] == "direct":
            parent = self.statuses.get(status["in_reply_to_id"] or "")
            if parent is not None and parent["account"]["id"] == self.me["id"]:
                return False  # an answer to one of our own private mentions
            return self.policy["for_private_mentions"] == "filter"
        return self.policy["for_not_following"] == "filter"

    def edit(self, status_id: str, text: str, age: float = 0.0, boosted: bool = False) -> dict[str, Any]:
        """The author edits a status: new content, `edited_at` set (notifications show it live).

        Mastodon notifies an edit (`update`) only to those who boosted the status (`boosted`).
        """
        status = self.statuses[status_id]
        status["content"] = f"<p>{MENTION} {text}</p>"
        status["edited_at"] = iso(self.now - age)
        if boosted:
            self._notify("update", status, self.now - age)
        return status

    def delete(self, status_id: str) -> None:
        """The author deletes a status: it is gone, and its notifications with it."""
        del self.statuses[status_id]
        self.notifications = [n for n in self.notifications if n["status"]["id"] != status_id]
        for ids in self.tagged.values():
            if status_id in ids:
                ids.remove(status_id)

    def tag(self, name: str, status: dict[str, Any]) -> None:
        """Put a status on a hashtag's timeline."""
        self.tagged.setdefault(name.lower(), []).append(status["id"])

    # -- the API ------------------------------------------------------------------------------

    def instance(self, request: Request) -> dict[str, Any]:
        return {
            "domain": "m.example",
            "version": "4.5.0",
            "configuration": {
                "statuses": {
                    "max_characters": self.max_characters,
                    "characters_reserved_per_url": self.characters_reserved_per_url,
                }
            },
        }

    def list_notifications(self, request: Request) -> Reply:
        types = request.query.get("types[]")
        include_filtered = (request.arg("include_filtered") or "").lower() == "true"
        items = [
            n
            for n in self.notifications
            if (types is None or n["type"] in types) and (include_filtered or n["id"] not in self.filtered)
        ]
        return self.page(request, items, default=40, most=80)

    def tag_timeline(self, request: Request) -> Reply:
        name = request.path.rsplit("/", 1)[-1].lower()
        items = [self.statuses[i] for i in self.tagged.get(name, []) if i in self.statuses]
        return self.page(request, items, default=20, most=40)

    def get_status(self, request: Request) -> Reply:
        parts = request.path.removeprefix("/api/v1/statuses/").split("/")
        status = self.statuses.get(parts[0])
        if status is None:
            return NOT_FOUND
        if len(parts) == 1:
            return Reply(200, status)
        if parts[1:] != ["context"]:
            return NOT_FOUND
        ancestors = []
        parent = self.statuses.get(status["in_reply_to_id"] or "")
        while parent is not None:
            ancestors.insert(0, parent)
            parent = self.statuses.get(parent["in_reply_to_id"] or "")
        descendants = []
        frontier = [status["id"]]
        while frontier:
            children = sorted(
                (s for s in self.statuses.values() if s["in_reply_to_id"] in frontier),
                key=lambda s: int(s["id"]),
            )
            descendants.extend(children)
            frontier = [c["id"] for c in children]
        return Reply(200, {"ancestors": ancestors, "descendants": descendants})

    def page(self, request: Request, items: list[dict[str, Any]], default: int, most: int) -> Reply:
        """One page of `items` as Mastodon's Paginable and pagination headers make it."""
        limit = min(int(request.arg("limit") or default), most)
        ordered = sorted(items, key=lambda i: int(i["id"]), reverse=True)  # newest first
        max_id, since_id, min_id = request.arg("max_id"), request.arg("since_id"), request.arg("min_id")
        if max_id:
            ordered = [i for i in ordered if int(i["id"]) < int(max_id)]
        if min_id:
            newer = [i for i in ordered if int(i["id"]) > int(min_id)]
            chosen = newer[-limit:]  # immediately newer than min_id
        else:
            if since_id:
                ordered = [i for i in ordered if int(i["id"]) > int(since_id)]
            chosen = ordered[:limit]
        links = []
        kept = {k: v for k, v in request.query.items() if k not in ("max_id", "min_id", "since_id")}
        base = f"{self.server.url}{request.path}?"
        if len(chosen) == limit:
            links.append(f'<{base}{urlencode({**kept, "max_id": chosen[-1]["id"]}, doseq=True)}>; rel="next"')
        if chosen:
            links.append(f'<{base}{urlencode({**kept, "min_id": chosen[0]["id"]}, doseq=True)}>; rel="prev"')
        return Reply(200, chosen, {"Link": ", ".join(links)} if links else {})
