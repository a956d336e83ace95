"""Runs the text stage of triage in a worker process while the sync engine stores the previous page."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
    from multiprocessing.context import BaseContext

    from socialdesk.models import Post
    from socialdesk.services.rules import PostFields, TextStage, TextVerdict
    from socialdesk.store import Store, Triage

_log = logging.getLogger(__name__)

# -- in the worker process: functions it imports by module path (they must stay top-level) -----------

_worker_stage: TextStage | None = None


def _init_worker(stage: TextStage) -> None:
    global _worker_stage
    _worker_stage = stage


def _worker_verdicts(posts: list[PostFields]) -> list[TextVerdict]:
    assert _worker_stage is not None, "worker not initialised"
    return _worker_stage.verdicts(posts)


# -- starting and stopping the worker -----------------------------------------------------------------


def _mp_context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        # Nothing else runs (`socialdesk sync`, scripts): forking is safe and starts the worker at
        # once, with the lexicons already loaded, without re-importing the main module.
        return multiprocessing.get_context("fork")
    # Never fork a threaded process (the desk: Textual, sync and outbox threads): the child can
    # deadlock on a lock another thread held. The fork server forks from a clean process instead.
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real stderr for it to inherit.

    The desk (Textual) replaces `sys.stderr` with a capture whose `fileno()` is -1, which the tracker
    would pass on to its process, failing every process start. It gets /dev/null instead.
    """
    from multiprocessing import resource_tracker

    try:
        usable = sys.stderr is None or sys.stderr.fileno() >= 0
    except Exception:  # no fileno at all: the tracker skips it
        usable = True
    if usable:
        resource_tracker.ensure_running()
        return
    saved = sys.stderr
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved


class _Offload:
    """One worker process running the text stage of large batches (see `TextStageOffload.batches`)."""

    def __init__(self, stage: TextStage) -> None:
        context = _mp_context()
        if context.get_start_method() != "fork":
            _start_resource_tracker()
        self.executor = ProcessPoolExecutor(
            max_workers=1, mp_context=context, initializer=_init_worker, initargs=(stage,)
        )
        self.warm = False  # the worker has answered once (its start-up is over)

    def submit(self, posts: list[PostFields]) -> Future[list[TextVerdict]]:
        future = self.executor.submit(_worker_verdicts, posts)
        future.add_done_callback(self._answered)
        return future

    def _answered(self, future: Future[list[TextVerdict]]) -> None:
        if not future.cancelled() and future.exception() is None:
            self.warm = True

    def close(self, kill: bool = False) -> None:
        """Stop the worker (`kill`: without waiting for it, when it hangs or the pool broke)."""
        running = getattr(self.executor, "_processes", None) or {}  # private: best effort
        processes = list(running.values()) if kill else []
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()


# -- batches for the sync engine ----------------------------------------------------------------------


class PreparedTriage:
    """A batch whose text stage may be running in a worker; `finish` triages it with the store's facts."""

    __slots__ = ("future", "offload", "posts", "triager")

    def __init__(
        self,
        triager: TextStageOffload,
        posts: Sequence[Post],
        future: Future[list[TextVerdict]] | None = None,
        offload: _Offload | None = None,
    ) -> None:
        self.triager = triager
        self.posts = posts
        self.future = future
        self.offload = offload

    def finish(self, store: Store | sqlite3.Connection | None) -> list[Triage]:
        """The batch's triage, as `Triager.triage_many(posts, store)` gives it.

        Uses the worker's verdicts when they are (or are about to be) ready; the text stage runs
        here instead when the worker is still starting, failed, or broke, so no post is ever lost.
        """
        verdicts = None
        if self.future is not None and self.offload is not None:
            verdicts = self.triager._collect(self.future, self.offload, len(self.posts))
            if verdicts is None:  # finished again (a group stored again after a rollback): here too
                self.future = None
        return self.triager.triage_many(self.posts, store, verdicts=verdicts)


class OffloadBatches:
    """One sync's use of a Triager: `start` each page as soon as it is fetched, `finish` it to store it.

    While any sync holds one open, the Triager keeps its worker process (started only for large
    batches when more pages follow); it stops the worker once no sync has used it for a while.
    """

    def __init__(self, triager: TextStageOffload) -> None:
        self.triager = triager

    def __enter__(self) -> OffloadBatches:
        self.triager._session(+1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.triager._session(-1)

    def start(self, posts: Sequence[Post], more: bool = False) -> PreparedTriage:
        """Begin triaging a batch: its text stage goes to the worker when that pays.

        Args:
            posts: the batch.
            more: more batches follow soon (a worker's start-up is then worth paying).
        """
        return self.triager._prepare(posts, more)


class TextStageOffload:
    """The Triager's worker process: the text stage of large batches runs there (see `batches`).

    A base of `rules.Triager`, which provides the text stage (`_stage`) and `triage_many`.

    Args:
        offload: run the text stage of large batches in a worker process; only worth it with a spare
            CPU core (None: when there is one).
    """

    # Batches smaller than this are triaged in-process: a worker only pays for itself on a backfill.
    OFFLOAD_MIN_BATCH = 100
    # Stop the worker when no sync has used it for this long (the next backfill starts another).
    OFFLOAD_IDLE_SECONDS = 120.0
    # A worker that takes longer than this for one batch is considered hung and is killed.
    OFFLOAD_TIMEOUT = 60.0

    _stage: TextStage

    if TYPE_CHECKING:

        def triage_many(
            self,
            posts: Sequence[Post],
            store: Store | sqlite3.Connection | None = None,
            *,
            verdicts: Sequence[TextVerdict] | None = None,
        ) -> list[Triage]: ...

    def __init__(self, offload: bool | None = None) -> None:
        self.offload = (os.cpu_count() or 1) > 1 if offload is None else offload
        self._lock = threading.Lock()
        self._offload: _Offload | None = None
        self._sessions = 0
        self._idle_timer: threading.Timer | None = None

    def batches(self) -> OffloadBatches:
        """One sync's batches (a `sync.TriageBatches`): `start(posts, more)` each page, `finish` it later.

        The sync engine starts the next page before storing the current one, so with a spare core the
        expensive text stage of one page overlaps the storing of the previous. Results are exactly
        `triage_many`'s: only the store-independent part runs ahead; the author facts are looked up
        when the page is finished, after every earlier page is stored.
        """
        return OffloadBatches(self)

    def _prepare(self, posts: Sequence[Post], more: bool) -> PreparedTriage:
        offload = self._offload
        if len(posts) < self.OFFLOAD_MIN_BATCH or not self.offload or (offload is None and not more):
            return PreparedTriage(self, posts)
        with self._lock:
            offload = self._offload
            if offload is None:
                try:
                    offload = self._offload = _Offload(self._stage)
                except Exception as exc:  # no processes on this platform or sandbox: stay in-process
                    _log.warning("triage stays in-process: cannot start a worker: %s", exc)
                    self.offload = False
                    return PreparedTriage(self, posts)
        try:
            future = offload.submit([self._stage.fields(p) for p in posts])
        except Exception as exc:  # shut down, broken, or the interpreter is exiting
            self._drop(offload, f"cannot hand work to the worker: {exc}")
            return PreparedTriage(self, posts)
        return PreparedTriage(self, posts, future, offload)

    def _collect(
        self, future: Future[list[TextVerdict]], offload: _Offload, count: int
    ) -> list[TextVerdict] | None:
        """The worker's verdicts, or None to run the text stage in-process."""
        if not future.done() and not offload.warm:
            future.cancel()  # still starting up: doing it here is faster than waiting
            return None
        try:
            verdicts = future.result(timeout=self.OFFLOAD_TIMEOUT)
        except (BrokenExecutor, TimeoutError) as exc:
            self._drop(offload, f"worker broke or hung: {type(exc).__name__}: {exc}", kill=True)
            return None
        except Exception as exc:  # an error in the text stage: in-process triage reports it as before
            _log.warning("triage worker failed, retrying in-process: %s: %s", type(exc).__name__, exc)
            return None
        if len(verdicts) != count:
            return None
        return verdicts

    def _drop(self, offload: _Offload, why: str, kill: bool = False) -> None:
        """Give up on a broken worker: every later batch is triaged in-process."""
        _log.warning("triage stays in-process: %s", why)
        with self._lock:
            self.offload = False
            if self._offload is offload:
                self._offload = None
        offload.close(kill=kill)

    def _session(self, delta: int) -> None:
        with self._lock:
            self._sessions += delta
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            if self._sessions == 0 and self._offload is not None:
                timer = threading.Timer(self.OFFLOAD_IDLE_SECONDS, self._stop_if_idle)
                timer.daemon = True
                timer.start()
                self._idle_timer = timer

    def _stop_if_idle(self) -> None:
        with self._lock:
            offload = self._offload if self._sessions == 0 else None
            if offload is not None:
                self._offload = None
        if offload is not None:
            offload.close()

    def close(self) -> None:
        """Stop the worker process, if one runs (later large batches start a new one)."""
        with self._lock:
            offload, self._offload = self._offload, None
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        if offload is not None:
            offload.close()
