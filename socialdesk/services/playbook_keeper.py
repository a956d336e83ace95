"""Keeps the last good playbook: a broken file is refused with its error, triage runs on the version before.

Every version the desk or `sync` accepts is stored in the cache (so a later process, a cron
`sync --once`, falls back on it too) and recorded in the audit log: who loaded it, when, and a diff
against the version before. The file is re-read when it changes on disk, at most once per call.
"""

from __future__ import annotations

import difflib
import hashlib
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from socialdesk.config import SlaSettings
from socialdesk.errors import UserError
from socialdesk.services.automations import Automation, parse_automations
from socialdesk.services.playbook import PlaybookFile, parse_playbook, playbook_path
from socialdesk.services.playbook_check import check_playbook
from socialdesk.services.rules import Triager
from socialdesk.services.sla_policy import DEFAULT_ROLES, parse_escalation
from socialdesk.store.playbook_queries import PlaybookVersion, add_playbook, last_playbook

if TYPE_CHECKING:
    from socialdesk.context import Context
    from socialdesk.store import Store

# A diff longer than this is cut in the audit log (a playbook rewritten from scratch).
_DIFF_MAX_CHARS = 20_000


class PlaybookState(msgspec.Struct, frozen=True):
    """The playbook in use and, when the file was refused, why.

    Attributes:
        playbook: the sections in use (the file's, or the last good version's).
        triager: its rules, ready to triage.
        refused: "" when the file is in use; else its error and what runs instead, one line.
        warnings: the check's warnings about the version in use.
        automations: its `[[automation]]`s, in order.
        roles: its [escalation] roles.
    """

    playbook: PlaybookFile
    triager: Triager
    refused: str = ""
    warnings: tuple[str, ...] = ()
    automations: tuple[Automation, ...] = ()
    roles: tuple[str, ...] = DEFAULT_ROLES


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _diff(before: PlaybookVersion | None, text: str, source: str) -> str:
    lines = difflib.unified_diff(
        before.text.splitlines() if before else [],
        text.splitlines(),
        fromfile=before.source if before else "(none)",
        tofile=source,
        lineterm="",
    )
    diff = "\n".join(lines)
    return diff if len(diff) <= _DIFF_MAX_CHARS else diff[:_DIFF_MAX_CHARS] + "\n... (cut)"


class PlaybookKeeper:
    """The configured playbook, re-read when it changes; the last good version when it is broken.

    Thread-safe: sync workers and the desk's screens share one.

    Args:
        store: the cache that keeps accepted versions and the audit log.
        path: the configured playbook ("" or None: the bundled sample).
        agent: who is at the keyboard (recorded with each accepted version).
        sla: first-response targets for the Triager.
        clock: the time recorded with each version.
    """

    def __init__(
        self,
        store: Store,
        path: str | None,
        agent: str,
        sla: SlaSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.file = playbook_path(path)
        self.agent = agent
        self.sla = sla or SlaSettings()
        self.clock = clock
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file last read
        self._state: PlaybookState | None = None
        self._replaced: list[Triager] = []

    def current(self) -> PlaybookState:
        """The playbook to use now (re-reading the file if it changed since the last call)."""
        with self._lock:
            try:
                stat = self.file.stat()
                stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                stamp = None
            if self._state is None or stamp is None or stamp != self._stamp:
                self._stamp = stamp
                new = self._load()
                if self._state is not None and new.triager is not self._state.triager:
                    self._state.triager.close()  # its worker process, if any
                self._state = new
            return self._state

    def _load(self) -> PlaybookState:
        source = str(self.file)
        try:
            text = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._fallback(f"playbook not found: {source}")
        except (OSError, UnicodeDecodeError) as exc:
            return self._fallback(f"{source}: cannot be read: {exc}")
        try:
            playbook = parse_playbook(text, source)
        except UserError as exc:
            return self._fallback(str(exc))
        report = check_playbook(playbook)
        if not report.ok:
            more = (
                f" (and {len(report.errors) - 1} more: socialdesk playbook check)"
                if len(report.errors) > 1
                else ""
            )
            return self._fallback(report.errors[0] + more)
        try:
            triager = Triager.from_playbook(playbook, self.sla)
            roles, automations = _automations(playbook)
        except UserError as exc:
            return self._fallback(str(exc))
        self._record(text, source)
        triager.count_hits = True
        return PlaybookState(playbook, triager, "", tuple(report.warnings), automations, roles)

    def _record(self, text: str, source: str) -> None:
        """Store an accepted version and audit it, unless it is the version stored last."""
        sha = _sha(text)
        with self.store.transaction() as conn:
            before = last_playbook(conn)
            if before is not None and before.sha256 == sha and before.source == source:
                return
            at = self.clock()
            add_playbook(conn, at, self.agent, source, sha, text)
        diff = _diff(before, text, source)
        self.store.audit(self.agent, "playbook loaded", None, source=source, sha256=sha, diff=diff)

    def _fallback(self, error: str) -> PlaybookState:
        good = last_playbook(self.store.conn)
        if good is not None:
            try:
                playbook = parse_playbook(good.text, good.source)
                triager = Triager.from_playbook(playbook, self.sla)
                roles, automations = _automations(playbook)
                triager.count_hits = True
            except UserError:
                good = None  # stored by a version with other rules: cannot be used
        if good is None:
            return PlaybookState(
                PlaybookFile(error),
                Triager(sla=self.sla),
                f"playbook refused: {error}; no earlier good version, so posts are triaged without rules",
            )
        when = datetime.fromtimestamp(good.at).strftime("%Y-%m-%d %H:%M")
        return PlaybookState(
            playbook,
            triager,
            f"playbook refused: {error}; running on the last good playbook (loaded {when} by {good.agent})",
            automations=automations,
            roles=roles,
        )


def _automations(playbook: PlaybookFile) -> tuple[tuple[str, ...], tuple[Automation, ...]]:
    """A checked playbook's [escalation] roles and automations."""
    roles = parse_escalation(playbook.section("escalation"), playbook.source)
    return roles, tuple(parse_automations(playbook, roles))


_keeper_lock = threading.Lock()


def keeper_for(ctx: Context) -> PlaybookKeeper:
    """The run's one keeper of the configured playbook (sync workers and screens share it)."""
    store = ctx.store
    with _keeper_lock:
        keeper = ctx.playbook_keeper
        if not isinstance(keeper, PlaybookKeeper):
            desk = ctx.settings.desk
            keeper = PlaybookKeeper(store, desk.playbook, desk.agent, ctx.settings.sla)
            ctx.playbook_keeper = keeper
        return keeper
