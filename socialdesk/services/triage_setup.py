"""Builds the workspace's triage function (playbook rules + classifier) for the sync path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.services.rules import Triager

if TYPE_CHECKING:
    from socialdesk.context import Context
    from socialdesk.services.sync import TriageFn


def build_triage(ctx: Context) -> TriageFn:
    """The configured playbook's Triager as the sync engine's `TriageFn` (posts, store) -> triages.

    The Triager itself, not just its `triage_many`: the sync engine also uses its `batches()` to
    classify the next page in a worker process while storing the current one.

    Raises:
        UserError: the playbook is missing or invalid (naming the file and rule).
    """
    return Triager.from_settings(ctx.settings)
