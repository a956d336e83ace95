"""A Mastodon-API server on the loopback port that behaves like the real ones, including their faults.

Built from Mastodon's source and documentation, and GoToSocial's behaviour:

* a status' `content` is HTML rendered the way `TextFormatter` renders it: a known account's mention
  becomes an h-card showing `@username` without the domain, an unknown one stays as typed, links
  get invisible/ellipsis spans, paragraphs <p> and line breaks <br />;
* `Idempotency-Key` (Mastodon mode): looked up before creating, stored only after the status is
  created and distributed, so a repeat that races the first request creates a second status;
  GoToSocial mode ignores the header (so does Takahē);
* every status carries its visibility, spoiler_text and language; `/api/v2/instance` names the
  software and version;
* blocks, mutes and reports as Mastodon's controllers answer them: `POST /api/v1/accounts/:id/block`
  and `/mute` return the Relationship (an unknown id is 404 "Record not found"), `POST
  /api/v1/reports` needs a known `account_id`, keeps only `status_ids` of that account (silently, as
  ReportService does), refuses a comment over 1000 characters with 422, and returns the Report;
  without a bearer token each is 401;
* `script` makes the next POSTs fail the ways servers do, after the status is committed (a reset
  connection, a 502, a stall until `resume()`) or before it.

`LoopbackX` is a sender for a network without idempotency keys, reconciled by reading statuses.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

import httpx

from socialdesk.connectors.base import (
    Capabilities,
    Connector,
    FetchResult,
    OutgoingReply,
    SendResult,
)
from socialdesk.connectors.http import Api, RetryPolicy, mastodon_reset
from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.connectors.mastodon_server import same_text
from socialdesk.testing import Loopback, Reply, Request

# Behaviours of the next POSTs: created = the status exists on the server afterwards.
OK = "ok"
DROP_AFTER_CREATE = "drop_after_create"  # created, then the connection is reset (no answer)
DROP_BEFORE_CREATE = "drop_before_create"  # connection reset, nothing created
ERROR_AFTER_CREATE = "502_after_create"  # created, then a 502 from the proxy in front
ERROR_BEFORE_CREATE = "503_before_create"  # 503, nothing created
RATE_LIMITED = "429"
HANG_AFTER_CREATE = "hang_after_create"  # created, then no answer for a long time
STALL_AFTER_CREATE = "stall_after_create"  # created, then the whole server pauses until resume()
SLOW_AFTER_CREATE = "slow_after_create"  # created, then this request alone is busy until resume()

MASTODON = {"version": "4.3.2", "source_url": "https://github.com/mastodon/mastodon"}
GOTOSOCIAL = {
    "version": "0.17.3+git-bd5e5a7",
    "source_url": "https://github.com/superseriousbusiness/gotosocial",
}
ME = {
    "id": "1",
    "username": "acme",
    "acct": "acme",
    "display_name": "Acme Support",
    "url": "https://m.example/@acme",
}
DOMAIN = "m.example"

_ENTITY = re.compile(
    r"(?P<url>https?://[^\s<>\"]+)|(?<![\w/])#(?P<tag>\w+)|(?<![\w@/])@(?P<user>[a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)"
    r"(?:@(?P<domain>[a-z0-9.-]+\.[a-z0-9-]+))?",
    re.I,
)


def render(text: str, accounts: dict[str, dict[str, Any]]) -> str:
    """A status' text as Mastodon's TextFormatter renders it into `content`.

    Args:
        text: the status text as posted.
        accounts: known accounts by lowercase acct ("user0@other.example", or "acme" for local).
    """

    def entity(match: re.Match[str]) -> str:
        if match.group("url"):
            url = match.group("url")
            prefix = re.match(r"https?://(www\.)?", url)
            head = prefix.group(0) if prefix else ""
            rest = url[len(head) :]
            shown, hidden = rest[:30], rest[30:]
            cut = "ellipsis" if hidden else ""
            return (
                f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer" '
                f'translate="no"><span class="invisible">{html.escape(head)}</span><span class="{cut}">'
                f'{html.escape(shown)}</span><span class="invisible">{html.escape(hidden)}</span></a>'
            )
        if match.group("tag"):
            tag = match.group("tag")
            return (
                f'<a href="https://{DOMAIN}/tags/{html.escape(tag.lower())}" class="mention hashtag" '
                f'rel="tag">#<span>{html.escape(tag)}</span></a>'
            )
        user, domain = match.group("user"), match.group("domain")
        acct = (user if not domain or domain.lower() == DOMAIN else f"{user}@{domain}").lower()
        account = accounts.get(acct)
        if account is None:
            return html.escape(match.group(0))  # an account the server cannot resolve stays as typed
        return (
            f'<span class="h-card" translate="no"><a href="{html.escape(account["url"])}" '
            f'class="u-url mention">@<span>{html.escape(account["username"])}</span></a></span>'
        )

    paragraphs = []
    for paragraph in re.split(r"\n{2,}", text.strip()):
        out, last = [], 0
        for match in _ENTITY.finditer(paragraph):
            out.append(html.escape(paragraph[last : match.start()]))
            out.append(entity(match))
            last = match.end()
        out.append(html.escape(paragraph[last:]))
        paragraphs.append("<p>" + "".join(out).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeMastodon:
    """Server-side state: the statuses that really exist, in creation order.

    Args:
        honour_keys: Mastodon (True) or GoToSocial (False, the header is ignored).
        parents: visibility of the customer posts 100, 101, 102 ... by native id (default public).
    """

    def __init__(self, honour_keys: bool = True, parents: dict[str, dict[str, Any]] | None = None) -> None:
        self.honour_keys = honour_keys
        self.instance = dict(MASTODON if honour_keys else GOTOSOCIAL)
        self.max_characters = 500  # configuration.statuses.max_characters (instances raise it: 5000 ...)
        self.accounts: dict[str, dict[str, Any]] = {"acme": ME}
        self.customers: dict[str, dict[str, Any]] = {}  # customer posts, by id
        self.statuses: list[dict[str, Any]] = []  # ours, in creation order
        self.sources: dict[str, str] = {}  # status id -> the text as posted
        self.keys: dict[str, str] = {}  # "account:key" -> status id (Mastodon's redis, one hour)
        self.script: deque[str] = deque()
        self.posts_received = 0
        self.created = threading.Event()  # set whenever a status is created
        self.received = threading.Event()  # set whenever a POST arrives (before anything is created)
        # Hold the next POSTs at a point ("before" or "after" creating) until release(): the kill
        # test kills the sender there, on this event rather than on a timer.
        self.holds: deque[str] = deque()
        self.held = threading.Event()
        self._release = threading.Event()
        self.stalled = threading.Event()
        self._resumed = threading.Event()
        self._resumed.set()
        self._released = threading.Event()
        self.lock = threading.Lock()
        self.server: Loopback | None = None
        self.delay = 0.0  # answer every successful post this late
        self.next_id = 1000
        # GoToSocial formats a status by the author's preferred content type unless the request
        # names one: an account set to Markdown turns `*urgent*` into <em>urgent</em>.
        self.markdown_default = False
        self.in_flight = 0  # POSTs being handled (a stalled server holds them)
        self._idle = threading.Condition()
        self.blocked: set[str] = set()  # account ids
        self.muted: set[str] = set()
        self.reports: list[dict[str, Any]] = []
        for i in range(3):
            self.add_customer(str(100 + i), f"user{i}", **(parents or {}).get(str(100 + i), {}))

    # -- set-up ----------------------------------------------------------------------------------

    def add_customer(self, sid: str, username: str, **fields: Any) -> dict[str, Any]:
        """A customer's status (and account) the server knows; `fields` override visibility etc."""
        account = {
            "id": f"a-{username}",
            "username": username,
            "acct": f"{username}@other.example",
            "display_name": username.title(),
            "url": f"https://other.example/@{username}",
        }
        self.accounts[account["acct"].lower()] = account
        status = self._status(sid, account, f"help me please {sid}", None, time.time() - 3600)
        status.update(fields)
        self.customers[sid] = status
        return status

    def start(self) -> Loopback:
        """Serve on a new loopback port (a restarted server keeps its statuses)."""
        server = self.server = Loopback().start()
        server.route("POST", "/api/v1/statuses", self._post)
        server.route("GET", "/api/v1/accounts/verify_credentials", lambda r: self._read(lambda: ME))
        server.route("GET", "/api/v2/instance", lambda r: self._read(self._instance))
        server.route(
            "GET", f"/api/v1/accounts/{ME['id']}/statuses", lambda r: self._read(lambda: self._own(r))
        )
        server.route_prefix("GET", "/api/v1/statuses", lambda r: self._read(lambda: self._status_route(r)))
        server.route_prefix("POST", "/api/v1/accounts", self._relationship)
        server.route("POST", "/api/v1/reports", self._report)
        return server

    def stop(self) -> None:
        """Go away (connections are refused)."""
        self.resume()
        if self.server is not None:
            self.server.stop()

    def resume(self) -> None:
        """End a stall: the paused requests are answered."""
        self.stalled.clear()
        self._resumed.set()
        self._released.set()
        self.release()

    def release(self) -> None:
        """Let a held POST go on (its sender may be dead by now)."""
        self.held.clear()
        self._release.set()

    def _hold(self, point: str, hold: str) -> None:
        if hold == point:
            self._release.clear()
            self.held.set()
            self._release.wait(120)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def texts(self) -> list[str]:
        """The text of every status we posted that exists, oldest first."""
        return [self.sources[s["id"]] for s in self.statuses]

    # -- routes ----------------------------------------------------------------------------------

    def _read(self, answer: Any) -> Any:
        self._resumed.wait(120)  # a paused server answers nothing until it resumes
        return answer()

    def _instance(self) -> dict[str, Any]:
        return {
            "domain": DOMAIN,
            **self.instance,
            "configuration": {"statuses": {"max_characters": self.max_characters}},
        }

    def _status_route(self, request: Request) -> Any:
        sid, _, sub = request.path.removeprefix("/api/v1/statuses/").partition("/")
        everything = {**self.customers, **{s["id"]: s for s in self.statuses}}
        if sid not in everything:
            return Reply(404, {"error": "Record not found"})
        if sub == "context":
            descendants, frontier = [], {sid}
            for status in sorted(self.statuses, key=lambda s: int(s["id"])):
                if status["in_reply_to_id"] in frontier:
                    descendants.append(status)
                    frontier.add(status["id"])
            return {"ancestors": [], "descendants": descendants}
        if sub:
            return Reply(404, {"error": "Record not found"})
        return everything[sid]

    def _own(self, request: Request) -> list[dict[str, Any]]:
        limit = int(request.arg("limit", "20") or 20)
        max_id = request.arg("max_id")
        newest_first = sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)
        if max_id:
            newest_first = [s for s in newest_first if int(s["id"]) < int(max_id)]
        return newest_first[:limit]

    def _status(
        self, sid: str, account: dict[str, Any], text: str, parent: dict[str, Any] | None, when: float
    ) -> dict[str, Any]:
        return {
            "id": sid,
            "created_at": _iso(when),
            "in_reply_to_id": parent["id"] if parent else None,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://{DOMAIN}/users/{account['username']}/statuses/{sid}",
            "url": f"https://{DOMAIN}/@{account['username']}/{sid}",
            "content": render(text, self.accounts),
            "account": account,
            "media_attachments": [],
            "mentions": [],
        }

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until no POST is being handled (stalled requests finished after a resume)."""
        with self._idle:
            return self._idle.wait_for(lambda: self.in_flight == 0, timeout)

    # -- blocks, mutes, reports ----------------------------------------------------------------------

    def _account(self, account_id: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts.values() if str(a["id"]) == account_id), None)

    def _relationship(self, request: Request) -> Reply | Any:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return Reply(401, {"error": "The access token is invalid"})
        parts = request.path.strip("/").split("/")  # api v1 accounts :id block|mute
        if len(parts) != 5 or parts[4] not in ("block", "mute"):
            return Reply(404, {"error": "Record not found"})
        account_id, action = parts[3], parts[4]
        if self._account(account_id) is None:
            return Reply(404, {"error": "Record not found"})
        (self.blocked if action == "block" else self.muted).add(account_id)
        return {
            "id": account_id,
            "following": False,
            "showing_reblogs": False,
            "notifying": False,
            "followed_by": False,
            "blocking": account_id in self.blocked,
            "blocked_by": False,
            "muting": account_id in self.muted,
            "muting_notifications": account_id in self.muted,
            "requested": False,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }

    def _report(self, request: Request) -> Reply | Any:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return Reply(401, {"error": "The access token is invalid"})
        body = request.json() or {}
        account = self._account(str(body.get("account_id") or ""))
        if account is None:
            return Reply(404, {"error": "Record not found"})
        comment = str(body.get("comment") or "")
        if len(comment) > 1000:
            return Reply(
                422, {"error": "Validation failed: Comment is too long (maximum is 1000 characters)"}
            )
        theirs = [
            sid
            for sid in body.get("status_ids") or []
            if self.customers.get(str(sid), {}).get("account") == account
        ]
        report = {
            "id": str(len(self.reports) + 1),
            "action_taken": False,
            "category": str(body.get("category") or "other"),
            "comment": comment,
            "forwarded": bool(body.get("forward")),
            "created_at": _iso(time.time()),
            "status_ids": theirs,
            "rule_ids": None,
            "target_account": account,
        }
        self.reports.append(report)
        return report

    def _post(self, request: Request) -> Reply | Any:
        with self._idle:
            self.in_flight += 1
        try:
            return self._create(request)
        finally:
            with self._idle:
                self.in_flight -= 1
                self._idle.notify_all()

    def _create(self, request: Request) -> Reply | Any:
        body = request.json()
        key = request.headers.get("idempotency-key", "")
        with self.lock:
            hold = self.holds.popleft() if self.holds else ""
        self.received.set()
        self._resumed.wait(120)
        self._hold("before", hold)
        redis_key = f"{ME['id']}:{key}"
        with self.lock:
            self.posts_received += 1
            if self.honour_keys and key and redis_key in self.keys:  # checked before creating ...
                sid = self.keys[redis_key]
                return next(s for s in self.statuses if s["id"] == sid)
            behaviour = self.script.popleft() if self.script else OK
            if behaviour == RATE_LIMITED:
                return Reply(429, {"error": "Too many requests"}, headers={"Retry-After": "30"})
            if behaviour == ERROR_BEFORE_CREATE:
                return Reply(503, {"error": "Service unavailable"})
            if behaviour == DROP_BEFORE_CREATE:
                return Reply(drop=True)
            everything = {**self.customers, **{s["id"]: s for s in self.statuses}}
            parent = everything.get(str(body.get("in_reply_to_id") or ""))
            if body.get("in_reply_to_id") and parent is None:
                return Reply(404, {"error": "Record not found"})
            self.next_id += 1
            status = self._status(str(self.next_id), ME, body["status"], parent, time.time())
            if not self.honour_keys and self.markdown_default and body.get("content_type") != "text/plain":
                status["content"] = re.sub(r"\*([^*<>]+)\*", r"<em>\1</em>", status["content"])
            status["visibility"] = body.get("visibility") or "public"
            status["spoiler_text"] = body.get("spoiler_text") or ""
            status["sensitive"] = bool(status["spoiler_text"])
            status["language"] = body.get("language") or "en"
            self.statuses.append(status)
            self.sources[status["id"]] = body["status"]
        self.created.set()
        self._hold("after", hold)
        if behaviour == STALL_AFTER_CREATE:  # committed; the server pauses before it stores the key
            self._resumed.clear()
            self.stalled.set()
            self._resumed.wait(120)
        if behaviour == SLOW_AFTER_CREATE:  # e.g. resolving mentions: the key is not stored yet
            self._released.wait(120)
        if self.honour_keys and key:
            with self.lock:
                self.keys[redis_key] = status["id"]  # ... and stored only after creating
        if behaviour == DROP_AFTER_CREATE:
            return Reply(drop=True)
        if behaviour == ERROR_AFTER_CREATE:
            return Reply(502, "<html>Bad gateway</html>")
        if behaviour == HANG_AFTER_CREATE:
            return Reply(delay=60, drop=True)
        return Reply(200, status, delay=self.delay) if self.delay else status


def mastodon_connector(url: str, timeout: float = 2.0, account: str = "support") -> MastodonConnector:
    """The real Mastodon connector bound to a fake, with a short client timeout."""
    client = httpx.Client(base_url=url, timeout=timeout)
    return MastodonConnector(account, {"base_url": url}, "token", client)


_NO_RETRY = RetryPolicy(tries=1, base_delay=0.0, sleep=lambda s: None)


class LoopbackX(Connector):
    """A sender for a network without idempotency keys: reconciliation reads recent posts."""

    name = "x"
    display_name = "X"
    capabilities = Capabilities(max_length=280, counting="x-weighted", can_reply=True, can_dm=False)

    def __init__(self, account: str = "", settings: Any = None, secret: str | None = None, http: Any = None):
        super().__init__(account, settings, secret, http)
        client = httpx.Client(
            base_url=self.settings["base_url"], timeout=float(self.settings.get("timeout", 2.0))
        )
        self.http = client
        self.api = Api(client, self.display_name, mastodon_reset, policy=_NO_RETRY)

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], cursor)

    def send(self, reply: OutgoingReply) -> SendResult:
        body = {"status": reply.text, "in_reply_to_id": reply.in_reply_to, "visibility": "public"}
        data = self.api.post_json("/api/v1/statuses", body)
        return SendResult(native_id=data["id"], url=data["url"])

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        for status in self.api.get_json(f"/api/v1/accounts/{ME['id']}/statuses", params={"limit": 40}):
            if same_text(reply.text, status["content"]) and status["in_reply_to_id"] == reply.in_reply_to:
                return SendResult(native_id=status["id"], url=status["url"])
        return None
