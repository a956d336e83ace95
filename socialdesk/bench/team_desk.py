"""`socialdesk bench --team`, the desks' figures: a status change seen by every other desk, team cold start.

Status: desks (threads, each with its own cache file and its own LISTEN connection, following the
feed as a desk does) watch while one agent changes conversations' statuses, one at a time, as posts
arrive at `ARRIVALS_PER_S`; a change counts as seen by a desk when that desk's cache holds it (the
screen reads it from there). Cold start: the desk started as `socialdesk` starts it, to its first
painted feed page, on the same cache, with and without `[team] url`, taken in turns.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

from socialdesk.team.connect import connect
from socialdesk.team.migrate import migrate

ARRIVALS_PER_S = 50.0
SEEN_TIMEOUT = 30.0  # a change not seen by every desk within this long fails the run


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def seed(url: str, conversations: int, agents: int = 1) -> None:
    """The schema, members desk1..deskN, and `conversations` conversations of one post each."""
    with connect(url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO agents (name) SELECT 'desk' || g FROM generate_series(1, %s) g", (agents,))
        conn.execute(
            "INSERT INTO conversations (network, key, created_at, last_post_at) "
            "SELECT 'bench', 'c' || g, 1795000000 + g, 1795000000 + g FROM generate_series(1, %s) g",
            (conversations,),
        )
        conn.execute(
            "INSERT INTO posts (conversation_id, network, native_id, author_native_id, author_handle, "
            "text, created_at, fetched_at) SELECT id, 'bench', key, 'u' || id, 'customer' || id, "
            "'where is my order ' || id, created_at, created_at FROM conversations"
        )


def _arrivals(url: str, stop: threading.Event) -> None:
    """Posts arriving as the hub stores them, `ARRIVALS_PER_S` a second, until `stop`."""
    with connect(url) as conn:
        n = 0
        while not stop.wait(1 / ARRIVALS_PER_S):
            n += 1
            with conn.transaction():
                row = conn.execute(
                    "INSERT INTO conversations (network, key, last_post_at) VALUES ('bench', %s, team_now()) "
                    "RETURNING id",
                    (f"arrival{n}",),
                ).fetchone()
                assert row is not None
                conn.execute(
                    "INSERT INTO posts (conversation_id, network, native_id, author_native_id, "
                    "author_handle, text, created_at, fetched_at) "
                    "VALUES (%s, 'bench', %s, 'u', 'someone', 'hello', team_now(), team_now())",
                    (row[0], f"arrival{n}"),
                )


def status_seen(url: str, desks: int, changes: int) -> dict[str, Any]:
    """`desks` desks follow the feed; one agent makes `changes` status changes; when each desk had each.

    Args:
        url: an empty database (seeded here).
        desks: desks following the feed, each a thread with its own cache and connection.
        changes: status changes, one at a time, each waited for on every desk.
    """
    from socialdesk.services.team_desk import TeamDesk
    from socialdesk.services.team_follow import Link, follow
    from socialdesk.services.team_replica import Pulled
    from socialdesk.store import Store

    conversations = 20
    seed(url, conversations, agents=desks)
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-bench-team-"))
    stop = threading.Event()
    # The change being watched: (native id of its post, status expected), and who has seen it when.
    watched: dict[str, Any] = {"change": None}
    seen: list[dict[int, float]] = []
    lock = threading.Lock()
    all_seen = threading.Event()
    online = threading.Semaphore(0)
    errors: list[str] = []

    def desk(index: int) -> None:
        store = Store(folder / f"desk{index}.db")
        team = TeamDesk(url, store, f"desk{index + 1}")

        def pulled(_: Pulled) -> None:
            change = watched["change"]
            if change is None:
                return
            native_id, status = change
            row = store.conn.execute(
                "SELECT status FROM posts WHERE network = 'bench' AND native_id = ?", (native_id,)
            ).fetchone()
            if row and row[0] == status:
                now = time.perf_counter()
                with lock:
                    if watched["change"] is change and index not in seen[-1]:
                        seen[-1][index] = now
                        if len(seen[-1]) == desks:
                            all_seen.set()

        def link(state: Link) -> None:
            if state.online:
                online.release()
            else:
                errors.append(f"desk{index + 1}: {state.reason}")

        try:
            follow(team, stop, pulled, link)
        finally:
            store.close()

    threads = [threading.Thread(target=desk, args=(i,), daemon=True) for i in range(desks)]
    for t in threads:
        t.start()
    arrivals = threading.Thread(target=_arrivals, args=(url, stop), daemon=True)
    latencies: list[float] = []
    try:
        for _ in range(desks):
            if not online.acquire(timeout=SEEN_TIMEOUT):
                raise RuntimeError(f"not every desk reached the team database: {'; '.join(errors[:3])}")
        arrivals.start()
        with connect(url) as agent:
            for n in range(changes):
                key = f"c{n % conversations + 1}"
                status = "resolved" if (n // conversations) % 2 == 0 else "open"
                with lock:
                    all_seen.clear()
                    seen.append({})
                    watched["change"] = (key, status)
                agent.execute(
                    "UPDATE conversations SET status = %s, updated_at = team_now(), updated_by = 'desk1' "
                    "WHERE network = 'bench' AND key = %s",
                    (status, key),
                )
                committed = time.perf_counter()
                if not all_seen.wait(SEEN_TIMEOUT):
                    raise RuntimeError(
                        f"change {n + 1} was not seen by every desk within {SEEN_TIMEOUT:.0f} s"
                    )
                latencies.append(max(seen[-1].values()) - committed)
    finally:
        stop.set()
        for t in [*threads, arrivals]:
            if t.is_alive():
                t.join(10)
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "desks": desks,
        "changes": changes,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p95_ms": _percentile(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else 0.0,
    }


def cold_start(url: str, posts: int, runs: int) -> dict[str, Any]:
    """The desk's cold start to its first feed page on one cache, as a solo and as a team desk.

    Args:
        url: an empty database (seeded with `posts` conversations; the cache is filled from it).
        posts: posts in the cache.
        runs: starts of each, taken in turns (the median of each is compared).
    """
    from socialdesk.bench.suite import _compile_package, _isolated_env, _probe
    from socialdesk.services import team_replica
    from socialdesk.store import Store

    seed(url, posts, agents=1)
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-bench-start-"))
    try:
        db = folder / "cache.db"
        store = Store(db)
        with connect(url) as conn:
            team_replica.pull(conn, store)
        store.close()
        solo_env = _isolated_env(folder / "solo")
        team_env = _isolated_env(folder / "team")
        config = Path(team_env["SOCIALDESK_CONFIG_DIR"]) / "config.toml"
        config.write_text(f'[desk]\nagent = "desk1"\n\n[team]\nurl = "{url}"\n', encoding="utf-8")
        config.chmod(0o600)  # it carries the scratch database's password
        _compile_package()
        _probe("start", "app", db, [], solo_env)  # warms the OS file cache
        _probe("start", "app", db, [], team_env)
        solo: list[float] = []
        team: list[float] = []
        for _ in range(runs):
            solo.append(_probe("start", "app", db, [], solo_env)["elapsed"])
            team.append(_probe("start", "app", db, [], team_env)["elapsed"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "posts": posts,
        "runs": runs,
        "solo_s": median(solo),
        "team_s": median(team),
        "ratio": median(team) / median(solo) if solo else 0.0,
    }


def report(
    admin_url: str,
    desk_counts: tuple[int, ...],
    changes: int,
    start_posts: int,
    start_runs: int,
    scratch: Callable[[str], Any],
    say: Callable[[str], None],
) -> bool:
    """Measure both figures (status at each desk count, cold start once) and print them; True if they pass."""
    passed = True
    rows = []
    for desks in desk_counts:
        with scratch(admin_url) as url:
            say(f"{desks} desks following the feed, {changes} status changes ...")
            rows.append(status_seen(url, desks, changes))
    say("")
    say("desks  changes  status seen by every other desk: p50    p95 (<= 500 ms)    max")
    for r in rows:
        passed = passed and r["p95_ms"] <= 500
        say(
            f"{r['desks']:>5}  {r['changes']:>7}  {r['p50_ms']:>30.1f} ms  {r['p95_ms']:>9.1f} ms"
            f"  {r['max_ms']:>9.1f} ms"
        )
    with scratch(admin_url) as url:
        say(f"\ncold start, {start_posts:,} posts in the cache, {start_runs} starts of each ...")
        start = cold_start(url, start_posts, start_runs)
    passed = passed and start["ratio"] <= 1.2
    say(
        f"desk cold start to the first feed page: solo {start['solo_s']:.3f} s, team desk "
        f"{start['team_s']:.3f} s: {start['ratio']:.2f}x (<= 1.2x)"
    )
    return passed
