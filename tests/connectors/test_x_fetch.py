"""X fetch against the faithful fake: paging to the cursor or the horizon, streams that fail alone,
DMs, long posts and edits, stored through the sync engine as the desk does."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from socialdesk.connectors.x import XConnector
from socialdesk.services.sync import Source, SourceState, SyncReport, sync_source
from socialdesk.store import Store
from socialdesk.testing import SECRET, Loopback, Reply
from tests.connectors.fake_x import DAY, ME, FakeX, invalid

SOURCE = "x:brand"
MENTIONS = f"/2/users/{ME['id']}/mentions"
SEARCH = "/2/tweets/search/recent"


def make(server: Loopback, **options: Any) -> XConnector:
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(5.0))
    return XConnector("brand-x", options, SECRET, client)


def sync(server: Loopback, store: Store, max_pages: int = 1000, **options: Any) -> SyncReport:
    return sync_source(store, Source(SOURCE, make(server, **options)), max_pages=max_pages)


def stored(store: Store) -> dict[str, tuple[Any, ...]]:
    """native id -> (text, kind, conversation_id, edited_at) of every stored post."""
    rows = store.conn.execute("SELECT native_id, text, kind, conversation_id, edited_at FROM posts")
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeX:
    return FakeX(loopback_server)


# -- 1. every inbound post: paging to the cursor or the horizon --------------------------------------


def test_a_backlog_past_five_pages_is_all_stored(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.page = 2
    fake.mention()
    sync(loopback_server, store)
    backlog = {fake.mention()["id"] for _ in range(13)}
    report = sync(loopback_server, store)
    assert set(stored(store)) >= backlog and len(report.new_ids) == 13
    assert report.state == SourceState.OK
    assert len(sync(loopback_server, store).new_ids) == 0


def test_pages_follow_next_token_with_the_same_since_id(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.page = 2
    first = fake.mention()
    sync(loopback_server, store)
    for _ in range(5):
        fake.mention()
    sync(loopback_server, store)
    calls = loopback_server.calls("GET", MENTIONS)[1:]
    assert [c.arg("since_id") for c in calls] == [first["id"]] * 3
    tokens = [c.arg("pagination_token") for c in calls]
    assert tokens[0] is None and all(tokens[1:]) and len(set(tokens)) == 3


def test_first_sync_reads_back_to_the_horizon_and_says_so(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.page = 5
    ages = [i * 8 * 3600 + 600 for i in range(30)]  # one every 8 hours, 10 days back
    for age in reversed(ages):
        fake.mention(age=age)
    before = time.time()
    report = sync(loopback_server, store)
    within = [a for a in ages if a < 7 * DAY]
    assert len(report.new_ids) == len(within) == 21
    start = loopback_server.calls("GET", MENTIONS)[0].arg("start_time")
    assert start is not None and start.endswith("Z")
    assert report.reached is not None and abs(report.reached - (before - 7 * DAY)) < 30
    assert report.reach_text().startswith("back to ")


def test_backfill_days_sets_the_horizon(fake: FakeX, loopback_server: Loopback, store: Store) -> None:
    for age in (5 * DAY, 3 * DAY, 1.5 * DAY, 0.5 * DAY, 600):
        fake.mention(age=age)
    report = sync(loopback_server, store, backfill_days=2)
    assert len(report.new_ids) == 3
    assert report.reached is not None and abs(report.reached - (time.time() - 2 * DAY)) < 30


def test_a_900_mention_backlog_stops_at_xs_800_and_says_where(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    mentions = [fake.mention(age=(900 - i) * 240) for i in range(900)]  # one every 4 minutes, 2.5 days
    report = sync(loopback_server, store)
    assert len(report.new_ids) == 800 and report.state == SourceState.OK
    oldest_kept = mentions[100]
    assert oldest_kept["id"] in stored(store) and mentions[99]["id"] not in stored(store)
    # Nothing is missing back to the oldest of the 800, not back to the 7-day horizon.
    assert report.reached == pytest.approx(fake.times[oldest_kept["id"]], abs=1)


def test_a_sync_cut_short_resumes_at_the_page_it_stopped(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.page = 2
    fake.mention()
    sync(loopback_server, store)
    backlog = {fake.mention()["id"] for _ in range(9)}
    partial = sync(loopback_server, store, max_pages=2)
    assert len(partial.new_ids) == 4
    rest = sync(loopback_server, store)
    assert len(rest.new_ids) == 5 and set(stored(store)) >= backlog
    tokens = [c.arg("pagination_token") for c in loopback_server.calls("GET", MENTIONS)]
    assert tokens[3] is not None  # the walk went on with X's token, not from the top


def test_a_desk_left_off_past_the_horizon_reads_back_only_to_it(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.page = 3
    old = fake.mention(age=20 * DAY)
    store.set_cursor(SOURCE, json.dumps({"m": old["id"]}))
    for age in [15 * DAY, 12 * DAY, 9 * DAY, 6 * DAY, 4 * DAY, 2 * DAY, DAY, 600]:
        fake.mention(age=age)
    report = sync(loopback_server, store, direct_messages=False)
    # Pages of 3, newest first: the page reaching past 7 days is kept, the walk stops there.
    assert len(report.new_ids) == 6
    assert len(loopback_server.calls("GET", MENTIONS)) == 2
    assert "mentions: read back to" in report.message and "backfill_days" in report.message


def test_more_than_800_mentions_since_the_last_sync_are_read_and_the_rest_said_missing(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.mention(age=3 * DAY)
    sync(loopback_server, store, direct_messages=False)
    for i in range(900):
        fake.mention(age=(900 - i) * 240)
    report = sync(loopback_server, store, direct_messages=False)
    assert len(report.new_ids) == 800
    assert "mentions: read back to" in report.message and "newest 800" in report.message
    assert sync(loopback_server, store, direct_messages=False).message == ""


# -- 2. one failing stream does not stop the others --------------------------------------------------


def test_a_refused_search_keeps_the_mentions_and_their_cursor(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.mention()
    loopback_server.route(
        "GET",
        SEARCH,
        lambda r: invalid("query", r.arg("query") or "", "There were errors processing your request"),
    )
    report = sync(loopback_server, store, search_terms=["acme ("])
    assert len(report.new_ids) == 1
    assert report.state == SourceState.ERROR and "search 'acme ('" in report.message
    assert "There were errors processing your request" in report.message
    later = fake.mention()
    loopback_server.route("GET", SEARCH, fake.search_recent)
    fake.search.append(fake.tweet("acme is down again"))
    again = sync(loopback_server, store, search_terms=["acme ("])
    assert again.state == SourceState.OK and again.message == ""
    assert len(again.new_ids) == 2 and later["id"] in stored(store)
    assert loopback_server.calls("GET", MENTIONS)[-1].arg("since_id") is not None


def test_searches_ask_for_xs_minimum_of_ten(fake: FakeX, loopback_server: Loopback, store: Store) -> None:
    fake.mention()
    fake.search.append(fake.tweet("acme support is slow"))
    report = sync(loopback_server, store, page_size=5, search_terms=["acme"])
    assert report.state == SourceState.OK, report.message
    assert len(report.new_ids) == 2
    assert loopback_server.calls("GET", SEARCH)[0].arg("max_results") == "10"
    assert loopback_server.calls("GET", MENTIONS)[0].arg("max_results") == "5"


def test_a_search_cursor_older_than_seven_days_restarts_inside_the_window(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    mention = fake.mention(age=600)
    stale = fake.tweet("acme, ten days ago", age=10 * DAY)
    recent = fake.tweet("acme, yesterday", age=DAY)
    fake.search += [stale, recent]
    store.set_cursor(SOURCE, json.dumps({"d": "1", "m": mention["id"], "s": {"acme": stale["id"]}}))
    report = sync(loopback_server, store, search_terms=["acme"])
    assert recent["id"] in stored(store) and len(report.new_ids) == 1
    # What X can no longer give is said, not skipped in silence.
    assert report.state == SourceState.ERROR
    assert "search 'acme': read back to" in report.message and "holds 7 days" in report.message
    first, retry = loopback_server.calls("GET", SEARCH)[:2]
    assert first.arg("since_id") == stale["id"]
    assert retry.arg("since_id") is None and retry.arg("start_time")
    # The cursor moved: the next sync asks from the newest post, and X accepts it.
    sync(loopback_server, store, search_terms=["acme"])
    assert loopback_server.calls("GET", SEARCH)[-1].arg("since_id") == recent["id"]


def test_a_rate_limited_search_waits_alone_until_its_reset(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.mention()
    reset = int(time.time()) + 900
    headers = {"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    limited = Reply(
        429, {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}, headers
    )
    loopback_server.route("GET", SEARCH, lambda r: limited)
    report = sync(loopback_server, store, search_terms=["acme"])
    assert len(report.new_ids) == 1 and "search 'acme'" in report.message
    fake.mention()
    again = sync(loopback_server, store, search_terms=["acme"])
    assert len(again.new_ids) == 1
    assert len(loopback_server.calls("GET", SEARCH)) == 1  # not asked again before its reset


def test_a_token_without_dm_read_keeps_the_mentions(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.mention()
    forbidden = Reply(
        403, {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}
    )
    loopback_server.route("GET", "/2/dm_events", lambda r: forbidden)
    report = sync(loopback_server, store)
    assert len(report.new_ids) == 1
    assert report.state == SourceState.ERROR and "dm.read" in report.message


# -- 4. DMs and long posts ---------------------------------------------------------------------------


def test_direct_messages_arrive_with_their_own_cursor(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    fake.page = 2
    first = [fake.dm(f"my order {i} is late", sender="1001") for i in range(3)]
    report = sync(loopback_server, store)
    assert len(report.new_ids) == 3
    text, kind, conversation, _ = stored(store)[first[0]["id"]]
    assert (text, kind, conversation) == ("my order 0 is late", "dm", f"dm:1001-{ME['id']}")
    request = loopback_server.calls("GET", "/2/dm_events")[0]
    assert "dm_conversation_id" in (request.arg("dm_event.fields") or "")
    later = fake.dm("any news?", sender="1001")
    again = sync(loopback_server, store)
    assert len(again.new_ids) == 1 and later["id"] in stored(store)


def test_a_long_post_arrives_whole(fake: FakeX, loopback_server: Loopback, store: Store) -> None:
    long_text = "@AcmeSupport " + "my parcel went to the wrong depot and nobody answers. " * 8
    fake.mention(text=long_text)
    sync(loopback_server, store)
    assert [row[0] for row in stored(store).values()] == [long_text]


# -- 5. an edited post is one post ------------------------------------------------------------------


def test_an_edited_post_updates_the_one_stored_post(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    original = fake.mention(text="@AcmeSupport order 12 is late")
    sync(loopback_server, store)
    edited = fake.edit(original, "@AcmeSupport order 12 is late, and the box was open")
    report = sync(loopback_server, store)
    assert report.new_ids == [] and report.updated == 1
    rows = stored(store)
    assert list(rows) == [original["id"]]
    text, _, conversation, edited_at = rows[original["id"]]
    assert text == "@AcmeSupport order 12 is late, and the box was open"
    assert conversation == original["id"] and edited_at is not None
    url = store.conn.execute("SELECT url FROM posts").fetchone()[0]
    assert url.endswith(edited["id"])


def test_an_edit_seen_before_its_original_is_stored_under_the_original(
    fake: FakeX, loopback_server: Loopback, store: Store
) -> None:
    original = fake.mention(text="@AcmeSupport refund?")
    fake.edit(original, "@AcmeSupport refund please")
    sync(loopback_server, store)
    assert {k: v[0] for k, v in stored(store).items()} == {original["id"]: "@AcmeSupport refund please"}


def test_a_thread_opened_on_an_edited_post_shows_its_newest_text(
    fake: FakeX, loopback_server: Loopback
) -> None:
    root = fake.mention(text="@AcmeSupport my card was charged twice")
    edited = fake.edit(root, "@AcmeSupport my card was charged twice for order 7")
    answer = fake.mention(text="@customer1001 sorry, checking", author=ME["id"], reply_to=root)
    posts = make(loopback_server).fetch_thread(root["id"])
    assert [(p.native_id, p.text) for p in posts] == [
        (root["id"], edited["text"]),
        (answer["id"], answer["text"]),
    ]
    assert posts[0].edited_at is not None and posts[0].url.endswith(edited["id"])


def test_a_deleted_post_is_reported_gone_when_its_thread_is_refreshed(
    fake: FakeX, loopback_server: Loopback
) -> None:
    post = fake.mention()
    fake.delete(post)
    refreshed = make(loopback_server).refresh_thread(post["id"])
    assert refreshed.deleted == [post["id"]] and refreshed.posts == []


def test_a_dm_thread_opened_is_its_conversation_not_a_deleted_post(
    fake: FakeX, loopback_server: Loopback
) -> None:
    first = fake.dm("where is my refund?", sender="1001")
    fake.dm("unrelated", sender="1002")
    second = fake.dm("order 7, paid by card", sender="1001")
    refreshed = make(loopback_server).refresh_thread(second["id"])
    assert refreshed.deleted == []
    assert [(p.native_id, p.kind) for p in refreshed.posts] == [(first["id"], "dm"), (second["id"], "dm")]


# -- media: includes.media matched to each post by key ---------------------------------------------


def test_a_posts_media_come_with_their_alt_text(fake: FakeX, loopback_server: Loopback, store: Store) -> None:
    from socialdesk.services.media import attachments
    from socialdesk.store.queries import raw_payload

    photo = {
        "type": "photo",
        "url": "https://pbs.twimg.com/media/a.jpg",
        "alt_text": "Dented box",
        "width": 4,
    }
    video = {"type": "video", "preview_image_url": "https://pbs.twimg.com/v.jpg", "width": 9}
    tweet = fake.mention(media=[photo, video])
    fake.mention()  # and one without
    sync(loopback_server, store)
    post_id = store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (tweet["id"],)).fetchone()[0]
    shown = attachments("x", raw_payload(store.conn, post_id))
    assert [(a.kind, a.url, a.preview_url, a.alt, a.width) for a in shown] == [
        ("image", "https://pbs.twimg.com/media/a.jpg", "", "Dented box", 4),
        ("video", "", "https://pbs.twimg.com/v.jpg", "", 9),
    ]


@pytest.mark.parametrize(
    "cursor", ['{"w": []}', '{"e": 3}', '{"w": {"m": 5}}', '{"r": []}', '{"w": {"m": {"n": 1, "c": "x"}}}']
)
def test_a_damaged_cursor_starts_its_streams_again_instead_of_failing_every_sync(
    fake: FakeX, loopback_server: Loopback, cursor: str
) -> None:
    waiting = fake.mention()["id"]
    result = make(loopback_server).fetch(cursor)
    assert [p.native_id for p in result.posts] == [waiting] and not result.errors
    assert json.loads(result.cursor or "{}")["m"] == waiting
