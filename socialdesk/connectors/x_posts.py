"""Turns X API v2 objects into Posts: posts with their long text and edit chain, and DM events.

An X edit is a new post with a new id; `edit_history_tweet_ids` lists every version, oldest first.
The desk keys a post by its first version's id, so each edit updates one stored post in place (with
`edited_at`) instead of leaving the old version open next to the new one.
"""

from __future__ import annotations

from socialdesk.connectors.http import parse_time
from socialdesk.models import Author, Post

TWEPOCH_MS = 1_288_834_974_657  # X's snowflake epoch: an id carries the time it was minted
TWEET_FIELDS = (
    "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,lang,author_id,entities,"
    "note_tweet,edit_history_tweet_ids,attachments"
)
# A post's media come in the page's includes.media (expansions=attachments.media_keys); the desk lists
# them with their alt text and previews photos (url) and videos' stills (preview_image_url).
MEDIA_FIELDS = "type,url,preview_image_url,alt_text,width,height"
USER_FIELDS = "username,name,public_metrics"
DM_EVENT_FIELDS = "id,text,event_type,created_at,dm_conversation_id,sender_id,referenced_tweets"


# An X API object (a post, a user, a DM event) as decoded JSON: every field is checked where it is read.
Obj = dict[str, object]
Users = dict[str, Obj]


def _obj(value: object) -> Obj:
    return value if isinstance(value, dict) else {}


def _objs(value: object) -> list[Obj]:
    """The objects of a JSON array (anything else in it, or no array: left out)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def minted_at(native_id: str) -> float | None:
    """When X minted a snowflake id (unix seconds), None for an id that is not one."""
    if not native_id.isdigit():
        return None
    return ((int(native_id) >> 22) + TWEPOCH_MS) / 1000


def edit_chain(tweet: Obj) -> list[str]:
    """Every version's id, oldest first (a post never edited has its own id only)."""
    ids = tweet.get("edit_history_tweet_ids")
    chain = [str(i) for i in ids if i] if isinstance(ids, list) else []
    return chain or [str(tweet["id"])]


def is_superseded(tweet: Obj) -> bool:
    """An older version of an edited post: the newest one carries the text to show."""
    return str(tweet.get("id")) != edit_chain(tweet)[-1]


def users_by_id(data: Obj) -> Users:
    """A page's `includes.users` by id."""
    return {str(u.get("id")): u for u in _objs(_obj(data.get("includes")).get("users"))}


def with_media(items: list[Obj], data: Obj) -> None:
    """Put each post's media objects (from the page's `includes.media`) in the post, as `media`."""
    found = _obj(data.get("includes")).get("media")
    if not isinstance(found, list):
        return
    by_key = {str(m.get("media_key")): m for m in _objs(found)}
    for item in items:
        keys = _obj(item.get("attachments")).get("media_keys")
        if isinstance(keys, list):
            item["media"] = [by_key[str(k)] for k in keys if str(k) in by_key]


def author_of(user_id: str, users: Users) -> tuple[Author, Obj]:
    user: Obj = users.get(user_id) or {"id": user_id, "username": user_id, "name": ""}
    username = str(user.get("username") or user_id)
    author = Author(
        native_id=user_id,
        handle=username,  # bare: the desk adds the "@"
        display_name=str(user.get("name") or ""),
        followers=_count(_obj(user.get("public_metrics")).get("followers_count")),
        url=f"https://x.com/{username}",
    )
    return author, user


def _count(value: object) -> int:
    """A count from the payload (0 when absent); ValueError when it is not a whole number."""
    if not value:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a count: {value!r:.40}")
    try:
        return int(value)
    except OverflowError:  # Infinity, which Python's json reads
        raise ValueError(f"not a count: {value!r:.40}") from None


def expand_links(text: str, entities: object) -> str:
    """Replace t.co links with where they lead (expanded_url), so the real host shows."""
    for entry in _objs(_obj(entities).get("urls")):
        if entry.get("url") and (entry.get("expanded_url") or entry.get("display_url")):
            text = text.replace(str(entry["url"]), str(entry.get("expanded_url") or entry["display_url"]))
    return text


def may_not_answer(tweet: Obj, users: Users, me: str) -> bool:
    """Whether a self-serve app may not reply to this post: since February 2026 X lets it answer only
    authors who mentioned or quoted it (a quote of anyone gets the benefit of the doubt)."""
    name = str((users.get(me) or {}).get("username") or "").lower()
    for mention in _objs(_obj(tweet.get("entities")).get("mentions")):
        if str(mention.get("id") or "") == me or (
            name and str(mention.get("username") or "").lower() == name
        ):
            return False
    if name and f"@{name}" in str(tweet.get("text") or "").lower():
        return False
    return not any(r.get("type") == "quoted" for r in _objs(tweet.get("referenced_tweets")))


def tweet_post(
    tweet: Obj,
    users: Users,
    kind: str,
    me: str,
    account: str,
    limited_replies: bool = False,
) -> Post:
    """A Post from a post object and its page's users; KeyError/TypeError/ValueError on a bad shape.

    With `limited_replies` (a self-serve app), a search hit we may not answer is flagged
    `reply_limited` in its raw payload, which the desk shows.
    """
    latest = str(tweet["id"])
    chain = edit_chain(tweet)
    native_id = chain[0]
    author_id = str(tweet["author_id"])
    author, user = author_of(author_id, users)
    parent = next(
        (str(r["id"]) for r in _objs(tweet.get("referenced_tweets")) if r.get("type") == "replied_to"),
        None,
    )
    is_ours = author_id == me
    if kind == "mention" and str(tweet.get("in_reply_to_user_id") or "") == me:
        kind = "reply"
    # A long post's `text` is cut; its whole text is in note_tweet (asked for in tweet.fields).
    note = _obj(tweet.get("note_tweet"))
    text = str(note["text"]) if note.get("text") else str(tweet["text"])
    entities = note.get("entities") if note.get("text") else tweet.get("entities")
    created_at = parse_time(tweet["created_at"])
    edited_at = None
    if len(chain) > 1:
        edited_at = created_at  # each version is a post of its own, created when it was written
        created_at = minted_at(native_id) or created_at
    conversation = str(tweet.get("conversation_id") or latest)
    if conversation in chain:
        conversation = native_id  # an edited thread root keeps one conversation
    return Post(
        network="x",
        native_id=native_id,
        author=author,
        text=expand_links(text, entities),
        created_at=created_at,
        account=account,
        url=f"https://x.com/{author.handle[1:]}/status/{latest}",
        in_reply_to=parent,
        conversation_id=conversation,
        kind="own" if is_ours else kind,
        lang=str(tweet.get("lang") or ""),
        is_ours=is_ours,
        raw={
            **tweet,
            "author": user,
            **(
                {"reply_limited": True}
                if limited_replies and kind == "search" and may_not_answer(tweet, users, me)
                else {}
            ),
        },
        edited_at=edited_at,
    )


def dm_post(event: Obj, users: Users, me: str, account: str) -> Post:
    """A Post from a MessageCreate DM event (raises KeyError/TypeError/ValueError on a bad shape)."""
    sender = str(event["sender_id"])
    author, user = author_of(sender, users)
    conversation = str(event.get("dm_conversation_id") or "")
    if not conversation:  # one-to-one conversations are named by both user ids, lowest first
        conversation = "-".join(sorted((sender, me), key=lambda i: (len(i), i)))
    return Post(
        network="x",
        native_id=str(event["id"]),
        author=author,
        text=expand_links(str(event["text"]), event.get("entities")),
        created_at=parse_time(event["created_at"]),
        account=account,
        url=f"https://x.com/messages/{conversation}",
        conversation_id=f"dm:{conversation}",
        kind="dm",
        is_ours=sender == me,
        raw={**event, "author": user},
    )
