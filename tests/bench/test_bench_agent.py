"""Each bench run opens the desk as an agent of its own, so no run starts where another one stopped."""

from __future__ import annotations

import tomllib
from pathlib import Path

from socialdesk.bench import suite
from socialdesk.store import Store
from socialdesk.store.place import Place, load_place, save_place


def agent_of(env: dict[str, str]) -> str:
    config = Path(env["SOCIALDESK_CONFIG_DIR"]) / "config.toml"
    return str(tomllib.loads(config.read_text(encoding="utf-8"))["desk"]["agent"])


def test_a_place_saved_by_one_run_is_not_where_the_next_run_opens(tmp_path: Path) -> None:
    """The desk saves where its agent rests, in the cache the runs share, and opens there next time.

    One shared agent name made a memory probe open 10,000 rows down where an earlier run's scroll
    had stopped, and page through nothing.
    """
    earlier, later = suite._isolated_env(tmp_path / "a"), suite._isolated_env(tmp_path / "b")
    store = Store(tmp_path / "shared-cache.db")
    save_place(store.conn, agent_of(earlier), Place(None, 989_153), 1.0)
    assert agent_of(earlier) and agent_of(later)
    assert load_place(store.conn, agent_of(later)) is None
