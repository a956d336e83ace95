"""An X API v2 server on the loopback: users/me, mentions, recent search, tweet lookup and POST /2/tweets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from socialdesk.testing import Loopback, Reply, Request

ME = {"id": "2244994945", "username": "AcmeSupport", "name": "Acme Support"}


class FakeX:
    """users/me, mentions (since_id + pagination_token), search/recent, tweets lookup, POST /2/tweets."""

    def __init__(self, server: Loopback, page: int = 100) -> None:
        self.server = server
        self.page = page
        self.mentions: list[dict[str, Any]] = []
        self.search: list[dict[str, Any]] = []
        self.mine: list[dict[str, Any]] = []
        self.n = 1_460_323_737_035_677_698
        server.route("GET", "/2/users/me", lambda r: {"data": ME})
        server.route(
            "GET",
            f"/2/users/{ME['id']}/mentions",
            lambda r: self.timeline(r, self.mentions, "pagination_token"),
        )
        server.route("GET", "/2/tweets/search/recent", self.search_recent)
        server.route(
            "GET", f"/2/users/{ME['id']}/tweets", lambda r: self.timeline(r, self.mine, "pagination_token")
        )
        server.route("POST", "/2/tweets", self.create)

    def tweet(self, text: str = "", *, author: str = "", reply_to: dict | None = None) -> dict[str, Any]:
        self.n += 1
        tid = str(self.n)
        author = author or str(1000 + self.n % 3)
        tweet: dict[str, Any] = {
            "id": tid,
            "text": text or f"@AcmeSupport my order {tid[-4:]} never arrived",
            "author_id": author,
            "created_at": datetime.fromtimestamp(1_700_000_000 + self.n % 10_000, UTC)
            .isoformat()
            .replace("+00:00", ".000Z"),
            "conversation_id": reply_to["conversation_id"] if reply_to else tid,
            "lang": "en",
            "edit_history_tweet_ids": [tid],
        }
        if reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to["id"]}]
            tweet["in_reply_to_user_id"] = reply_to["author_id"]
        return tweet

    def mention(self, **kwargs: Any) -> dict[str, Any]:
        tweet = self.tweet(**kwargs)
        self.mentions.append(tweet)
        return tweet

    def user(self, uid: str) -> dict[str, Any]:
        if uid == ME["id"]:
            return {**ME, "public_metrics": {"followers_count": 9}}
        return {
            "id": uid,
            "username": f"customer{uid}",
            "name": f"Customer {uid}",
            "public_metrics": {"followers_count": int(uid), "following_count": 1, "tweet_count": 3},
        }

    def timeline(self, request: Request, items: list[dict[str, Any]], token_param: str) -> Reply:
        since = request.arg("since_id")
        newest_first = sorted(items, key=lambda t: int(t["id"]), reverse=True)
        if since:
            newest_first = [t for t in newest_first if int(t["id"]) > int(since)]
        start = int(request.arg(token_param, "0") or 0)
        limit = min(int(request.arg("max_results", "10") or 10), self.page)
        chunk = newest_first[start : start + limit]
        if not chunk:
            return Reply(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "result_count": len(chunk),
            "newest_id": chunk[0]["id"],
            "oldest_id": chunk[-1]["id"],
        }
        if start + len(chunk) < len(newest_first):
            meta["next_token"] = str(start + len(chunk))
        users = [self.user(u) for u in dict.fromkeys(t.get("author_id", "0") for t in chunk)]
        return Reply(200, {"data": chunk, "includes": {"users": users}, "meta": meta})

    def search_recent(self, request: Request) -> Reply:
        query = request.arg("query") or ""
        if query.startswith("conversation_id:"):
            cid = query.split(":", 1)[1]
            items = [t for t in self.mentions + self.mine if t["conversation_id"] == cid and t["id"] != cid]
            return self.timeline(request, items, "next_token")
        return self.timeline(request, self.search, "next_token")

    def create(self, request: Request) -> Reply:
        body = request.json()
        self.n += 1
        parent = body.get("reply", {}).get("in_reply_to_tweet_id")
        tweet = {
            "id": str(self.n),
            "text": body["text"],
            "author_id": ME["id"],
            "edit_history_tweet_ids": [str(self.n)],
            "referenced_tweets": [{"type": "replied_to", "id": parent}] if parent else [],
        }
        self.mine.append(
            {**tweet, "created_at": "2024-01-01T00:00:00.000Z", "conversation_id": parent or tweet["id"]}
        )
        return Reply(
            201, {"data": {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}}
        )
