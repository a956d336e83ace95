"""Shared fixtures: an isolated home for every test, stores, and a small deterministic demo workspace."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from socialdesk.config import Settings
from socialdesk.connectors.demo import DemoConnector
from socialdesk.context import Context
from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store

# Real PostgreSQL for the tests marked `postgres` (team mode): pg_server, pg_url, team_db.
pytest_plugins = ["tests.postgres_fixtures"]

# Property tests: no per-example deadline (CI machines are shared and noisy); on CI the examples are
# derived from the test itself, so a submission never fails on a draw that a local run never saw.
settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# A fixed "now" for everything that shows ages, so snapshots and assertions are stable.
FIXED_NOW = 1_795_000_000.0

os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config and data dirs of a test never touch the real user's files."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SOCIALDESK_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("SOCIALDESK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("SOCIALDESK_STATE_DIR", str(home / "state"))
    return home


@pytest.fixture(autouse=True)
def forget_secrets() -> Iterator[None]:
    """Secrets registered for redaction are process-wide: one test's fake token must not mask another's."""
    from socialdesk import secrets

    saved = set(secrets._known)
    yield
    with secrets._known_lock:
        secrets._known.clear()
        secrets._known.update(saved)


@pytest.fixture(autouse=True)
def collect_what_a_desk_froze() -> Iterator[None]:
    """A desk freezes every object alive at its first page (socialdesk.memory), which in a test process
    includes the earlier tests' garbage: their apps, stores and SQLite connections would stay open for
    the whole run (over 1,500 descriptors after the UI tests; a fresh machine's limit is often 1,024)."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()
        _FROZEN_BY_DESKS[0] += 1
        # A full collection walks the whole test process, slowly: one per twenty desks keeps the
        # files left open to a couple of hundred.
        if _FROZEN_BY_DESKS[0] % 20 == 0:
            gc.collect()


_FROZEN_BY_DESKS = [0]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty cache on disk (WAL, like the real thing)."""
    s = Store(tmp_path / "cache.db")
    yield s
    s.close()


def demo_connector(posts: int = 400, clock: float = FIXED_NOW) -> DemoConnector:
    """A small demo network pinned in time."""
    return DemoConnector(account="demo", settings={"initial_posts": posts}, clock=lambda: clock)


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[Store]:
    """A cache holding a small, deterministic demo workspace (400 posts plus our replies), triaged."""
    from socialdesk.services.rules import Triager

    s = Store(tmp_path / "demo.db", clock=lambda: FIXED_NOW + 60)  # stored as if live (recent posts)
    sync_source(s, Source("demo", demo_connector()), Triager.from_settings(Settings()).triage_many)
    yield s
    s.close()


@pytest.fixture
def demo_context(tmp_path: Path, demo_store: Store) -> Context:
    """A run context over the demo workspace (as `socialdesk demo` builds it)."""
    return Context(settings=Settings(), db_path=Path(demo_store.path), demo=True)


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """Pin the time the widgets measure ages against."""
    from socialdesk.widgets import badges

    monkeypatch.setattr(badges, "now", lambda: FIXED_NOW + 60)
    return FIXED_NOW + 60
