"""What every command and the app share: settings, the cache and where it lives (built once per run)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from socialdesk.config import Settings
from socialdesk.errors import UserError
from socialdesk.models import Agent

if TYPE_CHECKING:
    import typer

    from socialdesk.store import Store


@dataclass
class Context:
    """One run's settings and cache.

    Attributes:
        settings: validated config.
        db_path: the cache file in use.
        demo: the embedded demo workspace is in use (nothing configured, or `socialdesk demo`).
        offline: never contact the networks.
        theme: theme chosen by flag (overrides config).
    """

    settings: Settings
    db_path: Path
    demo: bool = False
    offline: bool = False
    theme: str | None = None
    _store: Store | None = field(default=None, repr=False)
    # The run's services.playbook_keeper.PlaybookKeeper, kept here by `keeper_for` (services sit above
    # this module, so it cannot name the type).
    playbook_keeper: object | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def store(self) -> Store:
        """The cache, opened (and migrated) on first use, once even when workers race for it."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from socialdesk import crash
                    from socialdesk.store import Store

                    crash.using_cache(self.db_path)
                    try:
                        self._store = Store(self.db_path)
                    except OSError as exc:  # creating its folder failed
                        raise UserError(f"{self.db_path}: cannot keep the cache here: {_why(exc)}") from None
        return self._store

    @property
    def agent(self) -> Agent:
        """The agent at the keyboard, from config."""
        desk = self.settings.desk
        return Agent(name=desk.agent, roles=tuple(desk.roles))


def _why(exc: OSError) -> str:
    """Why a folder could not be made: a file standing where a folder must be says so."""
    blocking = Path(exc.filename) if exc.filename else None
    if blocking is not None and blocking.exists() and not blocking.is_dir():
        return f"{blocking} is a file, not a folder"
    return f"{exc.strerror or exc}"


def from_typer(ctx: typer.Context) -> Context:
    """The Context the root command stored on the typer context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Context), "root callback did not set the context"
    return obj
