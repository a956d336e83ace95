"""Builds the workspace's triage function (playbook rules + classifier) for the sync path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socialdesk.context import Context
    from socialdesk.models import Post
    from socialdesk.services.playbook_keeper import PlaybookKeeper
    from socialdesk.services.triage_offload import OffloadBatches
    from socialdesk.store import Store, Triage


class KeptTriage:
    """The sync engine's `TriageFn` on the keeper's playbook: each round uses the version current then.

    A broken playbook never stops intake: the keeper hands out the last good version, and `notice`
    says so for the desk's status bar and `sync`'s stderr.
    """

    def __init__(self, keeper: PlaybookKeeper) -> None:
        self.keeper = keeper

    def __call__(self, posts: Sequence[Post], store: Store) -> list[Triage]:
        return self.keeper.current().triager.triage_many(posts, store)

    def batches(self) -> OffloadBatches:
        """One sync round's batches (see `rules.Triager.batches`), on the playbook current now."""
        return self.keeper.current().triager.batches()

    def notice(self) -> str:
        """Why the playbook file is not the one in use ("" when it is)."""
        return self.keeper.current().refused


def build_triage(ctx: Context) -> KeptTriage:
    """The configured playbook's triage as the sync engine's `TriageFn` (posts, store) -> triages.

    It offers `batches()` too: the sync engine classifies the next page in a worker process while
    storing the current one. It never raises for a broken playbook (see `KeptTriage`).
    """
    from socialdesk.services.playbook_keeper import keeper_for

    return KeptTriage(keeper_for(ctx))
