"""`socialdesk bench --team`, the team at work: desks claim, reply and resolve at an agent's pace.

Each desk loops as an agent does: `claims.claim_next`, work the conversation for a handling time
(team_pacing: lognormal minutes, compressed), put a reply in the shared outbox (`replies`, state
`queued`, as a desk does), `claims.resolve`, and claim again. Posts arrive as the hub stores them
(bench/team_arrivals.py), each a new conversation, on a queue seeded with a backlog.

The desks are threads spread over a few worker processes (`processes`), each desk with its own
connection: an agent's desk is idle almost all the time (a claim every couple of seconds here), so
what one process's desks cost in CPU and GIL is small, and `late` (how late a desk woke from its
handling time) shows it: when that stays at a few milliseconds, the latencies are the server's.
Two hundred processes would spend the two cores on their own start-up and scheduling instead.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from socialdesk.bench.team_arrivals import Arrivals
from socialdesk.bench.team_pacing import handling_time, mean_handling_time, percentile
from socialdesk.team.connect import connect
from socialdesk.team.migrate import migrate

ARRIVALS_PER_S = 50.0
IDLE_WAIT = 0.5  # an agent who found the queue empty presses `n` again after this long
_REPLY = """
INSERT INTO replies (post_id, conversation_id, network, account, text, state, idempotency_key, agent)
SELECT p.id, p.conversation_id, p.network, p.account, %(text)s, 'queued', %(key)s, %(agent)s
FROM posts p WHERE p.conversation_id = %(conversation)s ORDER BY p.created_at DESC LIMIT 1
"""


def seed_backlog(url: str, desks: int, backlog: int) -> None:
    """The schema, members desk1..deskN, and `backlog` waiting conversations of one post each."""
    with connect(url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO agents (name) SELECT 'desk' || g FROM generate_series(1, %s) g", (desks,))
        conn.execute(
            "INSERT INTO conversations (network, key, account, created_at, last_post_at, due_at) "
            "SELECT 'bench', 'b' || g, 'bench-hub', team_now() - 3600 + g * 0.01, team_now() - 3600, "
            "team_now() + g FROM generate_series(1, %s) g",
            (backlog,),
        )
        conn.execute(
            "INSERT INTO posts (conversation_id, network, native_id, account, author_native_id, "
            "author_handle, text, created_at, fetched_at) "
            "SELECT id, 'bench', key, 'bench-hub', 'u' || id, 'customer' || id, "
            "'where is my order ' || id, created_at, created_at FROM conversations"
        )
        conn.execute("ANALYZE")


def _desk(
    url: str, agent: str, seed: int, go: threading.Event, clock: dict[str, float], out: dict[str, Any]
) -> None:
    """One agent at work until `clock['end']`; what it measured goes into `out`."""
    from socialdesk.team import claims

    rng = random.Random(seed)
    for name in ("claim", "reply", "resolve", "late"):
        out[name] = []
    out.update(claims_made=0, empty=0, error="")
    try:
        with connect(url) as conn:
            out["connected"] = True
            go.wait()
            # Desks come in over one mean handling time, as a shift does, not all in one instant.
            time.sleep(rng.uniform(0, mean_handling_time()))
            while (began := time.monotonic()) < clock["end"]:
                got = claims.claim_next(conn, agent)
                took = time.monotonic() - began
                measured = began >= clock["measure_from"]
                if measured:
                    out["claim"].append(took)
                if got is None:
                    out["empty"] += 1
                    time.sleep(IDLE_WAIT)
                    continue
                out["claims_made"] += 1
                planned = time.monotonic() + handling_time(rng)
                time.sleep(max(0.0, planned - time.monotonic()))
                if measured:
                    out["late"].append(time.monotonic() - planned)
                began = time.monotonic()
                key = f"{agent}-{got.conversation_id}"
                conn.execute(
                    _REPLY,
                    {
                        "text": "Thanks, it ships today.",
                        "key": key,
                        "agent": agent,
                        "conversation": got.conversation_id,
                    },
                )
                if measured:
                    out["reply"].append(time.monotonic() - began)
                began = time.monotonic()
                claims.resolve(conn, got.conversation_id, agent)
                if measured:
                    out["resolve"].append(time.monotonic() - began)
    except Exception as exc:  # a failed desk fails the run; the report says which and why
        out["error"] = f"{agent}: {exc}"


def _worker(url: str, agents: list[str], seed: int, ready: Any, start: Any, results: Any) -> None:
    """One process's desks (threads); waits for the start time, then reports every desk's figures."""
    go = threading.Event()
    clock: dict[str, float] = {}
    outs: list[dict[str, Any]] = [{"connected": False} for _ in agents]
    threads = [
        threading.Thread(target=_desk, args=(url, agent, seed + i, go, clock, outs[i]), daemon=True)
        for i, agent in enumerate(agents)
    ]
    for t in threads:
        t.start()
    while any(
        t.is_alive() and not o["connected"] and not o.get("error") for t, o in zip(threads, outs, strict=True)
    ):
        time.sleep(0.05)  # polling the desks' connections; nothing is measured yet
    ready.put(sum(1 for o in outs if o["connected"]))
    clock.update(start.get())
    go.set()
    for t in threads:
        t.join()
    results.put(outs)


def _server_waits(url: str, stop: threading.Event, every: float, seen: dict[str, int]) -> None:
    """Samples what the database's active sessions wait for (lock waits, I/O, CPU) until `stop`."""
    with connect(url) as conn:
        while not stop.wait(every):
            for kind, event, n in conn.execute(
                "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, 'running'), count(*) "
                "FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend' GROUP BY 1, 2"
            ).fetchall():
                seen[f"{kind}:{event}"] = seen.get(f"{kind}:{event}", 0) + int(n)
            seen["samples"] = seen.get("samples", 0) + 1


def workload(
    url: str, desks: int, seconds: float, backlog: int, processes: int, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """`desks` agents claim, reply and resolve for `seconds` (after a warm-up) while posts arrive at 50/s.

    Args:
        url: an empty database (seeded here).
        desks: agents at work, each a thread with its own connection, spread over `processes` processes.
        seconds: how long the figures are taken, after a warm-up of one mean handling time.
        backlog: conversations waiting when the shift starts.
        processes: worker processes the desks are spread over.
    """
    seed_backlog(url, desks, backlog)
    context = multiprocessing.get_context("spawn")
    ready, start, results = context.Queue(), context.Queue(), context.Queue()
    names = [f"desk{i + 1}" for i in range(desks)]
    shares = [names[p::processes] for p in range(processes) if names[p::processes]]
    workers = [
        context.Process(target=_worker, args=(url, share, 1000 * p, ready, start, results), daemon=True)
        for p, share in enumerate(shares)
    ]
    for w in workers:
        w.start()
    connected = sum(ready.get(timeout=120) for _ in workers)
    arrivals = Arrivals(url, ARRIVALS_PER_S)
    arrivals.start()
    arrivals.ready.wait(30)
    warm_up = 2 * mean_handling_time()
    now = time.monotonic()
    clock = {"measure_from": now + warm_up, "end": now + warm_up + seconds}
    waits: dict[str, int] = {}
    stop_sampling = threading.Event()
    sampler = threading.Thread(target=_server_waits, args=(url, stop_sampling, 0.1, waits), daemon=True)
    sampler.start()
    for _ in workers:
        start.put(clock)
    outs: list[dict[str, Any]] = []
    for _ in workers:
        outs.extend(results.get(timeout=warm_up + seconds + 300))
    stop_sampling.set()
    arrivals.stop.set()
    arrivals.join(30)
    for w in workers:
        w.join(30)
    sampler.join(10)
    with connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM (SELECT conversation_id FROM audit WHERE action = 'claim' "
            "GROUP BY conversation_id HAVING count(*) > 1) twice), "
            "(SELECT count(*) FROM conversations WHERE status = 'resolved'), "
            "(SELECT count(*) FROM replies WHERE state = 'queued'), "
            "(SELECT count(*) FROM conversations WHERE status IN ('new', 'open')), "
            "current_setting('max_connections')::int"
        ).fetchone()
    assert row is not None
    every = {
        name: [x for o in outs for x in o.get(name, [])] for name in ("claim", "reply", "resolve", "late")
    }
    errors = [o["error"] for o in outs if o.get("error")]
    if arrivals.error:
        errors.append(arrivals.error)
    samples = max(1, waits.pop("samples", 0))
    return {
        "desks": desks,
        "processes": len(workers),
        "connected": connected,
        "seconds": seconds,
        "claims": len(every["claim"]),
        "claims_per_second": len(every["claim"]) / seconds if seconds else 0.0,
        "empty": sum(o.get("empty", 0) for o in outs),
        "p50_ms": percentile(every["claim"], 0.50) * 1000,
        "p99_ms": percentile(every["claim"], 0.99) * 1000,
        "reply_p99_ms": percentile(every["reply"], 0.99) * 1000,
        "resolve_p99_ms": percentile(every["resolve"], 0.99) * 1000,
        "late_p99_ms": percentile(every["late"], 0.99) * 1000,
        "arrivals_per_second": arrivals.achieved,
        "double_claims": int(row[0]),
        "resolved": int(row[1]),
        "replies_queued": int(row[2]),
        "queue_at_end": int(row[3]),
        "max_connections": int(row[4]),
        "waits": {k: v / samples for k, v in sorted(waits.items(), key=lambda kv: -kv[1])},
        "errors": errors,
    }
