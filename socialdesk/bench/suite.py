"""Runs every measurement in one go, against its same-run baseline, and judges each figure."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from msgspec.structs import asdict

from socialdesk.bench import corpus, corpus_cache, measure
from socialdesk.bench.measure import quantile
from socialdesk.frames import DESK_FPS

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "socialdesk-bench"
DEFAULT_OUT = Path(".bench") / "results.json"
# The groups of figures, in the order a run measures them (`--only` picks some).
GROUPS = (
    "startup",
    "first-screen",
    "keys",
    "search",
    "ingest",
    "composer",
    "thread",
    "counts",
    "patterns",
    "disk",
    "soak",
)


class Options(msgspec.Struct, frozen=True):
    """How big and how thorough a run is.

    Attributes:
        posts: posts in the generated cache.
        cache_dir: where generated caches are kept between runs.
        out: the JSON results file.
        starts: cold starts per app (the median counts).
        scroll_rows: rows to page through for the memory figure.
        ingest: posts to sync for the ingest figure.
        key_repeat: multiplies the number of key presses.
        quick: fewer repetitions (the smoke test and a first look).
        only: the groups of figures to measure (empty: all of GROUPS).
        soak_minutes: the soak's length (0: no soak, whatever `only` says).
    """

    posts: int = 1_000_000
    cache_dir: Path = DEFAULT_CACHE_DIR
    out: Path = DEFAULT_OUT
    starts: int = 11  # the machines are noisy: one slow start in five moved the median by 10%
    scroll_rows: int = 10_000
    ingest: int = 100_000
    key_repeat: float = 1.0
    quick: bool = False
    only: frozenset[str] = frozenset()
    soak_minutes: float = 0.0

    @classmethod
    def make(
        cls,
        posts: int,
        cache_dir: Path | None,
        out: Path | None,
        quick: bool,
        only: frozenset[str] = frozenset(),
        soak_minutes: float = 0.0,
    ) -> Options:
        """Options for the CLI: `quick` trims repetitions and sizes everything down with the cache."""
        unknown = only - set(GROUPS)
        if unknown:
            raise ValueError(f"unknown figure group(s) {', '.join(sorted(unknown))}: use {', '.join(GROUPS)}")
        base = cls(
            posts=posts,
            cache_dir=cache_dir or DEFAULT_CACHE_DIR,
            out=out or DEFAULT_OUT,
            quick=quick,
            only=only,
            soak_minutes=soak_minutes,
        )
        if not quick:
            return base
        return cls(
            posts=posts,
            cache_dir=base.cache_dir,
            out=base.out,
            starts=1,
            scroll_rows=min(10_000, max(200, posts // 50)),
            ingest=min(100_000, max(1_000, posts // 10)),
            key_repeat=0.05,
            quick=True,
            only=only,
            soak_minutes=soak_minutes,
        )

    def wants(self, group: str) -> bool:
        """Whether this run measures a group of figures (every group unless `only` names some).

        The soak runs only when given a length: it takes minutes.
        """
        if group == "soak" and not self.soak_minutes:
            return False
        return not self.only or group in self.only


class Figure(msgspec.Struct):
    """One line of the table."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool | None  # None: informational, no target
    baseline: float | None = None
    ratio: float | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)


def _probe(
    mode: str, which: str, db: Path, extra: list[str], env: dict[str, str], timeout: float = 900
) -> dict[str, Any]:
    """Run one probe in a fresh interpreter; its JSON result."""
    args = [sys.executable, "-m", "socialdesk.bench.probe", mode, which, "--db", str(db), *extra]
    env = {**env, "SOCIALDESK_BENCH_T0": repr(time.time())}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return dict(json.loads(line.removeprefix("BENCH-RESULT ")))
    raise RuntimeError(f"probe {mode} {which} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def _isolated_env(home: Path) -> dict[str, str]:
    """The probes' environment: a throwaway config and data dir, so no user config or cache is used."""
    env = dict(os.environ)
    env["SOCIALDESK_CONFIG_DIR"] = str(home / "config")
    # A named agent: a first run would ask for the name and the keys measured would type into it.
    # A name of this run's own: the desk saves where each agent rests (in the cache, which runs share)
    # and opens there next time, so a shared name made one run's scroll or keys start where an
    # earlier run had stopped, 10,000 rows down, with nothing left to page through.
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[desk]\nagent = "bench {uuid.uuid4().hex[:12]}"\n', encoding="utf-8")
    env["SOCIALDESK_DATA_DIR"] = str(home / "data")
    env.pop("TEXTUAL", None)
    # The same frame cap for the desk and the bare baseline apps, as the desk sets it for itself.
    env.setdefault("TEXTUAL_FPS", str(DESK_FPS))
    return env


def _compile_package() -> None:
    """Byte-compile socialdesk, as `pip install` does, so the probes start the desk as installed.

    From a checkout (an editable install) with PYTHONDONTWRITEBYTECODE set, Python would otherwise
    compile every socialdesk module again on every start, while the baseline's Textual, installed by
    pip, starts from bytecode: the cold-start ratio would be measuring the compiler.
    """
    import compileall

    import socialdesk

    compileall.compile_dir(Path(socialdesk.__file__).parent, quiet=1)


def run(options: Options, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Build (or reuse) the cache, take every measurement, write the JSON, return the results."""
    started = time.perf_counter()
    load_before = list(os.getloadavg())
    commit = _commit()  # what is measured is the code as it is now, not when the run ends
    _compile_package()
    spec = corpus.CorpusSpec.for_posts(options.posts)
    say(f"cache: {spec.path(options.cache_dir)}")
    db, facts, reused = corpus_cache.ensure(spec, options.cache_dir, progress=True)
    say(
        f"cache {'reused' if reused else 'built'}: {facts['posts']:,} posts, {facts['customers']:,} customers"
    )
    figures: list[Figure] = []
    want = options.wants
    with tempfile.TemporaryDirectory(prefix="socialdesk-bench-home-") as home:
        env = _isolated_env(Path(home))
        if want("startup"):
            figures += _startup(db, options, env, say)
        if want("first-screen"):
            figures += _first_screen(db, options, env, say)
        if want("keys"):
            figures += _keys(db, options, env, say)
        if want("soak"):
            figures += _soak(options, env, say)
    if want("search"):
        say("search ...")
        figures += [_search(db), _search(db, typed=True)]
    if want("ingest"):
        say(f"sync ingest of {options.ingest:,} posts ...")
        figures.append(_ingest(options, say))
    if want("composer"):
        say("composer counter (in a process of its own) ...")
        figures.append(_composer())
    if want("thread"):
        say("thread and customer history ...")
        figures.append(_thread(db, int(str(facts["whale_customer"]))))
    if want("counts"):
        say("saved queues' counts ...")
        figures.append(_counts(db))
    if want("patterns"):
        say("similar posts and metrics ...")
        figures += _patterns(db)
    if want("disk"):
        say("cache size on disk ...")
        figures.append(_disk(db))
    results = {
        "commit": commit,
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": measure.sqlite_version(),
            "platform": platform.platform(),
            "textual": _version("textual"),
            # The machine is shared: the 1-, 5- and 15-minute load averages when the run began and ended.
            "load": {"start": load_before, "end": list(os.getloadavg())},
        },
        "options": {
            k: str(v) if isinstance(v, Path) else sorted(v) if isinstance(v, frozenset) else v
            for k, v in asdict(options).items()
        },
        "corpus": {**facts, "reused": reused, "path": str(db)},
        "figures": [asdict(f) for f in figures],
        "passed": all(f.passed is not False for f in figures),
        "seconds": round(time.perf_counter() - started, 1),
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def _commit() -> str:
    """The checkout's commit ("" outside a git checkout), with `+` when it has uncommitted changes.

    An install inside some other repository (site-packages under a pyenv checkout) is not a checkout
    of ours: the package's own files must be tracked where it sits.
    """
    import socialdesk

    where = Path(socialdesk.__file__).resolve().parent
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "__init__.py"], cwd=where, capture_output=True, timeout=10
        )
        if tracked.returncode != 0:
            return ""
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+" if dirty else "")


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _startup(db: Path, options: Options, env: dict[str, str], say: Callable[[str], None]) -> list[Figure]:
    say(f"cold start x{options.starts} (desk and minimal app, alternating) ...")
    desk: list[float] = []
    base: list[float] = []
    _probe("start", "minimal", db, [], env)  # the first interpreter start warms the OS file cache
    _probe("start", "app", db, [], env)
    # In turns, each side first every other round (as the terminal figure does): a start always run
    # second in its pair would always follow the desk's exit, or always the baseline's.
    for round_ in range(options.starts):
        for which in ("minimal", "app") if round_ % 2 == 0 else ("app", "minimal"):
            (base if which == "minimal" else desk).append(_probe("start", which, db, [], env)["elapsed"])
    start_desk, start_base = statistics.median(desk), statistics.median(base)
    say(f"memory: paging through {options.scroll_rows:,} rows ...")
    rss = _probe("scroll", "app", db, ["--rows", str(options.scroll_rows)], env)
    rss_base = _probe("scroll", "minimal", db, [], env)
    return [
        Figure(
            "cold start to first feed page",
            start_desk,
            "s",
            "<= 1.5x",
            start_desk / start_base <= 1.5,
            start_base,
            start_desk / start_base,
            {"desk_runs": desk, "minimal_runs": base},
        ),
        Figure(
            f"peak RSS, cache open, {rss['cursor']:,} rows scrolled",
            rss["rss_kib"] / 1024,
            "MiB",
            "<= 2.5x",
            rss["rss_kib"] / rss_base["rss_kib"] <= 2.5,
            rss_base["rss_kib"] / 1024,
            rss["rss_kib"] / rss_base["rss_kib"],
            {"presses": rss["presses"]},
        ),
    ]


def _first_screen(
    db: Path, options: Options, env: dict[str, str], say: Callable[[str], None]
) -> list[Figure]:
    """The complete first screen in a pseudo-terminal, on the demo workspace and on the cache."""
    from socialdesk.bench import terminal

    figures = []
    for label, extra in (
        ("demo workspace", []),
        (f"{options.posts:,}-post cache", ["--db", str(db), "--offline"]),
    ):
        say(f"complete first screen in a terminal x{options.starts}, {label} (and the minimal app) ...")
        desk_argv = [*terminal.desk_command(), *extra]
        base_argv = terminal.minimal_command()
        # The first start creates the demo workspace and warms the OS file cache; it is not counted.
        terminal.first_screen(desk_argv, env, terminal.desk_parts(), terminal.DESK_REQUIRED)
        terminal.first_screen(base_argv, env, terminal.minimal_parts())
        desk: list[float] = []
        base: list[float] = []
        parts: list[dict[str, float]] = []
        for round_ in range(options.starts):
            for side in (0, 1) if round_ % 2 == 0 else (1, 0):
                if side:
                    shown = terminal.first_screen(base_argv, env, terminal.minimal_parts())
                else:
                    shown = terminal.first_screen(
                        desk_argv, env, terminal.desk_parts(), terminal.DESK_REQUIRED
                    )
                if shown.elapsed is None:
                    raise RuntimeError(
                        f"the {'minimal app' if side else 'desk'} never drew its screen:\n{shown.last}"
                    )
                (base if side else desk).append(shown.elapsed)
                if not side:
                    parts.append(shown.parts)
        value, baseline = statistics.median(desk), statistics.median(base)
        figures.append(
            Figure(
                f"complete first screen in a terminal, {label}",
                value,
                "s",
                "<= 1.3x",
                value / baseline <= 1.3,
                baseline,
                value / baseline,
                {"desk_runs": desk, "minimal_runs": base, "desk_parts": parts, "load": list(os.getloadavg())},
            )
        )
    return figures


def _disk(db: Path) -> Figure:
    from socialdesk.bench import disk

    result = disk.cache_size(db)
    per_post, payload = result["bytes_per_post"], result["payload_bytes_per_post"]
    return Figure(
        "cache size on disk per post (text and metadata: baseline)",
        per_post,
        "B",
        "reported",
        None,
        payload,
        per_post / payload if payload else None,
        result,
    )


def _soak(options: Options, env: dict[str, str], say: Callable[[str], None]) -> list[Figure]:
    from socialdesk.bench import soak

    minutes = options.soak_minutes
    say(f"soak: a {minutes:g}-minute shift on the demo workspace (keys at 10/s, posts 10x) ...")
    args = ["--minutes", str(minutes)]
    result = _probe("soak", "app", Path(os.devnull), args, env, timeout=minutes * 60 * 3 + 300)
    verdict = soak.judge(result)
    low, high = verdict["p99_drift_interval"]
    drift = verdict["p99_drift"]
    say(f"soak: key p99 drift {drift:.2f}x, {low:.2f}x-{high:.2f}x over the keys each tenth timed")
    detail = {**verdict, "presses": result["presses"], "missed": result["missed"], "rss": result["rss"]}
    return [
        Figure(
            f"soak, {minutes:g} min: RSS growth after the first tenth",
            verdict["rss_growth"] * 100,
            "%",
            "<= 5%",
            verdict["rss_growth"] <= 0.05,
            detail=detail,
        ),
        Figure(
            f"soak, {minutes:g} min: key p99 in the last tenth",
            verdict["p99_last_tenth_ms"],
            "ms",
            "<= 1.2x",
            verdict["p99_drift"] <= 1.2,
            verdict["p99_first_tenth_ms"],
            verdict["p99_drift"],
            {"keys_timed": verdict["keys_timed"]},
        ),
    ]


def _keys(db: Path, options: Options, env: dict[str, str], say: Callable[[str], None]) -> list[Figure]:
    say("key to painted frame (Pilot, headless) ...")
    result = _probe("keys", "app", db, ["--repeat", str(options.key_repeat)], env)
    lat = result["latencies"]
    figures = []
    for name, keys, limit in (
        ("j/k (Pilot press, panes loading)", ("j", "k"), 0.016),
        ("j/k held (30/s)", ("j_held", "k_held"), 0.016),
        ("PgDn", ("pagedown",), 0.033),
        ("G (jump to oldest)", ("G",), 0.033),
    ):
        values = [v for k in keys for v in lat[k]]
        p99 = quantile(values, 0.99)
        figures.append(
            Figure(
                f"key to frame p99: {name}",
                p99 * 1000,
                "ms",
                f"<= {limit * 1000:.0f} ms",
                p99 <= limit,
                detail={
                    "samples": len(values),
                    "median_ms": statistics.median(values) * 1000,
                    "pattern_lookups": result.get("pattern_lookups", 0),  # similar posts looked up meanwhile
                },
            )
        )
    return figures


def _search(db: Path, typed: bool = False) -> Figure:
    result = measure.search(db, typed=typed)
    ratio = result["p95"] / result["bare_p95"]
    # The desk's searches take well under a millisecond bare, where building 50 rows and reading their
    # tags is about half as much again: a ratio there says nothing the time does not.
    return Figure(
        f"search{' as typed in the desk,' if typed else ''} newest 50, 10 queries, p95",
        result["p95"] * 1000,
        "ms",
        "<= 25 ms" if typed else "<= 1.5x and <= 25 ms",
        (typed or ratio <= 1.5) and result["p95"] <= 0.025,
        result["bare_p95"] * 1000,
        ratio,
        {"queries": result["queries"]},
    )


def _ingest(options: Options, say: Callable[[str], None]) -> Figure:
    result = measure.ingest(options.ingest)
    ratio = result["sync_posts_per_s"] / result["bare_posts_per_s"]
    worker = result["worker_cpu_s"]

    def seconds(value: float | None) -> str:
        return "?" if value is None else f"{value:.1f}"

    say(
        f"  sync {result['sync_seconds']:.1f} s: storing thread {result['sync_thread_cpu_s']:.1f} s of CPU "
        f"(waited {seconds(result['sync_thread_waited_s'])} s for a core), process "
        f"{result['sync_process_cpu_s']:.1f} s, triage worker {seconds(worker)} s; bare "
        f"{result['bare_seconds']:.1f} s, {result['bare_thread_cpu_s']:.1f} s of CPU "
        f"(waited {seconds(result['bare_thread_waited_s'])} s for a core)"
    )
    return Figure(
        f"sync ingest of {options.ingest:,} posts",
        result["sync_posts_per_s"],
        "posts/s",
        ">= 0.8x",
        ratio >= 0.8,
        result["bare_posts_per_s"],
        ratio,
        result,
    )


def _composer() -> Figure:
    # In a fresh interpreter, as the start-up probes: measured in this process after every other group,
    # its p99 measured what those groups had left in the process, not the counter (README, "Performance").
    result = _probe("composer", "app", Path(os.devnull), [], dict(os.environ))
    return Figure(
        "composer counter per keystroke (280 chars), p99",
        result["p99"] * 1e6,
        "us",
        "<= 50 us",
        result["p99"] <= 50e-6,
        detail={"mean_us": result["mean"] * 1e6, "calls": result["calls"], "pid": result["pid"]},
    )


def _patterns(db: Path) -> list[Figure]:
    from socialdesk.bench import patterns

    similar = patterns.similar_posts(db)
    report = patterns.metrics_report(db)
    return [
        _p95_ms("similar posts of one post (last hour and day), p95", similar, 30),
        Figure(
            f"metrics report, 30 days by network ({report['30d_posts']:,} posts)",
            report["30d"] * 1000,
            "ms",
            "<= 1000 ms",
            report["30d"] <= 1.0,
            detail=report,
        ),
        Figure(
            f"metrics screen, 30 days, no breakdown ({report['30d_screen_posts']:,} posts)",
            report["30d_screen"] * 1000,
            "ms",
            "<= 1000 ms",
            report["30d_screen"] <= 1.0,
            detail=report,
        ),
    ]


def _p95_ms(name: str, result: dict[str, Any], cap_ms: int) -> Figure:
    """A figure whose value is a p95 in milliseconds, passing at or under `cap_ms`."""
    return Figure(
        name, result["p95"] * 1000, "ms", f"<= {cap_ms} ms", result["p95"] <= cap_ms / 1000, detail=result
    )


def _counts(db: Path) -> Figure:
    from socialdesk.bench.corpus import AGENTS

    result = measure.queue_counts(db, agent=AGENTS[-1])
    return _p95_ms(f"saved queues' {len(result['counts'])} tab counts + feed total, p95", result, 16)


def _thread(db: Path, customer_id: int) -> Figure:
    result = measure.open_thread(db, customer_id)
    return _p95_ms(f"thread + customer history ({result['customer_posts']:,} posts), p95", result, 30)
