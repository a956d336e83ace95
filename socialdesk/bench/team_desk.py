"""`socialdesk bench --team`, the desks' figures: a status change seen by every other desk, team cold start.

Status: desks, each a process of its own with its own cache file and LISTEN connection, follow the
feed as a desk does (`services.team_follow.follow`), while posts arrive as the hub stores them
(bench/team_arrivals.py, each post its own commit) and one agent resolves conversations, one at a
time (`claims.resolve`); a change counts as seen by a desk when that desk's cache holds it (the
screen reads it from there). Each desk also reports the CPU time it spent following. Cold start: the
desk started as `socialdesk` starts it, to its first painted feed page, on the same cache, with and
without `[team] url`, taken in turns.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

from socialdesk.bench.team_arrivals import Arrivals
from socialdesk.bench.team_pacing import percentile
from socialdesk.team.connect import connect
from socialdesk.team.migrate import migrate

ARRIVALS_PER_S = 50.0
WARM_UP = 3.0  # posts arrive this long before the first change (each desk's first post loads its triage)
CHANGE_EVERY = 0.5  # one agent's status changes, at most two a second (a 200-agent team resolves ~1/s)
ARRIVAL_PAGE = 10  # posts per commit, as the hub publishes a synced page (team/hub_posts.publish_page)
SEEN_TIMEOUT = 30.0  # a change not seen by every desk within this long fails the run
START_TIMEOUT = 300.0  # every desk process started and online (200 on two busy cores take a while)
# Desk processes fork from a server that imported these once (a spawned interpreter per desk would
# spend the two cores importing).
_PRELOAD = ["socialdesk.bench.team_desk", "socialdesk.services.team_follow", "socialdesk.store", "psycopg"]


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


def _machine_busy() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (/proc/stat); (0, 0) where there is none."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _server_cpu(conn: Any) -> float | None:
    """CPU seconds the server's sessions on this database have used (their /proc entries); None if remote."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    pids = [
        pid
        for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).fetchall()
    ]
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _follow_desk(
    url: str, folder: str, index: int, keys: list[str], events: Any, measuring: Any, stop: Any
) -> None:
    """One desk process: follows the feed into its own cache until `stop`, saying when it has each change."""
    from socialdesk.services.team_desk import TeamDesk
    from socialdesk.services.team_follow import Link, follow
    from socialdesk.services.team_replica import Pulled
    from socialdesk.store import Store

    store = Store(Path(folder) / f"desk{index}.db")
    team = TeamDesk(url, store, f"desk{index + 1}")
    watched, reported = set(keys), set[str]()
    state = {"measuring": False, "pulls": 0, "cpu": 0.0}

    def pulled(got: Pulled) -> None:
        if not state["measuring"] and measuring.is_set():  # CPU and reads count from here
            state["measuring"], state["pulls"], state["cpu"] = True, 0, time.process_time()
        state["pulls"] += 1
        hits = [key for network, key in got.conversations if network == "bench" and key in watched - reported]
        if not hits:
            return
        marks = ",".join("?" * len(hits))
        for (key,) in store.conn.execute(
            "SELECT native_id FROM posts WHERE network = 'bench' AND status = 'resolved' "
            f"AND native_id IN ({marks})",
            hits,
        ).fetchall():
            reported.add(key)
            events.put(("seen", index, key, time.monotonic()))

    def link(now: Link) -> None:
        if now.online:
            events.put(("online", index, ""))
        elif not now.online:
            events.put(("error", index, now.reason))

    try:
        follow(team, stop, pulled, link)
    finally:
        events.put(("cpu", index, (time.process_time() - state["cpu"], state["pulls"])))
        store.close()


def status_seen(url: str, desks: int, changes: int, per_page: int = ARRIVAL_PAGE) -> dict[str, Any]:
    """Desk processes follow the feed as one agent resolves conversations; when every desk had each change.

    Args:
        url: an empty database (seeded here).
        desks: desks following the feed, each a process with its own cache and connection.
        changes: conversations resolved, one at a time, each waited for on every desk.
        per_page: arriving posts per commit (1: each post wakes every desk).
    """
    from socialdesk.team import claims

    seed(url, changes, agents=desks)
    keys = [f"c{n + 1}" for n in range(changes)]
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-bench-team-"))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    events = context.Queue()
    measuring, stop = context.Event(), context.Event()
    procs = [
        context.Process(
            target=_follow_desk, args=(url, str(folder), i, keys, events, measuring, stop), daemon=True
        )
        for i in range(desks)
    ]
    arrivals = Arrivals(url, ARRIVALS_PER_S, per_page)
    seen: dict[str, dict[int, float]] = {key: {} for key in keys}
    cpu: dict[int, tuple[float, int]] = {}
    errors: list[str] = []
    latencies: list[float] = []

    def take(until: float) -> tuple[Any, ...] | None:
        try:
            event = events.get(timeout=max(0.0, until - time.monotonic()))
        except queue.Empty:
            return None
        kind, index, what = event[0], event[1], event[2:]
        if kind == "seen":
            seen[what[0]][index] = what[1]
        elif kind == "cpu":
            cpu[index] = what[0]
        elif kind == "error":
            errors.append(f"desk{index + 1}: {what[0]}")
        return event

    began = time.monotonic()
    try:
        for p in procs:
            p.start()
        online: set[int] = set()
        deadline = time.monotonic() + START_TIMEOUT
        while len(online) < desks:
            event = take(deadline)
            if event is None:
                missing = desks - len(online)
                raise RuntimeError(
                    f"{missing} desks did not reach the team database: {'; '.join(errors[:3])}"
                )
            if event[0] == "online":
                online.add(event[1])
        started = time.monotonic() - began
        arrivals.start()
        arrivals.ready.wait(30)
        warm = time.monotonic() + WARM_UP
        while take(warm) is not None:
            pass  # the warm-up: nothing is watched yet
        with connect(url) as agent:
            ids: dict[str, int] = dict(
                agent.execute("SELECT key, id FROM conversations WHERE network = 'bench'").fetchall()
            )
            measuring.set()
            server_before, machine_before = _server_cpu(agent), _machine_busy()
            window_began, posts_before = time.monotonic(), arrivals.posts
            for n, key in enumerate(keys):
                # one change every CHANGE_EVERY s (or as soon as the last was seen everywhere, if later)
                time.sleep(max(0.0, window_began + n * CHANGE_EVERY - time.monotonic()))
                claims.resolve(agent, int(ids[key]), "desk1")
                committed = time.monotonic()
                deadline = committed + SEEN_TIMEOUT
                while len(seen[key]) < desks and take(deadline) is not None:
                    pass
                if len(seen[key]) < desks:  # the desks fell behind the feed: the figures so far stand
                    errors.append(
                        f"change {n + 1} was not seen by every desk within {SEEN_TIMEOUT:.0f} s "
                        f"({len(seen[key])} of {desks} had it); the measurement stopped there"
                    )
                    break
                latencies.append(max(0.0, max(seen[key].values()) - committed))
            window = time.monotonic() - window_began
            posts = arrivals.posts - posts_before
            server_after, machine_after = _server_cpu(agent), _machine_busy()
    finally:
        stop.set()
        arrivals.stop.set()
        deadline = time.monotonic() + 60
        while len(cpu) < sum(1 for p in procs if p.pid is not None) and take(deadline) is not None:
            pass
        for p in procs:
            if p.pid is not None:
                p.join(max(0.1, deadline - time.monotonic()))
                if p.is_alive():
                    p.terminate()
        if arrivals.is_alive():
            arrivals.join(10)
        shutil.rmtree(folder, ignore_errors=True)
    commits = (
        posts // per_page + len(latencies) + bool(errors)
    )  # each arriving page and each change: one commit
    desk_cpu = sum(c for c, _ in cpu.values())
    server_cpu = (
        server_after - server_before if server_after is not None and server_before is not None else None
    )
    machine = (machine_after[0] - machine_before[0], machine_after[1] - machine_before[1])
    return {
        **figures(
            desks, latencies, errors, started, window, commits, server_cpu, machine, desk_cpu_ms=desk_cpu
        ),
        "reads_per_desk_per_second": sum(n for _, n in cpu.values()) / len(cpu) / window
        if cpu and window
        else 0.0,
    }


def figures(
    desks: int,
    latencies: list[float],
    errors: list[str],
    started: float,
    window: float,
    commits: int,
    server_cpu: float | None,
    machine: tuple[int, int],
    **own_cpu: float,
) -> dict[str, Any]:
    """A status run's figures: when every desk had each change, the commits, and CPU per desk per commit
    (the server's and each of `own_cpu`, given in seconds over the window)."""
    per_desk_commit = 1000 / (desks * commits) if commits else 0.0
    busy, total = machine
    return {
        "desks": desks,
        "changes": len(latencies),
        "last_ms": latencies[-1] * 1000 if latencies else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else 0.0,
        "start_s": started,
        "seconds": window,
        "commits_per_second": commits / window if window else 0.0,
        **{name: seconds * per_desk_commit for name, seconds in own_cpu.items()},
        "server_cpu_ms": server_cpu * per_desk_commit if server_cpu is not None else None,
        "machine_busy": busy / total if total else 0.0,
        "errors": errors,
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
    rows: list[dict[str, Any]] = []
    for desks in desk_counts:
        if beyond := _beyond_the_machine(rows, desks):
            say(beyond)
            continue
        with scratch(admin_url) as url:
            say(
                f"{desks} desk processes following the feed, {changes} status changes (one per "
                f"{CHANGE_EVERY} s), {ARRIVALS_PER_S:.0f} posts/s arriving in hub pages of {ARRIVAL_PAGE} ..."
            )
            try:
                rows.append(status_seen(url, desks, changes))
            except RuntimeError as exc:  # a desk that never had a change: the figure failed, the rest goes on
                say(f"  error: {exc}")
                passed = False
    title = "A status change seen by every other desk (each desk a process with its own cache):"
    passed = _say_status(rows, title, "desk", "desk_cpu_ms", say) and passed
    passed = _report_listeners(admin_url, desk_counts, changes, scratch, say) and passed
    with scratch(admin_url) as url:
        say(f"\ncold start, {start_posts:,} posts in the cache, {start_runs} starts of each ...")
        start = cold_start(url, start_posts, start_runs)
    passed = passed and start["ratio"] <= 1.2
    say(
        f"desk cold start to the first feed page: solo {start['solo_s']:.3f} s, team desk "
        f"{start['team_s']:.3f} s: {start['ratio']:.2f}x (<= 1.2x)"
    )
    return passed


def _beyond_the_machine(measured: list[dict[str, Any]], desks: int) -> str:
    """Why `desks` desk processes are not measured ("" if they may be): what following the feed costs
    each desk at a smaller count, times `desks`, is more CPU than this machine has."""
    if not measured or measured[-1]["errors"]:
        return ""
    last = measured[-1]
    per_commit = last["desk_cpu_ms"] + (last["server_cpu_ms"] or 0.0)
    need = desks * last["commits_per_second"] * per_commit / 1000
    cores = os.cpu_count() or 1
    if need <= cores:
        return ""
    return (
        f"{desks} desk processes not measured: following the feed would take {need:.1f} CPU-seconds a "
        f"second ({desks} x {last['commits_per_second']:.1f} commits/s x {per_commit:.2f} ms, as measured "
        f"at {last['desks']}) on {cores} cores; the async clients below measure {desks} desks"
    )


def _report_listeners(
    admin_url: str,
    desk_counts: tuple[int, ...],
    changes: int,
    scratch: Callable[[str], Any],
    say: Callable[[str], None],
) -> bool:
    """The status figure again with each desk an async client of the feed (bench/team_listeners.py)."""
    from socialdesk.bench import team_listeners

    passed, rows = True, []
    for desks in desk_counts:
        with scratch(admin_url) as url:
            say(f"\n{desks} desks as async clients of the feed (no cache), {changes} status changes ...")
            try:
                rows.append(team_listeners.status_seen(url, desks, changes))
            except RuntimeError as exc:
                say(f"  error: {exc}")
                passed = False
    title = "The same, each desk an async client of the feed in one process, no cache (the server's share):"
    return _say_status(rows, title, "clients", "client_cpu_ms", say) and passed


def _say_status(
    rows: list[dict[str, Any]], title: str, who: str, cpu: str, say: Callable[[str], None]
) -> bool:
    """Print status runs as a table with their growth over the desk counts; True if every run passed."""
    from socialdesk.bench.team_pacing import growth

    passed = True
    say("")
    say(title)
    say(
        f"desks  p50        p95 (<= 500 ms)  max        commits/s  CPU per desk per commit: {who:>7}  server"
        "  machine busy"
    )
    for r in rows:
        passed = passed and r["p95_ms"] <= 500 and not r["errors"]
        server = f"{r['server_cpu_ms']:.2f} ms" if r["server_cpu_ms"] is not None else "(remote)"
        say(
            f"{r['desks']:>5}  {r['p50_ms']:>7.1f} ms  {r['p95_ms']:>12.1f} ms  {r['max_ms']:>7.1f} ms"
            f"  {r['commits_per_second']:>9.1f}  {r[cpu]:>29.2f} ms  {server:>8}  {r['machine_busy']:>11.0%}"
        )
        for error in r["errors"][:3]:
            say(f"  error: {error}")
        if r["errors"]:
            say(
                f"  {r['desks']} desks: {r['changes']} changes measured, "
                f"the last seen after {r['last_ms']:,.0f} ms"
            )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        say(
            f"{first['desks']} -> {last['desks']} desks: p50 {growth(first['p50_ms'], last['p50_ms'])}, "
            f"p95 {growth(first['p95_ms'], last['p95_ms'])}, max {growth(first['max_ms'], last['max_ms'])}"
        )
    return passed
