"""`socialdesk bench --team`: many desks claiming at once on one PostgreSQL (claim latency, double claims).

Each desk is a thread with its own connection, claiming until the queue is empty; a scratch database
is created for the run and dropped after it. Hub failover is bench/hub_failover.py's. Figures the
team suite does not measure yet (status seen by other desks, team cold start) are listed as such,
not guessed.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from socialdesk.team import claims
from socialdesk.team.connect import connect, parse_url, safe_url
from socialdesk.team.migrate import migrate

# The desks' figures (bench/team_desk.py): status changes watched, posts in the cold-started cache,
# starts of each desk.
DESK_SIZES = {"quick": (20, 2_000, 3), "full": (100, 100_000, 11)}


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server of `admin_url` (dropped afterwards); its URL."""
    from urllib.parse import urlsplit

    parse_url(admin_url, "--team-url")
    name = f"socialdesk_bench_{uuid.uuid4().hex[:12]}"
    with connect(admin_url, where="--team-url") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        with connect(admin_url, where="--team-url") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def claim_race(url: str, desks: int, conversations: int) -> dict[str, Any]:
    """`desks` agents claim `conversations` conversations at once; latency and correctness figures.

    Args:
        url: an empty database (the team schema is created in it).
        desks: concurrent desks, each on its own connection.
        conversations: queue size; every conversation must end claimed exactly once.
    """
    with connect(url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO agents (name) SELECT 'desk' || g FROM generate_series(1, %s) g", (desks,))
        conn.execute(
            "INSERT INTO conversations (network, key, priority, created_at) "
            "SELECT 'bench', 'c' || g, g %% 4, g FROM generate_series(1, %s) g",
            (conversations,),
        )
        conn.execute("ANALYZE")
    latencies: list[list[float]] = [[] for _ in range(desks)]
    errors: list[str] = []
    start = threading.Barrier(desks)

    def desk(index: int) -> None:
        try:
            with connect(url) as own:
                start.wait()
                mine = latencies[index]
                while True:
                    began = time.perf_counter()
                    got = claims.claim_next(own, f"desk{index + 1}", lease=3600)
                    mine.append(time.perf_counter() - began)
                    if got is None:
                        return
        except Exception as exc:  # a failed desk is a failed run, reported below
            errors.append(f"desk{index + 1}: {exc}")

    threads = [threading.Thread(target=desk, args=(i,), daemon=True) for i in range(desks)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    with connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM (SELECT conversation_id FROM audit WHERE action = 'claim' "
            "GROUP BY conversation_id HAVING count(*) > 1) twice), "
            "(SELECT count(*) FROM conversations c WHERE NOT EXISTS "
            "(SELECT 1 FROM claims k WHERE k.conversation_id = c.id AND k.agent <> ''))"
        ).fetchone()
    double, unclaimed = (int(row[0]), int(row[1])) if row else (-1, -1)
    every = [x for per_desk in latencies for x in per_desk]
    return {
        "desks": desks,
        "claims": conversations,
        "seconds": seconds,
        "claims_per_second": conversations / seconds if seconds else 0.0,
        "p50_ms": _percentile(every, 0.50) * 1000,
        "p99_ms": _percentile(every, 0.99) * 1000,
        "double_claims": double,
        "unclaimed": unclaimed,
        "errors": errors,
    }


def run(
    admin_url: str,
    desk_counts: tuple[int, ...],
    claims_each: int,
    say: Callable[[str], None],
    quick: bool = False,
) -> bool:
    """Run the claim race at each desk count on scratch databases, then the desks' figures
    (bench/team_desk.py); print the tables; True when every figure passed."""
    passed = True
    rows = []
    for desks in desk_counts:
        with scratch_database(admin_url) as url:
            say(f"{desks} desks claiming {claims_each:,} conversations on {safe_url(admin_url)} ...")
            result = claim_race(url, desks, claims_each)
        rows.append(result)
        ok = result["p99_ms"] <= 20 and result["double_claims"] == 0 and not result["errors"]
        ok = ok and result["unclaimed"] == 0
        passed = passed and ok
        for error in result["errors"][:3]:
            say(f"  error: {error}")
    say("")
    say("desks   claims  claims/s  claim-next p50  claim-next p99 (<= 20 ms)  double claims  unclaimed")
    for r in rows:
        say(
            f"{r['desks']:>5}  {r['claims']:>7,}  {r['claims_per_second']:>8,.0f}  {r['p50_ms']:>11.1f} ms  "
            f"{r['p99_ms']:>11.1f} ms{'':>11}  {r['double_claims']:>13}  {r['unclaimed']:>9}"
        )
    say("")
    from socialdesk.bench import team_desk

    changes, start_posts, start_runs = DESK_SIZES["quick" if quick else "full"]
    desks_passed = team_desk.report(
        admin_url, desk_counts, changes, start_posts, start_runs, scratch_database, say
    )
    say(f"\nmachine: {os.cpu_count()} cores; one loopback PostgreSQL; each desk a thread, its own connection")
    say(f"load average at the end (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return passed and desks_passed
