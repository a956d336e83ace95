"""`socialdesk bench --team`: a simulated team on one PostgreSQL, at 20 and at 200 desks.

The claim-next latency is the team at work's (bench/team_workload.py: agents claim, reply and
resolve at an agent's pace while posts arrive at 50/s). The saturation race here is the correctness
stress: desks (threads with their own connections) claim back to back until the queue is empty, and
every conversation must be claimed exactly once; its latencies are queueing behind the machine, not
what an agent waits for, so only its throughput is reported. The desks' figures (status seen by
every other desk, cold start) are bench/team_desk.py's, hub failover bench/hub_failover.py's. Each
measurement runs on a scratch database, dropped after it.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from socialdesk.bench.team_pacing import growth, percentile
from socialdesk.team import claims
from socialdesk.team.connect import connect, parse_url
from socialdesk.team.migrate import migrate

# The desks' figures (bench/team_desk.py): status changes watched, posts in the cold-started cache,
# starts of each desk.
DESK_SIZES = {"quick": (20, 2_000, 3), "full": (100, 100_000, 11)}
# The team at work (bench/team_workload.py): seconds measured (after the warm-up), conversations
# waiting when the shift starts.
WORK_SIZES = {"quick": (10.0, 2_000), "full": (60.0, 10_000)}
# Worker processes the working desks are spread over (two a core: see bench/team_workload.py).
WORK_PROCESSES = 4
# What `bench --team --only` can pick: the team at work, the race, the desks' figures (status seen and
# cold start), hub failover (run by the command, bench/hub_failover.py).
GROUPS = ("work", "race", "desks", "failover")


def parse_groups(only: str | None) -> frozenset[str]:
    """The groups `--only` names (all of them when it is empty); ValueError names an unknown one."""
    picked = frozenset(g.strip() for g in (only or "").split(",") if g.strip())
    if unknown := sorted(picked - set(GROUPS)):
        raise ValueError(f"unknown group {', '.join(unknown)} (the team's: {', '.join(GROUPS)})")
    return picked or frozenset(GROUPS)


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


def claim_race(url: str, desks: int, conversations: int) -> dict[str, Any]:
    """`desks` agents claim and resolve `conversations` conversations back to back; soundness and throughput.

    Each desk resolves what it claimed at once (as agents do, minus the work), so nobody holds
    thousands of conversations: claim-next's cost grows with those the claiming agent itself holds.

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
                    claims.resolve(own, got.conversation_id, f"desk{index + 1}")
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
            "(SELECT count(*) FROM conversations c WHERE status <> 'resolved' OR NOT EXISTS "
            "(SELECT 1 FROM audit a WHERE a.conversation_id = c.id AND a.action = 'claim'))"
        ).fetchone()
    double, unclaimed = (int(row[0]), int(row[1])) if row else (-1, -1)
    every = [x for per_desk in latencies for x in per_desk]
    return {
        "desks": desks,
        "claims": conversations,
        "seconds": seconds,
        "claims_per_second": conversations / seconds if seconds else 0.0,
        "p50_ms": percentile(every, 0.50) * 1000,
        "p99_ms": percentile(every, 0.99) * 1000,
        "double_claims": double,
        "unclaimed": unclaimed,
        "errors": errors,
    }


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _work(admin_url: str, desk_counts: tuple[int, ...], quick: bool, say: Callable[[str], None]) -> bool:
    """The team at work at each desk count, printed; True when claim-next p99 <= 20 ms and all is sound."""
    from socialdesk.bench import team_workload
    from socialdesk.bench.team_pacing import HANDLING_MEDIAN_S, HANDLING_SIGMA, TIME_SCALE

    seconds, backlog = WORK_SIZES["quick" if quick else "full"]
    rows = []
    for desks in desk_counts:
        with scratch_database(admin_url) as url:
            say(
                f"{desks} desks at work for {seconds:.0f} s (claim, reply, resolve; handling lognormal, "
                f"median {HANDLING_MEDIAN_S / 60:.0f} min, sigma {HANDLING_SIGMA}, x{TIME_SCALE:.0f}), "
                f"{team_workload.ARRIVALS_PER_S:.0f} posts/s arriving, {backlog:,} waiting ..."
            )
            rows.append(team_workload.workload(url, desks, seconds, backlog, min(WORK_PROCESSES, desks)))
    say("")
    say("The team at work (the claim-next latency figure):")
    say(
        "desks  claims  claims/s  claim-next p50  p99 (<= 20 ms)  reply p99  resolve p99  desk late p99"
        "  double"
    )
    passed = True
    for r in rows:
        ok = r["p99_ms"] <= 20 and r["double_claims"] == 0 and not r["errors"]
        ok = ok and r["resolved"] == r["replies_queued"]
        passed = passed and ok
        say(
            f"{r['desks']:>5}  {r['claims']:>6,}  {r['claims_per_second']:>8.1f}  {r['p50_ms']:>11.1f} ms"
            f"  {r['p99_ms']:>11.1f} ms  {r['reply_p99_ms']:>6.1f} ms  {r['resolve_p99_ms']:>8.1f} ms"
            f"  {r['late_p99_ms']:>10.1f} ms  {r['double_claims']:>6}"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        say(
            f"{first['desks']} -> {last['desks']} desks: claims/s "
            f"{growth(first['claims_per_second'], last['claims_per_second'])}, claim-next p50 "
            f"{growth(first['p50_ms'], last['p50_ms'])}, p99 {growth(first['p99_ms'], last['p99_ms'])}"
        )
    for r in rows:
        waits = ", ".join(f"{k} {v:.2f}" for k, v in list(r["waits"].items())[:4]) or "none"
        say(
            f"  {r['desks']} desks: {r['resolved']:,} resolved, {r['replies_queued']:,} replies queued, "
            f"{r['empty']} empty claims, queue at the end {r['queue_at_end']:,}, arrivals "
            f"{r['arrivals_per_second']:.1f}/s; {r['connected']} desk connections of max_connections "
            f"{r['max_connections']}; server sessions waiting (mean): {waits}"
        )
        for error in r["errors"][:3]:
            say(f"  error: {error}")
    return passed


def run(
    admin_url: str,
    desk_counts: tuple[int, ...],
    claims_each: int,
    say: Callable[[str], None],
    quick: bool = False,
    groups: frozenset[str] = frozenset(GROUPS),
) -> bool:
    """The team at work, the saturation race, then the desks' figures (bench/team_desk.py) at each desk
    count on scratch databases, those of them `groups` names; print the tables; True when every figure
    measured passed.

    Args:
        claims_each: the race's conversations at the largest desk count (a fifth at the others).
    """
    say(f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min) at the start: {_load()}")
    passed = _work(admin_url, desk_counts, quick, say) if "work" in groups else True
    if "race" in groups:
        passed = _race(admin_url, desk_counts, claims_each, say) and passed
    if "desks" in groups:
        from socialdesk.bench import team_desk

        changes, start_posts, start_runs = DESK_SIZES["quick" if quick else "full"]
        desks_passed = team_desk.report(
            admin_url, desk_counts, changes, start_posts, start_runs, scratch_database, say
        )
        passed = passed and desks_passed
    say(f"\nmachine: {os.cpu_count()} cores; one loopback PostgreSQL on the same cores as every desk")
    say(f"load average at the end (1, 5, 15 min): {_load()}")
    return passed


def _race(admin_url: str, desk_counts: tuple[int, ...], claims_each: int, say: Callable[[str], None]) -> bool:
    """The saturation race at each desk count, printed; True when every conversation was claimed once."""
    passed = True
    rows = []
    for desks in desk_counts:
        # the full count at the most desks (the hardest race); a fifth elsewhere, for the throughput
        race = claims_each if desks == max(desk_counts) else max(desks, claims_each // 5)
        with scratch_database(admin_url) as url:
            say(f"\n{desks} desks racing for {race:,} conversations (claim and resolve back to back) ...")
            result = claim_race(url, desks, race)
        rows.append(result)
        ok = result["double_claims"] == 0 and not result["errors"] and result["unclaimed"] == 0
        passed = passed and ok
        for error in result["errors"][:3]:
            say(f"  error: {error}")
    say("")
    say("The saturation race (correctness stress; its latencies are queueing, not an agent's wait):")
    say("desks    claims  claims/s  double claims  unclaimed")
    for r in rows:
        say(
            f"{r['desks']:>5}  {r['claims']:>8,}  {r['claims_per_second']:>8,.0f}  {r['double_claims']:>13}"
            f"  {r['unclaimed']:>9}"
        )
    say("")
    return passed
